#!/usr/bin/env bash
# `make serve`: the Dagster daemon (schedule, sensors, run queue, run retries) and the webserver
# against the persistent instance in $DAGSTER_HOME (default data/dagster), so run history, the
# schedule's and sensors' state and their cursors survive a restart. Runs in the foreground; a
# service manager (docs/operate.md: a systemd unit) or Ctrl-C stops both.
# The environment's binaries are called by path: .venv/bin need not be on PATH.
set -euo pipefail
project="$(cd "$(dirname "$0")/.." && pwd)"
bin="$project/.venv/bin"
export DAGSTER_HOME="${DAGSTER_HOME:-$project/data/dagster}"
host="${DAGSTER_WEBSERVER_HOST:-127.0.0.1}"
port="${DAGSTER_WEBSERVER_PORT:-3000}"
mkdir -p "$DAGSTER_HOME"
# Copied on every start: the repo's dagster.yaml is the one source; an edit applies on restart.
cp "$project/dagster.yaml" "$DAGSTER_HOME/dagster.yaml"
cd "$project"

# The instance's SQLite storages are created (or upgraded) here, once, before the two processes
# start: created by both at once, schedules.db can end with two alembic_version rows, and every
# later start fails "Version table 'alembic_version' has more than one head present" (Dagster
# issue 27390; seen here in tests_py/test_serve.py on a fresh DAGSTER_HOME). A no-op when current.
"$bin/dagster" instance migrate >/dev/null

"$bin/dagster-daemon" run -m orchestration.definitions &
daemon=$!
# The daemon goes down with the webserver (exit, Ctrl-C, the service manager's SIGTERM).
trap 'kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true' EXIT INT TERM
"$bin/dagster-webserver" -m orchestration.definitions -h "$host" -p "$port"
