"""Shared fixtures: one real published warehouse that the gate and publish tests copy."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import ENTITIES
from tests_py.demo_warehouse import bad_rows_demo, run_cli

# The CLI as the gate, publish and trust tests call it (tests_py.demo_warehouse.run_cli).
run_cxcs = run_cli

# The published marts of the marts spec (the BI interface), by area: the area tests check
# theirs, the gate test that every one has a suite.
CX_MARTS = (
    "fct_survey_responses",
    "cx_nps_monthly",
    "cx_csat_monthly",
    "cx_ces_monthly",
    "cx_response_rates_monthly",
    "cx_acquisition_monthly",
)
CS_REVENUE_MARTS = (
    "fct_mrr_movements",
    "cs_revenue_monthly",
    "cs_cohort_retention",
    "cs_clv",
    "cs_clv_segments",
    "cs_renewals",
)
SPEC_MARTS = {
    "dim_accounts",
    "customer_360",
    *CX_MARTS,
    *CS_REVENUE_MARTS,
    "product_usage_daily",
    "product_feature_adoption",
    "cs_onboarding",
    "cs_account_health_daily",
    "cs_health_backtest",
    "cs_playbook_alerts",
    # Issue #18: the sBG retention model (DuckDB only) and the Kaplan-Meier curves.
    "cs_retention_model",
    "cs_retention_curves",
    "cs_survival_curves",
    "cx_verbatims",  # issue 17 (voice of the customer)
    "cx_comment_themes",
    "cx_emerging_themes",
    "cx_themes_monthly",
    "cx_key_drivers",
    "cx_support_monthly",  # issue 16: support as a CX touchpoint
    # The key-driver Python model's input: a table (dbt Python models cannot read ephemeral models).
    "int_cx__driver_observations",
    # Issue 18 section 4: the learned churn risk (DuckDB only) and its features table.
    "cs_churn_risk",
    "cs_churn_model_evaluation",
    "cs_churn_model_coefficients",
    "int_churn__features",
}


# The modules that take longest, longest first (seconds of one worker in `.ci/run`, 2026-12-07:
# engines 249 when enabled, history 174, serve 104, publish 89, semantic layer 85, bench 78, ...).
# `make test` runs them first (`--dist loadfile --no-loadscope-reorder` keeps this order): the
# short modules fill the other worker's gaps and the end of the run, instead of a long module
# starting last and running alone while the other core idles (longest processing time first).
HEAVY_MODULES = (
    "test_engines.py",
    "test_history.py",
    "test_serve.py",
    "test_publish.py",
    "test_semantic_layer.py",
    "test_bench.py",
    "test_adoption_health.py",
    "test_quality_gate.py",
    "test_pipeline.py",
    "test_dbt_project.py",
    "test_as_of.py",
    "test_loading_fast.py",
    "test_adapters_equality.py",
    "test_run_config.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(HEAVY_MODULES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@dataclass(frozen=True)
class PublishedDemo:
    """A bad-rows demo landing set, refreshed once through the CLI: a published warehouse."""

    landing: Path
    warehouse: Path
    stdout: str
    stderr: str

    def copy(self, target: Path) -> tuple[Path, Path]:
        """Copy landing and warehouse (build file, its state, publication) under ``target``."""
        landing, warehouse = target / "landing", target / "warehouse"
        shutil.copytree(self.landing, landing)  # copy2 keeps mtimes: the loader skips known files
        shutil.copytree(self.warehouse, warehouse)
        return landing, warehouse


@pytest.fixture(scope="session")
def published_demo(tmp_path_factory: pytest.TempPathFactory) -> PublishedDemo:
    """The session's bad-rows demo (tests_py.demo_warehouse.bad_rows_demo), built once for every
    worker; tests copy it before changing anything."""
    landing, warehouse, outcome = bad_rows_demo(tmp_path_factory)
    return PublishedDemo(landing=landing, warehouse=warehouse, stdout=outcome["stdout"], stderr=outcome["stderr"])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def held_by_another_process(take_lock: str) -> Iterator[None]:
    """The with-block runs while another Python process holds a lock: it runs ``take_lock``
    (statements that take it), says so, and sleeps until killed; the OS then drops the lock,
    as for a refresh that died."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"{textwrap.dedent(take_lock)}\nprint('locked', flush=True)\nimport time\ntime.sleep(300)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


def raw_rows_by_batch(conn: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], int]:
    """{(raw table, batch id): rows in raw} over every entity: what the loader kept of each file,
    to compare with the load manifest and the quarantine."""
    return {
        (e.table, batch): n
        for e in ENTITIES
        for batch, n in conn.execute(f"select _batch_id, count(*) from raw.{e.table} group by 1").fetchall()
    }


# The loader tests' fixtures (test_loading*.py): a DuckDB file and an empty landing folder.
@pytest.fixture
def conn(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder
