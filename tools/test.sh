#!/usr/bin/env bash
# tools/test.sh -- the project's test command (see README): everything CI runs.
#
#   1. cargo fmt --check; cargo clippy --all-targets -D warnings
#   2. cargo build --release --bins (once; the tests reuse it)
#   3. cargo test --release: unit tests, integration tests (tests/*.rs, which
#      start the real binaries) and our sqllogictest files (in-process);
#      then the storage tests again with every transaction spilled to its
#      scratch file from the first row (DRIFTDB_TEST_TXN_MEMORY=0)
#   4. real clients against the release server (tools/clients.sh: psql,
#      psycopg 3, psycopg2, asyncpg, SQLAlchemy, node-postgres, pgjdbc),
#      each on a fresh server; any failure fails the build
#   5. the shared public sqllogictest corpus against the release server on a
#      free port (tools/run-slt.sh of ../shared); its pass count is printed
#      and does NOT fail the build (it needs joins and more that come later).
#      Skipped, with a note, when the shared folder is absent.
#
# Env: DRIFTDB_SHARED (the shared folder; default ../shared next to the
#      checkout), SKIP_LINT=1 (skip step 1, for quick local runs),
#      SKIP_TESTS=1 (skip step 3), SKIP_CLIENTS=1 (skip step 4), SKIP_CORPUS=1 (skip step 5),
#      CORPUS_TIMEOUT (seconds for step 5, 720; SLT_TIMEOUT per file, 60), DRIFTDB_SERVER (the server
#      binary for steps 4 and 5, default the release build).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
step() { printf '\n==> %s\n' "$*"; }
T0=$(date +%s)

if [ "${SKIP_LINT:-0}" != 1 ]; then
  step "cargo fmt --check"
  cargo fmt --check
  step "cargo clippy --all-targets -- -D warnings"
  cargo clippy --all-targets -- -D warnings
fi

step "cargo build --release --bins"
cargo build --release --bins

if [ "${SKIP_TESTS:-0}" != 1 ]; then
  step "cargo test --release (unit, integration, sqllogictest)"
  cargo test --release --no-fail-fast
  step "storage tests again, every transaction spilled from its first row"
  DRIFTDB_TEST_TXN_MEMORY=0 cargo test --release --lib storage::
fi

if [ "${SKIP_CLIENTS:-0}" = 1 ]; then
  step "clients: skipped (SKIP_CLIENTS=1)"
else
  step "real clients against driftdb-server (tools/clients.sh)"
  tools/clients.sh
fi

# ---- shared sqllogictest corpus against the real server (not gating) ----
SHARED=${DRIFTDB_SHARED:-}
if [ -z "$SHARED" ]; then
  for cand in "$ROOT/../shared" "$ROOT/../../shared"; do
    if [ -d "$cand/sqllogictest" ]; then SHARED=$cand; break; fi
  done
fi
if [ "${SKIP_CORPUS:-0}" = 1 ]; then
  step "shared corpus: skipped (SKIP_CORPUS=1)"
elif [ -z "$SHARED" ] || [ ! -d "$SHARED/sqllogictest" ] || [ ! -f "$SHARED/tools/run-slt.sh" ]; then
  step "shared corpus: skipped, no shared folder found (set DRIFTDB_SHARED to run it)"
else
  step "shared corpus $SHARED/sqllogictest against driftdb-server (pass count only, not gating)"
  SERVER=${DRIFTDB_SERVER:-${CARGO_TARGET_DIR:-$ROOT/target}/release/driftdb-server}
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  DATA=$(mktemp -d "${TMPDIR:-/tmp}/driftdb-ci.XXXXXX")
  PASS=ci-$$-$RANDOM
  DRIFTDB_PASSWORD=$PASS "$SERVER" --data-path "$DATA/data" --host 127.0.0.1 --port "$PORT" >"$DATA/server.log" 2>&1 &
  SPID=$!
  stop_server() {
    if kill -0 "$SPID" 2>/dev/null; then
      kill -TERM "$SPID" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$SPID" 2>/dev/null || true
    fi
    rm -rf "$DATA"
  }
  trap stop_server EXIT
  up=0
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; then up=1; break; fi
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  if [ "$up" = 1 ]; then
    set +e
    SLT_TIMEOUT=${SLT_TIMEOUT:-60} timeout -k 10 "${CORPUS_TIMEOUT:-720}" \
      "$SHARED/tools/run-slt.sh" 127.0.0.1 "$PORT" driftdb driftdb "$PASS" "$SHARED/sqllogictest" >"$DATA/corpus.log" 2>&1
    rc=$?
    set -e
    grep -E '^(PASS|FAIL) ' "$DATA/corpus.log" | sed 's/^/  /' || true
    last=$(tail -n 1 "$DATA/corpus.log")
    if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      echo "shared corpus (not gating): $last"
    else
      echo "shared corpus did not finish (exit $rc); last lines:"; tail -n 5 "$DATA/corpus.log" | sed 's/^/  /'
    fi
  else
    echo "driftdb-server did not start listening on port $PORT; its log:"
    sed 's/^/  /' "$DATA/server.log" | tail -n 20
    echo "shared corpus not run (the server is not ready yet; not gating)"
  fi
  stop_server
  trap - EXIT
fi

echo
echo "tools/test.sh: all gating steps passed in $(( $(date +%s) - T0 ))s"
