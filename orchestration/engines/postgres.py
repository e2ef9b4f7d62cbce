"""Copy the validated raw schema of the DuckDB build file to PostgreSQL.

The batches the server does not hold yet are streamed with ``COPY ... FROM STDIN`` (CSV
written by DuckDB's own writer, read by the server's COPY), every raw table, the
quarantine and the manifest in ONE transaction: a batch arrives with its rows, its
quarantined rows and its manifest row, or not at all, exactly as in the build file.  A
lock on the manifest makes concurrent copies wait for each other.

DuckDB's postgres extension would do this in SQL, but extensions are downloaded at run
time and that is not possible everywhere (e.g. no network), so the copy uses COPY over
the same connection library dbt-postgres uses (psycopg2).

Connection: the ``CXCS_PG_*`` variables that ``profiles.yml`` reads (same defaults).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from orchestration.engines import CopySummary
from orchestration.engines.raw_copy import RawTable, batches_to_copy, export_select, raw_tables, source_manifest
from orchestration.raw_schema import MANIFEST_TABLE, RAW_SCHEMA

Progress = Callable[[str], None]

# DuckDB type -> PostgreSQL type; DECIMAL(p, s), DATE, BOOLEAN, BIGINT, TIMESTAMP are spelled alike.
TYPE_MAP = {"VARCHAR": "varchar", "TIMESTAMP": "timestamp without time zone"}


def connection_params(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """psycopg2 connection keywords from the environment (the profile's variables and defaults)."""
    env = os.environ if env is None else env
    return {
        "host": env.get("CXCS_PG_HOST", "127.0.0.1"),
        "port": int(env.get("CXCS_PG_PORT", "55432")),
        "user": env.get("CXCS_PG_USER", "cxcs"),
        "password": env.get("CXCS_PG_PASSWORD", "cxcs"),
        "dbname": env.get("CXCS_PG_DBNAME", "cxcs"),
        "sslmode": env.get("CXCS_PG_SSLMODE", "prefer"),
        "connect_timeout": 10,
        "application_name": "cxcs-raw-copy",
    }


def connect(env: Mapping[str, str] | None = None):
    import psycopg2  # installed with dbt-postgres (`uv sync --extra postgres`)

    conn = psycopg2.connect(**connection_params(env))
    with conn.cursor() as cur:
        cur.execute("set time zone 'UTC'")
    conn.commit()
    return conn


def pg_type(duckdb_type: str) -> str:
    return TYPE_MAP.get(duckdb_type, duckdb_type.lower())


def _ensure_table(cur, table: RawTable) -> None:
    body = ", ".join(f"{name} {pg_type(typ)}" for name, typ in table.columns)
    cur.execute(f"create table if not exists {RAW_SCHEMA}.{table.name} ({body})")
    # A column the contract gained since the table was created.
    cur.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (RAW_SCHEMA, table.name),
    )
    present = {name for (name,) in cur.fetchall()}
    for name, typ in table.columns:
        if name not in present:
            cur.execute(f"alter table {RAW_SCHEMA}.{table.name} add column {name} {pg_type(typ)}")


def _without_nul(column: str) -> str:
    # PostgreSQL text cannot hold NUL characters (the only difference a copy makes).
    return f"replace({column}, chr(0), '')"


def copy_raw_to_postgres(
    duck: duckdb.DuckDBPyConnection,
    *,
    full_refresh: bool = False,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> CopySummary:
    """Copy the batches of the build file's raw schema that PostgreSQL does not hold yet."""
    say = progress or (lambda _message: None)
    started = time.monotonic()
    summary = CopySummary(target="postgres")
    tables = raw_tables(duck)
    source = source_manifest(duck)
    pg = connect(env)
    try:
        with pg.cursor() as cur:
            cur.execute(f"create schema if not exists {RAW_SCHEMA}")
            for table in tables:
                _ensure_table(cur, table)
            # One copy at a time; readers (dbt) are not blocked.
            cur.execute(f"lock table {MANIFEST_TABLE} in exclusive mode")
            if full_refresh:
                for table in tables:
                    cur.execute(f"truncate table {RAW_SCHEMA}.{table.name}")
            cur.execute(f"select batch_id, sha256 from {MANIFEST_TABLE}")
            held, batches = batches_to_copy(source, dict(cur.fetchall()))
            with tempfile.TemporaryDirectory(prefix="cxcs-pg-copy-") as tmp:
                for table in tables:
                    summary.rows[table.name] = _copy_table(duck, cur, table, held, Path(tmp)) if batches else 0
                    if summary.rows[table.name]:
                        say(f"{table.name}: {summary.rows[table.name]:,} rows")
        pg.commit()
        if batches:
            pg.autocommit = True
            with pg.cursor() as cur:
                for table in tables:
                    if summary.rows.get(table.name):
                        cur.execute(f"analyze {RAW_SCHEMA}.{table.name}")
    except BaseException:
        pg.rollback()
        raise
    finally:
        pg.close()
    summary.batches = batches
    summary.seconds = time.monotonic() - started
    return summary


def _copy_table(duck: duckdb.DuckDBPyConnection, cur, table: RawTable, after_batch: int, tmp: Path) -> int:
    path = tmp / f"{table.name}.csv"
    query = export_select(table, after_batch, text_expr=_without_nul)
    # DuckDB's CSV: null is an empty field, an empty string is "" (PostgreSQL's CSV reads both so).
    duck.execute(f"copy ({query}) to '{path}' (format csv, header false)")
    columns = ", ".join(table.column_names)
    with open(path, "rb") as handle:
        cur.copy_expert(
            f"copy {RAW_SCHEMA}.{table.name} ({columns}) from stdin with (format csv, header false)",
            handle,
            size=1 << 20,
        )
    copied = cur.rowcount
    path.unlink()
    return copied
