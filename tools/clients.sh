#!/usr/bin/env bash
# tools/clients.sh -- real PostgreSQL clients against DriftDB (tests/clients/).
#
#   tools/clients.sh                 every client
#   tools/clients.sh psql asyncpg    some of them
#
# Clients: psql, psycopg3, psycopg2, asyncpg, sqlalchemy, node-pg, pgjdbc.
# For each client a fresh release driftdb-server is started on a free port
# with a temporary data directory (so each script's quick start sees the
# database's first commit as @SEQ:1), the client's script runs, and the
# server is stopped. Exits non-zero when any client fails; a client that
# cannot run here is reported as SKIP with the reason, never as a pass.
#
# What it creates (once, reused; under $CLIENTS_ENV, default
# $CARGO_TARGET_DIR/clients-env or target/clients-env):
#   venv/          python3 -m venv with tests/clients/requirements.txt
#                  (psycopg[binary] 3, psycopg2-binary, asyncpg, SQLAlchemy 2)
#   node/          npm install of tests/clients/package.json (pg)
#   java/          the compiled pgjdbc test. pgjdbc itself is Debian's
#                  libpostgresql-jdbc-java (/usr/share/java/postgresql.jar,
#                  42.5.5): Maven Central is not reachable from our machines,
#                  Debian's package registry is. .ci/run installs it with a JDK.
#
# Env: DRIFTDB_SERVER  server binary (default: the release build, built if missing)
#      CLIENTS_ENV     where the environments live (see above)
#      CLIENT_TIMEOUT  seconds per client script (default 180)
#      DRIFTDB_TARGET=postgres with PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE:
#                      run the scripts against that running server instead (a
#                      real PostgreSQL 15, to check the scripts themselves);
#                      the time-travel checks are skipped there.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TESTS=$ROOT/tests/clients
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
ENVDIR=${CLIENTS_ENV:-$TARGET_DIR/clients-env}
TIMEOUT=${CLIENT_TIMEOUT:-180}
JDBC_JAR=${PGJDBC_JAR:-/usr/share/java/postgresql.jar}
ALL=(psql psycopg3 psycopg2 asyncpg sqlalchemy node-pg pgjdbc)
CLIENTS=("$@")
[ ${#CLIENTS[@]} -eq 0 ] && CLIENTS=("${ALL[@]}")
mkdir -p "$ENVDIR"

say() { printf '%s\n' "$*"; }

# ---- environments ---------------------------------------------------------
# Each setup function prints why it failed (and returns 1) or returns 0.
# Setups run at most once even when several clients need them.
setup_python() {
  [ -n "${PY_READY:-}" ] && return "$PY_READY"
  PY_READY=1
  local req=$TESTS/requirements.txt stamp=$ENVDIR/venv/.requirements
  if [ ! -x "$ENVDIR/venv/bin/python" ]; then
    python3 -m venv "$ENVDIR/venv" || { say "cannot create a venv (python3-venv missing?)"; return 1; }
  fi
  if ! cmp -s "$req" "$stamp"; then
    "$ENVDIR/venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" ||
      { say "pip install -r $req failed"; return 1; }
    cp "$req" "$stamp"
  fi
  PY_READY=0
}

setup_node() {
  [ -n "${NODE_READY:-}" ] && return "$NODE_READY"
  NODE_READY=1
  command -v node >/dev/null && command -v npm >/dev/null || { say "node/npm not installed"; return 1; }
  mkdir -p "$ENVDIR/node"
  if ! cmp -s "$TESTS/package.json" "$ENVDIR/node/package.json" || [ ! -d "$ENVDIR/node/node_modules/pg" ]; then
    cp "$TESTS/package.json" "$ENVDIR/node/package.json"
    (cd "$ENVDIR/node" && npm install --silent --no-audit --no-fund) || { say "npm install failed"; return 1; }
  fi
  NODE_READY=0
}

# pgjdbc: returns 2 (skip) with a note when Java or the driver is missing.
setup_java() {
  [ -n "${JAVA_READY:-}" ] && return "$JAVA_READY"
  JAVA_READY=2
  command -v javac >/dev/null && command -v java >/dev/null ||
    { say "no JDK (javac/java); install default-jdk-headless"; return 2; }
  [ -f "$JDBC_JAR" ] ||
    { say "no pgjdbc at $JDBC_JAR; install Debian's libpostgresql-jdbc-java (Maven Central is not reachable here)"; return 2; }
  JAVA_READY=1
  mkdir -p "$ENVDIR/java"
  if [ ! -f "$ENVDIR/java/PgjdbcTest.class" ] || [ "$TESTS/PgjdbcTest.java" -nt "$ENVDIR/java/PgjdbcTest.class" ]; then
    javac -d "$ENVDIR/java" -cp "$JDBC_JAR" "$TESTS/PgjdbcTest.java" || { say "javac failed"; return 1; }
  fi
  JAVA_READY=0
}

# ---- the server -------------------------------------------------------------
SERVER=${DRIFTDB_SERVER:-$TARGET_DIR/release/driftdb-server}
EXTERNAL=0
[ "${DRIFTDB_TARGET:-}" = postgres ] && EXTERNAL=1
if [ $EXTERNAL = 0 ]; then
  if [ ! -x "$SERVER" ]; then
    say "==> cargo build --release --bins (no server at $SERVER)"
    cargo build --release --bins || exit 1
  fi
  export PGHOST=127.0.0.1 PGUSER=driftdb PGDATABASE=driftdb
  export PGPASSWORD=clients-$$-$RANDOM
fi
SPID=
DATA=
start_server() {
  DATA=$(mktemp -d "${TMPDIR:-/tmp}/driftdb-clients.XXXXXX")
  PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export PGPORT
  DRIFTDB_PASSWORD=$PGPASSWORD "$SERVER" --data-path "$DATA/data" --host 127.0.0.1 --port "$PGPORT" \
    >"$DATA/server.log" 2>&1 &
  SPID=$!
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $PGPORT), 0.2)" 2>/dev/null && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  say "driftdb-server did not start; its log:"; sed 's/^/  | /' "$DATA/server.log"
  return 1
}
stop_server() {
  [ -n "$SPID" ] || return 0
  if kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SPID" 2>/dev/null
  else
    say "  driftdb-server had exited during the run; its log:"
    tail -n 30 "$DATA/server.log" | sed 's/^/  | /'
  fi
  wait "$SPID" 2>/dev/null
  SPID=
  rm -rf "$DATA"
}
trap stop_server EXIT

# ---- one client -------------------------------------------------------------
client_command() {
  case $1 in
    psql) echo "bash $TESTS/psql_test.sh" ;;
    psycopg3|psycopg2|asyncpg|sqlalchemy) echo "$ENVDIR/venv/bin/python $TESTS/${1}_test.py" ;;
    node-pg) echo "node $TESTS/node_pg_test.js" ;;
    pgjdbc) echo "java -cp $ENVDIR/java:$JDBC_JAR PgjdbcTest" ;;
    *) return 1 ;;
  esac
}

client_setup() {
  case $1 in
    psql) command -v psql >/dev/null || { say "psql not installed (postgresql-client)"; return 1; } ;;
    psycopg3|psycopg2|asyncpg|sqlalchemy) setup_python ;;
    node-pg) setup_node ;;
    pgjdbc) setup_java ;;
  esac
}

PASSED=() FAILED=() SKIPPED=()
run_client() {
  local name=$1 cmd rc
  say ""
  say "==> client $name"
  cmd=$(client_command "$name") || { say "unknown client $name (known: ${ALL[*]})"; FAILED+=("$name"); return; }
  client_setup "$name"
  rc=$?
  if [ $rc = 2 ]; then say "SKIP $name (see the note above)"; SKIPPED+=("$name"); return; fi
  if [ $rc != 0 ]; then say "FAIL $name: its environment could not be set up"; FAILED+=("$name"); return; fi
  if [ $EXTERNAL = 0 ]; then
    start_server || { FAILED+=("$name"); return; }
  fi
  NODE_PATH=$ENVDIR/node/node_modules PYTHONPATH=$TESTS timeout -k 5 "$TIMEOUT" $cmd 2>&1 | sed "s/^/  [$name] /"
  rc=${PIPESTATUS[0]}
  [ $rc = 124 ] && say "  [$name] timed out after ${TIMEOUT}s"
  [ $EXTERNAL = 0 ] && stop_server
  if [ $rc = 0 ]; then PASSED+=("$name"); else FAILED+=("$name"); fi
}

for c in "${CLIENTS[@]}"; do run_client "$c"; done

say ""
say "clients passed: ${PASSED[*]:-none}"
[ ${#SKIPPED[@]} -gt 0 ] && say "clients skipped: ${SKIPPED[*]}"
[ ${#FAILED[@]} -gt 0 ] && say "clients failed: ${FAILED[*]}"
say "clients: ${#PASSED[@]} passed, ${#FAILED[@]} failed, ${#SKIPPED[@]} skipped"
[ ${#FAILED[@]} -eq 0 ]
