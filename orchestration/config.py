"""Every setting of the project, its default and its meaning: the one place that owns them.

A Dagster deployment (``make dev``, the schedule, the sensor) reads them from the environment
when the definitions load; ``cxcs refresh --landing/--warehouse`` passes its values to the run
as the ``warehouse`` resource's config (orchestration.defs.resources) instead of writing the
environment. dbt reads the profile's variables from the environment of the dbt process it
runs in: :meth:`Settings.dbt_env` gives them, and the code that starts dbt sets them there.

BI tools read only ``<warehouse>/cxcs.duckdb``; the build file is private to the
pipeline (loaders and dbt write it; it is copied to the published file when a
run succeeds).  The build file has the same file name as the published one on purpose: DuckDB
names a database (catalog) after its file, and dbt-duckdb's views refer to
``<catalog>.<schema>.<table>``, so a copy under another name would break them.
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
class Setting:
    env: str
    default: str  # "" = unset (the meaning says what happens then)
    meaning: str


# Every CXCS_* variable the project reads (profiles.yml, orchestration/, the engine scripts);
# the README's tables list each once (tests_py/test_settings.py checks both).
SETTINGS: tuple[Setting, ...] = (
    Setting("CXCS_LANDING_DIR", "data/landing", "landing folder the loaders read (`cxcs refresh --landing`)"),
    Setting("CXCS_WAREHOUSE_DIR", "data/warehouse", "where `cxcs.duckdb` is published (`cxcs refresh --warehouse`)"),
    Setting("CXCS_DUCKDB_PATH", "", "the private build file dbt writes; default `<warehouse>/build/cxcs.duckdb`"),
    Setting(
        "CXCS_DUCKDB_MEMORY_LIMIT",
        "",
        "DuckDB `memory_limit` of the loader's and dbt's connections (e.g. "
        "`4GB`; default DuckDB's, 80% of RAM); beyond it DuckDB spills to `<build file>.tmp/`",
    ),
    Setting("CXCS_REFRESH_CRON", "0 5 * * *", "the daily schedule (UTC)"),
    Setting(
        "CXCS_HISTORY_START", "2020-01-01", "first month the month-end history offers as a partition (`cxcs backfill`)"
    ),
    Setting(
        "CXCS_SENSOR_INTERVAL_SECONDS",
        "60",
        "how often the daemon evaluates the landing sensor and the alert sensors",
    ),
    Setting(
        "CXCS_ALERT_WEBHOOK_URL",
        "",
        'Slack-compatible incoming webhook the alerts are posted to (`{"text": ...}`); unset = `alerts.log` only',
    ),
    Setting(
        "CXCS_LOCK_RETRY_SECONDS",
        "60",
        "a run that finds the warehouse locked by another refresh retries its load once after this many seconds",
    ),
    Setting(
        "CXCS_FRESHNESS_HOURS_BILLING",
        "26",
        "billing is stale when an entity's newest loaded file is older than this (a daily feed plus 2 h)",
    ),
    Setting("CXCS_FRESHNESS_HOURS_SURVEY", "26", "the same for the survey entities"),
    Setting("CXCS_FRESHNESS_HOURS_PRODUCT", "26", "the same for the product entities"),
    Setting("CXCS_FRESHNESS_HOURS_SUPPORT", "26", "the same for the support tickets"),
    Setting("CXCS_EARLIEST_PLAUSIBLE", "2000-01-01", "a timestamp or date before it is quarantined"),
    Setting(
        "CXCS_MAX_FUTURE_HOURS",
        "24",
        "a 'when it happened' timestamp more than this many hours after the load time is quarantined",
    ),
    Setting(
        "CXCS_GATE_MAX_ROW_DROP_SHARE",
        "0.1",
        "largest share of a mart's rows a build may lose against the previous publication",
    ),
    Setting(
        "CXCS_DBT_RUNS_KEPT",
        "20",
        "dbt artifact folders (`target/cxcs_dbt_models-<run>-*`) kept; older ones, beyond a day old, are removed when a run starts",
    ),
    Setting("CXCS_BENCH_DIR", "data/bench", "the benchmark's cache and scratch folder"),
    Setting("CXCS_TEST_ENGINES", "", "the other engines `tests_py/test_engines.py` runs (postgres, spark)"),
    Setting("CXCS_PG_HOST", "127.0.0.1", "PostgreSQL server"),
    Setting("CXCS_PG_PORT", "55432", "PostgreSQL port"),
    Setting("CXCS_PG_USER", "cxcs", "PostgreSQL role (the local test server's default)"),
    Setting("CXCS_PG_PASSWORD", "cxcs", "PostgreSQL password (the local test server's default; never commit yours)"),
    Setting("CXCS_PG_DBNAME", "cxcs", "PostgreSQL database"),
    Setting("CXCS_PG_SSLMODE", "prefer", "PostgreSQL TLS"),
    Setting("CXCS_PG_THREADS", "2", "dbt threads on PostgreSQL"),
    Setting("CXCS_PG_DATA", "/tmp/cxcs-postgres", "cluster folder of `make postgres-start`"),
    Setting("CXCS_SPARK_DIR", "data/spark", "Spark metastore (Derby), table files, raw Parquet"),
    Setting("CXCS_SPARK_MASTER", "local[2]", "Spark master"),
    Setting("CXCS_SPARK_DRIVER_MEMORY", "3g", "Spark driver memory"),
    Setting("CXCS_SPARK_THREADS", "2", "dbt threads on Spark (one per core of the local master)"),
)
_DEFAULTS = {s.env: s.default for s in SETTINGS}


def setting(env: str) -> str:
    """The variable's value, or its default (an empty value counts as unset)."""
    return os.environ.get(env, "").strip() or _DEFAULTS[env]


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    build_path: Path
    duckdb_memory_limit: str | None = None

    @property
    def published_path(self) -> Path:
        return self.warehouse_dir / PUBLISHED_FILE_NAME

    def dbt_env(self) -> dict[str, str]:
        """The variables profiles.yml reads, for the environment of a dbt process."""
        return {
            "CXCS_DUCKDB_PATH": str(self.build_path),
            "CXCS_WAREHOUSE_DIR": str(self.warehouse_dir),
            "CXCS_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit or "",
        }


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


def _resolve(value: str | Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_DIR / path)


def resolve_settings(landing_dir: Path | None = None, warehouse_dir: Path | None = None) -> Settings:
    """The settings, with the given folders (CLI flags, resolved against the working directory)
    instead of the environment's. Writes nothing: a flag reaches the run as resource config."""
    if warehouse_dir is not None:
        warehouse, build = Path(warehouse_dir).resolve(), None
    else:
        warehouse, build = _resolve(setting("CXCS_WAREHOUSE_DIR")), setting("CXCS_DUCKDB_PATH")
    return Settings(
        landing_dir=Path(landing_dir).resolve() if landing_dir is not None else _resolve(setting("CXCS_LANDING_DIR")),
        warehouse_dir=warehouse,
        build_path=_resolve(build) if build else warehouse / "build" / PUBLISHED_FILE_NAME,
        duckdb_memory_limit=duckdb_memory_limit(),
    )


def get_settings() -> Settings:
    """The settings from the environment (a Dagster deployment, the sensor)."""
    return resolve_settings()


def apply_settings(landing_dir: Path | None = None, warehouse_dir: Path | None = None) -> Settings:
    """Resolve the settings and export them for child processes that read the environment.

    Only ``cxcs engine-refresh`` still needs this (its dbt runs on another engine, outside Dagster)."""
    settings = resolve_settings(landing_dir, warehouse_dir)
    os.environ["CXCS_LANDING_DIR"] = str(settings.landing_dir)
    os.environ["CXCS_WAREHOUSE_DIR"] = str(settings.warehouse_dir)
    os.environ["CXCS_DUCKDB_PATH"] = str(settings.build_path)
    return settings


def duckdb_memory_limit() -> str | None:
    """``CXCS_DUCKDB_MEMORY_LIMIT`` (e.g. ``4GB``), or None for DuckDB's own default.

    profiles.yml reads the same variable, so the loader and dbt run under one limit."""
    return setting("CXCS_DUCKDB_MEMORY_LIMIT") or None


def apply_duckdb_settings(conn: duckdb.DuckDBPyConnection, memory_limit: str | None = None) -> None:
    """Set the DuckDB settings (the memory limit: given, else configured) on a connection."""
    limit = memory_limit or duckdb_memory_limit()
    if limit:
        conn.execute(f"set memory_limit = '{limit.replace(chr(39), '')}'")


def earliest_plausible() -> datetime:
    """``CXCS_EARLIEST_PLAUSIBLE`` (ISO date or timestamp, UTC): the loader quarantines a
    timestamp or date before it (a 1900-01-01 placeholder, an epoch 0)."""
    return datetime.fromisoformat(setting("CXCS_EARLIEST_PLAUSIBLE")).replace(tzinfo=None)


def max_future_skew() -> timedelta:
    """``CXCS_MAX_FUTURE_HOURS``: how far after the load time a timestamp of something that
    already happened may lie (clock skew) before it is quarantined."""
    return timedelta(hours=float(setting("CXCS_MAX_FUTURE_HOURS")))
