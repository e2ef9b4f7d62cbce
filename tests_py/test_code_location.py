"""``make dev`` loads the code location on a fresh clone, without ``.venv/bin`` on PATH.

make calls ``.venv/bin/dagster dev`` without activating the environment, so nothing of
``.venv/bin`` is on PATH; the definitions must still find this environment's dbt. The test
starts the Dagster webserver of the environment on a free loopback port with the setting
``dagster dev`` adds (``DAGSTER_IS_DEV_CLI``: the definitions then parse the dbt project, as
under ``make dev``) but without the daemon, so the landing sensor and the schedule never
launch a run; it asks Dagster's GraphQL API until the location has loaded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestration.config import PROJECT_DIR

LOCATION = "orchestration.definitions"
LOAD_TIMEOUT_SECONDS = 300
QUERY = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message causes { message } }
          ... on RepositoryLocation {
            repositories { name jobs { name } schedules { name } sensors { name } }
          }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _path_without(bin_dir: Path) -> str:
    keep = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p).resolve() != bin_dir.resolve()]
    return os.pathsep.join(keep)


def _graphql(port: int) -> dict[str, Any] | None:
    """The workspace as the webserver reports it, or None while it is not answering yet."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["data"]["workspaceOrError"]
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _wait_until_loaded(process: subprocess.Popen[bytes], port: int, log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the webserver exited ({process.returncode}):\n{log.read_text()[-4000:]}"
        workspace = _graphql(port)
        entries = (workspace or {}).get("locationEntries") or []
        entry = next((e for e in entries if e["name"] == LOCATION), None)
        if entry is not None and entry["loadStatus"] == "LOADED":
            return entry
        time.sleep(0.5)  # a poll interval, not a wait for something to be done
    raise AssertionError(f"{LOCATION} did not load within {LOAD_TIMEOUT_SECONDS}s:\n{log.read_text()[-4000:]}")


@contextmanager
def process_group(args: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``args`` in a session of its own, output to ``log``; at the end the whole process group (a
    webserver and its code server, a daemon and its run workers) gets SIGTERM, SIGKILL after 30 s."""
    with open(log, "wb") as out:
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_make_dev_loads_the_code_location_without_venv_bin_on_path(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    home = tmp_path / "dagster_home"
    home.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "PATH": _path_without(bin_dir),
        "DAGSTER_HOME": str(home),
        "DAGSTER_IS_DEV_CLI": "1",
        # Nothing should run, but if anything did it would touch only these.
        "CXCS_LANDING_DIR": str(tmp_path / "landing"),
        "CXCS_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
    }
    env.pop("VIRTUAL_ENV", None)
    log = tmp_path / "webserver.log"
    args = [str(bin_dir / "dagster-webserver"), "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port)]
    with process_group(args, cwd=PROJECT_DIR, env=env, log=log) as process:
        entry = _wait_until_loaded(process, port, log)
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", json.dumps(location, indent=1)
    (repository,) = location["repositories"]
    assert {"refresh", "history"} <= {job["name"] for job in repository["jobs"]}
    assert {s["name"] for s in repository["schedules"]} == {"daily_refresh", "monthly_history"}
    assert {s["name"] for s in repository["sensors"]} == {
        "landing_files_sensor",
        "alert_on_run_failure",
        "alert_on_failed_files",
    }
