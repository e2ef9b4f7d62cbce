"""Reading a Zendesk export in Fivetran's schema (``landing/zendesk/<export>/``): one CSV or
Parquet file per table, named by the table (``ticket.csv``, ``ticket_field_history_2026-06.parquet``,
...), each read into text columns (a column the export lacks is null), so the mapping
(``adapters.zendesk``) is one SQL over fixed names whatever the warehouse wrote.

Column names as fivetran/dbt_zendesk_source reads them (``get_<table>_columns`` macros); only
the columns the mapping uses are listed (a file may carry any others).  A file is matched by
its name's start, so ``tickets.csv`` / ``users_2026-06.parquet`` (Airbyte's and dlt's plural
names) are the same tables.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.loading.readers import quote_ident
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import sql_str

# table -> (required columns, optional columns); all read as text.
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ticket": (
        ("id", "created_at", "status"),
        (
            "updated_at",
            "organization_id",
            "requester_id",
            "priority",
            "via_channel",
            "_fivetran_deleted",
            "_fivetran_synced",
        ),
    ),  # fmt: skip
    # One row per change of a field: status, satisfaction_score, satisfaction_comment, ...
    "ticket_field_history": (("ticket_id", "field_name", "updated", "value"), ("user_id", "_fivetran_synced")),
    # Present in an export only when comments are synced: it gives the first public agent reply.
    "ticket_comment": (("ticket_id", "created", "user_id", "public"), ("id", "_fivetran_deleted")),
    "organization": (("id",), ("external_id", "name")),
    "user": (("id",), ("email", "organization_id", "role")),
}
# Longest name first: ``ticket_field_history`` and ``ticket_comment`` before ``ticket``.
_NAMES = sorted(TABLES, key=len, reverse=True)
EXTENSIONS = (".csv", ".parquet")
SOURCE = "zendesk"  # the adapter folder, and ``source`` in mappings/account_map.csv


def table_of(name: str) -> str | None:
    lower = name.lower()
    return next((t for t in _NAMES if lower.startswith(t)), None)


def _reader(path: Path) -> str:
    if path.name.lower().endswith(".parquet"):
        return f"read_parquet({sql_str(str(path))})"
    # RFC 4180 quoting stated, not sniffed (a comment with '""' in a late row keeps its quotes otherwise).
    return f"read_csv({sql_str(str(path))}, header = true, all_varchar = true, quote = '\"', escape = '\"')"


def select_table(conn: duckdb.DuckDBPyConnection, path: Path, table: str) -> str:
    """SQL giving the file's rows as the table's text columns plus ``_row_number`` and ``line``
    (the delivered row as JSON, kept in the quarantine); a missing required column rejects the file."""
    reader = _reader(path)
    names = {r[0].lower(): r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()}
    required, optional = TABLES[table]
    missing = [c for c in required if c not in names]
    if missing:
        raise FileRejected(f"missing_required_columns: {table}: {', '.join(missing)}")
    cols = ", ".join(
        (f"cast(t.{quote_ident(names[c])} as varchar)" if c in names else "cast(null as varchar)")
        + f" as {quote_ident(c)}"
        for c in (*required, *optional)
    )
    return f"select row_number() over () as _row_number, cast(to_json(t) as varchar) as line, {cols} from {reader} as t"


def empty_select(table: str) -> str:
    """No rows, the table's columns (as ``select_table`` gives them)."""
    required, optional = TABLES[table]
    columns = ", ".join(f"cast(null as varchar) as {quote_ident(c)}" for c in (*required, *optional))
    return f"select cast(0 as bigint) as _row_number, '' as line, {columns} where false"


def read_siblings(conn: duckdb.DuckDBPyConnection, folder: Path | None, tables: tuple[str, ...]) -> set[str]:
    """``_zd_<table>`` for each of ``tables`` from every file of that table in ``folder`` (the
    export the ticket file belongs to; a table with no file is empty); returns the tables the
    export has a file of (``ticket_comment`` present or not decides the first-reply rule)."""
    listed = folder.iterdir() if folder is not None else ()
    files = sorted(p for p in listed if p.is_file() and p.name.lower().endswith(EXTENSIONS))
    present = set()
    for table in tables:
        # _file: the file's place in name order (rows of a later file are later on a tie of times)
        parts = [
            f"select {i} as _file, * from ({select_table(conn, p, table)})"
            for i, p in enumerate(p for p in files if table_of(p.name) == table)
        ]
        present |= {table} if parts else set()
        body = (
            " union all by name ".join(f"({p})" for p in parts)
            if parts
            else f"select 0 as _file, * from ({empty_select(table)})"
        )
        conn.execute(f"create or replace temp table _zd_{table} as {body}")
    return present
