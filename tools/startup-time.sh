#!/usr/bin/env bash
# tools/startup-time.sh -- how long does driftdb-server take to come back after a
# clean shutdown of a database with deep history? (issue 3, Performance, last
# bullet: 1,000,000 rows x 10 versions, target under 2 s)
#
# 1. A fresh release server loads ROWS rows (id INT PRIMARY KEY, k INT,
#    c VARCHAR(100), pad VARCHAR(60)) by COPY, one transaction per COPY_CHUNK
#    rows, then updates every row VERSIONS-1 times (UPDATE ... SET k = k + 1
#    WHERE id BETWEEN a AND b, one transaction per UPDATE_CHUNK ids), and checks
#    count and sum(k).
# 2. SIGTERM; the clean shutdown is timed (it may checkpoint).
# 3. STARTS times: start the server and time, from the spawn, until the port
#    accepts a TCP connection (the figure held against the target) and until
#    `SELECT 1` through psql is answered (adds psql's start and SCRAM login,
#    ~0.1 s); also the server's own log from "opening database" to "listening".
#    After each timed start (untimed): count and sum(k) are checked again, the
#    server's RSS is noted, and it is stopped with SIGTERM.
# Also reported: the data directory's size after the load and after the starts.
#
# Usage: tools/startup-time.sh
# Env: ROWS (1000000)  VERSIONS (10)  COPY_CHUNK (100000)  UPDATE_CHUNK (100000)
#      STARTS (3)  TARGET_S (2)  CACHE_MB (passed as --cache-mb when supported)
#      BENCH_RESULTS (/tmp/driftdb-results)  + tools/bench-lib.sh's (DRIFTDB_SERVER,
#      DRIFTDB_PORT, BENCH_KEEP)
# Takes (today's in-memory engine): load ~2-3 min, then per start the replay time;
#      needs ~4 GB of RAM for the server.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
case "${1:-}" in -h|--help) sed -n 2,26p "$0"; exit 0;; "") ;; *) bl_die "usage: $0 (settings via env, see --help)";; esac

ROWS=${ROWS:-1000000}
VERSIONS=${VERSIONS:-10}
COPY_CHUNK=${COPY_CHUNK:-100000}
UPDATE_CHUNK=${UPDATE_CHUNK:-100000}
STARTS=${STARTS:-3}
TARGET_S=${TARGET_S:-2}
RESULTS_DIR=${BENCH_RESULTS:-/tmp/driftdb-results}
mkdir -p "$RESULTS_DIR"
RESULT=$RESULTS_DIR/startup-$(date -u +%Y%m%d-%H%M%S).txt
emit() { echo "$*" | tee -a "$RESULT"; }

bl_need_clients
bl_server_bin
bl_workdir startup
trap bl_cleanup EXIT
bl_start
emit "# startup-time.sh | $(date -u '+%F %T') UTC | commit $(cd "$BL_ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') | rows=$ROWS versions=$VERSIONS copy_chunk=$COPY_CHUNK update_chunk=$UPDATE_CHUNK | cache-mb: $( [ -n "${CACHE_MB:-}" ] && bl_cache_supported && echo "$CACHE_MB" || echo 'not passed') | host: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. build the history ----
t0=$(bl_now)
bl_load t "$ROWS" "$COPY_CHUNK"
emit "LOAD rows=$ROWS secs=$(bl_since "$t0") rss_mib=$(bl_mem "$BL_PID" VmRSS)"
for ((v = 2; v <= VERSIONS; v++)); do
  t1=$(bl_now)
  bl_update_pass t "$ROWS" "$UPDATE_CHUNK"
  emit "UPDATE pass=$((v - 1)) rows=$ROWS secs=$(bl_since "$t1") rss_mib=$(bl_mem "$BL_PID" VmRSS)"
done
EXPECT="$ROWS|$(( $(python3 "$BL_ROOT/tools/gen-rows.py" --sum-k 1 "$ROWS") + ROWS * (VERSIONS - 1) ))"
verify() {
  local got; got=$(bl_psql -Atc 'SELECT count(*), sum(k) FROM t')
  [ "$got" = "$EXPECT" ] || bl_die "count|sum(k) = '$got', expected '$EXPECT'"
}
verify
emit "BUILT versions=$((ROWS * VERSIONS)) secs=$(bl_since "$t0") seq=$(bl_seq) rss_mib=$(bl_mem "$BL_PID" VmRSS) hwm_mib=$(bl_mem "$BL_PID" VmHWM) verified count|sum(k)=$EXPECT"

# ---- 2. clean shutdown ----
bl_stop
[ "$BL_STOP_RC" = 0 ] || bl_die "server did not stop cleanly on SIGTERM (rc $BL_STOP_RC)"
emit "SHUTDOWN secs=$BL_T_STOP rc=$BL_STOP_RC data_mib=$(bl_du_mib "$BL_WORK/data")"

# ---- 3. timed starts ----
# The server's own view: seconds from its "opening database" line to "listening" (log times, ms).
log_span() {
  awk '/^---- start/ { o = ""; l = "" }
       /opening database/ { o = $2 }
       /listening on/ && l == "" { l = $2 }
       END { if (o == "" || l == "") print "?"; else {
               split(o, a, ":"); split(l, b, ":");
               printf "%.3f", (b[1]*3600 + b[2]*60 + b[3]) - (a[1]*3600 + a[2]*60 + a[3]) } }' "$BL_WORK/server.log"
}
TCPS=()
for i in $(seq 1 "$STARTS"); do
  bl_start
  tcp=$BL_T_TCP sql=$BL_T_SQL span=$(log_span) rss=$(bl_mem "$BL_PID" VmRSS)
  TCPS+=("$tcp")
  verify
  bl_stop
  emit "START run=$i accept_s=$tcp select1_s=$sql log_open_to_listen_s=$span rss_after_start_mib=$rss verified=yes shutdown_s=$BL_T_STOP"
done
med=$(bl_median "${TCPS[@]}")
verdict=PASS; bl_gt "$med" "$TARGET_S" && verdict=FAIL
emit "SUMMARY startup_median_s=$med (accept; runs: ${TCPS[*]}) target<${TARGET_S}s $verdict | data directory $(bl_du_mib "$BL_WORK/data") MiB ($ROWS rows x $VERSIONS versions)"
bl_log "results appended to $RESULT"
