"""The refresh entry point: run the Dagster ``refresh`` job in this process and report it.

``cxcs refresh`` and ``cxcs demo`` call :func:`run_refresh`; so does the benchmark's child
process, which passes ``on_mark`` to time the phases outside the job's steps (the ``dbt
parse`` before the definitions load) instead of patching this module. Exit codes:

* 0 — everything loaded, built and published;
* 1 — the run failed (a dbt model or blocking test failed, or a loader crashed);
  nothing new was published;
* 2 — the run succeeded and published, but some landing files could not be read
  and were recorded as failed (listed with their reasons);
* 3 — the quality gate failed: a blocking dbt test or Great Expectations expectation did
  not pass (each is named); nothing new was published, the previous publication keeps serving.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from orchestration.config import Settings, resolve_settings
from orchestration.dbt_manifest import prepare_dbt_manifest
from orchestration.gate_rows import failed_blocking_checks

EXIT_OK, EXIT_RUN_FAILED, EXIT_FILES_FAILED, EXIT_GATE_FAILED = 0, 1, 2, 3

# Called with a phase boundary's name ("dbt_parse_start", "dbt_parse_end") when it is reached.
MarkHook = Callable[[str], None]


def _no_mark(name: str) -> None:
    return None


def run_config(
    settings: Settings, full_refresh: bool = False, as_of_date: date | None = None, full_refresh_select: str = ""
) -> dict[str, object]:
    """The ``refresh`` job's run config: the folders as the ``warehouse`` resource's config, what
    this run varies as the dbt step's config (orchestration.defs.dbt.DbtBuildConfig)."""
    return {
        "resources": {
            "warehouse": {
                "config": {
                    "landing_dir": str(settings.landing_dir),
                    "warehouse_dir": str(settings.warehouse_dir),
                    "build_path": str(settings.build_path),
                    "duckdb_memory_limit": settings.duckdb_memory_limit or "",
                }
            }
        },
        "ops": {
            "cxcs_dbt_models": {
                "config": {
                    "full_refresh": full_refresh,
                    "full_refresh_select": full_refresh_select,
                    "as_of_date": as_of_date.isoformat() if as_of_date else "",
                }
            }
        },
        # Dagster's console logger would print each failure's whole trace (~100 lines);
        # the trace goes to the run's log file instead.
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def run_refresh(
    landing: Path | None,
    warehouse: Path | None,
    instance: object | None = None,
    on_mark: MarkHook = _no_mark,
    full_refresh: bool = False,
    as_of_date: date | None = None,
    full_refresh_select: str = "",
) -> int:
    """Run the ``refresh`` job; ``instance`` (a DagsterInstance, default ephemeral) keeps its events;
    ``on_mark`` is told when each phase outside the job's steps starts and ends. ``landing`` and
    ``warehouse`` (default: the settings) reach the run as config; nothing is written to os.environ.

    A failed run (exit 1) prints one line: the failed step and its cause, and the log file
    under ``<warehouse>/logs/`` that holds the full trace."""
    settings = resolve_settings(landing, warehouse)
    if not settings.landing_dir.is_dir():
        # Loading "nothing" from a folder that is not there would publish an empty (or an
        # unchanged) warehouse with exit 0: a wrong path or an unmounted share is an error.
        print(
            f"[refresh] FAILED: landing folder {settings.landing_dir} does not exist (or is not a folder); "
            "nothing was loaded or published.",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED
    print(f"[refresh] landing folder: {settings.landing_dir}")
    print(f"[refresh] build file:     {settings.build_path}")
    started = time.monotonic()
    try:
        return _run_refresh_job(
            settings, started, instance, on_mark, run_config(settings, full_refresh, as_of_date, full_refresh_select)
        )
    except Exception:  # anything outside the job's steps (dbt parse, Dagster start-up)
        from orchestration.run_log import exception_line, write_failure_log

        log = write_failure_log(settings.warehouse_dir, None, [("refresh", _trace())])
        print(
            f"[refresh] FAILED before or around the Dagster job: {exception_line()} (full trace: {log})",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED


def _trace() -> str:
    import traceback

    return traceback.format_exc()


def _run_refresh_job(
    settings: Settings, started: float, instance: object | None, on_mark: MarkHook, config: dict[str, object]
) -> int:
    import dagster as dg

    on_mark("dbt_parse_start")
    prepare_dbt_manifest()  # the same for every warehouse: the build gets the warehouse's profile
    on_mark("dbt_parse_end")
    from orchestration.definitions import defs
    from orchestration.publish import read_state

    # The definitions, dbt's parsed project and the imported libraries live for the whole run:
    # out of the collector's sight, its full collections during the run stay short.
    gc.freeze()
    from orchestration.run_log import step_failures, write_failure_log
    from orchestration.summary import format_load_report, warehouse_summary

    job = defs.resolve_job_def("refresh")
    # The warehouse resource releases the refresh lock when the run ends, whatever its outcome.
    result = job.execute_in_process(
        instance=instance or dg.DagsterInstance.ephemeral(), run_config=config, raise_on_error=False
    )
    materialized = {
        event.asset_key.path[-1]: event.step_materialization_data.materialization.metadata
        for event in result.all_events
        if event.is_step_materialization and event.asset_key.path[0] == "raw"
    }
    report = format_load_report(
        {table: {k: v.value for k, v in meta.items()} for table, meta in materialized.items() if meta}
    )
    if materialized or result.success:  # a load that never ran has no summary to show
        print(report.text)
    elapsed = time.monotonic() - started
    gate_failures = failed_blocking_checks(result.all_events, settings.build_path, result.run_id)
    if gate_failures:
        for line in gate_failures:
            print(f"[gate] FAILED {line}", file=sys.stderr)
        print(
            f"[refresh] quality gate failed after {elapsed:.1f}s ({len(gate_failures)} blocking check(s)); nothing was "
            f"published, the previous publication (if any) is still serving: {settings.published_path}",
            file=sys.stderr,
        )
        return EXIT_GATE_FAILED
    if not result.success:
        failures = step_failures(result.all_events)
        log = write_failure_log(
            settings.warehouse_dir, result.run_id, [(f.step, f.trace) for f in failures], result.all_events
        )
        if failures:
            first = failures[0]
            more = f"; {len(failures) - 1} more failed step(s) in the log" if len(failures) > 1 else ""
            print(
                f"[refresh] FAILED in step {first.step}: {first.cause}{more} (after {elapsed:.1f}s; nothing new "
                f"published; full trace: {log})",
                file=sys.stderr,
            )
        else:
            print(f"[refresh] FAILED after {elapsed:.1f}s; nothing new published; full log: {log}", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(warehouse_summary(settings.published_path, settings.build_path))
    state = read_state(settings.build_path) or {}
    if state.get("run_id") != result.run_id:  # orchestration.defs.dbt.nothing_new
        print(
            f"[refresh] done in {elapsed:.1f}s; nothing new since run {state.get('run_id')}: "
            f"the published warehouse is unchanged: {settings.published_path}"
        )
    else:
        print(f"[refresh] done in {elapsed:.1f}s; published warehouse: {settings.published_path}")
    from orchestration.scorecard import SCORECARD_FILE_NAME

    scorecard = settings.warehouse_dir / SCORECARD_FILE_NAME
    if scorecard.exists():
        print(f"[refresh] scorecard: {scorecard} (open it in a browser)")
    if report.files_failed:
        print(
            f"[refresh] {report.files_failed} landing file(s) failed to load (listed above); exit code 2.",
            file=sys.stderr,
        )
        return EXIT_FILES_FAILED
    return EXIT_OK
