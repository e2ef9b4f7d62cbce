"""Issue 15 §1, the parts test_serve.py does not reach in its two runs, each in seconds:

* the landing sensor skips, with the reason, while a refresh holds the warehouse (another
  process's lock) or a run of ``refresh`` is going (queued, starting, started), and keeps its cursor; it skips an empty
  landing folder; otherwise it requests a run keyed by the landing fingerprint;
* the alert's first error line of a failed step is the user's error, not Dagster's wrapper;
* the transient failure (the warehouse locked by another refresh) is retried once inside the
  run, bad input (a missing landing folder) is not retried at all.

Real Dagster (an ephemeral instance, the real ``refresh`` job in process), a real lock held by
another process (conftest.held_by_another_process).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from conftest import held_by_another_process

from orchestration.config import resolve_settings
from orchestration.definitions import defs
from orchestration.defs.alerts import first_error_line
from orchestration.defs.automation import landing_files_sensor, landing_fingerprint
from orchestration.refresh import run_config


@pytest.fixture
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The deployment's settings (the sensor reads the environment, as in the daemon)."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    monkeypatch.setenv("CXCS_LANDING_DIR", str(landing))
    monkeypatch.setenv("CXCS_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.delenv("CXCS_DUCKDB_PATH", raising=False)
    return landing, warehouse


def _lock_holder(warehouse: Path) -> str:
    return (
        "from pathlib import Path\nfrom orchestration.publish import acquire_build_lock\n"
        f"acquire_build_lock(Path({str(warehouse / 'build' / 'cxcs.duckdb')!r}))"
    )


def _evaluate(instance: dg.DagsterInstance, cursor: str | None = None) -> dg.SensorResult:
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    return landing_files_sensor(context)


def test_the_sensor_skips_while_a_refresh_runs_and_keeps_its_cursor(folders: tuple[Path, Path]) -> None:
    landing, warehouse = folders
    with dg.DagsterInstance.ephemeral() as instance:
        landing.mkdir()
        assert _evaluate(instance).skip_reason.skip_message == f"no files in the landing folder {landing}"
        (landing / "survey").mkdir()
        (landing / "survey" / "responses.csv").write_text("response_id\nr1\n")

        with held_by_another_process(_lock_holder(warehouse)):
            skipped = _evaluate(instance, cursor="before")
        assert skipped.skip_reason.skip_message == (
            f"a refresh is in progress: another refresh holds the warehouse lock ({warehouse / 'build'})"
        )
        assert skipped.cursor is None and not skipped.run_requests  # cursor kept: the files start the next run

        going = instance.create_run_for_job(defs.resolve_job_def("refresh"), status=dg.DagsterRunStatus.STARTED)
        skipped = _evaluate(instance, cursor="before")
        assert skipped.skip_reason.skip_message == f"a refresh is in progress: run {going.run_id} of refresh is started"

        instance.report_run_canceled(going)
        requested = _evaluate(instance, cursor="before")
        assert [r.run_key for r in requested.run_requests] == [landing_fingerprint()]
        assert requested.cursor == landing_fingerprint()
        assert (
            _evaluate(instance, cursor=requested.cursor).skip_reason.skip_message == "no new or changed landing files"
        )


def _run(folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> list[dg.DagsterEvent]:
    monkeypatch.setenv("CXCS_LOCK_RETRY_SECONDS", "0.1")
    landing, warehouse = folders
    settings = resolve_settings(landing, warehouse)
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(
            run_config=run_config(settings), instance=instance, raise_on_error=False
        )
    assert not result.success
    return result.all_events


def test_a_locked_warehouse_is_retried_once_bad_input_never(
    folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, warehouse = folders
    # Bad input: no landing folder. One failure, no retry.
    events = _run(folders, monkeypatch)
    assert not [e for e in events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    [failure] = [e for e in events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    # The alert's "first error line": the user's error without Dagster's step wrapper.
    assert first_error_line(failure.step_failure_data.error) == (
        f"Failure: landing folder {landing} does not exist (or is not a folder)"
    )

    # Transient: another refresh holds the warehouse for both attempts. One retry, then the failure.
    landing.mkdir()
    with held_by_another_process(_lock_holder(warehouse)):
        events = _run(folders, monkeypatch)
    retries = [e for e in events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert [e.step_key for e in retries] == ["raw_landing_files"]
    [failure] = [e for e in events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert failure.step_key == "raw_landing_files"
    assert "another refresh is running on" in str(failure.step_failure_data.error.to_string())
