"""dbt models, seeds and tests as Dagster assets and asset checks (dagster-dbt)."""

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_SELECTOR_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_dbt.utils import select_unique_ids

from orchestration.build_inputs import inputs_digest
from orchestration.dbt_inprocess import project_manifest, run_target_path, stream_build_events
from orchestration.defs.progress import report
from orchestration.defs.raw import raw_asset_key
from orchestration.defs.resources import WarehouseResource, dbt_project, environment
from orchestration.publish import read_state, write_state
from orchestration.quality import prewarm


class DbtBuildConfig(dg.Config):
    """What a run of the dbt step varies (run config ``ops.cxcs_dbt_models.config``)."""

    full_refresh: bool = False  # rebuild incremental models from scratch (dbt --full-refresh)
    # A dbt selection (e.g. "product_usage_daily+", "tag:x"): its incremental models rebuilt from
    # scratch in this build, every other model built as usual (dbt var full_refresh_models).
    full_refresh_select: str = ""
    as_of_date: str = ""  # YYYY-MM-DD: the day the marts report as "today" (dbt var as_of_date); "" = today


def as_of(config: DbtBuildConfig) -> date:
    """The run's as-of date: the configured one, else today in UTC (what the models' own default,
    macros/as_of_date.sql, would take)."""
    return date.fromisoformat(config.as_of_date) if config.as_of_date else datetime.now(UTC).date()


def full_refresh_models(config: DbtBuildConfig, manifest: Mapping[str, Any]) -> list[str]:
    """The models of the run config's ``full_refresh_select``, resolved by dbt's own selector
    (through dagster-dbt, on the parsed manifest); a selection that names no model is an error."""
    if not config.full_refresh_select.strip():
        return []
    ids = select_unique_ids(
        select=config.full_refresh_select, exclude="", selector="", project=dbt_project, manifest_json=manifest
    )
    names = sorted(manifest["nodes"][i]["name"] for i in ids if i.startswith("model."))
    if not names:
        raise dg.Failure(f"full_refresh_select {config.full_refresh_select!r} selects no dbt model")
    return names


def dbt_build_args(config: DbtBuildConfig, rebuild: list[str] | None = None) -> list[str]:
    # Unit tests check SQL logic on fixed inputs: they run in development and CI (pytest runs
    # `dbt build` with them), not again on every scheduled refresh of unchanged code.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    # Always explicit: the build uses exactly the date its inputs digest records.
    dbt_vars: dict[str, Any] = {"as_of_date": as_of(config).isoformat()}
    if rebuild:
        dbt_vars["full_refresh_models"] = rebuild
    return [*args, "--vars", json.dumps(dbt_vars)]


def nothing_new(context: dg.AssetExecutionContext, config: DbtBuildConfig, warehouse: WarehouseResource) -> bool:
    """Whether this run's inputs are those the current publication was built from (then the
    build, the gate and the publish step would only reproduce it: orchestration.build_inputs).
    Records the inputs in the build state either way; a full refresh (of all or a selection)
    always builds."""
    settings = warehouse.settings
    inputs = inputs_digest(settings.build_path, as_of(config))
    state = read_state(settings.build_path) or {}
    unchanged = (
        not config.full_refresh
        and not config.full_refresh_select.strip()
        and state.get("run_id") == context.run_id
        and state.get("published_inputs") == inputs
        and settings.published_path.exists()
    )
    if unchanged:
        # The build file is the published build (begin_build continued from it, nothing loaded).
        write_state(settings.build_path, "published", state["published_run_id"], inputs=inputs)
        report(
            context,
            "build",
            f"nothing new since the publication of run {state['published_run_id']} (same raw batches, code and "
            f"as-of date {as_of(config)}): dbt, the quality gate and the publish step are skipped; "
            f"{settings.published_path} keeps serving",
        )
    else:
        write_state(settings.build_path, "building", context.run_id, inputs=inputs)
    return unchanged


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
def cxcs_dbt_models(
    context: dg.AssetExecutionContext, config: DbtBuildConfig, warehouse: WarehouseResource
) -> Iterator[Any]:
    if nothing_new(context, config, warehouse):
        return  # no output: the gate, publish and scorecard steps downstream are skipped
    # The gate's Great Expectations import (seconds) overlaps the build; a run with nothing new
    # never needs it.
    prewarm()
    # dbt runs in this process (orchestration.dbt_inprocess: why, and what it saves) and prints
    # its own per-node progress; dagster-dbt turns each result into asset events as it finishes.
    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    # The assets selected in this run (all of them for the `refresh` job; a subset when
    # materialised from the UI), as dagster-dbt's own CLI invocation selects them.
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=context.op.tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=context.op.tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=context.op.tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=None,
    )
    rebuild = full_refresh_models(config, manifest)
    if rebuild:
        report(context, "build", f"rebuilt from scratch in this build: {', '.join(rebuild)}")
    args = [*dbt_build_args(config, rebuild), *selection, *(["--indirect-selection", indirect] if indirect else [])]
    target_path = run_target_path(context.run.run_id)
    # profiles.yml reads the build path and the memory limit from the environment: the warehouse's.
    with environment(warehouse.settings.dbt_env()):
        parsed = project_manifest(database=warehouse.settings.build_path.stem)
        for raw_event in stream_build_events(args, parsed, target_path):
            event = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
            yield from event.to_default_asset_events(
                manifest=manifest, dagster_dbt_translator=translator, context=context, target_path=target_path
            )


MART_KEYS = {key.path[-1]: key for key in cxcs_dbt_models.keys if key.path[0] == "marts"}
