"""The one Dagster ``Definitions`` object: ``dagster dev`` loads this module.

Lineage: landing files → ``raw/*`` (loaders, one asset per raw table) → dbt
models (staging → intermediate → marts, through dagster-dbt) → ``published_warehouse``.
Write, audit, publish: the loaders and dbt write the private build file (starting
from the last publication when the previous run did not publish); dbt's tests and the
``quality_gate`` (Great Expectations suites, blocking asset checks on every mart) audit
it; ``published_warehouse`` swaps it in only when every blocking check passed.
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
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.config import PROJECT_DIR, get_settings
from orchestration.contract import ENTITIES
from orchestration.loading import load_landing
from orchestration.publish import MartChecks, begin_build, publish
from orchestration.quality import CRITICAL, load_suites, quality_dir, read_report, run_gate, write_report
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
            "Quarantine: every rejected row with its file, row number, raw content and reason "
            "(published without the raw content, as loader.load_quarantine).",
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
    if not settings.landing_dir.is_dir():
        # Checked before the build is touched: a run of the schedule or the sensor against a
        # missing folder fails and leaves the build and the publication as they were.
        raise dg.Failure(f"landing folder {settings.landing_dir} does not exist (or is not a folder)")
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    begin_build(settings.build_path, settings.published_path, context.run_id, lambda m: report(context, "build", m))
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
    # Tests on dbt sources (the raw tables' column tests) become asset checks of the raw assets.
    dagster_dbt_translator=CxcsDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)),
    name="cxcs_dbt_models",
)
def cxcs_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    # dbt prints its own per-node progress; dagster-dbt turns each result into asset events.
    # Unit tests check SQL logic on fixed inputs: they run in development and CI (pytest runs
    # `dbt build` with them), not again on every scheduled refresh of unchanged code.
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()


# --------------------------------------------------------------------------- quality gate
GX_CHECK, GX_WARN_CHECK = "gx_expectations", "gx_expectations_warn"
MART_KEYS = {key.path[-1]: key for key in cxcs_dbt_models.keys if key.path[0] == "marts"}
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
        {"expectation": o.label(), "success": o.success, "observed": o.observed, "unexpected": o.unexpected,
         "description": o.description, "error": o.error}
        for o in outcomes
    ]


@dg.multi_asset_check(
    specs=gx_check_specs,
    can_subset=True,
    name="quality_gate",
    description="Validates the build file's marts with their Great Expectations suites before publishing.",
)
def quality_gate(context: dg.AssetCheckExecutionContext) -> Iterator[dg.AssetCheckResult]:
    settings = get_settings()
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
    )
    write_report(gate, settings.warehouse_dir)
    for line in gate.format().splitlines():
        print(f"[gate] {line}", flush=True)
    docs = dg.MetadataValue.path(gate.data_docs) if gate.data_docs else None
    for key in context.selected_asset_check_keys:
        result = gate.results[key.asset_key.path[-1]]
        blocking = key.name == GX_CHECK
        outcomes = [o for o in result.outcomes if o.blocking == blocking]
        failed = [o for o in outcomes if not o.success]
        if result.status == "skipped":  # dbt knows the mart but the build file lacks it
            failed_text = [result.reason]
        else:
            failed_text = [o.explain() for o in failed]
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
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=not failed_text,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
        )


# --------------------------------------------------------------------------- publish
def _run_check_evaluations(context: dg.AssetExecutionContext) -> list[Any]:
    records = context.instance.get_records_for_run(
        context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
    ).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


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
def published_warehouse(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    settings = get_settings()
    gate = read_report(settings.warehouse_dir)
    if gate is None or gate.run_id != context.run_id:
        raise dg.Failure("the quality gate did not run in this run: the build is not published")
    if not gate.passed:
        raise dg.Failure("the quality gate failed in this run: the build is not published")
    evaluations = _run_check_evaluations(context)
    failing = [
        e for e in evaluations if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    if failing:
        names = ", ".join(f"{e.asset_key.to_user_string()}:{e.check_name}" for e in failing)
        raise dg.Failure(f"blocking checks failed in this run ({names}): the build is not published")
    checks: dict[str, MartChecks] = {}
    for mart, result in gate.results.items():
        dbt_passed = sum(
            1 for e in evaluations
            if e.asset_key.path[-1] == mart and e.passed and not e.check_name.startswith("gx_")
            and e.severity == dg.AssetCheckSeverity.ERROR
        )
        dbt_warned = sum(
            1 for e in evaluations
            if e.asset_key.path[-1] == mart and not e.passed and not e.check_name.startswith("gx_")
        )
        checks[mart] = MartChecks(
            dbt_tests_passed=dbt_passed,
            gx_expectations_passed=result.counts(CRITICAL)[0],
            warnings=len(result.warnings) + dbt_warned,
        )
    publication = publish(settings.build_path, settings.published_path, context.run_id, checks)
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
    description=(
        "Load new landing files, build every dbt model and test, audit the marts (quality gate), "
        "publish the warehouse."
    ),
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
    asset_checks=[quality_gate],
    jobs=[refresh_job],
    schedules=[daily_refresh],
    sensors=[landing_files_sensor],
    resources={
        # The dbt of this environment, whether or not .venv/bin is on PATH.
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt"))),
    },
)
