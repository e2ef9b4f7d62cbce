"""A failed refresh in one line, its full trace in a log file.

Dagster prints a failed step as ~100 lines of nested traces, which hide the one fact an
operator needs: which step failed and why.  ``cxcs refresh`` prints one line instead (the
step, the innermost error, the log file) and writes everything else to
``<warehouse>/logs/refresh-<run_id>.log``: each failed step's full trace (with its causes),
then the run's event log.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LOG_DIR = "logs"
DBT_ERRORS_MARKER = "Errors parsed from dbt logs:"


@dataclass(frozen=True)
class StepFailure:
    step: str
    cause: str  # one line
    trace: str  # everything Dagster knows, causes included


def _one_line(text: str, limit: int = 400) -> str:
    line = re.sub(r"\s+", " ", text).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _innermost(error: object) -> object:
    """The deepest cause: Dagster wraps the asset's own exception in its step error."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error


def cause_of(error: object) -> str:
    """One line for a Dagster ``SerializableErrorInfo``: the error that started it all.

    For dbt, dagster-dbt's message is generic ("the dbt CLI process ... failed"), but it ends
    with the errors parsed from dbt's log, which name the model or test and the database
    error: the first of those is the cause."""
    inner = _innermost(error)
    message = str(getattr(inner, "message", "") or "")
    if DBT_ERRORS_MARKER in message:
        parsed = [line for line in message.split(DBT_ERRORS_MARKER, 1)[1].splitlines() if line.strip()]
        if parsed:
            return "dbt: " + _one_line(" ".join(parsed[:3]))
    cls = getattr(inner, "cls_name", None)
    first = message.strip()
    # Dagster's messages start with the qualified exception name ("pkg.mod.BuildLocked: ...").
    first = re.sub(r"^[\w.]+\.(\w+): ", r"\1: ", first)
    if cls and not first.startswith(cls):
        first = f"{cls}: {first}"
    return _one_line(first)


def step_failures(events: Sequence[object]) -> list[StepFailure]:
    failures = []
    for event in events:
        if getattr(event, "is_step_failure", False):
            error = event.event_specific_data.error
            failures.append(StepFailure(step=event.step_key, cause=cause_of(error), trace=error.to_string()))
    return failures


def exception_line() -> str:
    """One line for the exception being handled (outside Dagster's steps)."""
    kind, value, _ = sys.exc_info()
    return _one_line(f"{kind.__name__ if kind else 'Error'}: {value}")


def write_failure_log(
    warehouse_dir: Path, run_id: str | None, traces: Sequence[tuple[str, str]], events: Sequence[object] = ()
) -> Path:
    """Write the traces (and the run's events) to ``<warehouse>/logs/refresh-<run_id>.log``."""
    stamp = datetime.now(UTC)
    run_id = run_id or "norun-" + stamp.strftime("%Y%m%dT%H%M%S")
    path = warehouse_dir / LOG_DIR / f"refresh-{run_id}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"cxcs refresh run {run_id}, failed; written {stamp.isoformat()}", ""]
    for step, trace in traces:
        lines += [f"=== failed step {step}", trace.rstrip(), ""]
    if events:
        lines.append("=== run events")
        for event in events:
            message = getattr(event, "message", None) or ""
            lines.append(
                f"{getattr(event, 'event_type_value', '?')} {getattr(event, 'step_key', None) or '-'}: {message}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
