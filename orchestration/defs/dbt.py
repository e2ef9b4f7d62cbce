"""dbt models, seeds and tests as Dagster assets and asset checks (dagster-dbt)."""

import json
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.defs.raw import raw_asset_key
from orchestration.defs.resources import WarehouseResource, dbt_project, environment


class DbtBuildConfig(dg.Config):
    """What a run of the dbt step varies (run config ``ops.cxcs_dbt_models.config``)."""

    full_refresh: bool = False  # rebuild incremental models from scratch (dbt --full-refresh)
    as_of_date: str = ""  # YYYY-MM-DD: the day the marts report as "today" (dbt var as_of_date); "" = today


def dbt_build_args(config: DbtBuildConfig) -> list[str]:
    # Unit tests check SQL logic on fixed inputs: they run in development and CI (pytest runs
    # `dbt build` with them), not again on every scheduled refresh of unchanged code.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    if config.as_of_date:
        args += ["--vars", json.dumps({"as_of_date": config.as_of_date})]
    return args


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
    context: dg.AssetExecutionContext, config: DbtBuildConfig, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    # dbt prints its own per-node progress; dagster-dbt turns each result into asset events.
    # profiles.yml reads the build path and memory limit from dbt's environment: the warehouse's.
    with environment(warehouse.settings.dbt_env()):
        yield from dbt.cli(dbt_build_args(config), context=context).stream()


MART_KEYS = {key.path[-1]: key for key in cxcs_dbt_models.keys if key.path[0] == "marts"}
