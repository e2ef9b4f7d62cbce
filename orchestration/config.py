"""Where things live.  Every path can be set by an environment variable.

| variable              | default                   | what                                      |
|-----------------------|---------------------------|-------------------------------------------|
| CXCS_LANDING_DIR      | data/landing              | landing folder the loaders read           |
| CXCS_WAREHOUSE_DIR    | data/warehouse            | holds the published cxcs.duckdb           |
| CXCS_DUCKDB_PATH      | <warehouse>/build/cxcs.duckdb | private build file dbt writes         |
| CXCS_DUCKDB_MEMORY_LIMIT | DuckDB's default (80% of RAM) | memory_limit of the loader's and dbt's DuckDB connections, e.g. 4GB; DuckDB spills to ``<build file>.tmp`` beyond it |
| CXCS_EARLIEST_PLAUSIBLE | 2000-01-01                | a timestamp or date before it is quarantined as ``implausible_timestamp`` |
| CXCS_MAX_FUTURE_HOURS | 24                        | a "when it happened" timestamp more than this many hours after the load time is quarantined |

BI tools read only ``<warehouse>/cxcs.duckdb``; the build file is private to the
pipeline (loaders and dbt write it; it is copied to the published file when a
run succeeds).  The build file has the same file name as the published one on purpose: DuckDB
names a database (catalog) after its file, and dbt-duckdb's views refer to
``<catalog>.<schema>.<table>``, so a copy under another name would break them.
Values are read when called, not at import, so a CLI flag that
sets the environment takes effect.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
PUBLISHED_FILE_NAME = "cxcs.duckdb"


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    build_path: Path

    @property
    def published_path(self) -> Path:
        return self.warehouse_dir / PUBLISHED_FILE_NAME


def dbt_executable() -> str:
    """The dbt of this Python environment: ``dbt`` beside the running interpreter, else on PATH.

    Beside the interpreter first: ``make dev`` calls ``.venv/bin/dagster`` without ``.venv/bin``
    on PATH, and a dbt found on PATH could belong to another environment (another dbt-core)."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.is_file():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise FileNotFoundError(f"no dbt executable beside {sys.executable} nor on PATH: run `make setup`")
    return found


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_DIR / path)


def get_settings() -> Settings:
    warehouse = _resolve(os.environ.get("CXCS_WAREHOUSE_DIR", "data/warehouse"))
    build = os.environ.get("CXCS_DUCKDB_PATH")
    return Settings(
        landing_dir=_resolve(os.environ.get("CXCS_LANDING_DIR", "data/landing")),
        warehouse_dir=warehouse,
        build_path=_resolve(build) if build else warehouse / "build" / PUBLISHED_FILE_NAME,
    )


def duckdb_memory_limit() -> str | None:
    """``CXCS_DUCKDB_MEMORY_LIMIT`` (e.g. ``4GB``), or None for DuckDB's own default.

    profiles.yml reads the same variable, so the loader and dbt run under one limit."""
    value = os.environ.get("CXCS_DUCKDB_MEMORY_LIMIT", "").strip()
    return value or None


def apply_duckdb_settings(conn: duckdb.DuckDBPyConnection) -> None:
    """Set the configured DuckDB settings (the memory limit) on a connection."""
    limit = duckdb_memory_limit()
    if limit:
        conn.execute(f"set memory_limit = '{limit.replace(chr(39), '')}'")


def apply_settings(landing_dir: Path | None = None, warehouse_dir: Path | None = None) -> Settings:
    """Set the environment from CLI flags so Dagster assets and the dbt subprocess agree."""
    if landing_dir is not None:
        os.environ["CXCS_LANDING_DIR"] = str(Path(landing_dir).resolve())
    if warehouse_dir is not None:
        os.environ["CXCS_WAREHOUSE_DIR"] = str(Path(warehouse_dir).resolve())
        os.environ.pop("CXCS_DUCKDB_PATH", None)
    settings = get_settings()
    # dbt (profiles.yml) reads the build path from this variable.
    os.environ["CXCS_DUCKDB_PATH"] = str(settings.build_path)
    return settings


def earliest_plausible() -> datetime:
    """``CXCS_EARLIEST_PLAUSIBLE`` (ISO date or timestamp, UTC; default 2000-01-01): the
    loader quarantines a timestamp or date before it (a 1900-01-01 placeholder, an epoch 0)."""
    value = os.environ.get("CXCS_EARLIEST_PLAUSIBLE", "").strip() or "2000-01-01"
    return datetime.fromisoformat(value).replace(tzinfo=None)


def max_future_skew() -> timedelta:
    """``CXCS_MAX_FUTURE_HOURS`` (default 24): how far after the load time a timestamp of
    something that already happened may lie (clock skew) before it is quarantined."""
    value = os.environ.get("CXCS_MAX_FUTURE_HOURS", "").strip() or "24"
    return timedelta(hours=float(value))
