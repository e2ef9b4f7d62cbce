"""One small demo warehouse per test session, built for real: generated landing files and the
`cxcs refresh` CLI (the Dagster job: loaders, dbt build, publish, scorecard).

The semantic-layer and scorecard tests both read it; the first caller builds it under
pytest's session temp folder and later callers reuse it. 60 accounts over 430 days, so
there are 12-month retention values, churn, reactivations and several cohorts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
END_DATE = date(2026, 6, 30)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def published_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(landing folder, warehouse folder) of the session's demo, built on first use."""
    from orchestration.demo_data import generate

    root = tmp_path_factory.getbasetemp() / "published_demo"
    landing, warehouse = root / "landing", root / "warehouse"
    if (warehouse / "cxcs.duckdb").exists():
        return landing, warehouse
    generate(out=landing, accounts=60, days=430, seed=23, end_date=END_DATE)
    result = run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    published = warehouse / "cxcs.duckdb"
    assert f"published warehouse: {published}" in result.stdout
    assert f"scorecard: {warehouse / 'scorecard.html'}" in result.stdout
    return landing, warehouse
