"""Segment's raw export (the S3 / ``segment-logs`` destination: gzipped JSON Lines, one API call
per line: track, identify, group, page, ...) into ``product_events`` and ``product_users``; the
warehouse tables (``tracks``, ``identifies``, ``groups`` as CSV / Parquet) go through the same
mapping (``adapters.segment_tables``).

* track -> product_events: ``messageId`` is the event id (Segment's own dedupe key: a retry
  repeats it), ``userId`` (else ``anonymousId``) the user, ``event`` the name, ``timestamp``
  when it happened, ``receivedAt`` when Segment received it, ``properties`` as delivered.
* identify -> product_users: ``userId``, traits ``email``, ``role``, ``createdAt`` (Segment's
  reserved trait; the identify's ``timestamp`` when absent).
* group calls only feed the account rule (a user's latest group call of the file); page, screen
  and alias calls are not contract entities: counted in the manifest note, not loaded.

Account: ``groupId`` / ``context.groupId`` / ``traits.account_id`` / ``context.traits.account_id``
/ the user's group call, through ``landing/mappings/account_map.csv`` (``adapters.accounts``).
Duplicates: a messageId twice in one file keeps one row (``duplicate_key_in_file``, as the native
loader); across files raw keeps both and staging counts the event once (by event_id).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.adapters.accounts import resolved_sql
from orchestration.adapters.base import Adapter, Target, group_src, parse_src, text_lines
from orchestration.adapters.segment_tables import read_table, table_of

SPEC = (
    '{"type": "VARCHAR", "messageId": "VARCHAR", "userId": "VARCHAR", "anonymousId": "VARCHAR", '
    '"event": "VARCHAR", "timestamp": "VARCHAR", "receivedAt": "VARCHAR", "groupId": "VARCHAR", '
    '"properties": "JSON", "traits": "JSON", "context": "JSON"}'
)
# Unreadable lines and calls without a type are quarantined with the events.
TRACKS = "_bad is not null or d.type is null or lower(d.type) = 'track'"
IDENTIFIES = "_bad is null and lower(d.type) = 'identify'"
CANDIDATE = "groupId, context.groupId, traits.account_id or a group call of the user"


def read(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    if name.lower().endswith((".csv", ".parquet")):
        read_table(conn, path, name)  # the warehouse tables: the same calls, one per row
        if table_of(Path(name)) == "groups":
            rows = conn.execute("select count(*) from _src").fetchone()[0]
            return (
                f"{rows} group row(s) not loaded: a groups table does not place the calls of other files "
                "(use context_group_id or mappings/account_map.csv)"
            )
    else:
        text_lines(conn, path, "_lines")
        parse_src(conn, "_lines", SPEC)
        conn.execute("drop table _lines")
    return _notes(conn).get(0)


def read_group(conn: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[int, str | None]:
    """Several segment-logs files in one scan (``adapters.grouped``): ``_src`` with ``_file``."""
    group_src(conn, paths, SPEC)
    return _notes(conn)


def _notes(conn: duckdb.DuckDBPyConnection) -> dict[int, str | None]:
    """Each file's manifest note: the calls it delivered that load into no table."""
    counts = conn.execute(
        "select _file, kind, count(*) from (select _file, lower(d.type) as kind from _src where _bad is null) "
        "where kind not in ('track', 'identify') group by 1, 2 order by 1, kind = 'group', 2"
    ).fetchall()
    parts: dict[int, list[str]] = {}
    for file, kind, n in counts:
        text = (
            f"{n} group call(s) used for accounts"
            if kind == "group"
            else f"{n} {kind} call(s) not loaded (no contract entity)"
        )
        parts.setdefault(file, []).append(text)
    return {file: "; ".join(texts) for file, texts in parts.items()}


def _with_account(types: str) -> str:
    """The calls of ``types`` (and, for track, every unreadable line) with their account."""
    inner = f"""
        with group_calls as (
            select _file, d.userId as _u, arg_max(d.groupId, _row_number) as _g
            from _src where _bad is null and lower(d.type) = 'group' and d.userId is not null group by 1, 2
        )
        select _src.*, nullif(trim(coalesce(d.userId, d.anonymousId)), '') as _user,
               nullif(trim(coalesce(nullif(trim(d.groupId), ''), d.context ->> '$.groupId',
                                    d.traits ->> '$.account_id', d.context ->> '$.traits.account_id', g._g)), '')
                   as _cand
        from _src left join group_calls as g on g._file = _src._file and g._u = _src.d.userId
        where {types}
    """
    return resolved_sql("segment", inner, CANDIDATE)


def _reason(*checks: str) -> str:
    """The source-level problems of a row; an unreadable line has only its own."""
    rest = ", ".join(checks)
    return f"nullif(case when _bad is not null then _bad else concat_ws('; ', {rest}, _account_problem) end, '')"


def events_sql() -> str:
    return f"""
        select d.messageId as event_id, _account as account_id,
               coalesce(nullif(trim(d.userId), ''), d.anonymousId) as user_id,
               d.event as event_name, d.timestamp as occurred_at, d.receivedAt as received_at,
               cast(d.properties as varchar) as properties,
               _file, _row_number, _line_number,
               {
        _reason(
            "case when d.type is null then 'missing_required: type' end",
            "case when nullif(trim(d.messageId), '') is null then 'missing_required: messageId' end",
        )
    }
                   as _reason
        from ({_with_account(TRACKS)})
    """


def users_sql() -> str:
    return f"""
        select d.userId as user_id, _account as account_id, d.traits ->> '$.email' as email,
               d.traits ->> '$.role' as role,
               coalesce(d.traits ->> '$.createdAt', d.timestamp) as created_at,
               _file, _row_number, _line_number, {_reason("null")} as _reason
        from ({_with_account(IDENTIFIES)})
    """


SEGMENT = Adapter(
    folder="segment",
    extensions=(".gz", ".jsonl", ".json", ".csv", ".parquet"),
    read=read,
    targets=(Target("product_events", events_sql, TRACKS), Target("product_users", users_sql, IDENTIFIES)),
    read_group=read_group,
    group_extensions=(".gz", ".jsonl", ".json"),  # segment-logs; the warehouse tables are read one by one
)
