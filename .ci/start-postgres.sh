#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages if missing, starts a throwaway cluster for the tests
# (its own data folder and port, so it never touches a server already on the machine), creates
# the switchboard role and database, and prints DATABASE_URL on stdout (everything else goes to
# stderr). Idempotent: a second run reuses the running cluster.
set -euo pipefail
exec 3>&1 1>&2

PORT="${SWITCHBOARD_PG_PORT:-55432}"
DATA="${SWITCHBOARD_PG_DATA:-/tmp/switchboard-ci-pg}"
SOCKDIR="$DATA.sock"
PASSWORD="switchboard-ci"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "== installing postgresql (apt)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

# initdb and postgres refuse to run as root: use the postgres account the package created.
as_pg() {
  # fd 3 (our stdout) is closed for them: a server started from here must not hold it open.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*" 3>&-; else bash -c "$*" 3>&-; fi
}
owner=$([ "$(id -u)" = 0 ] && echo postgres || id -un)

if [ ! -f "$DATA/PG_VERSION" ]; then
  echo "== initdb $DATA"
  mkdir -p "$DATA" "$SOCKDIR"
  chown "$owner" "$DATA" "$SOCKDIR"
  chmod 700 "$DATA"
  as_pg "'$BIN/initdb' -D '$DATA' -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null"
fi
mkdir -p "$SOCKDIR" && chown "$owner" "$SOCKDIR"

if ! as_pg "'$BIN/pg_ctl' -D '$DATA' status" >/dev/null 2>&1; then
  echo "== starting PostgreSQL on 127.0.0.1:$PORT"
  as_pg "'$BIN/pg_ctl' -D '$DATA' -l '$DATA/server.log' -w -t 60 -o \"-p $PORT -k $SOCKDIR -c listen_addresses=127.0.0.1\" start" >/dev/null
fi

psql_pg() { as_pg "'$BIN/psql' -h '$SOCKDIR' -p $PORT -U postgres -v ON_ERROR_STOP=1 -qAt $*"; }
psql_pg "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'switchboard') THEN CREATE ROLE switchboard LOGIN PASSWORD '$PASSWORD'; END IF; END \\\$\\\$;\""
if [ "$(psql_pg "-c \"SELECT 1 FROM pg_database WHERE datname = 'switchboard'\"")" != "1" ]; then
  psql_pg "-c 'CREATE DATABASE switchboard OWNER switchboard'"
fi

echo "postgres://switchboard:$PASSWORD@127.0.0.1:$PORT/switchboard" >&3
