"""Compare the marts of two published warehouses row for row (``except all`` both ways).

Used to prove that a refactor leaves published data unchanged:

    .venv/bin/python scripts/compare_marts.py BEFORE/cxcs.duckdb AFTER/cxcs.duckdb

Prints one line per table of schema ``marts`` (rows, rows only in BEFORE, rows only in AFTER)
and exits 1 when a table, a column list or a row differs. ``marts.publication`` is compared
on (mart, row_count): its run id and times differ by design.
"""

from __future__ import annotations

import sys

import duckdb


def _tables(conn: duckdb.DuckDBPyConnection, db: str) -> set[str]:
    rows = conn.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = 'marts'", [db]
    ).fetchall()
    return {name for (name,) in rows}


def _columns(conn: duckdb.DuckDBPyConnection, db: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = 'marts' and table_name = ? order by column_index",
        [db, table],
    ).fetchall()


def except_all_counts(conn: duckdb.DuckDBPyConnection, before: str, after: str) -> tuple[int, int]:
    """(rows of query ``before`` not in ``after``, rows of ``after`` not in ``before``), a row
    repeated n times counting n times (``except all``): two relations are row for row the
    same when both are 0."""
    only_before = conn.execute(f"select count(*) from ({before} except all {after})").fetchone()[0]
    only_after = conn.execute(f"select count(*) from ({after} except all {before})").fetchone()[0]
    return only_before, only_after


def compare(before: str, after: str) -> int:
    conn = duckdb.connect()
    for alias, path in (("b", before), ("a", after)):
        conn.execute(f"attach '{path.replace(chr(39), chr(39) * 2)}' as {alias} (read_only)")
    tables_b, tables_a = _tables(conn, "b"), _tables(conn, "a")
    differences = len(tables_b ^ tables_a)
    if tables_b ^ tables_a:
        print(f"tables only in before: {sorted(tables_b - tables_a)}; only in after: {sorted(tables_a - tables_b)}")
    total = 0
    for table in sorted(tables_b & tables_a):
        if _columns(conn, "b", table) != _columns(conn, "a", table):
            print(f"{table}: columns differ")
            differences += 1
            continue
        select = (
            "select mart, row_count from {}.marts.publication"
            if table == "publication"
            else ("select * from {}.marts." + table)
        )
        rows = conn.execute(f"select count(*) from ({select.format('b')})").fetchone()[0]
        only_b, only_a = except_all_counts(conn, select.format("b"), select.format("a"))
        print(f"{table}: {rows} rows, only in before {only_b}, only in after {only_a}")
        total += rows
        differences += only_b + only_a
    print(f"{len(tables_b & tables_a)} tables, {total} rows, {differences} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(compare(sys.argv[1], sys.argv[2]))
