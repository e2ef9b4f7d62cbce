"""Failure reaches a person: one line per failed run (and per run with failed landing files) in
``<warehouse>/alerts.log``, and the same line POSTed to a Slack-compatible webhook when
``CXCS_ALERT_WEBHOOK_URL`` is set.

Dagster's run-status sensors run in the daemon and see every run of the deployment (the
schedule's, the landing sensor's, one launched from the UI). The line names the run, the job,
the failed step and the first line of its error; a failed quality gate (exit 3 of
``cxcs refresh``) is named as such, with its first failing blocking check, and a run that loaded
with failed files (exit 2) writes a line listing them, even when it published.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.config import get_settings, setting
from orchestration.gate_rows import failed_blocking_checks

ALERTS_FILE = "alerts.log"
# Dagster's run tag (dagster._core.storage.tags.WILL_RETRY_TAG, not exported): set on a failed run
# when the daemon's run retries will re-execute it.
WILL_RETRY_TAG = "dagster/will_retry"
WEBHOOK_TIMEOUT_SECONDS = 10


def run_warehouse_dir(run: dg.DagsterRun) -> Path:
    """The warehouse the run wrote: its ``warehouse`` resource config, else the deployment's."""
    config = (run.run_config or {}).get("resources", {}).get("warehouse", {}).get("config", {})
    folder = config.get("warehouse_dir") if isinstance(config, dict) else None
    return Path(folder) if folder else get_settings().warehouse_dir


def _run_events(instance: dg.DagsterInstance, run_id: str, event_type: dg.DagsterEventType) -> list[Any]:
    records = instance.get_records_for_run(run_id, of_type=event_type, limit=100_000).records
    return [r.event_log_entry.dagster_event for r in records if r.event_log_entry.dagster_event is not None]


def first_error_line(error: Any) -> str:
    """The user's error, not Dagster's wrapper ("Error occurred while executing op ..."): its
    class name and the first non-empty line of its message."""
    while error is not None and error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
        error = error.cause
    if error is None:
        return "(no error recorded)"
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    text = lines[0] if lines else ""
    # The message repeats the qualified class name ("dagster._core....Failure: the gate ...").
    head, sep, rest = text.partition(": ")
    if sep and head.split(".")[-1] == error.cls_name:
        text = rest
    return f"{error.cls_name}: {text}"


def failure_line(context: dg.RunFailureSensorContext) -> str:
    run = context.dagster_run
    gate = failed_blocking_checks(_run_events(context.instance, run.run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION))
    steps = context.get_step_failure_events()
    step = steps[0].step_key if steps else "-"
    if gate:
        what = f"quality gate failed ({len(gate)} blocking check(s), exit 3 in `cxcs refresh`): {gate[0]}"
    elif steps:
        what = first_error_line(steps[0].step_failure_data.error)
    else:  # the run failed outside any step (run worker crashed, launch failed)
        what = (
            crash_explanation(context.instance, run.run_id)
            or ((context.failure_event.message or "run failed").splitlines()[0])
        )
    line = f"FAILED run {run.run_id} job {run.job_name} step {step}: {what}"
    latest = context.instance.get_run_by_id(run.run_id) or run  # the tag is added with the failure
    if latest.tags.get(WILL_RETRY_TAG) == "true":
        line += " Retried once automatically (dagster.yaml run_retries)."
    return line


def crash_explanation(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """The code server's first sentence about a dead run worker ("Run execution process for <id>
    was terminated by signal 9 (SIGKILL).") rather than the failure event's generic "marked as
    failed from outside the execution context"."""
    for event in reversed(_run_events(instance, run_id, dg.DagsterEventType.ENGINE_EVENT)):
        message = (event.message or "").removeprefix("[DagsterApiServer] ")
        if message.startswith("Run execution process for "):
            return message.split(". ")[0].rstrip(".") + "."
    return None


def failed_files_line(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str | None:
    """The landing files the run's load could not read (the raw assets' ``no_failed_files``
    checks), or None when every file loaded."""
    failed = []
    for event in _run_events(instance, run.run_id, dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.event_specific_data
        if evaluation.check_name == "no_failed_files" and not evaluation.passed:
            files = evaluation.metadata.get("failed_files")
            failed.extend(": ".join(str(part) for part in entry) for entry in (files.value if files else []))
    if not failed:
        return None
    return f"FAILED FILES run {run.run_id} job {run.job_name}: {len(failed)} landing file(s) failed: " + "; ".join(
        failed
    )


def post_webhook(url: str, text: str) -> None:
    """POST ``{"text": ...}`` (Slack's incoming-webhook format, which Teams, Mattermost and
    Discord's /slack endpoint accept too)."""
    request = urllib.request.Request(
        url, data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
        response.read()


def alert(context: dg.RunStatusSensorContext, warehouse_dir: Path, line: str) -> None:
    """Append the line to ``<warehouse>/alerts.log`` first (it survives a webhook outage), then post it."""
    stamped = f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {line}"
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    with (warehouse_dir / ALERTS_FILE).open("a", encoding="utf-8") as log:
        log.write(stamped + "\n")
    url = setting("CXCS_ALERT_WEBHOOK_URL")
    if url:
        try:
            post_webhook(url, stamped)
        except (urllib.error.URLError, OSError, ValueError) as error:  # ValueError: a malformed URL
            # Not raised: a failing sensor tick would retry and write the log line twice.
            context.log.warning(f"alert not posted to the webhook: {error}")
    context.log.info(f"alert: {stamped}")


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    minimum_interval_seconds=int(setting("CXCS_SENSOR_INTERVAL_SECONDS")),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Writes one line per failed run to <warehouse>/alerts.log and posts it to CXCS_ALERT_WEBHOOK_URL.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    warehouse_dir = run_warehouse_dir(context.dagster_run)
    alert(context, warehouse_dir, failure_line(context))
    files = failed_files_line(context.instance, context.dagster_run)
    if files is not None:
        alert(context, warehouse_dir, files)


@dg.run_status_sensor(
    name="alert_on_failed_files",
    run_status=dg.DagsterRunStatus.SUCCESS,
    minimum_interval_seconds=int(setting("CXCS_SENSOR_INTERVAL_SECONDS")),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A run that succeeded although landing files failed to load: one line, as for a failed run.",
)
def alert_on_failed_files(context: dg.RunStatusSensorContext) -> None:
    line = failed_files_line(context.instance, context.dagster_run)
    if line is not None:
        alert(context, run_warehouse_dir(context.dagster_run), line)


alert_sensors = [alert_on_run_failure, alert_on_failed_files]
