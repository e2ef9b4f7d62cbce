"""Shared fixtures: one real published warehouse that the gate and publish tests copy."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests_py.demo_warehouse import bad_rows_demo, run_cli

# The CLI as the gate, publish and trust tests call it (tests_py.demo_warehouse.run_cli).
run_cxcs = run_cli


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
