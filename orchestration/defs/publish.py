"""The published warehouse: swapped in only when every blocking check of the run passed."""

from typing import Any

import dagster as dg

from orchestration.defs.dbt import cxcs_dbt_models
from orchestration.defs.progress import report
from orchestration.defs.resources import WarehouseResource
from orchestration.publish import MartChecks, publish
from orchestration.quality import CRITICAL, read_report


def _run_check_evaluations(context: dg.AssetExecutionContext) -> list[Any]:
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


def _mart_checks(gate: Any, evaluations: list[Any]) -> dict[str, MartChecks]:
    """Per mart, what the publication records: dbt tests passed, GX expectations passed, warnings."""
    checks: dict[str, MartChecks] = {}
    for mart, result in gate.results.items():
        dbt_checks = [e for e in evaluations if e.asset_key.path[-1] == mart and not e.check_name.startswith("gx_")]
        checks[mart] = MartChecks(
            dbt_tests_passed=sum(1 for e in dbt_checks if e.passed and e.severity == dg.AssetCheckSeverity.ERROR),
            gx_expectations_passed=result.counts(CRITICAL)[0],
            warnings=len(result.warnings) + sum(1 for e in dbt_checks if not e.passed),
        )
    return checks


@dg.asset(
    deps=list(cxcs_dbt_models.keys),
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "The published warehouse `<warehouse>/cxcs.duckdb` that BI tools read: the public copy of "
        "the build file (marts, semantic, seeds, load bookkeeping in `loader`; no raw, staging or "
        "intermediate, nothing with personal data), swapped in atomically after dbt's tests and the "
        "quality gate passed in the same run; `marts.publication` records each publication."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings
    gate = read_report(settings.warehouse_dir)
    if gate is None or gate.run_id != context.run_id:
        raise dg.Failure("the quality gate did not run in this run: the build is not published")
    if not gate.passed:
        raise dg.Failure("the quality gate failed in this run: the build is not published")
    evaluations = _run_check_evaluations(context)
    failing = [e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    if failing:
        names = ", ".join(f"{e.asset_key.to_user_string()}:{e.check_name}" for e in failing)
        raise dg.Failure(f"blocking checks failed in this run ({names}): the build is not published")
    publication = publish(settings.build_path, settings.published_path, context.run_id, _mart_checks(gate, evaluations))
    report(context, "publish", f"published {publication.path} ({publication.size_bytes:,} bytes, run {context.run_id})")
    return dg.MaterializeResult(
        metadata={
            "path": str(publication.path),
            "size_bytes": publication.size_bytes,
            "run_id": context.run_id,
            "row_counts": dg.MetadataValue.json(dict(publication.row_counts)),
            "suites_skipped": dg.MetadataValue.json([f"{r.mart}: {r.reason}" for r in gate.skipped]),
        }
    )
