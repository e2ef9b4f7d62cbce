"""Shared fixtures: one real published warehouse that the gate and publish tests copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

GATE_END_DATE = date(2026, 6, 30)


def run_cxcs(*args: str, env: dict[str, str] | None = None, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    """The real `cxcs` CLI in a subprocess (its own DuckDB, dbt and Dagster)."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


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
    from orchestration.demo_data import generate

    root = tmp_path_factory.mktemp("published_demo")
    landing, warehouse = root / "landing", root / "warehouse"
    generate(out=landing, accounts=20, days=40, seed=11, end_date=GATE_END_DATE, bad_rows=True)
    result = run_cxcs("refresh", "--landing", str(landing), "--warehouse", str(warehouse))
    # 2: published, and the demo's unreadable files are listed as failed.
    assert result.returncode == 2, result.stdout[-4000:] + result.stderr[-4000:]
    assert (warehouse / "cxcs.duckdb").exists()
    return PublishedDemo(landing=landing, warehouse=warehouse, stdout=result.stdout, stderr=result.stderr)


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
