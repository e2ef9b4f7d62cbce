"""A real `dbt build` of part of the project into a test's own DuckDB file (used by the
fixture-based mart tests: hand-made landing data, real loader, real dbt)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")


@dataclass
class Build:
    database: Path
    target_path: Path
    result: subprocess.CompletedProcess[str]
    extra: dict[str, Any] = field(default_factory=dict)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def statuses(self) -> dict[str, str]:
        data = json.loads((self.target_path / "run_results.json").read_text())
        return {r["unique_id"]: r["status"] for r in data["results"]}


def run_dbt(
    database: Path, tmp: Path, *args: str, dbt_vars: dict[str, str], expect: int = 0, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` against ``database`` on the DuckDB target, with the test's own target/ and
    logs/ under ``tmp`` (the repo's stay untouched: dagster-dbt reads the repo's manifest).
    Fails the test unless dbt exits with ``expect``."""
    env = {
        **os.environ,
        "CXCS_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
    }
    result = subprocess.run(
        [
            DBT,
            *args,
            "--profiles-dir",
            str(PROJECT_DIR),
            "--project-dir",
            str(PROJECT_DIR),
            "--target",
            "duckdb",
            "--vars",
            json.dumps(dbt_vars),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == expect, result.stdout[-6000:] + result.stderr[-2000:]
    return result


def dbt_build(database: Path, tmp: Path, select: list[str], dbt_vars: dict[str, str]) -> Build:
    """``dbt build --select <select>`` against ``database`` with only the tests whose every
    parent is built (``--indirect-selection cautious``). Fails the test when dbt fails."""
    result = run_dbt(
        database, tmp, "build", "--select", *select, "--indirect-selection", "cautious", dbt_vars=dbt_vars, timeout=600
    )
    return Build(database, tmp / "target", result)
