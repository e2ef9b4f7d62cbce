"""Raw assets: the loaders write each landing entity to its table in schema ``raw``."""

from collections.abc import Iterator
from datetime import UTC
from typing import Any

import dagster as dg
import duckdb

from orchestration import freshness
from orchestration.config import apply_duckdb_settings, setting
from orchestration.contract import ENTITIES
from orchestration.defs.progress import report
from orchestration.defs.resources import WarehouseResource
from orchestration.loading import load_landing
from orchestration.loading.files import utcnow
from orchestration.publish import BuildLocked
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE, ensure_raw_schema

RAW_PREFIX = "raw"
LOADER_TABLES = (MANIFEST_TABLE.split(".")[1], QUARANTINE_TABLE.split(".")[1])
LOADER_TABLE_DESCRIPTIONS = (
    "Load manifest: one row per landing file content (batch), with status and row counts.",
    "Quarantine: every rejected row with its file, row number, raw content and reason "
    "(published without the raw content, as loader.load_quarantine).",
)


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_PREFIX, table])


def _spec(table: str, description: str) -> dg.AssetSpec:
    # skippable: a run that selects only some entities (or none) leaves the others alone.
    return dg.AssetSpec(
        raw_asset_key(table), description=description, group_name="raw", kinds={"duckdb"}, skippable=True
    )


raw_specs = [
    _spec(entity.table, f"{entity.description} Loaded from landing folder `{entity.folder}/`.") for entity in ENTITIES
] + [_spec(table, description) for table, description in zip(LOADER_TABLES, LOADER_TABLE_DESCRIPTIONS, strict=True)]

raw_check_specs = [
    dg.AssetCheckSpec(
        "no_failed_files",
        asset=raw_asset_key(entity.table),
        description="Warns when a landing file of this entity could not be read as a whole.",
        blocking=False,
    )
    for entity in ENTITIES
] + [
    dg.AssetCheckSpec(
        freshness.check_name(entity.source),
        asset=raw_asset_key(entity.table),
        description=(
            f"Warns when the newest landing file of this entity the loader loaded is older than "
            f"{freshness.hours_label(freshness.max_age_hours(entity.source))} h "
            f"({freshness.SETTING_OF_SOURCE[entity.source]}), or none ever was. Non-blocking: a stale "
            "source does not stop the publication of what was delivered."
        ),
        blocking=False,
    )
    for entity in ENTITIES
]


@dg.multi_asset(
    specs=raw_specs,
    check_specs=raw_check_specs,
    can_subset=True,
    name="raw_landing_files",
    description="Loads new landing files into schema raw, each file content exactly once.",
)
def raw_landing_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[Any]:
    settings = warehouse.settings
    selected = {key.path[-1] for key in context.selected_asset_keys}
    tables = [e.table for e in ENTITIES if e.table in selected]
    if not settings.landing_dir.is_dir():
        # Checked before the build is touched: a run of the schedule or the sensor against a
        # missing folder fails and leaves the build and the publication as they were.
        raise dg.Failure(f"landing folder {settings.landing_dir} does not exist (or is not a folder)")
    try:
        warehouse.begin_build(context.run_id, lambda m: report(context, "build", m))
    except BuildLocked as locked:
        # The one transient failure: another refresh (`cxcs refresh` by hand, a run of another
        # deployment) holds the warehouse. Retried once, in this run; bad input raises dg.Failure
        # or a loader error instead and is never retried (dagster.yaml: no retry on step failure).
        raise dg.RetryRequested(max_retries=1, seconds_to_wait=float(setting("CXCS_LOCK_RETRY_SECONDS"))) from locked
    with duckdb.connect(str(settings.build_path)) as conn:
        apply_duckdb_settings(conn, settings.duckdb_memory_limit)
        ensure_raw_schema(conn)
        summary = load_landing(
            conn,
            settings.landing_dir,
            entities=tables,
            progress=lambda message: report(context, "load", message),
        )
        # The manifest's own clock (the loader stamps finished_at with it): the run's clock.
        fresh = {
            f.entity.table: f
            for f in freshness.entity_freshness(freshness.last_loaded(conn, MANIFEST_TABLE), utcnow(conn))
        }
    context.log.info("\n" + summary.format())
    for table in tables:
        yield from _entity_results(context, table, summary.entities[table], fresh[table], summary.unmapped)
    for table in LOADER_TABLES:
        if table in selected:
            yield dg.MaterializeResult(asset_key=raw_asset_key(table))


def _entity_results(
    context: dg.AssetExecutionContext,
    table: str,
    stats: Any,
    fresh: freshness.EntityFreshness,
    unmapped: dict[str, int],
) -> Iterator[Any]:
    failed_files = dg.MetadataValue.json([list(f) for f in stats.files_failed])
    loaded_at = fresh.last_loaded_at.replace(tzinfo=UTC) if fresh.last_loaded_at else None
    yield dg.MaterializeResult(
        asset_key=raw_asset_key(table),
        metadata={
            # Dagster's own notion of "last updated" (its freshness checks read this key before
            # the materialization time, which here is every run's, new files or not).
            **({"dagster/last_updated_timestamp": dg.MetadataValue.timestamp(loaded_at)} if loaded_at else {}),
            "files_loaded": stats.files_loaded,
            "files_skipped": stats.files_skipped,
            "files_failed": len(stats.files_failed),
            "rows_loaded": stats.rows_loaded,
            "rows_quarantined": stats.rows_quarantined,
            "failed_files": failed_files,
            # Rows of the source adapters quarantined unmapped_account this run, per source (the
            # same counts on every raw table's result: the run's load report prints them once).
            **({"unmapped_account": dg.MetadataValue.json(unmapped)} if unmapped else {}),
        },
    )
    if dg.AssetCheckKey(raw_asset_key(table), "no_failed_files") in context.selected_asset_check_keys:
        yield dg.AssetCheckResult(
            asset_key=raw_asset_key(table),
            check_name="no_failed_files",
            passed=not stats.files_failed,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"failed_files": failed_files},
        )
    name = freshness.check_name(fresh.entity.source)
    if dg.AssetCheckKey(raw_asset_key(table), name) in context.selected_asset_check_keys:
        yield dg.AssetCheckResult(
            asset_key=raw_asset_key(table),
            check_name=name,
            passed=not fresh.stale,
            severity=dg.AssetCheckSeverity.WARN,
            description="never delivered" if loaded_at is None else None,
            metadata={
                "last_loaded_at": dg.MetadataValue.text(loaded_at.isoformat() if loaded_at else "never"),
                "age_hours": (
                    dg.MetadataValue.null()
                    if fresh.age_hours is None
                    else dg.MetadataValue.float(round(fresh.age_hours, 2))
                ),
                "max_age_hours": dg.MetadataValue.float(fresh.max_age_hours),
            },
        )
