"""Segment's (and RudderStack's) warehouse tables ``tracks``, ``identifies`` and ``groups``, exported
as CSV or Parquet, read into the same ``_src`` as the raw ``segment-logs`` calls, so the Segment
mapping (``adapters.segment``) and its account rule apply unchanged.

The table is named by the file name's start (``tracks*.csv``, ``identifies_2026.parquet``, ...).
Columns, as both warehouses name them (Segment flattens ``context.groupId`` into
``context_group_id`` and each trait into a column): tracks ``id``, ``user_id``, ``anonymous_id``,
``event_text`` (the name as sent; ``event`` is its slug, used when ``event_text`` is absent),
``timestamp``, ``received_at``, ``context_group_id``; identifies ``id``, ``user_id``, ``email``,
``role``, ``created_at``, ``timestamp``, ``context_group_id``; groups ``id``, ``user_id``,
``group_id``.  A ``tracks`` table has no properties (the warehouses keep them in one table per
event), so ``properties`` stays empty: the one column this format cannot carry.

A CSV record DuckDB's reader cannot parse fails the file (``unreadable: ...``), unlike a native
CSV, whose bad records are quarantined one by one.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.loading.readers import quote_ident
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import sql_str

TABLES = {
    "tracks": ("id", "timestamp"),
    "identifies": ("id", "user_id"),
    "groups": ("user_id", "group_id"),
}
CALL_TYPE = {"tracks": "track", "identifies": "identify", "groups": "group"}


def table_of(path: Path) -> str | None:
    name = path.name.lower()
    return next((t for t in TABLES if name.startswith(t)), None)


def read_table(conn: duckdb.DuckDBPyConnection, path: Path, original_name: str) -> None:
    """``_src`` (the raw calls' shape: ``d`` a struct of the call's fields) from one table export."""
    table = table_of(Path(original_name))
    if table is None:
        raise FileRejected("unknown_segment_table: a .csv or .parquet export is named tracks*, identifies* or groups*")
    if original_name.lower().endswith(".parquet"):
        reader = f"read_parquet({sql_str(str(path))})"
    else:
        reader = f"read_csv({sql_str(str(path))}, header = true, all_varchar = true, auto_detect = true)"
    names = {r[0].lower(): r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()}
    missing = [c for c in TABLES[table] if c not in names]
    if table == "tracks" and "event_text" not in names and "event" not in names:
        missing.append("event_text")
    if missing:
        raise FileRejected(f"missing_required_columns: {', '.join(missing)}")

    def col(name: str) -> str:
        return f"cast(t.{quote_ident(names[name])} as varchar)" if name in names else "cast(null as varchar)"

    event = f"coalesce({col('event_text')}, {col('event')})"
    traits = f"json_object('email', {col('email')}, 'role', {col('role')}, 'createdAt', {col('created_at')})"
    values = {
        "type": f"'{CALL_TYPE[table]}'",
        "messageId": col("id"),
        "userId": col("user_id"),
        "anonymousId": col("anonymous_id"),
        "event": event,
        "timestamp": col("timestamp"),
        "receivedAt": col("received_at"),
        "groupId": col("group_id"),
        "properties": "cast(null as json)",
        "traits": traits,
        "context": f"json_object('groupId', {col('context_group_id')})",
    }
    fields = ", ".join(f"{quote_ident(key)} := {value}" for key, value in values.items())
    conn.execute(
        f"""
        create or replace temp table _src as
        select 0 as _file, row_number() over () as _row_number, cast(null as bigint) as _line_number,
               cast(to_json(t) as varchar) as line, cast(null as varchar) as _bad,
               struct_pack({fields}) as d
        from {reader} as t
        """
    )
