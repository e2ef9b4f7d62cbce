"""The quality gate as blocking asset checks on the marts (the GX logic is orchestration.quality)."""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.defs.dbt import MART_KEYS
from orchestration.defs.resources import WarehouseResource
from orchestration.quality import load_suites, quality_dir, run_gate, write_report

GX_CHECK, GX_WARN_CHECK = "gx_expectations", "gx_expectations_warn"
SUITE_MARTS = [suite.mart for suite in load_suites()]

gx_check_specs = [
    spec
    for mart in SUITE_MARTS
    if mart in MART_KEYS
    for spec in (
        dg.AssetCheckSpec(
            GX_CHECK,
            asset=MART_KEYS[mart],
            blocking=True,
            description=(
                f"Great Expectations suite gx/expectations/{mart}.json, critical expectations: ranges, "
                "grain, row count against the previous publication, freshness, accounts in dim_accounts. "
                "Blocks publishing when one fails."
            ),
        ),
        dg.AssetCheckSpec(
            GX_WARN_CHECK,
            asset=MART_KEYS[mart],
            blocking=False,
            description=f"Warn-only expectations of gx/expectations/{mart}.json (distributions, null shares).",
        ),
    )
]


def _outcome_rows(outcomes: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "expectation": o.label(),
            "success": o.success,
            "observed": o.observed,
            "unexpected": o.unexpected,
            "description": o.description,
            "error": o.error,
        }
        for o in outcomes
    ]


@dg.multi_asset_check(
    specs=gx_check_specs,
    can_subset=True,
    name="quality_gate",
    description="Validates the build file's marts with their Great Expectations suites before publishing.",
)
def quality_gate(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
    settings = warehouse.settings
    selected = {key.asset_key.path[-1] for key in context.selected_asset_check_keys}
    # Suites of marts dbt does not build yet run too, to be reported as skipped.
    marts = selected | {m for m in SUITE_MARTS if m not in MART_KEYS}
    gate = run_gate(
        settings.build_path,
        settings.published_path,
        quality_dir(settings.warehouse_dir) / "data_docs",
        context.run.run_id,
        marts=marts,
        progress=lambda message: context.log.info(message),
        docs_in_background=True,  # written while the publish step runs
    )
    write_report(gate, settings.warehouse_dir)
    for line in gate.format().splitlines():
        print(f"[gate] {line}", flush=True)
    docs = dg.MetadataValue.path(gate.data_docs) if gate.data_docs else None
    for key in context.selected_asset_check_keys:
        yield _check_result(key, gate.results[key.asset_key.path[-1]], docs)


def _check_result(key: dg.AssetCheckKey, result: Any, docs: Any) -> dg.AssetCheckResult:
    blocking = key.name == GX_CHECK
    outcomes = [o for o in result.outcomes if o.blocking == blocking]
    failed = [o for o in outcomes if not o.success]
    # A skipped suite: dbt knows the mart but the build file lacks it.
    failed_text = [result.reason] if result.status == "skipped" else [o.explain() for o in failed]
    metadata: dict[str, Any] = {
        "row_count": result.row_count if result.row_count is not None else -1,
        "expectations_evaluated": len(outcomes),
        "expectations_passed": len(outcomes) - len(failed),
        "failed_expectations": dg.MetadataValue.json(failed_text),
        "results": dg.MetadataValue.json(_outcome_rows(outcomes)),
        "not_evaluated": dg.MetadataValue.json(result.not_evaluated),
    }
    if docs is not None:
        metadata["data_docs"] = docs
    return dg.AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=not failed_text,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )
