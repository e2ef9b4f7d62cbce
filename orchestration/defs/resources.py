"""What the assets share: the dbt project and the dbt CLI resource."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.config import PROJECT_DIR

dbt_project = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
# `dagster dev` re-parses on start; `cxcs refresh` and `make setup` parse before loading the definitions.
dbt_project.prepare_if_dev()

# The dbt of this environment, whether or not .venv/bin is on PATH.
dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))

resources = {"dbt": dbt_resource}
