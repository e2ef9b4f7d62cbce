"""Reading a warehouse connector's export (Fivetran's, Airbyte's or dlt's tables unloaded to
files): one CSV or Parquet file per table under ``landing/<tool>/<export>/``, named by the
table (``ticket.csv``, ``price_2026-06.parquet``, ...), each read into text columns (a column
the export lacks is null), so an adapter's mapping is one SQL over fixed names whatever the
warehouse wrote. ``ExportSchema`` is one tool's table list; ``adapters.stripe_tables`` and
``adapters.zendesk_tables`` hold theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.loading.readers import quote_ident
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import sql_str

EXTENSIONS = (".csv", ".parquet")
# table -> (required columns, optional columns); all read as text.
Tables = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


def _reader(path: Path) -> str:
    if path.name.lower().endswith(".parquet"):
        return f"read_parquet({sql_str(str(path))})"
    # RFC 4180 quoting stated, not sniffed: the sniffer reads a file whose first rows have no
    # quoted field as unquoted, and a later '"Acme ""Holdings"""' would keep its quotes.
    return f"read_csv({sql_str(str(path))}, header = true, all_varchar = true, quote = '\"', escape = '\"')"


@dataclass(frozen=True)
class ExportSchema:
    tables: Tables
    prefix: str  # of the temp tables ``read_siblings`` writes: ``<prefix><table>``
    aliases: dict[str, str] = field(default_factory=dict)  # another name of a table
    # Extra missing-column rule of a table: (table, the file's lower-case column names) -> missing.
    also_missing: Callable[[str, set[str]], list[str]] = lambda table, names: []

    def table_of(self, name: str) -> str | None:
        """The table a file name starts with (longest name first: ``ticket_field_history``
        before ``ticket``), through the aliases."""
        lower = name.lower()
        names = sorted([*self.tables, *self.aliases], key=len, reverse=True)
        found = next((t for t in names if lower.startswith(t)), None)
        return self.aliases.get(found, found) if found else None

    def select_table(self, conn: duckdb.DuckDBPyConnection, path: Path, table: str) -> str:
        """SQL giving the file's rows as the table's text columns plus ``_row_number`` and ``line``
        (the delivered row as JSON, kept in the quarantine); a missing required column rejects the file."""
        reader = _reader(path)
        names = {r[0].lower(): r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()}
        required, optional = self.tables[table]
        missing = [c for c in required if c not in names] + self.also_missing(table, set(names))
        if missing:
            raise FileRejected(f"missing_required_columns: {table}: {', '.join(missing)}")
        cols = ", ".join(
            (f"cast(t.{quote_ident(names[c])} as varchar)" if c in names else "cast(null as varchar)")
            + f" as {quote_ident(c)}"
            for c in (*required, *optional)
        )
        return (
            f"select row_number() over () as _row_number, cast(to_json(t) as varchar) as line, {cols} "
            f"from {reader} as t"
        )

    def empty_select(self, table: str) -> str:
        """No rows, the table's columns (as ``select_table`` gives them)."""
        required, optional = self.tables[table]
        columns = ", ".join(f"cast(null as varchar) as {quote_ident(c)}" for c in (*required, *optional))
        return f"select cast(0 as bigint) as _row_number, '' as line, {columns} where false"

    def read_siblings(
        self, conn: duckdb.DuckDBPyConnection, folder: Path | None, tables: tuple[str, ...], file_order: bool = False
    ) -> set[str]:
        """``<prefix><table>`` for each of ``tables`` from every file of that table in ``folder``
        (the export the file being loaded belongs to; a table with no file, or no folder, is an
        empty one). ``file_order`` adds ``_file``, the file's place in name order (a later file's
        rows are later on a tie of times). Returns the tables the export has a file of."""
        listed = folder.iterdir() if folder is not None else ()
        files = sorted(p for p in listed if p.is_file() and p.name.lower().endswith(EXTENSIONS))
        present = set()
        for table in tables:
            selects = [self.select_table(conn, p, table) for p in files if self.table_of(p.name) == table]
            present |= {table} if selects else set()
            if not selects:
                selects = [self.empty_select(table)]
            parts = [f"select {i} as _file, * from ({s})" if file_order else s for i, s in enumerate(selects)]
            body = " union all by name ".join(f"({p})" for p in parts)
            conn.execute(f"create or replace temp table {self.prefix}{table} as {body}")
        return present
