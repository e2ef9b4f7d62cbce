"""What the assets share: the dbt project and the dbt CLI resource."""

from __future__ import annotations

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.config import PROJECT_DIR, dbt_executable
from orchestration.dbt_manifest import prepare_dbt_manifest

dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
# Under `dagster dev`, parse first so the UI shows the models on disk. Not dbt_project.prepare_if_dev():
# its DbtCliResource looks for `dbt` on PATH, which `make dev` (.venv/bin/dagster, .venv/bin not
# on PATH) does not have; ours uses this environment's dbt and skips an unchanged project.
# `cxcs refresh` and `make setup` parse before they load the definitions.
if dbt_project.preparer.using_dagster_dev():
    prepare_dbt_manifest()

resources = {"dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())}
