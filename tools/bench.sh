#!/usr/bin/env bash
# tools/bench.sh -- DriftDB next to PostgreSQL 15 on this machine, same pgbench
# scripts, same run, interleaved (pg r1, driftdb r1, pg r2, ...), ending with
# RATIO lines (>1 = DriftDB faster). Uses the shared harness (../shared/bench:
# run.sh, servers.sh, the pgbench scripts) as it is.
#
# Usage: tools/bench.sh [--pg-only] [--mariadb]
#   --pg-only   measure only PostgreSQL (checks the harness; no DriftDB)
#   --mariadb   also MariaDB 10.11 (sysbench, system-versioned t6), started by the
#               harness's servers.sh; installs mariadb-server and sysbench when
#               missing. The run ends with DriftDB/PostgreSQL and DriftDB/MariaDB
#               ratios. tools/bench-w6.sh = BENCH_WORKLOADS=W6 tools/bench.sh --mariadb
# Env:  BENCH_SECS (10 per timed run)  BENCH_REPS (2)
#       BENCH_WORKLOADS ("W1 W2 W6": point select c=1/c=4, durable insert
#                        c=1/c=4, AS OF point select + its current/update siblings)
#       DRIFTDB_SHARED (shared folder, default ../shared next to the checkout)
#       DRIFTDB_PORT (default: a free port)   KEEP_PG=1 (leave PostgreSQL and MariaDB running)
#       PG_PORT (55432) MY_PORT (53306): the anchors' ports (harness defaults)
#       BENCH_TMP (/tmp/tbench; the harness keeps ~400 MB of generated data there)
# Needs root the first time (servers.sh creates the OS user that runs initdb)
# and pgbench, psql, bc, python3 (installed here when missing).
# Results: printed, and appended by run.sh under $BENCH_TMP/results/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PG_ONLY=0
MARIADB=0
for arg in "$@"; do
  case "$arg" in
    --pg-only) PG_ONLY=1;;
    --mariadb) MARIADB=1;;
    -h|--help) sed -n 2,25p "$0"; exit 0;;
    *) echo "usage: $0 [--pg-only] [--mariadb]" >&2; exit 2;;
  esac
done

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
if [ "$MARIADB" = 1 ]; then
  command -v mariadbd >/dev/null || command -v mysqld >/dev/null || missing+=(mariadb-server)
  command -v mariadb >/dev/null || missing+=(mariadb-client)
  command -v sysbench >/dev/null || missing+=(sysbench)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "# installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# PostgreSQL 15 anchor (throwaway cluster under $BENCH_TMP/pg).
export BENCH_TMP=${BENCH_TMP:-/tmp/tbench}
bash "$BENCH/servers.sh" start pg >&2
# MariaDB anchor (throwaway data dir under $BENCH_TMP/mariadb; Debian's package does
# not start a system service here, servers.sh runs mariadbd as the bench user).
if [ "$MARIADB" = 1 ]; then bash "$BENCH/servers.sh" start mariadb >&2; fi
cleanup() {
  if [ -n "${SPID:-}" ] && kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SPID" 2>/dev/null || true
  fi
  [ -n "${DDIR:-}" ] && rm -rf "$DDIR"
  if [ "${KEEP_PG:-0}" != 1 ]; then
    bash "$BENCH/servers.sh" stop pg >&2 || true
    if [ "$MARIADB" = 1 ]; then bash "$BENCH/servers.sh" stop mariadb >&2 || true; fi
  fi
}
trap cleanup EXIT

TARGETS=(pg)
if [ "$MARIADB" = 1 ]; then TARGETS+=(mariadb); fi
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
  echo "== DriftDB throughput / each anchor's, median of the reps (>1 = DriftDB faster) =="
  python3 - "$OUT" <<'EOF' || echo "(no ratios: see the ERROR lines above)"
import re, statistics, sys
by = {}
for line in open(sys.argv[1]):
    if line.startswith(("#", "RATIO")) or "ERROR" in line or "target=" not in line:
        continue
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    key = (line.split()[0], f.get("c", ""), f.get("mode", f.get("method", "")))
    kind = "driftdb" if f["target"].startswith("pgwire:") else f["target"]
    # W7 is a load time (lower is better): invert so that > 1 still means DriftDB faster.
    val = float(f["tps"]) if "tps" in f else 1.0 / float(f["secs"])
    by.setdefault(key, {}).setdefault(kind, []).append(val)
if not any("driftdb" in v for v in by.values()):
    sys.exit(1)
for key, t in by.items():
    if "driftdb" not in t:
        continue
    d = statistics.median(t["driftdb"])
    parts = ["%s c=%s mode=%s" % key, "driftdb=%.1f" % d]
    for anchor in ("pg", "mariadb"):
        if anchor in t:
            parts.append("%s=%.1f driftdb/%s=%.2f" % (anchor, statistics.median(t[anchor]), anchor,
                                                       d / statistics.median(t[anchor])))
    print("RATIO " + " ".join(parts))
EOF
fi
rm -f "$OUT"
