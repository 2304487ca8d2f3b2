#!/usr/bin/env bash
# slt-pg.sh -- check our sqllogictest files against a real PostgreSQL 15, so
# that every expected result is what PostgreSQL prints.
#
# Usage: tools/slt-pg.sh [FILE.slt ...]     (default: every sqllogictest/*.slt)
#
# Each file runs on a fresh database (createdb/dropdb) with the `sqllogictest`
# binary (cargo install sqllogictest-bin --locked). Files whose first line
# contains "driftdb-only" (time travel: PostgreSQL has no FOR SYSTEM_TIME) are
# skipped. The server is either one you name (PGHOST, PGPORT, PGUSER; trust
# auth) or, if PGPORT is unset, a throwaway cluster started under
# /tmp/driftdb-slt-pg by an unprivileged OS user (initdb refuses root) and
# stopped at the end.
# Env: SLT_BIN (runner), PG_BIN (dir of initdb/pg_ctl), SLT_PG_USER (OS user, default pgtest).
# Exit status: 0 when every checked file passes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SLT_BIN=${SLT_BIN:-$(command -v sqllogictest || echo "$HOME/.cargo/bin/sqllogictest")}
[ -x "$SLT_BIN" ] || { echo "sqllogictest runner not found: cargo install sqllogictest-bin --locked" >&2; exit 2; }
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
OWN=
if [ -z "${PGPORT:-}" ]; then
  OWN=/tmp/driftdb-slt-pg
  OSUSER=${SLT_PG_USER:-pgtest}
  id "$OSUSER" >/dev/null 2>&1 || useradd -m "$OSUSER"
  export PGHOST=127.0.0.1 PGPORT=${SLT_PG_PORT:-5699} PGUSER=postgres
  if [ ! -f "$OWN/PG_VERSION" ]; then
    rm -rf "$OWN"; mkdir -p "$OWN"; chown "$OSUSER" "$OWN"
    su "$OSUSER" -c "$PG_BIN/initdb -D $OWN -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  fi
  su "$OSUSER" -c "$PG_BIN/pg_ctl -D $OWN -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c timezone=UTC' -l $OWN/log -w start" >/dev/null
  trap 'su "$OSUSER" -c "$PG_BIN/pg_ctl -D $OWN -m fast -w stop" >/dev/null' EXIT
fi
export PGHOST=${PGHOST:-127.0.0.1} PGUSER=${PGUSER:-postgres} RUST_BACKTRACE=0
export PGOPTIONS="-c client_min_messages=warning"

FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || mapfile -t FILES < <(find "$ROOT/sqllogictest" -name '*.slt' | sort)
pass=0; fail=0; skip=0
for f in "${FILES[@]}"; do
  if head -n 1 "$f" | grep -q driftdb-only; then
    echo "SKIP  $(basename "$f") (driftdb-only)"; skip=$((skip + 1)); continue
  fi
  db=slt_$(basename "$f" .slt)
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  if out=$("$SLT_BIN" --color never -h "$PGHOST" -p "$PGPORT" -u "$PGUSER" -d "$db" "$f" 2>&1); then
    echo "PASS  $(basename "$f")"; pass=$((pass + 1))
  else
    echo "FAIL  $(basename "$f")"; echo "$out" | grep -v -e '^\s*$' -e 'Stack backtrace' -e '^ *[0-9]*: ' -e '^ *at ' | sed 's/^/      /' | head -n 40; fail=$((fail + 1))
  fi
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null
done
echo "checked against PostgreSQL: $pass passed, $fail failed ($skip driftdb-only skipped)"
[ "$fail" -eq 0 ]
