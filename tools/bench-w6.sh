#!/usr/bin/env bash
# tools/bench-w6.sh -- the time-travel point select on DriftDB beside PostgreSQL 15
# (trigger-maintained history table, UNION ALL of two index probes) and MariaDB
# 10.11 (native system-versioned InnoDB table), in one interleaved run of the
# shared harness (pg r1, mariadb r1, driftdb r1, pg r2, ...):
#   W6   SELECT ... FOR SYSTEM_TIME AS OF TIMESTAMP 'TS' WHERE id = :id, TS in the
#        middle of a 300k-version history (100k rows, each updated once before TS
#        and once after), c=1, simple and prepared protocol
#   W6c  the current-state point select on the same table;  W6u  its update
# Ends with DriftDB/PostgreSQL and DriftDB/MariaDB throughput ratios (issue 3
# target for W6: > 1 against both).
#
# Usage: tools/bench-w6.sh      (= BENCH_WORKLOADS=W6 tools/bench.sh --mariadb)
# Env: as tools/bench.sh (BENCH_SECS, BENCH_REPS, BENCH_TMP, PG_PORT, MY_PORT, KEEP_PG...)
# Takes: build + setup ~2 min (three servers; the update history is replayed through
#        each one's client), then REPS x 3 targets x 4 runs of BENCH_SECS:
#        2 x 3 x 4 x 10 s = 4 min by default.
set -euo pipefail
export BENCH_WORKLOADS=${BENCH_WORKLOADS:-W6}
exec "$(dirname "$0")/bench.sh" --mariadb "$@"
