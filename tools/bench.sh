#!/usr/bin/env bash
# tools/bench.sh -- DriftDB next to PostgreSQL 15 on this machine, same pgbench
# scripts, same run, interleaved (pg r1, driftdb r1, pg r2, ...), ending with
# RATIO lines (>1 = DriftDB faster). Uses the shared harness (../shared/bench:
# run.sh, servers.sh, the pgbench scripts) as it is.
#
# Usage: tools/bench.sh [--pg-only]
#   --pg-only   measure only PostgreSQL (checks the harness; no DriftDB)
# Env:  BENCH_SECS (10 per timed run)  BENCH_REPS (2)
#       BENCH_WORKLOADS ("W1 W2 W6": point select c=1/c=4, durable insert
#                        c=1/c=4, AS OF point select + its current/update siblings)
#       DRIFTDB_SHARED (shared folder, default ../shared next to the checkout)
#       DRIFTDB_PORT (default: a free port)   KEEP_PG=1 (leave PostgreSQL running)
#       BENCH_TMP (/tmp/tbench; the harness keeps ~400 MB of generated data there)
# Needs root the first time (servers.sh creates the OS user that runs initdb)
# and pgbench, psql, bc, python3 (installed here when missing).
# Results: printed, and appended by run.sh under $BENCH_TMP/results/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PG_ONLY=0
case "${1:-}" in
  --pg-only) PG_ONLY=1;;
  "") ;;
  -h|--help) sed -n 2,19p "$0"; exit 0;;
  *) echo "usage: $0 [--pg-only]" >&2; exit 2;;
esac

SHARED=${DRIFTDB_SHARED:-}
if [ -z "$SHARED" ]; then
  for cand in "$ROOT/../shared" "$ROOT/../../shared"; do
    if [ -x "$cand/bench/run.sh" ]; then SHARED=$cand; break; fi
  done
fi
[ -n "$SHARED" ] && [ -f "$SHARED/bench/run.sh" ] || {
  echo "bench: shared harness not found; set DRIFTDB_SHARED to the folder holding bench/run.sh" >&2; exit 2; }
BENCH=$(cd "$SHARED/bench" && pwd)

# Tools the harness calls. pgbench and initdb come with the server package.
missing=()
command -v pgbench >/dev/null || missing+=(postgresql-15)
[ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || missing+=(postgresql-15)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v bc >/dev/null || missing+=(bc)
command -v python3 >/dev/null || missing+=(python3)
command -v ss >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "# installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL 15 anchor (throwaway cluster under $BENCH_TMP/pg).
export BENCH_TMP=${BENCH_TMP:-/tmp/tbench}
bash "$BENCH/servers.sh" start pg >&2
cleanup() {
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SPID" 2>/dev/null || true
  fi
  [ -n "${DDIR:-}" ] && rm -rf "$DDIR"
  [ "${KEEP_PG:-0}" = 1 ] || bash "$BENCH/servers.sh" stop pg >&2 || true
}
trap cleanup EXIT

TARGETS=(pg)
if [ "$PG_ONLY" = 0 ]; then
  echo "# building the release server" >&2
  cargo build --release --bins >&2
  SERVER=${CARGO_TARGET_DIR:-$ROOT/target}/release/driftdb-server
  PORT=${DRIFTDB_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
  DDIR=$(mktemp -d "${TMPDIR:-/tmp}/driftdb-bench.XXXXXX")
  export DRIFTDB_PASSWORD=${DRIFTDB_PASSWORD:-driftdb-bench}
  export PGPASSWORD=$DRIFTDB_PASSWORD   # pgbench and psql on the pgwire target; pg uses trust
  "$SERVER" --data-path "$DDIR/data" --host 127.0.0.1 --port "$PORT" >"$DDIR/server.log" 2>&1 &
  SPID=$!
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
    kill -0 "$SPID" 2>/dev/null || { echo "bench: driftdb-server exited:" >&2; tail -n 20 "$DDIR/server.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "# driftdb-server pid $SPID on 127.0.0.1:$PORT, data $DDIR/data" >&2
  TARGETS+=("pgwire:127.0.0.1:$PORT:driftdb:driftdb")
fi

export BENCH_WORKLOADS=${BENCH_WORKLOADS:-"W1 W2 W6"}
export BENCH_SECS=${BENCH_SECS:-10} BENCH_REPS=${BENCH_REPS:-2}
echo "# run.sh ${TARGETS[*]} | workloads: $BENCH_WORKLOADS | secs=$BENCH_SECS reps=$BENCH_REPS" >&2
OUT=$(mktemp "${TMPDIR:-/tmp}/driftdb-bench-out.XXXXXX")
bash "$BENCH/run.sh" "${TARGETS[@]}" | tee "$OUT"
if [ "$PG_ONLY" = 0 ]; then
  echo
  echo "== DriftDB / PostgreSQL throughput ratios (>1 = DriftDB faster) =="
  grep '^RATIO' "$OUT" || echo "(no RATIO lines: see the ERROR lines above)"
fi
rm -f "$OUT"
