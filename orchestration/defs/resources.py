"""What the assets share: the warehouse (paths, DuckDB settings, the refresh lock) and dbt."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtProject

from orchestration.config import PROJECT_DIR, Settings, get_settings
from orchestration.dbt_manifest import prepare_dbt_manifest
from orchestration.publish import begin_build, release_build_lock


class WarehouseResource(dg.ConfigurableResource):
    """Where a run reads and writes. Defaults: the environment (orchestration.config);
    ``cxcs refresh`` sets them per run through the run config's ``resources.warehouse``."""

    landing_dir: str
    warehouse_dir: str
    build_path: str
    duckdb_memory_limit: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            landing_dir=str(settings.landing_dir),
            warehouse_dir=str(settings.warehouse_dir),
            build_path=str(settings.build_path),
            duckdb_memory_limit=settings.duckdb_memory_limit or "",
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            Path(self.landing_dir), Path(self.warehouse_dir), Path(self.build_path), self.duckdb_memory_limit or None
        )

    def begin_build(self, run_id: str, say: Callable[[str], None]) -> str:
        """Take the warehouse's refresh lock and ready the build file (orchestration.publish)."""
        settings = self.settings
        settings.build_path.parent.mkdir(parents=True, exist_ok=True)
        return begin_build(settings.build_path, settings.published_path, run_id, say)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        # The lock is held from the load to the publish; the run's end (success or not) drops it.
        release_build_lock()


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in os.environ for the duration: dbt (run in this process) reads its environment
    from os.environ, and profiles.yml reads the build path and the memory limit from it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
# Under `dagster dev`, parse first so the UI shows the models on disk. Not dbt_project.prepare_if_dev():
# its DbtCliResource looks for `dbt` on PATH, which `make dev` (.venv/bin/dagster, .venv/bin not
# on PATH) does not have; ours uses this environment's dbt and skips an unchanged project.
# `cxcs refresh` and `make setup` parse before they load the definitions.
if dbt_project.preparer.using_dagster_dev():
    prepare_dbt_manifest()

# No DbtCliResource: the dbt asset runs dbt in this process (orchestration.dbt_inprocess).
resources = {"warehouse": WarehouseResource.from_settings(get_settings())}
