"""``cxcs backfill``: run the ``history`` job for the last N month-ends in one run, in this process.

Which months: the ``months`` latest months complete at the last publication's as-of date (the
day its marts report as today), or those ending with ``through``. Exit codes: 0 every month-end
written; 1 a month-end failed (its files are not written; the others are) or nothing was
published yet.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.config import resolve_settings
from orchestration.history import history_dir, last_complete_months, month_end
from orchestration.latest_month import publication_as_of
from orchestration.refresh import EXIT_OK, EXIT_RUN_FAILED, run_config


def months_to_build(published: Path, months: int, through: date | None) -> list[date]:
    if through is None:
        with duckdb.connect(str(published), read_only=True) as conn:
            as_of = publication_as_of(conn, datetime.now(UTC).date())
    else:
        as_of = month_end(through)
    return last_complete_months(as_of, months)


def run_backfill(warehouse: Path | None, months: int = 12, through: date | None = None) -> int:
    import dagster as dg

    settings = resolve_settings(None, warehouse)
    if not settings.published_path.exists():
        print(
            f"[history] FAILED: nothing published in {settings.warehouse_dir} yet: run `cxcs refresh` first",
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED
    starts = months_to_build(settings.published_path, months, through)
    print(
        f"[history] month-ends {month_end(starts[0])} .. {month_end(starts[-1])} ({len(starts)}) "
        f"into {history_dir(settings.warehouse_dir)}"
    )
    from orchestration.dbt_manifest import prepare_dbt_manifest

    prepare_dbt_manifest()
    from orchestration.definitions import defs

    config = run_config(settings)
    config.pop("ops")  # the history job has no dbt-step config: each month sets its own as-of date
    result = defs.resolve_job_def("history").execute_in_process(
        run_config=config,
        instance=dg.DagsterInstance.ephemeral(),
        tags={
            "dagster/asset_partition_range_start": starts[0].isoformat(),
            "dagster/asset_partition_range_end": starts[-1].isoformat(),
        },
        raise_on_error=False,
    )
    if not result.success:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        error = failure.step_failure_data.error if failure else None
        while error is not None and error.cause is not None:  # the step's own exception, not Dagster's wrapper
            error = error.cause
        cause = error.message.strip().splitlines()[0] if error else "see the log"
        print(f"[history] FAILED: {cause}", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(f"[history] done: {len(starts)} month-ends in {history_dir(settings.warehouse_dir)}")
    return EXIT_OK
