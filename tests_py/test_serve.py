"""Issue 15 §1: the deployment runs by itself, and its failures reach a person.

The Dagster daemon and webserver start as ``make serve`` starts them (orchestration/serve.sh,
the repo's dagster.yaml copied into a temporary DAGSTER_HOME), with a PATH that does not contain
``.venv/bin``. The test turns the landing sensor on through the webserver's GraphQL API
(``startSensor``), moves a small demo landing folder into place and waits until the sensor's
run's worker has finished its load step; it SIGKILLs that worker (as the OOM killer would):
the daemon retries the run once (dagster.yaml run_retries) and the retry publishes. Then it
drops two files into the landing folder: a survey response of an account that does not exist (the gate's blocking check "accounts missing from dim_accounts"
fails: exit 3 in ``cxcs refresh``) and an invoices file without the invoice columns (a failed
file). The run-failure sensor writes the line to ``<warehouse>/alerts.log`` and POSTs it to an
HTTP server of the test's own; the publication stays byte for byte; that run is not retried.
Last, the deployment is stopped and started again on the same DAGSTER_HOME: the sensor is still
on with its cursor and the run history is all there (GraphQL). Everything is bounded; the
daemon and webserver are stopped (their process group) at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from signal import SIGKILL
from typing import Any

import pytest
from conftest import sha256
from test_code_location import LOCATION, _free_port, _path_without, _wait_until_loaded, process_group

from orchestration.config import PROJECT_DIR
from orchestration.defs.alerts import ALERTS_FILE
from orchestration.defs.automation import landing_fingerprint
from orchestration.demo_data import generate

# A wait costs only what the daemon takes, so the limit is generous: a retry from an empty build took
# 81 s of dbt alone in CI (two pytest workers and the linter beside it), and hosts differ by up to 3x.
RUN_TIMEOUT_SECONDS = 600
SENSOR_INTERVAL_SECONDS = "2"  # the daemon's sensor loop still ticks at most every 5 s

START_SENSOR = """
mutation($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { name sensorState { status } }
    ... on PythonError { message }
    ... on SensorNotFoundError { message }
    ... on UnauthorizedError { message }
  }
}
"""
SENSOR = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { status typeSpecificData { ... on SensorData { lastCursor } } } }
  }
}
"""
RUN = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run {
      tags { key value }
      eventConnection { events { __typename ... on MessageEvent { message stepKey } } }
    }
  }
}
"""
RUNS = """
query {
  runsOrError(filter: {pipelineName: "refresh"}) {
    ... on Runs { results { runId status } }
  }
}
"""
# An account no billing file knows: the response loads (the loader does not join entities) and
# the gate's blocking "accounts missing from dim_accounts" expectation fails. The demo below has
# one survey response (account acc_000006): with this one the mart has 2 accounts, 1 unknown,
# share 1/2 = 0.5 > the suite's 0.1.
PLANTED_RESPONSE = (
    "response_id,invitation_id,survey_id,survey_type,touchpoint,account_id,contact_id,score,comment,responded_at\n"
    "resp_99999999,sinv_99999999,csat_billing,csat,billing,acc_999999,usr_9999999,4,,2026-06-29T10:00:00Z\n"
)
BROKEN_INVOICES = "not,an,invoice\n1,2,3\n"


def _graphql(port: int, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"content_type": self.headers["Content-Type"], "json": json.loads(body)})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        """Silent: http.server would print a line per request into the test's output."""


@contextmanager
def webhook_server() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    handler = type("Webhook", (_Webhook,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts", handler.received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serving(
    tmp_path: Path, env_extra: dict[str, str], log_name: str = "serve.log"
) -> Iterator[tuple[int, subprocess.Popen[bytes], Path]]:
    """orchestration/serve.sh (what `make serve` runs) in its own process group, stopped at the end."""
    bin_dir = Path(sys.executable).parent
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CXCS_", "DAGSTER_")) and k != "VIRTUAL_ENV"}
    env.update(PATH=_path_without(bin_dir), DAGSTER_WEBSERVER_PORT=str(port), **env_extra)
    log = tmp_path / log_name
    with process_group(["bash", str(PROJECT_DIR / "orchestration" / "serve.sh")], cwd=tmp_path, env=env, log=log) as p:
        yield port, p, log


def _wait_for(what: str, check: Any, log: Path, timeout: float = RUN_TIMEOUT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1)  # a poll interval, not a wait for something to be done
    raise AssertionError(f"{what}: not within {timeout}s\n{log.read_text(errors='replace')[-6000:]}")


def _runs(port: int) -> dict[str, str]:
    return {r["runId"]: r["status"] for r in _graphql(port, RUNS)["runsOrError"]["results"]}


def _run(port: int, run_id: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(tags, events) of one run."""
    run = _graphql(port, RUN, {"runId": run_id})["runOrError"]
    return {t["key"]: t["value"] for t in run["tags"]}, run["eventConnection"]["events"]


def _worker_past_load(port: int, run_id: str) -> int | None:
    """The pid of the run's worker once its load step succeeded (Dagster's engine event
    "Started process for run (pid: N)."), else None: killed then, the build is half made."""
    _, events = _run(port, run_id)
    loaded = any(e["__typename"] == "ExecutionStepSuccessEvent" and e["stepKey"] == "raw_landing_files" for e in events)
    started = [e["message"] for e in events if e.get("message", "").startswith("Started process for run (pid: ")]
    return int(started[0].split("pid: ")[1].rstrip(").")) if loaded and started else None


def test_the_daemon_runs_the_sensor_publishes_and_reports_a_failed_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged, landing, warehouse, home = (tmp_path / n for n in ("staged", "landing", "warehouse", "dagster_home"))
    generate(staged, accounts=10, days=20, seed=5, end_date=date(2026, 6, 30))
    published = warehouse / "cxcs.duckdb"
    with webhook_server() as (url, posts):
        settings = {
            "DAGSTER_HOME": str(home),
            "CXCS_LANDING_DIR": str(landing),
            "CXCS_WAREHOUSE_DIR": str(warehouse),
            "CXCS_SENSOR_INTERVAL_SECONDS": SENSOR_INTERVAL_SECONDS,
            "CXCS_ALERT_WEBHOOK_URL": url,
        }
        started_at = time.monotonic()
        with serving(tmp_path, settings) as (port, process, log):
            _wait_until_loaded(process, port, log)
            assert (home / "dagster.yaml").read_text() == (PROJECT_DIR / "dagster.yaml").read_text()
            selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
            replies: list[dict[str, Any]] = []

            def start_sensor() -> bool:
                # Retried: a webserver under load has answered with an error (a PythonError, e.g.
                # SQLite busy while the daemon writes) before the mutation went through.
                replies.append(
                    _graphql(port, START_SENSOR, {"selector": {**selector, "sensorName": "landing_files_sensor"}})
                )
                return replies[-1]["startSensor"]["__typename"] == "Sensor"

            try:
                _wait_for("the sensor turned on", start_sensor, log, timeout=180)
            except AssertionError as error:
                raise AssertionError(f"startSensor replies: {replies[-3:]}") from error
            assert replies[-1]["startSensor"]["sensorState"]["status"] == "RUNNING", replies[-1]

            # The files arrive at once (a rename), as a mover that writes elsewhere first delivers them.
            staged.rename(landing)
            # The sensor's run is killed (SIGKILL, as the OOM killer does) once its load is done and
            # dbt is building: the daemon retries it once (run_retries) and the retry, finding the
            # killed run's half-made build, starts over from an empty one (begin_build) and publishes.
            (crashed,) = _wait_for("the sensor's run", lambda: list(_runs(port)), log)
            os.kill(_wait_for("the run past its load step", lambda: _worker_past_load(port, crashed), log), SIGKILL)
            first = _wait_for("a successful retry", lambda: [k for k, s in _runs(port).items() if s == "SUCCESS"], log)
            assert published.exists()
            before = sha256(published)

            (landing / "survey" / "responses" / "responses_planted.csv").write_text(PLANTED_RESPONSE)
            (landing / "billing" / "invoices" / "invoices_broken.csv").write_text(BROKEN_INVOICES)
            failed = _wait_for(
                "a failed run", lambda: [k for k, s in _runs(port).items() if s == "FAILURE" and k != crashed], log
            )
            lines = _wait_for(
                "three alert lines",
                lambda: len(posts) >= 3 and (warehouse / ALERTS_FILE).read_text().splitlines(),
                log,
                timeout=180,
            )
            runs = _runs(port)
            crashed_tags, crashed_events = _run(port, crashed)
            retry_tags, _ = _run(port, first[0])
            failed_tags, _ = _run(port, failed[0])
        serve_seconds = time.monotonic() - started_at

        # Restart on the same DAGSTER_HOME: the sensor is still on with its cursor (the landing
        # folder's fingerprint as the last run request saw it), the run history is all there.
        restart_at = time.monotonic()
        with serving(tmp_path, settings, "serve-restarted.log") as (port, process, log):
            _wait_until_loaded(process, port, log)
            sensor = _graphql(port, SENSOR, {"selector": {**selector, "sensorName": "landing_files_sensor"}})
            runs_after_restart = _runs(port)
        restart_seconds = time.monotonic() - restart_at
    print(f"serve session {serve_seconds:.1f}s, restart {restart_seconds:.1f}s")
    (run_id,) = failed
    assert runs == {crashed: "FAILURE", first[0]: "SUCCESS", run_id: "FAILURE"}, runs
    # The crash: detected (the code server reports its run process killed), retried once.
    killed = f"Run execution process for {crashed} was terminated by signal 9 (SIGKILL)."
    assert any(killed in (e.get("message") or "") for e in crashed_events), crashed_events[-5:]
    assert crashed_tags["dagster/will_retry"] == "true" and crashed_tags["dagster/auto_retry_run_id"] == first[0]
    assert retry_tags["dagster/parent_run_id"] == crashed and retry_tags["dagster/retry_number"] == "1"
    # Bad input: failed in a step, not retried.
    assert failed_tags["dagster/will_retry"] == "false" and "dagster/auto_retry_run_id" not in failed_tags
    assert sha256(published) == before, "the failed run left the publication serving"
    assert len(lines) == 3
    crash, gate, files = (line.split(" ", 1)[1] for line in lines)  # after the UTC timestamp
    assert (
        crash
        == f"FAILED run {crashed} job refresh step -: {killed} Retried once automatically (dagster.yaml run_retries)."
    ), crash
    assert gate.startswith(
        f"FAILED run {run_id} job refresh step quality_gate: quality gate failed (1 blocking check(s), exit 3 in "
        "`cxcs refresh`): marts/fct_survey_responses:gx_expectations"
    ), gate
    assert "accounts_missing_share" in gate and "observed 0.5" in gate, gate
    assert files == (
        f"FAILED FILES run {run_id} job refresh: 1 landing file(s) failed: billing/invoices/invoices_broken.csv: "
        "missing_required_columns: invoice_id, account_id, status, currency, amount_due, amount_paid, issued_at, "
        "due_at, updated_at"
    ), files
    assert [p["json"] for p in posts] == [{"text": line} for line in lines]
    assert {p["content_type"] for p in posts} == {"application/json"}

    monkeypatch.setenv("CXCS_LANDING_DIR", str(landing))
    state = sensor["sensorOrError"]["sensorState"]
    assert state["status"] == "RUNNING"
    assert state["typeSpecificData"]["lastCursor"] == landing_fingerprint()
    assert runs_after_restart == runs
