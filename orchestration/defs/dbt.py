"""dbt models, seeds and tests as Dagster assets and asset checks (dagster-dbt)."""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.defs.raw import raw_asset_key
from orchestration.defs.resources import dbt_project


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


MART_KEYS = {key.path[-1]: key for key in cxcs_dbt_models.keys if key.path[0] == "marts"}
