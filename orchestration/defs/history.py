"""Month-end history as a monthly-partitioned asset: one partition per month, built as of its
last day (orchestration.history says what is written and why it is exact).

A backfill of any range of months runs as ONE run (``BackfillPolicy.single_run``): the work file
is copied once and each month-end is rebuilt in it in turn. From the UI: the ``marts_history``
asset, "Materialize" and pick the partitions; from a shell: ``cxcs backfill --months 12``. The
``monthly_history`` schedule (off by default, like the refresh schedule) adds the month that
just ended on the 1st of each month."""

import json
import time
from collections.abc import Callable
from datetime import date

import dagster as dg

from orchestration.config import Settings, setting
from orchestration.dbt_inprocess import DbtBuildFailed, project_manifest, run_target_path, stream_build_events
from orchestration.defs.progress import report
from orchestration.defs.publish import published_warehouse
from orchestration.defs.resources import WarehouseResource, environment
from orchestration.history import MonthOutcome, export_month, history_dir, month_end, work_copy

HISTORY_GROUP = "history"

# One partition per calendar month; end_offset 0: the current (partial) month is not one yet.
month_partitions = dg.MonthlyPartitionsDefinition(start_date=setting("CXCS_HISTORY_START"), end_offset=0)


def _rebuild(settings: Settings, as_of: date, run_id: str) -> None:
    """Every model rebuilt from scratch as of ``as_of``, with dbt's data tests (a failing
    blocking test raises DbtBuildFailed); unit tests check SQL, not data, and ran in CI. The
    semantic layer's models (schema ``semantic``, downstream of the marts only) are left out:
    the history holds schema ``marts``, and nothing the month writes reads them."""
    args = [
        "build",
        "--full-refresh",
        "--exclude-resource-type",
        "unit_test",
        "--exclude",
        "path:models/semantic",
        "--vars",
        json.dumps({"as_of_date": as_of.isoformat()}),
    ]
    with environment(settings.dbt_env()):
        parsed = project_manifest(database=settings.build_path.stem)
        for _ in stream_build_events(args, parsed, run_target_path(run_id)):
            pass  # dbt prints each node's result; the month is good only if the whole build is


def _failed(as_of: date, error: str, say: Callable[[str], None]) -> MonthOutcome:
    say(f"{as_of}: FAILED, nothing written for this month-end: {error}")
    return MonthOutcome(as_of, {}, error)


def _month(settings: Settings, as_of: date, run_id: str, say: Callable[[str], None]) -> MonthOutcome:
    from orchestration.quality import CRITICAL, run_gate

    started = time.monotonic()
    try:
        _rebuild(settings, as_of, run_id)
    except DbtBuildFailed as failure:
        return _failed(as_of, f"dbt build: {str(failure).splitlines()[0]}", say)
    # The gate as the refresh runs it, without the change-against-the-previous-publication
    # expectations (there is no previous month-end publication to compare a rebuild with), and
    # without Data Docs: they would land in the work folder, which is removed after the run.
    built = time.monotonic()
    gate = run_gate(settings.build_path, None, None, f"{run_id}-{as_of}")
    if not gate.passed:
        failed = ", ".join(m for m, r in gate.results.items() if r.blocking_failures)
        return _failed(as_of, f"quality gate failed on {failed}", say)
    checks = {m: (r.counts(CRITICAL)[0], len(r.warnings)) for m, r in gate.results.items()}
    rows = export_month(settings.build_path, history_dir(settings.warehouse_dir), as_of, run_id, checks)
    say(
        f"{as_of}: written ({len(rows)} marts, {sum(rows.values()):,} rows) in {time.monotonic() - started:.1f}s "
        f"(dbt build {built - started:.1f}s, quality gate {gate.seconds:.1f}s)"
    )
    return MonthOutcome(as_of, rows)


@dg.asset(
    partitions_def=month_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[published_warehouse],
    group_name=HISTORY_GROUP,
    kinds={"duckdb", "parquet"},
    description=(
        "Every mart as the warehouse knew it at the end of each month: `<warehouse>/history/<mart>/"
        "as_of_date=<month-end>/data.parquet`, rebuilt from the last publication's raw layer with the "
        "dbt var as_of_date, dbt tests and the quality gate passed per month (README: History)."
    ),
)
def marts_history(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    ends = [month_end(date.fromisoformat(key)) for key in context.partition_keys]

    def say(message: str) -> None:
        report(context, "history", message)

    outcomes = []
    with work_copy(warehouse.settings) as settings:
        for as_of in ends:
            say(f"{as_of}: rebuilding every model as of this day")
            outcomes.append(_month(settings, as_of, context.run_id, say))
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        raise dg.Failure(
            f"{len(failed)} of {len(outcomes)} month-ends failed (nothing written for them): "
            + "; ".join(f"{o.as_of}: {o.error}" for o in failed)
        )
    return dg.MaterializeResult(
        metadata={
            "path": str(history_dir(warehouse.settings.warehouse_dir)),
            "month_ends": dg.MetadataValue.json([o.as_of.isoformat() for o in outcomes]),
            "rows": sum(sum(o.rows.values()) for o in outcomes),
        }
    )


history_job = dg.define_asset_job(
    "history",
    selection=[marts_history],
    partitions_def=month_partitions,
    description="Rebuild the month-end history of every mart for the selected months (one run per backfill).",
    executor_def=dg.in_process_executor,
)

monthly_history = dg.build_schedule_from_partitioned_job(
    history_job, name="monthly_history", default_status=dg.DefaultScheduleStatus.STOPPED
)
