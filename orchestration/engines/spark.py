"""Copy the validated raw schema of the DuckDB build file to Apache Spark.

Spark reads the raw tables from Parquet files: for every raw table, a folder
``<CXCS_SPARK_DIR>/raw/<table>/`` registered in the Spark metastore as the external
table ``raw.<table>`` (``using parquet``).  A copy writes the batches Spark does not
hold yet as one Parquet file per table, written by DuckDB, named by its batch range
(``batches_<first>_<last>.parquet``) and renamed into place when complete (Spark skips
files whose names start with a dot).

Same guarantees as the PostgreSQL copy, with files instead of a transaction:
* the manifest file of a range is written last, and what the manifest files list is
  what Spark holds; a file of a range after the last manifest file (a copy that died
  half-way) is removed before the next copy, so a batch never arrives twice or partly;
* each file content loaded once, quarantined rows and failed files come along as they
  are in the build file (``raw.load_quarantine``, ``raw.load_manifest``).

Timestamps are written as instants (UTC) and read by Spark with the session time zone
UTC, so a raw timestamp reads the same wall time on every engine.

Registering the tables needs a Spark session: it runs in a child process
(``python -m orchestration.engines.spark``), so that its JVM, which holds the local
metastore's lock (Derby), has exited before dbt starts its own session.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.config import PROJECT_DIR
from orchestration.engines import CopySummary
from orchestration.engines.raw_copy import RawTable, batches_to_copy, export_select, raw_tables, source_manifest
from orchestration.raw_schema import MANIFEST_TABLE, RAW_SCHEMA

Progress = Callable[[str], None]

# DuckDB type -> Spark SQL type; DECIMAL(p, s), DATE, BOOLEAN, BIGINT, TIMESTAMP are spelled alike.
TYPE_MAP = {"VARCHAR": "string"}
FILE_PATTERN = re.compile(r"^batches_(\d+)_(\d+)\.parquet$")
MANIFEST = MANIFEST_TABLE.split(".")[1]


def spark_dir(env: Mapping[str, str] | None = None) -> Path:
    """Folder of the Spark metastore and table files (``CXCS_SPARK_DIR``, default data/spark)."""
    env = os.environ if env is None else env
    path = Path(env.get("CXCS_SPARK_DIR", "data/spark")).expanduser()
    return (path if path.is_absolute() else PROJECT_DIR / path).resolve()


def spark_conf(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The Spark settings of the ``spark`` target in profiles.yml (keep the two alike)."""
    env = os.environ if env is None else env
    base = spark_dir(env)
    return {
        "spark.master": env.get("CXCS_SPARK_MASTER", "local[2]"),
        "spark.driver.memory": env.get("CXCS_SPARK_DRIVER_MEMORY", "3g"),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.warehouse.dir": str(base / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": f"jdbc:derby:;databaseName={base}/metastore_db;create=true",
        # Local mode, short queries on small data: C1 JIT only, no whole-stage codegen (profiles.yml).
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={base} -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m",
        "spark.sql.legacy.createHiveTableByDefault": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.codegen.wholeStage": "false",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }


def _ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def spark_type(duckdb_type: str) -> str:
    return TYPE_MAP.get(duckdb_type, duckdb_type.lower())


def _files(folder: Path) -> list[tuple[int, int, Path]]:
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = FILE_PATTERN.match(path.name)
            if match:
                found.append((int(match.group(1)), int(match.group(2)), path))
    return sorted(found)


def _held_manifest(duck: duckdb.DuckDBPyConnection, raw_dir: Path) -> dict[int, str]:
    files = _files(raw_dir / MANIFEST)
    if not files:
        return {}
    paths = ", ".join(f"'{path}'" for *_, path in files)
    return dict(duck.execute(f"select batch_id, sha256 from read_parquet([{paths}])").fetchall())


def _remove_orphans(raw_dir: Path, tables: list[RawTable], held: int, say: Progress) -> None:
    """Files of batches after the last one the manifest lists: left by a copy that died."""
    for table in tables:
        for first, _last, path in _files(raw_dir / table.name):
            if first > held:
                say(f"{table.name}: removing {path.name} (a copy that did not finish)")
                path.unlink()
        for leftover in (raw_dir / table.name).glob(".*.parquet"):
            leftover.unlink()


def copy_raw_to_spark(
    duck: duckdb.DuckDBPyConnection,
    *,
    full_refresh: bool = False,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    register: bool = True,
) -> CopySummary:
    """Write the batches Spark does not hold yet as Parquet files and register the raw tables."""
    say = progress or (lambda _message: None)
    started = time.monotonic()
    summary = CopySummary(target="spark")
    raw_dir = spark_dir(env) / RAW_SCHEMA
    tables = raw_tables(duck)  # the manifest last
    if full_refresh:
        for table in tables:
            for *_, path in _files(raw_dir / table.name):
                path.unlink()
    held_manifest = _held_manifest(duck, raw_dir)
    held, batches = batches_to_copy(source_manifest(duck), held_manifest)
    _remove_orphans(raw_dir, tables, held, say)
    duck.execute("set TimeZone = 'UTC'")
    for table in tables:
        folder = raw_dir / table.name
        folder.mkdir(parents=True, exist_ok=True)
        summary.rows[table.name] = 0
        if not batches:
            continue
        count = duck.execute(
            f"select count(*) from {RAW_SCHEMA}.{table.name} where {table.batch_column} > {held}"
        ).fetchone()[0]
        summary.rows[table.name] = count
        if not count:
            continue
        name = f"batches_{held + 1:09d}_{max(batches):09d}.parquet"
        tmp = folder / f".{name}"
        duck.execute(f"copy ({_as_instants(export_select(table, held), table)}) to '{tmp}' (format parquet)")
        os.replace(tmp, folder / name)
        say(f"{table.name}: {count:,} rows")
    if register:
        register_tables(tables, env)
    summary.batches = batches
    summary.seconds = time.monotonic() - started
    return summary


def _as_instants(query: str, table: RawTable) -> str:
    """Timestamps as instants (Parquet isAdjustedToUTC), which Spark reads as its timestamp type."""
    columns = ", ".join(
        f"cast({name} as timestamptz) as {name}" if typ == "TIMESTAMP" else name for name, typ in table.columns
    )
    return f"select {columns} from ({query}) as batch_rows"


def table_ddl(table: RawTable, folder: Path) -> str:
    body = ", ".join(f"{name} {spark_type(typ)}" for name, typ in table.columns)
    return f"create table {RAW_SCHEMA}.{table.name} ({body}) using parquet location '{folder}'"


def register_tables(tables: list[RawTable], env: Mapping[str, str] | None = None) -> bool:
    """Create schema raw and every raw table in the Spark metastore (in a child process).

    Skipped (returns False) when the metastore already holds exactly these definitions:
    the marker file ``raw/.registered`` keeps the hash of the last statements run.  New
    Parquet files of a registered table need no statement: a new Spark session lists the
    table's folder when it reads it."""
    base = spark_dir(env)
    raw_dir = base / RAW_SCHEMA
    statements = [f"create schema if not exists {RAW_SCHEMA}"]
    for table in tables:
        # External tables: dropping one keeps its files; it is re-created with the current columns.
        statements += [f"drop table if exists {RAW_SCHEMA}.{table.name}", table_ddl(table, raw_dir / table.name)]
    signature = hashlib.sha256("\n".join(statements).encode()).hexdigest()
    marker = raw_dir / ".registered"
    if (base / "metastore_db").is_dir() and marker.exists() and marker.read_text().strip() == signature:
        return False
    run_in_spark(statements, env=env)
    raw_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(signature + "\n")
    return True


def run_in_spark(
    statements: list[str],
    queries: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run statements, then queries, in a Spark session of the ``spark`` target's settings, in
    a child process.  Returns {name: {"columns": [...], "types": [...], "rows": [[...], ...]}},
    values as JSON (decimals, dates and timestamps as text; timestamps in UTC)."""
    with tempfile.TemporaryDirectory(prefix="cxcs-spark-") as tmp:
        output = Path(tmp) / "results.json"
        payload = json.dumps(
            {"conf": spark_conf(env), "statements": statements, "queries": dict(queries or {}), "output": str(output)}
        )
        # TZ: pyspark turns timestamps into Python datetimes in the process's local time zone.
        child_env = {**(os.environ if env is None else env), "SPARK_LOCAL_IP": "127.0.0.1", "TZ": "UTC"}
        subprocess.run(
            [sys.executable, "-m", "orchestration.engines.spark"],
            input=payload,
            text=True,
            check=True,
            cwd=_ensure_dir(spark_dir(env)),
            env=child_env,
        )
        return json.loads(output.read_text()) if output.exists() else {}


def _json_value(value: Any) -> Any:
    if isinstance(value, (Decimal, datetime.date, datetime.datetime)):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return value


def _run_child() -> None:
    """Child process: run the statements and queries read as JSON from stdin in a Spark
    session, write the query results to the output file, then exit (and with it the JVM)."""
    from pyspark.sql import SparkSession  # installed with `uv sync --extra spark`

    payload = json.load(sys.stdin)
    builder = SparkSession.builder.appName("cxcs").enableHiveSupport()
    for key, value in payload["conf"].items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:
        for statement in payload["statements"]:
            session.sql(statement)
        results = {}
        for name, query in payload.get("queries", {}).items():
            frame = session.sql(query)
            results[name] = {
                "columns": frame.columns,
                "types": [field.dataType.simpleString() for field in frame.schema.fields],
                "rows": [[_json_value(value) for value in row] for row in frame.collect()],
            }
        if payload.get("output"):
            Path(payload["output"]).write_text(json.dumps(results))
    finally:
        session.stop()


if __name__ == "__main__":
    _run_child()
