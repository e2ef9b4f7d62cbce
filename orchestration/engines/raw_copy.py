"""What every target's raw copy shares: the raw tables of the DuckDB build file and their batches.

The DuckDB loader owns schema ``raw``: it creates the tables from the contract
(``orchestration.raw_schema``) and is the only writer.  A target's copy mirrors it, so
the tables, their columns and their types are read from the build file itself and
mapped to the target's types; nothing here restates the contract.

Batches: every raw row carries the manifest batch that delivered it (``_batch_id``; the
manifest and the quarantine call it ``batch_id``).  A target holds a prefix of the build
file's batches; a copy moves the batches after it.  A target whose manifest disagrees
with the build file's (another build file, rebuilt from scratch) is refused rather than
mixed: copy again with ``full_refresh``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.raw_schema import MANIFEST_TABLE, RAW_SCHEMA


class RawMismatch(Exception):
    """The target's raw schema holds batches the build file does not have (or has otherwise)."""


@dataclass(frozen=True)
class RawTable:
    name: str  # table in schema raw
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type) in table order
    batch_column: str  # _batch_id for entity tables, batch_id for the manifest and quarantine

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


def raw_tables(duck: duckdb.DuckDBPyConnection) -> list[RawTable]:
    """Every table of schema raw in the build file; the manifest last (it is copied last)."""
    rows = duck.execute(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_catalog = current_database()"
        " order by table_name, ordinal_position",
        [RAW_SCHEMA],
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        columns.setdefault(table, []).append((column, data_type.upper()))
    manifest = MANIFEST_TABLE.split(".")[1]
    tables = []
    for table, cols in sorted(columns.items(), key=lambda item: (item[0] == manifest, item[0])):
        names = [c for c, _ in cols]
        batch_column = "_batch_id" if "_batch_id" in names else "batch_id"
        if batch_column not in names:
            continue  # not a table the loader writes
        tables.append(RawTable(table, tuple(cols), batch_column))
    return tables


def source_manifest(duck: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """batch_id -> sha256 of every batch in the build file's manifest."""
    return dict(duck.execute(f"select batch_id, sha256 from {MANIFEST_TABLE}").fetchall())


def batches_to_copy(source: dict[int, str], target: dict[int, str]) -> tuple[int, list[int]]:
    """(last batch the target holds, the batches to copy), after checking the target holds
    exactly the build file's batches up to that one."""
    held = max(target, default=0)
    expected = {batch: sha for batch, sha in source.items() if batch <= held}
    if expected != target:
        differing = sorted(set(expected.items()) ^ set(target.items()))[:3]
        raise RawMismatch(
            f"the target's raw.load_manifest does not match the build file's up to batch {held} "
            f"(first differences: {differing}); it was filled from another build file. "
            "Copy with full_refresh (--full-refresh) to replace the target's raw tables."
        )
    return held, sorted(batch for batch in source if batch > held)


def export_select(table: RawTable, after_batch: int, text_expr=None) -> str:
    """Select of the rows of `table` delivered after batch `after_batch`, in load order.
    ``text_expr(column)`` may rewrite text columns (e.g. drop characters a target refuses)."""
    selected = []
    for name, data_type in table.columns:
        if text_expr is not None and data_type == "VARCHAR":
            selected.append(f"{text_expr(name)} as {name}")
        else:
            selected.append(name)
    order = ", ".join(c for c in (table.batch_column, "_row_number", "row_number") if c in table.column_names)
    return (
        f"select {', '.join(selected)} from {RAW_SCHEMA}.{table.name}"
        f" where {table.batch_column} > {int(after_batch)} order by {order}"
    )
