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

from orchestration.adapters.export_tables import EXTENSIONS, ExportSchema

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
SOURCE = "zendesk"  # the adapter folder, and ``source`` in mappings/account_map.csv
SCHEMA = ExportSchema(TABLES, prefix="_zd_")
table_of, select_table, empty_select = SCHEMA.table_of, SCHEMA.select_table, SCHEMA.empty_select


def read_siblings(conn: duckdb.DuckDBPyConnection, folder: Path | None, tables: tuple[str, ...]) -> set[str]:
    """``_zd_<table>`` of the export's files, with ``_file`` (``ExportSchema.read_siblings``):
    the tables present (``ticket_comment`` present or not decides the first-reply rule)."""
    return SCHEMA.read_siblings(conn, folder, tables, file_order=True)


__all__ = ["EXTENSIONS", "SOURCE", "TABLES", "empty_select", "read_siblings", "select_table", "table_of"]
