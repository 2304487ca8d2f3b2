#!/usr/bin/env bash
# psql against DriftDB: runs each tests/clients/psql/*.sql with psql, in
# name order on one server (1_quickstart.sql first: it needs a fresh
# database, its INSERT being @SEQ:1), and compares what psql prints (stdout
# and stderr, input echoed) with the .out file beside it. Files whose first line is "-- driftdb-only" (time travel)
# are skipped when DRIFTDB_TARGET=postgres. UPDATE=1 rewrites the .out
# files instead of comparing (then check the diff by hand).
set -uo pipefail
DIR=$(cd "$(dirname "$0")/psql" && pwd)
passed=0 failed=0 skipped=0
for sql in "$DIR"/*.sql; do
  name=$(basename "$sql" .sql)
  if [ "${DRIFTDB_TARGET:-}" = postgres ]; then
    if head -n 1 "$sql" | grep -q '^-- driftdb-only'; then
      echo "SKIP $name (DriftDB only: time travel)"; skipped=$((skipped + 1)); continue
    fi
    # A real PostgreSQL keeps its tables between runs: start from an empty schema.
    psql -X -q -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' >/dev/null 2>&1
  fi
  actual=$(cd "$DIR" && PGTZ=UTC psql -X -a -v VERBOSITY=default -f "$name.sql" 2>&1)
  if [ "${UPDATE:-0}" = 1 ]; then
    printf '%s\n' "$actual" >"$DIR/$name.out"; echo "UPDATED $name"; continue
  fi
  if diff_out=$(diff -u "$DIR/$name.out" <(printf '%s\n' "$actual")); then
    echo "PASS $name"; passed=$((passed + 1))
  else
    echo "FAIL $name: psql printed something else (- expected, + actual):"
    printf '%s\n' "$diff_out" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
[ $failed -eq 0 ]
