#!/usr/bin/env bash
# tools/big-table.sh -- larger than memory (issue 3, point 6): with
# `--cache-mb 64`, a 5,000,000-row table (id INT PRIMARY KEY, k INT,
# c VARCHAR(100), pad VARCHAR(60)) is loaded, point-queried, range-scanned,
# updated and time-travelled, every answer checked, while the server's
# resident memory is sampled; peak RSS must stay under 300 MiB.
#
# Steps (each timed; every answer compared with values computed from the
# deterministic rows of tools/gen-rows.py):
#   load      CREATE TABLE big; COPY ROWS rows, one transaction per COPY_CHUNK
#   scan      count(*), sum(k) over the whole table
#   restart   SIGTERM + start again (RESTART=1): later reads start from a cold cache
#   point     SELECT of 6 ids compared column by column; pgbench point select
#             (uniform random id, c=1, simple) for POINT_SECS
#   range     count(*), sum(k) WHERE id BETWEEN a AND a+RANGE-1
#   update    S = driftdb_current_seq(); UPDATE big SET k = k + 1 over a slice
#             of SLICE ids in the middle, one transaction per UPDATE_CHUNK ids;
#             then the slice's and the table's sum(k) now
#   asof      AS OF @SEQ:S: whole-table count/sum(k) (the old values), the slice's
#             sum(k), one point inside the slice; pgbench AS OF point select
#             for POINT_SECS
# Memory: /proc/PID/status VmRSS every second (whole run), VmHWM at the end of
# each server process; peak = the largest of them. The check PASSes when every
# answer is right and peak <= RSS_LIMIT_MIB. Exit status 0 only then.
# The server is killed (and the run FAILs) if RSS passes ABORT_RSS_MIB, to
# protect a shared machine from an engine that keeps everything in memory.
#
# Usage: tools/big-table.sh            full size: ROWS=5000000 CACHE_MB=64 RSS_LIMIT_MIB=300
#        tools/big-table.sh --small    CI size:   ROWS=200000  CACHE_MB=8  RSS_LIMIT_MIB=48
#                                      (update chunk scaled by 1/25, COPY chunk 2000)
# Env (override either preset): ROWS CACHE_MB RSS_LIMIT_MIB COPY_CHUNK UPDATE_CHUNK SLICE
#      RANGE POINT_SECS (10 full, 3 small) RESTART (1) ABORT_RSS_MIB (12288 full, 2048 small)
#      BENCH_RESULTS (/tmp/driftdb-results) + tools/bench-lib.sh's (DRIFTDB_SERVER,
#      DRIFTDB_PORT, BENCH_KEEP)
# Without --cache-mb support (today's engine) the server runs with no cache flag and
# the line says so.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
PRESET=full
case "${1:-}" in
  --small) PRESET=small;;
  -h|--help) sed -n 2,40p "$0"; exit 0;;
  "") ;;
  *) bl_die "usage: $0 [--small] (settings via env, see --help)";;
esac
if [ "$PRESET" = small ]; then
  ROWS=${ROWS:-200000}; CACHE_MB=${CACHE_MB:-8}; RSS_LIMIT_MIB=${RSS_LIMIT_MIB:-48}
  COPY_CHUNK=${COPY_CHUNK:-2000}; UPDATE_CHUNK=${UPDATE_CHUNK:-2000}
  POINT_SECS=${POINT_SECS:-3}; ABORT_RSS_MIB=${ABORT_RSS_MIB:-2048}
else
  ROWS=${ROWS:-5000000}; CACHE_MB=${CACHE_MB:-64}; RSS_LIMIT_MIB=${RSS_LIMIT_MIB:-300}
  # One COPY and one UPDATE statement, each one transaction: a transaction
  # spills its changes to a scratch file past 32 MiB and a large commit
  # streams (see docs/PERFORMANCE.md).
  COPY_CHUNK=${COPY_CHUNK:-$ROWS}; UPDATE_CHUNK=${UPDATE_CHUNK:-$((ROWS / 10))}
  POINT_SECS=${POINT_SECS:-10}; ABORT_RSS_MIB=${ABORT_RSS_MIB:-12288}
fi
SLICE=${SLICE:-$((ROWS / 10))}
RANGE=${RANGE:-$((ROWS / 50))}
RESTART=${RESTART:-1}
export CACHE_MB ABORT_RSS_MIB
RESULTS_DIR=${BENCH_RESULTS:-/tmp/driftdb-results}
mkdir -p "$RESULTS_DIR"
RESULT=$RESULTS_DIR/bigtable-$PRESET-$(date -u +%Y%m%d-%H%M%S).txt
emit() { echo "$*" | tee -a "$RESULT"; }

bl_need_clients
bl_server_bin
CACHE_NOTE="--cache-mb $CACHE_MB"
bl_cache_supported || CACHE_NOTE="no --cache-mb (this server does not accept it: memory unbounded)"
bl_workdir bigtable
RSS_FILE=$BL_WORK/rss.txt
HWMS=()
FAILS=()
T_START=$(bl_now)
DONE=0

# Peak RSS and verdict; runs at the end and on any early exit (server killed, wrong answer).
finish() {
  local rc=$?
  bl_rss_sampler_stop
  if [ -n "$BL_PID" ] && kill -0 "$BL_PID" 2>/dev/null; then
    HWMS+=("$(bl_mem "$BL_PID" VmHWM)")
  fi
  local sampled peak aborted=""
  sampled=$(awk '$1 != "ABORT" && $2 > m { m = $2 } END { printf "%.1f", m + 0 }' "$RSS_FILE" 2>/dev/null || echo 0)
  peak=$(printf '%s\n' "$sampled" "${HWMS[@]}" | sort -g | tail -n 1)
  grep -q '^ABORT' "$RSS_FILE" 2>/dev/null && aborted=" (server killed: $(grep '^ABORT' "$RSS_FILE" | head -n 1))"
  [ "$DONE" = 1 ] || FAILS+=("run did not complete$aborted")
  local verdict=PASS
  bl_gt "$peak" "$RSS_LIMIT_MIB" && { verdict=FAIL; FAILS+=("peak RSS $peak MiB > $RSS_LIMIT_MIB MiB"); }
  [ ${#FAILS[@]} -eq 0 ] || verdict=FAIL
  emit "RSS peak_mib=$peak (sampled max $sampled, VmHWM per server process: ${HWMS[*]:-none}) limit_mib=$RSS_LIMIT_MIB$aborted"
  emit "SUMMARY preset=$PRESET rows=$ROWS $CACHE_NOTE peak_rss_mib=$peak limit_mib=$RSS_LIMIT_MIB data_mib=$(bl_du_mib "$BL_WORK/data" 2>/dev/null || echo '?') total_s=$(bl_since "$T_START") $verdict${FAILS[*]:+ (${FAILS[*]})}"
  bl_log "results appended to $RESULT"
  bl_cleanup
  [ "$verdict" = PASS ] && [ $rc -eq 0 ] && exit 0
  exit 1
}
trap finish EXIT

start() { bl_start; bl_rss_sampler_start "$RSS_FILE"; }
stop() {  # SIGTERM, keeping the process's VmHWM first
  HWMS+=("$(bl_mem "$BL_PID" VmHWM)")
  bl_rss_sampler_stop
  bl_stop
}
check() {  # check LABEL SQL EXPECTED: records a failure instead of stopping
  local got; got=$(bl_psql -At -F '|' -c "$2") || bl_die "$1: query failed ($2)"
  if [ "$got" = "$3" ]; then return 0; fi
  FAILS+=("$1: got '$got' expected '$3'")
  emit "WRONG $1: got '$got', expected '$3' ($2)"
}
timed() {  # timed LABEL SQL EXPECTED: check, seconds in T (no subshell: FAILS must survive)
  local t0; t0=$(bl_now); check "$1" "$2" "$3"; T=$(bl_since "$t0")
}
sumk() { python3 "$BL_ROOT/tools/gen-rows.py" --sum-k "$1" "$2"; }
pgb() {  # pgb LABEL SCRIPT: pgbench c=1 simple for POINT_SECS, one key=value line
  local r tps avg p50 p99 n fail
  if r=$(bl_pgbench "$2" simple "$POINT_SECS"); then
    read -r tps avg p50 p99 n fail <<<"$r"
    emit "$1 pgbench c=1 simple secs=$POINT_SECS tps=$tps avg_ms=$avg p50_ms=$p50 p99_ms=$p99 n=$n failed=$fail rss_mib=$(bl_mem "$BL_PID" VmRSS)"
  else
    FAILS+=("pgbench $1: $r"); emit "$1 pgbench $r"
  fi
}
row_of() { python3 "$BL_ROOT/tools/gen-rows.py" "$1" "$1" | tr '\t' '|'; }

start
emit "# big-table.sh $PRESET | $(date -u '+%F %T') UTC | commit $(cd "$BL_ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') | rows=$ROWS $CACHE_NOTE | copy_chunk=$COPY_CHUNK update_chunk=$UPDATE_CHUNK slice=$SLICE range=$RANGE | idle server RSS $(bl_mem "$BL_PID" VmRSS) MiB | host: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(awk '/MemAvailable/ { printf "%.0f", $2 / 1024 }' /proc/meminfo) MiB available"

# ---- load + full scan ----
t0=$(bl_now)
bl_load big "$ROWS" "$COPY_CHUNK"
T=$(bl_since "$t0")
emit "LOAD rows=$ROWS secs=$T rows_per_s=$(awk "BEGIN { printf \"%d\", $ROWS / $T }") rss_mib=$(bl_mem "$BL_PID" VmRSS) data_mib=$(bl_du_mib "$BL_WORK/data")"
BASE=$(sumk 1 "$ROWS")
timed scan 'SELECT count(*), sum(k) FROM big' "$ROWS|$BASE"
emit "SCAN count_sum secs=$T rss_mib=$(bl_mem "$BL_PID" VmRSS)"

if [ "$RESTART" = 1 ]; then
  stop
  emit "STOP secs=$BL_T_STOP rc=$BL_STOP_RC data_mib=$(bl_du_mib "$BL_WORK/data")"
  start
  emit "RESTART accept_s=$BL_T_TCP select1_s=$BL_T_SQL rss_mib=$(bl_mem "$BL_PID" VmRSS)"
fi

# ---- point queries ----
t0=$(bl_now)
for id in 1 2 $((ROWS / 3)) $((ROWS / 2 + 7)) $((ROWS - 1)) "$ROWS"; do
  check "point id=$id" "SELECT id, k, c, pad FROM big WHERE id = $id" "$(row_of "$id")"
done
check "point missing" "SELECT count(*) FROM big WHERE id = $((ROWS + 1))" "0"
emit "POINT checked=7 secs=$(bl_since "$t0")"
PQ=$BL_WORK/point.sql
printf '\\set id random(1, %d)\nSELECT id, k, c, pad FROM big WHERE id = :id;\n' "$ROWS" >"$PQ"
pgb POINT "$PQ"

# ---- range scan ----
A=$((ROWS / 4 + 1)); B=$((A + RANGE - 1))
timed range "SELECT count(*), sum(k) FROM big WHERE id BETWEEN $A AND $B" "$RANGE|$(sumk "$A" "$B")"
emit "RANGE rows=$RANGE secs=$T rss_mib=$(bl_mem "$BL_PID" VmRSS)"

# ---- update a slice ----
S=$(bl_seq)
U0=$((ROWS / 2 - SLICE / 2 + 1)); U1=$((U0 + SLICE - 1))
t0=$(bl_now)
for ((a = U0; a <= U1; a += UPDATE_CHUNK)); do
  b=$((a + UPDATE_CHUNK - 1)); [ $b -gt $U1 ] && b=$U1
  echo "UPDATE big SET k = k + 1 WHERE id BETWEEN $a AND $b;"
done | bl_psql -f - >/dev/null
emit "UPDATE rows=$SLICE secs=$(bl_since "$t0") rss_mib=$(bl_mem "$BL_PID" VmRSS) (AS OF point @SEQ:$S)"
SLICE_SUM=$(sumk "$U0" "$U1")
timed "slice now" "SELECT count(*), sum(k) FROM big WHERE id BETWEEN $U0 AND $U1" "$SLICE|$((SLICE_SUM + SLICE))"
emit "UPDATE check_slice secs=$T"
timed "table now" 'SELECT count(*), sum(k) FROM big' "$ROWS|$((BASE + SLICE))"
emit "UPDATE check_table secs=$T rss_mib=$(bl_mem "$BL_PID" VmRSS)"

# ---- time travel ----
MID=$(( (U0 + U1) / 2 ))
check "point now" "SELECT k FROM big WHERE id = $MID" "$(( (MID * 7919) % 100000 + 2 ))"
check "point AS OF" "SELECT id, k, c, pad FROM big FOR SYSTEM_TIME AS OF @SEQ:$S WHERE id = $MID" "$(row_of "$MID")"
timed "slice AS OF" "SELECT count(*), sum(k) FROM big FOR SYSTEM_TIME AS OF @SEQ:$S WHERE id BETWEEN $U0 AND $U1" "$SLICE|$SLICE_SUM"
emit "ASOF slice secs=$T"
timed "table AS OF" "SELECT count(*), sum(k) FROM big FOR SYSTEM_TIME AS OF @SEQ:$S" "$ROWS|$BASE"
emit "ASOF table secs=$T rss_mib=$(bl_mem "$BL_PID" VmRSS)"
AQ=$BL_WORK/asof.sql
printf '\\set id random(1, %d)\nSELECT id, k, c, pad FROM big FOR SYSTEM_TIME AS OF @SEQ:%d WHERE id = :id;\n' "$ROWS" "$S" >"$AQ"
pgb ASOF "$AQ"

stop
emit "STOP secs=$BL_T_STOP rc=$BL_STOP_RC data_mib=$(bl_du_mib "$BL_WORK/data")"
DONE=1
