"""The one Dagster ``Definitions`` object: ``dagster dev`` loads this module (pyproject [tool.dagster]).

Lineage: landing files → ``raw/*`` (loaders, one asset per raw table) → dbt
models (staging → intermediate → marts, through dagster-dbt) → ``published_warehouse``
→ ``scorecard``. Write, audit, publish: the loaders and dbt write the private build file
(starting from the last publication when the previous run did not publish); dbt's tests and
the ``quality_gate`` (Great Expectations suites, blocking asset checks on every mart) audit
it; ``published_warehouse`` swaps it in only when every blocking check passed.
A ``refresh`` job covers everything; a daily schedule and a landing-folder sensor start it;
run-status sensors report failed runs and failed landing files (orchestration.defs.alerts).
A ``history`` job rebuilds the marts as of past month-ends (``marts_history``, monthly partitions).
Each concern is a module of ``orchestration.defs``; this module only puts them together.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.alerts import alert_sensors
from orchestration.defs.automation import daily_refresh, landing_files_sensor, refresh_job
from orchestration.defs.dbt import cxcs_dbt_models
from orchestration.defs.history import history_job, marts_history, monthly_history
from orchestration.defs.publish import published_warehouse
from orchestration.defs.quality import quality_gate
from orchestration.defs.raw import raw_landing_files
from orchestration.defs.resources import resources
from orchestration.defs.scorecard import scorecard

defs = dg.Definitions(
    assets=[raw_landing_files, cxcs_dbt_models, published_warehouse, scorecard, marts_history],
    asset_checks=[quality_gate],
    jobs=[refresh_job, history_job],
    schedules=[daily_refresh, monthly_history],
    sensors=[landing_files_sensor, *alert_sensors],
    resources=resources,
)

__all__ = ["defs", "landing_files_sensor"]
