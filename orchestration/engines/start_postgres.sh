#!/usr/bin/env bash
# Start a local PostgreSQL server for the PostgreSQL target (tests, `make test-postgres`, CI).
# Idempotent: installs the OS packages when no server binaries are found (Debian, as root),
# creates a cluster in $CXCS_PG_DATA once, starts it on 127.0.0.1:$CXCS_PG_PORT unless it
# already answers, and creates the role and database the dbt target uses.
# `start_postgres.sh --stop` stops that server (and `--stop --remove` deletes the cluster).
#
#   CXCS_PG_DATA      cluster folder            (default: /tmp/cxcs-postgres)
#   CXCS_PG_PORT      port on 127.0.0.1         (default: 55432)
#   CXCS_PG_USER      role dbt connects as      (default: cxcs)
#   CXCS_PG_PASSWORD  its password              (default: cxcs; a local test server only)
#   CXCS_PG_DBNAME    database                  (default: cxcs)
set -euo pipefail

DATA="${CXCS_PG_DATA:-/tmp/cxcs-postgres}"
PORT="${CXCS_PG_PORT:-55432}"
USER_NAME="${CXCS_PG_USER:-cxcs}"
PASSWORD="${CXCS_PG_PASSWORD:-cxcs}"
DBNAME="${CXCS_PG_DBNAME:-cxcs}"

find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    done
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

BIN="$(find_bindir || true)"
if [ -z "$BIN" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "PostgreSQL server binaries not found; install them (Debian: apt-get install -y postgresql)" >&2
        exit 1
    fi
    echo "[postgres] installing the OS packages (apt-get install postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    BIN="$(find_bindir)"
fi

# The server refuses to run as root: as root, the cluster belongs to the `postgres` user.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

SOCKET_DIR="$DATA/socket"
if [ "${1:-}" = "--stop" ]; then
    if [ -f "$DATA/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null && echo "[postgres] stopped ($DATA)"
    fi
    if [ "${2:-}" = "--remove" ]; then rm -rf "$DATA"; fi
    exit 0
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
    echo "[postgres] creating a cluster in $DATA"
    mkdir -p "$DATA"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DATA"; fi
    chmod 700 "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
fi
as_owner mkdir -p "$SOCKET_DIR"

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    echo "[postgres] already running on 127.0.0.1:$PORT"
else
    echo "[postgres] starting on 127.0.0.1:$PORT"
    # A throwaway test server: durability settings off for speed.
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start -o \
        "-p $PORT -c listen_addresses=127.0.0.1 -k $SOCKET_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC -c max_connections=50 -c shared_buffers=256MB -c work_mem=64MB"
fi

psql_admin() {
    as_owner "$BIN/psql" -h "$SOCKET_DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}
# CREATEDB: the engine tests build in a database of their own and drop it afterwards.
if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$USER_NAME'")" != "1" ]; then
    psql_admin -c "create role \"$USER_NAME\" login createdb password '$PASSWORD'"
else
    psql_admin -c "alter role \"$USER_NAME\" login createdb password '$PASSWORD'"
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$DBNAME'")" != "1" ]; then
    psql_admin -c "create database \"$DBNAME\" owner \"$USER_NAME\""
fi
echo "[postgres] ready: postgresql://$USER_NAME@127.0.0.1:$PORT/$DBNAME"
