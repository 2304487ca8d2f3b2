#!/usr/bin/env bash
# tools/bench-depth.sh -- does a point select AS OF the middle of history cost
# what a current-state point select costs, whatever the depth of history?
# (issue 3, Performance, first bullet)
#
# One release driftdb-server on a fresh data directory holds one table per
# depth, td1, td10, td100: ROWS rows (id INT PRIMARY KEY, k INT, c VARCHAR(100),
# pad VARCHAR(60)) loaded by COPY, then every row updated (k = k + 1) until it
# has DEPTH versions, by passes of `UPDATE ... WHERE id BETWEEN a AND b`, one
# transaction per CHUNK ids. When ceil(DEPTH/2) versions exist, the script
# notes `driftdb_current_seq()` (S) and the client's UTC clock (TS, 0.3 s of
# quiet either side). Timed, with pgbench (c=1, simple and prepared protocol):
#   current   SELECT id, k, c, pad FROM tdD WHERE id = :id
#   asof_seq  SELECT id, k, c, pad FROM tdD FOR SYSTEM_TIME AS OF @SEQ:S WHERE id = :id
#   asof_ts   ... FOR SYSTEM_TIME AS OF TIMESTAMP 'TS' WHERE id = :id
# Runs are interleaved (rep 1: mode 1: depth 1: current, asof_seq, asof_ts;
# depth 10: ...), so the runs compared share the machine's noise window.
# Reported per mode, medians over the reps of the interleaved pairs:
#   cost ratio  = time(AS OF) / time(current) at the same depth = tps_current / tps_asof
#                 target <= 1.5
#   flatness    = time(AS OF, deepest) / time(AS OF, depth 1)   target <= 1.2
# Setup verifies count and sum(k) as of S, as of TS, and now.
#
# Usage: tools/bench-depth.sh
# Env: ROWS (100000)  DEPTHS ("1 10 100")  CHUNK (10000 ids per UPDATE)
#      BENCH_SECS (10 per run)  BENCH_REPS (3)  MODES ("simple prepared")
#      QUERIES ("current asof_seq asof_ts")  CACHE_MB (passed as --cache-mb when supported)
#      BENCH_RESULTS (/tmp/driftdb-results: result files)  + tools/bench-lib.sh's
#      (DRIFTDB_SERVER, DRIFTDB_PORT, BENCH_KEEP)
# Takes: setup ~1 min today (ROWS=100000; ~10M row versions), then
#        REPS x MODES x DEPTHS x QUERIES runs of BENCH_SECS: 54 x 10 s = 9 min by default.
set -euo pipefail
source "$(dirname "$0")/bench-lib.sh"
case "${1:-}" in -h|--help) sed -n 2,35p "$0"; exit 0;; "") ;; *) bl_die "usage: $0 (settings via env, see --help)";; esac

ROWS=${ROWS:-100000}
DEPTHS=${DEPTHS:-"1 10 100"}
CHUNK=${CHUNK:-10000}
SECS=${BENCH_SECS:-10}
REPS=${BENCH_REPS:-3}
MODES=${MODES:-"simple prepared"}
QUERIES=${QUERIES:-"current asof_seq asof_ts"}
RESULTS_DIR=${BENCH_RESULTS:-/tmp/driftdb-results}
mkdir -p "$RESULTS_DIR"
RESULT=$RESULTS_DIR/depth-$(date -u +%Y%m%d-%H%M%S).txt
emit() { echo "$*" | tee -a "$RESULT"; }

bl_need_clients
bl_server_bin
bl_workdir depth
trap bl_cleanup EXIT
bl_start
emit "# bench-depth.sh | $(date -u '+%F %T') UTC | commit $(cd "$BL_ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') | rows=$ROWS depths=$DEPTHS chunk=$CHUNK secs=$SECS reps=$REPS | cache-mb: $( [ -n "${CACHE_MB:-}" ] && bl_cache_supported && echo "$CACHE_MB" || echo 'not passed') | host: $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"

BASE_SUM=$(python3 "$BL_ROOT/tools/gen-rows.py" --sum-k 1 "$ROWS")
check() {  # check LABEL SQL EXPECTED
  local got; got=$(bl_psql -Atc "$2")
  [ "$got" = "$3" ] || bl_die "$1: got '$got', expected '$3' ($2)"
}

# ---- setup: one table per depth ----
declare -A SEQ TS
for d in $DEPTHS; do
  t0=$(bl_now)
  bl_load "td$d" "$ROWS"
  mid=$(( (d + 1) / 2 ))                       # versions existing at the AS OF point
  for ((v = 2; v <= mid; v++)); do bl_update_pass "td$d" "$ROWS" "$CHUNK"; done
  SEQ[$d]=$(bl_seq)
  sleep 0.3; TS[$d]=$(date -u '+%Y-%m-%d %H:%M:%S.%6N'); sleep 0.3
  for ((v = mid + 1; v <= d; v++)); do bl_update_pass "td$d" "$ROWS" "$CHUNK"; done
  mid_sum=$((BASE_SUM + ROWS * (mid - 1))); now_sum=$((BASE_SUM + ROWS * (d - 1)))
  check "td$d AS OF @SEQ:${SEQ[$d]}" "SELECT count(*), sum(k) FROM td$d FOR SYSTEM_TIME AS OF @SEQ:${SEQ[$d]}" "$ROWS|$mid_sum"
  check "td$d AS OF TIMESTAMP '${TS[$d]}'" "SELECT count(*), sum(k) FROM td$d FOR SYSTEM_TIME AS OF TIMESTAMP '${TS[$d]}'" "$ROWS|$mid_sum"
  check "td$d now" "SELECT count(*), sum(k) FROM td$d" "$ROWS|$now_sum"
  id=$(( ROWS / 2 + 1 )); k0=$(( (id * 7919) % 100000 + 1 ))
  check "td$d point AS OF" "SELECT k FROM td$d FOR SYSTEM_TIME AS OF @SEQ:${SEQ[$d]} WHERE id = $id" "$((k0 + mid - 1))"
  emit "# td$d: $ROWS rows x $d versions built in $(bl_since "$t0") s; AS OF point @SEQ:${SEQ[$d]} = TIMESTAMP '${TS[$d]}' ($mid versions then); verified count/sum(k) as of S, TS and now; server RSS $(bl_mem "$BL_PID" VmRSS) MiB"
done
emit "# data directory $(bl_du_mib "$BL_WORK/data") MiB, server RSS $(bl_mem "$BL_PID" VmRSS) MiB, current seq $(bl_seq)"

script() {  # script DEPTH QUERY -> path of the pgbench script
  local f=$BL_WORK/q_$1_$2.sql asof=""
  case $2 in
    current) asof="";;
    asof_seq) asof=" FOR SYSTEM_TIME AS OF @SEQ:${SEQ[$1]}";;
    asof_ts) asof=" FOR SYSTEM_TIME AS OF TIMESTAMP '${TS[$1]}'";;
    *) bl_die "unknown query $2";;
  esac
  printf '\\set id random(1, %d)\nSELECT id, k, c, pad FROM td%d%s WHERE id = :id;\n' "$ROWS" "$1" "$asof" >"$f"
  echo "$f"
}

# ---- timed runs, interleaved ----
for rep in $(seq 1 "$REPS"); do
  for mode in $MODES; do
    for d in $DEPTHS; do
      for q in $QUERIES; do
        r=$(bl_pgbench "$(script "$d" "$q")" "$mode" "$SECS") || true
        if [[ $r == ERROR* ]]; then emit "DEPTH d=$d query=$q mode=$mode run=$rep $r"; continue; fi
        read -r tps avg p50 p99 n fail <<<"$r"
        emit "DEPTH d=$d query=$q mode=$mode run=$rep tps=$tps avg_ms=$avg p50_ms=$p50 p99_ms=$p99 n=$n failed=$fail"
      done
    done
  done
done

# ---- summary ----
python3 - "$RESULT" "$DEPTHS" <<'EOF' | tee -a "$RESULT"
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if not line.startswith("DEPTH ") or "tps=" not in line:
        continue
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    rows[(int(f["d"]), f["query"], f["mode"], int(f["run"]))] = (float(f["tps"]), float(f["p50_ms"]))
depths = [int(x) for x in sys.argv[2].split()]
modes = sorted({k[2] for k in rows}, key=lambda m: ["simple", "extended", "prepared"].index(m))
queries = [q for q in ("current", "asof_seq", "asof_ts") if any(k[1] == q for k in rows)]
med = lambda xs: statistics.median(xs) if xs else float("nan")
def paired(d1, q1, d2, q2, mode):
    # median over reps of time(d1,q1)/time(d2,q2) = tps(d2,q2)/tps(d1,q1), same rep = same
    # noise window; also the same ratio of the median latencies (p50), which the tail of a
    # noisy window moves less.
    out, p50 = [], []
    for (d, q, m, r), (tps, p) in rows.items():
        if (d, q, m) == (d1, q1, mode) and (d2, q2, mode, r) in rows:
            out.append(rows[(d2, q2, mode, r)][0] / tps)
            p50.append(p / rows[(d2, q2, mode, r)][1])
    return med(out), med(p50)
print()
print("== point select by primary key, c=1: median tps (p50 ms) over the reps ==")
print("| mode | depth | " + " | ".join(queries) + " |")
print("|---|---|" + "---|" * len(queries))
for m in modes:
    for d in depths:
        cells = []
        for q in queries:
            v = [x for k, x in rows.items() if k[:3] == (d, q, m)]
            cells.append("%.0f (%.3f)" % (med([t for t, _ in v]), med([p for _, p in v])) if v else "—")
        print("| %s | %d | %s |" % (m, d, " | ".join(cells)))
print()
print("== ratios of time per query (medians of interleaved pairs) ==")
verdicts = []
for m in modes:
    for q in [q for q in queries if q != "current"]:
        if "current" in queries:
            for d in depths:
                r, p = paired(d, q, d, "current", m)
                ok = r <= 1.5
                verdicts.append(ok)
                print("RATIO cost d=%d query=%s mode=%s asof/current_time=%.3f (p50: %.3f) target<=1.5 %s" % (d, q, m, r, p, "PASS" if ok else "FAIL"))
        if len(depths) > 1:
            r, p = paired(depths[-1], q, depths[0], q, m)
            ok = r <= 1.2
            verdicts.append(ok)
            print("RATIO flat query=%s mode=%s d%d/d%d_time=%.3f (p50: %.3f) target<=1.2 %s" % (q, m, depths[-1], depths[0], r, p, "PASS" if ok else "FAIL"))
print("# verdict (on tps): %d of %d targets met" % (sum(verdicts), len(verdicts)))
EOF
bl_log "results appended to $RESULT"
