"""Read query results from any target as the same Python values, to compare engines.

Every engine returns a result as (column names, rows) with values of one kind per SQL
type: ``Decimal`` for decimals, ``int``, ``float``, ``bool``, ``str``, ``datetime.date``,
``datetime.datetime`` (naive, UTC) and ``None``.  Decimals are normalised (``3.50`` and
``3.5`` are the same number; the published scale is the contract's business, checked by
dbt on each engine).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        normalised = value.normalize()
        # normalize() writes 100 as 1E+2: keep integral values in plain notation.
        return normalised.quantize(Decimal(1)) if normalised == normalised.to_integral_value() else normalised
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


def _from_spark(value: Any, spark_type: str) -> Any:
    if value is None:
        return None
    if spark_type.startswith("decimal"):
        return Decimal(value)
    if spark_type == "date":
        return datetime.date.fromisoformat(value)
    if spark_type.startswith("timestamp"):
        return datetime.datetime.fromisoformat(value)
    return value


def fetch(
    target: str,
    queries: Mapping[str, str],
    *,
    duckdb_path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Result]:
    """Run each query on `target` (duckdb: the file `duckdb_path`; postgres and spark: the
    profile's connection settings from the environment) and return the canonical results."""
    env = os.environ if env is None else env
    results: dict[str, Result] = {}
    if target == "duckdb":
        if duckdb_path is None:
            raise ValueError("fetch from duckdb needs duckdb_path")
        with duckdb.connect(str(duckdb_path), read_only=True) as conn:
            for name, sql in queries.items():
                cursor = conn.execute(sql)
                columns = tuple(d[0] for d in cursor.description)
                results[name] = Result(columns, tuple(tuple(canonical(v) for v in row) for row in cursor.fetchall()))
    elif target == "postgres":
        from orchestration.engines.postgres import connect

        pg = connect(env)
        try:
            with pg.cursor() as cur:
                for name, sql in queries.items():
                    cur.execute(sql)
                    columns = tuple(d.name for d in cur.description)
                    results[name] = Result(columns, tuple(tuple(canonical(v) for v in row) for row in cur.fetchall()))
        finally:
            pg.close()
    elif target == "spark":
        from orchestration.engines.spark import run_in_spark

        for name, raw in run_in_spark([], queries, env=env).items():
            types = raw["types"]
            rows = tuple(
                tuple(canonical(_from_spark(value, types[i])) for i, value in enumerate(row)) for row in raw["rows"]
            )
            results[name] = Result(tuple(raw["columns"]), rows)
    else:
        raise ValueError(f"unknown target {target!r}")
    return results
