# tools/bench-lib.sh -- shared plumbing of the issue-3 measurement tools
# (bench-depth.sh, startup-time.sh, big-table.sh). Sourced, not run.
#
# Starts and stops a release driftdb-server on a private data directory and a
# free port, runs psql/pgbench against it, samples its memory, and does the
# arithmetic in awk (no bc needed). Works with today's server and with the
# page-engine one: `--cache-mb N` is passed only when `driftdb-server --help`
# lists it (bl_cache_supported).
#
# Env read here:
#   DRIFTDB_SERVER  server binary (default: cargo build --release, then
#                   $CARGO_TARGET_DIR/release/driftdb-server)
#   DRIFTDB_PORT    port (default: a free one)
#   BENCH_KEEP=1    keep the data directory at the end (path printed)
#   TMPDIR          where the data directory goes (default /tmp)

BL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BL_USER=driftdb
BL_DB=driftdb
export DRIFTDB_PASSWORD=${DRIFTDB_PASSWORD:-driftdb-bench}
export PGPASSWORD=$DRIFTDB_PASSWORD
BL_PID=""
BL_PORT=""
BL_WORK=""

bl_log() { echo "# $*" >&2; }
bl_die() { echo "error: $*" >&2; exit 1; }
bl_now() { date +%s.%N; }
# bl_calc EXPR: floating-point arithmetic, 3 decimals unless EXPR formats itself.
bl_calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
bl_since() { bl_calc "$(bl_now) - $1"; }
# bl_gt A B: true when A > B (floats).
bl_gt() { awk "BEGIN { exit !(($1) > ($2)) }"; }

# Installs psql/pgbench when missing (Debian package names).
bl_need_clients() {
  local missing=()
  command -v psql >/dev/null || missing+=(postgresql-client)
  command -v pgbench >/dev/null || missing+=(postgresql-15)
  command -v python3 >/dev/null || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    bl_log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Sets BL_SERVER (building the release binary unless DRIFTDB_SERVER is given).
bl_server_bin() {
  if [ -n "${DRIFTDB_SERVER:-}" ]; then
    BL_SERVER=$DRIFTDB_SERVER
  else
    bl_log "building the release server (cargo build --release --bins)"
    (cd "$BL_ROOT" && cargo build --release --bins >&2) || bl_die "build failed"
    BL_SERVER=${CARGO_TARGET_DIR:-$BL_ROOT/target}/release/driftdb-server
  fi
  [ -x "$BL_SERVER" ] || bl_die "no server binary at $BL_SERVER"
}

# True when this server understands --cache-mb (the page engine).
bl_cache_supported() { "$BL_SERVER" --help 2>&1 | grep -q -- '--cache-mb'; }

bl_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Creates BL_WORK (data dir parent) and picks BL_PORT.
bl_workdir() {
  BL_WORK=$(mktemp -d "${TMPDIR:-/tmp}/driftdb-$1.XXXXXX")
  BL_PORT=${DRIFTDB_PORT:-$(bl_free_port)}
}

# bl_tcp_up: one non-blocking connect attempt to the server port (bash /dev/tcp, no fork).
bl_tcp_up() { (exec 3<>"/dev/tcp/127.0.0.1/$BL_PORT") 2>/dev/null; }

# bl_start [extra server args...]: starts the server on $BL_WORK/data, logging to
# $BL_WORK/server.log (appended), and waits until it answers `SELECT 1`
# (timeout BL_START_TIMEOUT seconds, default 600). Sets BL_PID.
# Passes --cache-mb $CACHE_MB when CACHE_MB is set and the server supports it.
bl_start() {
  local args=(--data-path "$BL_WORK/data" --host 127.0.0.1 --port "$BL_PORT")
  if [ -n "${CACHE_MB:-}" ] && bl_cache_supported; then args+=(--cache-mb "$CACHE_MB"); fi
  echo "---- start $(date -u '+%F %T.%N') ${args[*]} $*" >>"$BL_WORK/server.log"
  "$BL_SERVER" "${args[@]}" "$@" >>"$BL_WORK/server.log" 2>&1 &
  BL_PID=$!
  bl_wait_ready "${BL_START_TIMEOUT:-600}"
}

# bl_wait_ready TIMEOUT: polls the port every 5 ms, then checks `SELECT 1`.
# Sets BL_T_TCP (seconds from the call to the first accepted connection) and
# BL_T_SQL (to the first answered query).
bl_wait_ready() {
  local t0 deadline; t0=$(bl_now); deadline=$(bl_calc "$t0 + $1")
  BL_T_TCP=""; BL_T_SQL=""
  while :; do
    if bl_tcp_up; then BL_T_TCP=$(bl_since "$t0"); break; fi
    kill -0 "$BL_PID" 2>/dev/null || { tail -n 20 "$BL_WORK/server.log" >&2; bl_die "driftdb-server exited during startup"; }
    bl_gt "$(bl_now)" "$deadline" && bl_die "driftdb-server not listening after $1 s"
    sleep 0.005
  done
  local i
  for i in $(seq 1 200); do
    if bl_psql -Atc 'SELECT 1' >/dev/null 2>&1; then BL_T_SQL=$(bl_since "$t0"); return 0; fi
    sleep 0.05
  done
  bl_die "driftdb-server accepts connections but does not answer SELECT 1"
}

# bl_stop: SIGTERM, wait (BL_STOP_TIMEOUT s, default 300) for a clean exit.
# Sets BL_T_STOP (seconds) and BL_STOP_RC; SIGKILLs only on timeout (BL_STOP_RC=killed).
bl_stop() {
  [ -n "$BL_PID" ] || return 0
  local t0 i; t0=$(bl_now)
  kill -TERM "$BL_PID" 2>/dev/null || true
  for i in $(seq 1 $(( ${BL_STOP_TIMEOUT:-300} * 50 ))); do
    kill -0 "$BL_PID" 2>/dev/null || break
    sleep 0.02
  done
  if kill -0 "$BL_PID" 2>/dev/null; then
    kill -KILL "$BL_PID" 2>/dev/null || true; BL_STOP_RC=killed
    wait "$BL_PID" 2>/dev/null || true
  else
    BL_STOP_RC=0; wait "$BL_PID" 2>/dev/null || BL_STOP_RC=$?
  fi
  BL_T_STOP=$(bl_since "$t0")
  BL_PID=""
}

# Trap helper: stop the server we started, drop the work dir unless BENCH_KEEP=1.
bl_cleanup() {
  [ -n "${BL_SAMPLER_PID:-}" ] && kill "$BL_SAMPLER_PID" 2>/dev/null
  if [ -n "$BL_PID" ] && kill -0 "$BL_PID" 2>/dev/null; then BL_STOP_TIMEOUT=30 bl_stop; fi
  if [ -n "$BL_WORK" ]; then
    if [ "${BENCH_KEEP:-0}" = 1 ]; then bl_log "kept $BL_WORK (server.log, data/)"; else rm -rf "$BL_WORK"; fi
  fi
}

bl_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$BL_PORT" -U "$BL_USER" -d "$BL_DB" "$@"
}

# bl_copy_rows TABLE FIRST LAST: COPY rows FIRST..LAST (tools/gen-rows.py) in one statement.
bl_copy_rows() {
  python3 "$BL_ROOT/tools/gen-rows.py" "$2" "$3" |
    bl_psql -c "COPY $1 (id, k, c, pad) FROM STDIN" >/dev/null
}

# bl_load TABLE ROWS [CHUNK]: creates TABLE (id INT PRIMARY KEY, k INT, c VARCHAR(100),
# pad VARCHAR(60)) (the server is a fresh one: no DROP) and loads ids 1..ROWS with one
# COPY (one transaction) per CHUNK rows.
bl_load() {
  local t=$1 n=$2 chunk=${3:-500000} a b
  bl_psql -c "CREATE TABLE $t (id INT PRIMARY KEY, k INT, c VARCHAR(100), pad VARCHAR(60))" >/dev/null
  for ((a = 1; a <= n; a += chunk)); do
    b=$((a + chunk - 1)); [ $b -gt "$n" ] && b=$n
    bl_copy_rows "$t" "$a" "$b" || bl_die "COPY $t rows $a..$b failed"
  done
}

# bl_update_pass TABLE ROWS CHUNK: every row once, `UPDATE TABLE SET k = k + 1 WHERE id
# BETWEEN a AND b`, one autocommit statement (= one transaction) per CHUNK ids, all
# statements sent by one psql.
bl_update_pass() {
  local t=$1 n=$2 chunk=$3 a b
  for ((a = 1; a <= n; a += chunk)); do
    b=$((a + chunk - 1)); [ $b -gt "$n" ] && b=$n
    echo "UPDATE $t SET k = k + 1 WHERE id BETWEEN $a AND $b;"
  done | bl_psql -f - >/dev/null
}

bl_seq() { bl_psql -Atc 'SELECT driftdb_current_seq()'; }

# bl_pgbench SCRIPT MODE SECS [CLIENTS]: prints "tps avg_ms p50_ms p99_ms n failed"
# (tps = pgbench's figure without connection time; latencies exact, from --log).
bl_pgbench() {
  local script=$1 mode=$2 secs=$3 c=${4:-1} out lg rc tps fail
  out=$(mktemp "${TMPDIR:-/tmp}/driftdb-pgb.XXXXXX"); lg=$out.log
  pgbench -n -M "$mode" -f "$script" -T "$secs" -c "$c" -j "$c" --log --log-prefix="$lg" \
    -h 127.0.0.1 -p "$BL_PORT" -U "$BL_USER" "$BL_DB" >"$out" 2>&1
  rc=$?
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without.*/\1/p' "$out")
  fail=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
  if [ $rc -ne 0 ] || [ -z "$tps" ]; then
    echo "ERROR pgbench rc=$rc: $(grep -m1 -iE 'error|fatal' "$out" | tr -s ' ' | cut -c1-200)"
    rm -f "$out" "$lg"*; return 1
  fi
  python3 - "$lg" "$tps" "${fail:-0}" <<'EOF'
import glob, sys
lat = []
for f in glob.glob(sys.argv[1] + "*"):
    for line in open(f):
        p = line.split()
        if len(p) >= 3 and p[2].isdigit():
            lat.append(int(p[2]) / 1000.0)
lat.sort()
def pct(q): return lat[min(len(lat) - 1, int(len(lat) * q))] if lat else float("nan")
avg = sum(lat) / len(lat) if lat else float("nan")
print("%.1f %.4f %.4f %.4f %d %s" % (float(sys.argv[2]), avg, pct(.5), pct(.99), len(lat), sys.argv[3]))
EOF
  rm -f "$out" "$lg"*
}

# Memory of the server process (MiB, from /proc/PID/status).
bl_mem() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

# bl_rss_sampler_start FILE: VmRSS of BL_PID every second into FILE ("epoch_s rss_mib").
# Kills the server when RSS passes ABORT_RSS_MIB (protects a shared machine; 0 = never).
bl_rss_sampler_start() {
  local file=$1 pid=$BL_PID limit=${ABORT_RSS_MIB:-0}
  (
    while kill -0 "$pid" 2>/dev/null; do
      r=$(bl_mem "$pid" VmRSS)
      [ -n "$r" ] && echo "$(date +%s) $r" >>"$file"
      if [ "$limit" != 0 ] && [ -n "$r" ] && bl_gt "$r" "$limit"; then
        echo "ABORT rss $r MiB > ABORT_RSS_MIB=$limit" >>"$file"; kill -KILL "$pid"; break
      fi
      sleep 1
    done
  ) &
  BL_SAMPLER_PID=$!
}
bl_rss_sampler_stop() {
  [ -n "${BL_SAMPLER_PID:-}" ] && kill "$BL_SAMPLER_PID" 2>/dev/null
  wait "${BL_SAMPLER_PID:-}" 2>/dev/null || true
  BL_SAMPLER_PID=""
}

# bl_median v1 v2 ...: median of numbers.
bl_median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END { if (NR % 2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2 }'; }

# Data directory size in MiB.
bl_du_mib() { du -sk "$1" | awk '{ printf "%.1f", $1 / 1024 }'; }
