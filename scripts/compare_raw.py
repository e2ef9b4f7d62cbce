"""Compare schema ``raw`` of two warehouses row for row (``except all`` both ways).

Proves that a change to the loader loads the same rows, quarantines the same rows with the
same raw text and reasons, and writes the same manifest:

    .venv/bin/python scripts/compare_raw.py BEFORE.duckdb AFTER.duckdb

Every table of schema ``raw`` is compared without its load-time columns (``_loaded_at``,
``quarantined_at``, ``started_at``, ``finished_at``: when the load ran, not what it loaded).
Prints one line per table and exits 1 when a table, a column list or a row differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

# Run as a script (scripts/ on the path) or imported by the tests (the project root on it).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scripts.compare_marts import except_all_counts  # noqa: E402

LOAD_TIME_COLUMNS = {"_loaded_at", "quarantined_at", "started_at", "finished_at"}


def _columns(conn: duckdb.DuckDBPyConnection, db: str) -> dict[str, list[str]]:
    rows = conn.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = ? and schema_name = 'raw' order by table_name, column_index",
        [db],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        if column not in LOAD_TIME_COLUMNS:
            tables.setdefault(table, []).append(column)
    return tables


def compare(before_path: str, after_path: str) -> bool:
    conn = duckdb.connect()
    conn.execute(f"attach '{before_path}' as b (read_only)")
    conn.execute(f"attach '{after_path}' as a (read_only)")
    before, after = _columns(conn, "b"), _columns(conn, "a")
    same = before.keys() == after.keys()
    for table in sorted(before.keys() | after.keys()):
        if before.get(table) != after.get(table):
            print(f"raw.{table}: columns differ")
            same = False
            continue
        columns = ", ".join(f'"{c}"' for c in before[table])
        rows = conn.execute(f"select count(*) from b.raw.{table}").fetchone()[0]
        only_b, only_a = except_all_counts(
            conn, f"select {columns} from b.raw.{table}", f"select {columns} from a.raw.{table}"
        )
        print(f"raw.{table}: {rows} rows, {only_b} only before, {only_a} only after")
        same = same and only_b == 0 and only_a == 0
    return same


if __name__ == "__main__":
    sys.exit(0 if compare(sys.argv[1], sys.argv[2]) else 1)
