"""Source adapters (orchestration.adapters): Segment and Amplitude exports load into the native
raw tables with the loader's guarantees, accounts resolve through landing/mappings/account_map.csv,
and the same demo in each format builds the same marts as the native contract."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dbt_build import run_dbt

from orchestration.demo_data import generate
from orchestration.loading import load_landing

END = date(2026, 6, 30)
DEMO = {"accounts": 6, "days": 20, "seed": 5, "end_date": END}
FORMATS = ("native", "segment", "amplitude")
# The contract columns compared in raw (properties as normalised JSON: the converter re-serialises it).
RAW_COLUMNS = {
    "product_events": "event_id, account_id, user_id, event_name, occurred_at, received_at, "
    "cast(json(properties) as varchar)",
    "product_users": "user_id, account_id, email, role, created_at",
}


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same small demo in each format, loaded by the real loader and built by real dbt."""
    built = {}
    for fmt in FORMATS:
        folder = tmp_path_factory.mktemp(fmt)
        generate(out=folder / "landing", formats=() if fmt == "native" else (fmt,), **DEMO)
        database = folder / "cxcs.duckdb"
        with duckdb.connect(str(database)) as conn:
            summary = load_landing(conn, folder / "landing")
        assert not summary.has_failures, summary.format()
        run_dbt(database, folder, "seed", dbt_vars={"as_of_date": END.isoformat()})
        run_dbt(database, folder, "run", dbt_vars={"as_of_date": END.isoformat()})
        built[fmt] = database
    return built


def _differences(conn: duckdb.DuckDBPyConnection, a: str, b: str, relation: str, columns: str = "*") -> int:
    one_way = f"select {columns} from {a}.{relation} except all select {columns} from {b}.{relation}"
    other_way = f"select {columns} from {b}.{relation} except all select {columns} from {a}.{relation}"
    return conn.execute(f"select (select count(*) from ({one_way})) + (select count(*) from ({other_way}))").fetchone()[0]


@pytest.mark.parametrize("fmt", ["segment", "amplitude"])
def test_each_format_builds_the_native_marts(demos: dict[str, Path], fmt: str) -> None:
    with duckdb.connect() as conn:
        conn.execute(f"attach '{demos['native']}' as native (read_only)")
        conn.execute(f"attach '{demos[fmt]}' as other (read_only)")
        for table, columns in RAW_COLUMNS.items():
            assert conn.execute(f"select count(*) from native.raw.{table}").fetchone()[0] > 0
            assert _differences(conn, "native", "other", f"raw.{table}", columns) == 0, table
        marts = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'native' and table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        assert "product_usage_daily" in marts and "cs_account_health_daily" in marts
        different = [m for m in marts if _differences(conn, "native", "other", f"marts.{m}")]
        assert different == []
