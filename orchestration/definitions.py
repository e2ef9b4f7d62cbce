"""The one Dagster ``Definitions`` object: ``dagster dev`` loads this module.

Lineage: landing files → ``raw/*`` (loaders, one asset per raw table) → dbt
models (staging → intermediate → marts, through dagster-dbt) → ``published_warehouse``.
A ``refresh`` job covers everything; a daily schedule and a landing-folder
sensor start it.
"""


import hashlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.config import PROJECT_DIR, get_settings
from orchestration.contract import ENTITIES
from orchestration.loading import load_landing
from orchestration.publish import publish
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE, ensure_raw_schema
from orchestration.scorecard import SCORECARD_FILE_NAME, build_scorecard

RAW_PREFIX = "raw"
LOADER_TABLES = (MANIFEST_TABLE.split(".")[1], QUARANTINE_TABLE.split(".")[1])


def raw_asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_PREFIX, table])


def report(context: dg.AssetExecutionContext, stage: str, message: str) -> None:
    """Log to Dagster and print one short progress line (what `cxcs refresh` shows)."""
    context.log.info(message)
    print(f"[{stage}] {message}", flush=True)


# --------------------------------------------------------------------------- raw
raw_specs = [
    dg.AssetSpec(
        raw_asset_key(entity.table),
        description=f"{entity.description} Loaded from landing folder `{entity.folder}/`.",
        group_name="raw",
        kinds={"duckdb"},
        skippable=True,
    )
    for entity in ENTITIES
] + [
    dg.AssetSpec(
        raw_asset_key(table),
        description=desc,
        group_name="raw",
        kinds={"duckdb"},
        skippable=True,
    )
    for table, desc in zip(
        LOADER_TABLES,
        (
            "Load manifest: one row per landing file content (batch), with status and row counts.",
            "Quarantine: every rejected row with its file, row number, raw content and reason.",
        ),
    )
]

raw_check_specs = [
    dg.AssetCheckSpec(
        "no_failed_files",
        asset=raw_asset_key(entity.table),
        description="Warns when a landing file of this entity could not be read as a whole.",
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
def raw_landing_files(context: dg.AssetExecutionContext) -> Iterator[Any]:
    settings = get_settings()
    selected = {key.path[-1] for key in context.selected_asset_keys}
    tables = [e.table for e in ENTITIES if e.table in selected]
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_path)) as conn:
        ensure_raw_schema(conn)
        summary = load_landing(
            conn,
            settings.landing_dir,
            entities=tables,
            progress=lambda message: report(context, "load", message),
        )
    context.log.info("\n" + summary.format())
    for table in tables:
        stats = summary.entities[table]
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(table),
            metadata={
                "files_loaded": stats.files_loaded,
                "files_skipped": stats.files_skipped,
                "files_failed": len(stats.files_failed),
                "rows_loaded": stats.rows_loaded,
                "rows_quarantined": stats.rows_quarantined,
                "failed_files": dg.MetadataValue.json([list(f) for f in stats.files_failed]),
            },
        )
        check_key = dg.AssetCheckKey(raw_asset_key(table), "no_failed_files")
        if check_key in context.selected_asset_check_keys:
            yield dg.AssetCheckResult(
                asset_key=raw_asset_key(table),
                check_name="no_failed_files",
                passed=not stats.files_failed,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"failed_files": dg.MetadataValue.json([list(f) for f in stats.files_failed])},
            )
    for table in LOADER_TABLES:
        if table in selected:
            yield dg.MaterializeResult(asset_key=raw_asset_key(table))


# --------------------------------------------------------------------------- dbt
dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
# `dagster dev` re-parses on start; `cxcs refresh` and `make setup` parse before loading this module.
dbt_project.prepare_if_dev()


class CxcsDbtTranslator(DagsterDbtTranslator):
    """dbt sources are the raw tables the loaders write: map them to the raw asset keys."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return raw_asset_key(dbt_resource_props["identifier"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        # models/<layer>/... → group by layer (staging, intermediate, marts, semantic)
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=CxcsDbtTranslator(),
    name="cxcs_dbt_models",
)
def cxcs_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    # dbt prints its own per-node progress; dagster-dbt turns each result into asset events.
    yield from dbt.cli(["build"], context=context).stream()


# --------------------------------------------------------------------------- publish
@dg.asset(
    deps=list(cxcs_dbt_models.keys),
    group_name="publish",
    kinds={"duckdb"},
    description=(
        "The published warehouse `<warehouse>/cxcs.duckdb` that BI tools read: a copy of the "
        "build file, swapped in atomically after a successful build."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = get_settings()
    publication = publish(settings.build_path, settings.published_path)
    report(context, "publish", f"published {publication.path} ({publication.size_bytes:,} bytes)")
    return dg.MaterializeResult(
        metadata={"path": str(publication.path), "size_bytes": publication.size_bytes}
    )


# --------------------------------------------------------------------------- scorecard
@dg.asset(
    deps=[published_warehouse],
    group_name="publish",
    kinds={"html"},
    description=(
        "The CX/CS scorecard `<warehouse>/scorecard.html`: one self-contained page (inline SVG "
        "charts, no network) rebuilt from the published file, read-only, after every publication."
    ),
)
def scorecard(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = get_settings()
    page = build_scorecard(
        settings.published_path,
        settings.warehouse_dir / SCORECARD_FILE_NAME,
        manifest_path=dbt_project.manifest_path,
    )
    report(context, "scorecard", f"wrote {page.path} ({len(page.charts)} charts)")
    if page.unavailable:
        report(context, "scorecard", "not available in this warehouse: " + ", ".join(page.unavailable))
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(page.path)),
            "charts": dg.MetadataValue.json(list(page.charts)),
            "sections_not_available": dg.MetadataValue.json(list(page.unavailable)),
        }
    )


# --------------------------------------------------------------------------- jobs
refresh_job = dg.define_asset_job(
    "refresh",
    selection=dg.AssetSelection.all(),
    description="Load new landing files, build every dbt model and test, publish the warehouse.",
    # One writer per DuckDB file: run the steps in one process, one after another.
    executor_def=dg.in_process_executor,
)

daily_refresh = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule=os.environ.get("CXCS_REFRESH_CRON", "0 5 * * *"),
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def landing_fingerprint() -> str:
    """Hash of every landing file's path, size and mtime: changes when files arrive or change."""
    landing = get_settings().landing_dir
    digest = hashlib.sha256()
    if landing.exists():
        for path in sorted(p for p in landing.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(landing)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a refresh when files appear or change in the landing folder.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    fingerprint = landing_fingerprint()
    if fingerprint == context.cursor:
        return dg.SensorResult(skip_reason="no new or changed landing files")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=fingerprint)],
        cursor=fingerprint,
    )


defs = dg.Definitions(
    assets=[raw_landing_files, cxcs_dbt_models, published_warehouse, scorecard],
    jobs=[refresh_job],
    schedules=[daily_refresh],
    sensors=[landing_files_sensor],
    resources={
        # The dbt of this environment, whether or not .venv/bin is on PATH.
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    },
)
