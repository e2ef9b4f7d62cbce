"""The fast path for native JSON Lines event files: DuckDB's JSON reader straight into the
contract's columns, validated set-based, several files per scan and per insert.

The line-by-line path (``groups`` / ``files``) reads every line as text, keeps it, and parses
it with ``from_json``: keeping the text of every line is what it costs.  Here ``read_json``
(the same JSON transform as ``from_json``, so the same values) reads the records, and the
text of a line is only looked up for the few rows that are quarantined, by their line number
in the file.  A record's position in its file is its line number only when every line holds
exactly one JSON object, so each file's bytes are checked for that first (``_plain_lines``:
C-speed byte scans, no per-line Python); a file that fails the check, or a group that
``read_json`` cannot read as a whole (a malformed line, a duplicate key, invalid UTF-8...),
goes to the line-by-line path, which quarantines or fails exactly as before.  Validation,
the ranking of in-file duplicates and the reasons are the line path's own SQL
(``staged_sql``, ``rejected_sql``), so a row loads or is quarantined for the same reason.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import duckdb

from orchestration.contract import Entity
from orchestration.loading.files import load_file, record_manifest, utcnow
from orchestration.loading.results import FileOutcome, Pending, Run
from orchestration.loading.validation import rejected_sql, sql_str, staged_sql
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE, RAW_SCHEMA

# The line path's reader stops at 10,000,000-byte lines (a line over it is quarantined).
MAX_LINE = 10_000_000
FAST_TEMPS = ("_fast", "_ffiles", "_frejected", "_fraw")

Outcomes = list[tuple[FileOutcome | None, str | None]]


def scan_group(conn: duckdb.DuckDBPyConnection, entity: Entity, group: list[Pending], run: Run) -> bool:
    """Read and validate the group into temp table ``_fast`` (``_file`` = the path read,
    typed ``t_<col>``, ``_problem``), outside any transaction: it is scratch, not the
    warehouse.  False when ``read_json`` cannot read the group as a whole."""
    paths = "[" + ", ".join(sql_str(str(run.readable(f.path))) for f in group) + "]"
    columns = "{" + ", ".join(f"'{c.name}': '{'JSON' if c.type == 'json' else 'VARCHAR'}'" for c in entity.columns)
    json_as_text = ", ".join(
        f"cast({c.name} as varchar) as {c.name}" if c.type == "json" else c.name for c in entity.columns
    )
    source = f"""(
        select {json_as_text}, filename as _file, cast(null as varchar) as _reason
        from read_json({paths}, format = 'newline_delimited', columns = {columns}}}, filename = true,
                       maximum_object_size = {MAX_LINE})
    )"""
    try:
        conn.execute(f"create or replace temp table _fast as {staged_sql(entity, source, ['_file'], run.bounds)}")
    except duckdb.Error:
        return False
    return True


def file_records(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    """Per path read: (first rowid, last rowid, records)."""
    rows = conn.execute("select _file, min(rowid), max(rowid), count(*) from _fast group by _file").fetchall()
    return {path: (first, last, count) for path, first, last, count in rows}


def plain_lines(path: Path, records: int, wanted: set[int]) -> dict[int, str] | None:
    """The text of lines ``wanted`` (1-based) when the file is ``records`` lines that each
    start with '{' (so none is blank and each is one record: ``read_json`` raised on any
    other content), in UTF-8 without a CR, a 0x1E byte, a surrogate escape (the line path's
    parser and ``read_json`` may disagree on those) or a line over ``MAX_LINE``; else None.
    A truncated gzip fails to decompress: None, and the line path reports it."""
    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = _gunzip(data)
    except (EOFError, OSError, zlib.error):
        return None
    body = data[:-1] if data.endswith(b"\n") else data
    lines = body.count(b"\n") + 1 if body else 0
    if lines != records or not body.startswith(b"{") or body.count(b"\n{") != lines - 1:
        return None
    if b"\r" in body or b"\x1e" in body or b"\\ud" in body or b"\\uD" in body:
        return None
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if len(body) > MAX_LINE and max(len(line) for line in body.split(b"\n")) > MAX_LINE:
        return None
    if not wanted:
        return {}
    split = body.split(b"\n")
    return {n: split[n - 1].decode("utf-8") for n in wanted}


def _gunzip(data: bytes) -> bytes:
    """Every member of a gzip file (zlib is a third faster than the gzip module); EOFError
    for a truncated member or trailing bytes that are not a gzip member."""
    parts = []
    while data:
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        parts.append(member.decompress(data))
        if not member.eof:
            raise EOFError("truncated gzip member")
        data = member.unused_data
    return b"".join(parts)


def rejected_rows(conn: duckdb.DuckDBPyConnection, entity: Entity, firsts: dict[str, int]) -> dict[str, set[int]]:
    """Temp table ``_frejected`` (``_rid``, ``_file``, ``_reason``): the line path's rejections
    (a row's problems, or all but one row of an in-file duplicated key) of every file read
    (path read -> first rowid); returns their line numbers per path read."""
    conn.execute("create or replace temp table _ffiles (_file varchar, _first bigint, _batch_id bigint)")
    conn.executemany("insert into _ffiles values (?, ?, null)", [[p, f] for p, f in firsts.items()])
    rejected = rejected_sql(
        entity,
        "_fast",
        "_rid",
        ["_file"],
        row_expr="rowid",
        per_file=True,
        label="(_kept - f._first + 1)",
        join="join _ffiles as f using (_file)",
    )
    conn.execute(f"create or replace temp table _frejected as {rejected}")
    lines: dict[str, set[int]] = {p: set() for p in firsts}
    found = conn.execute("select q._file, q._rid - f._first + 1 from _frejected as q join _ffiles as f using (_file)")
    for path, line in found.fetchall():
        lines[path].add(line)
    return lines


def write_segment(
    conn: duckdb.DuckDBPyConnection,
    entity: Entity,
    segment: list[tuple[Pending, str, int, int, dict[int, str]]],
    started,
) -> Outcomes:
    """Insert one run of checked files (pending, path read, first rowid, records, quarantined
    lines' text) in the open transaction: raw rows, quarantined rows, manifest rows."""
    first_batch = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
    conn.execute("create or replace temp table _ffiles (_file varchar, _first bigint, _batch_id bigint)")
    conn.executemany(
        "insert into _ffiles values (?, ?, ?)",
        [[read, first, first_batch + i] for i, (_, read, first, _, _) in enumerate(segment)],
    )
    conn.execute("create or replace temp table _fraw (_file varchar, _line bigint, _rel varchar, _raw varchar)")
    raw_lines = [[read, n, file.rel, text] for file, read, _, _, raw in segment for n, text in raw.items()]
    if raw_lines:  # executemany refuses an empty list
        conn.executemany("insert into _fraw values (?, ?, ?, ?)", raw_lines)
    insert_kept_rows(conn, entity, "_fast", "_ffiles", "_frejected")
    conn.execute(
        f"""
        insert into {QUARANTINE_TABLE}
        select f._batch_id, ?, r._rel, q._rid - f._first + 1, q._rid - f._first + 1, r._raw, q._reason,
               cast(current_timestamp as timestamp)
        from _frejected as q join _ffiles as f using (_file)
        join _fraw as r on r._file = q._file and r._line = q._rid - f._first + 1
        order by f._batch_id, q._rid
        """,
        [entity.table],
    )
    outcomes: Outcomes = []
    for i, (file, _, _, records, raw) in enumerate(segment):
        outcome = FileOutcome(
            rows_delivered=records, rows_loaded=records - len(raw), rows_quarantined=len(raw), note=None
        )
        record_manifest(
            conn,
            first_batch + i,
            entity,
            file.rel,
            file.sha,
            file.size,
            file.mtime_ns,
            "loaded",
            records,
            outcome.rows_loaded,
            outcome.rows_quarantined,
            None,
            started,
        )
        outcomes.append((outcome, None))
    return outcomes


def load_fast(conn: duckdb.DuckDBPyConnection, entity: Entity, group: list[Pending], run: Run) -> Outcomes | None:
    """Load a group of JSON Lines files on the fast path, in file order: each run of files
    that pass ``plain_lines`` in one transaction (per-file batch ids, rows and manifest rows,
    as the line path writes them), every other file on its own by the line path
    (``load_file``).  None, with nothing written, when ``read_json`` cannot read the group:
    the caller then takes the line path for the whole group."""
    try:
        if not scan_group(conn, entity, group, run):
            return None
        reads = [str(run.readable(f.path)) for f in group]
        records = file_records(conn)
        if any(p not in records or records[p][1] - records[p][0] + 1 != records[p][2] for p in reads):
            return None  # a file without records, or not read in one piece: the line path decides
        wanted = rejected_rows(conn, entity, {p: records[p][0] for p in reads})
        checked = [plain_lines(Path(p), records[p][2], wanted[p]) for p in reads]
        outcomes: Outcomes = []
        index = 0
        while index < len(group):
            if checked[index] is None:
                file = group[index]
                outcomes.append(load_file(conn, entity, file.path, file.rel, file.sha, file.size, file.mtime_ns, run))
                index += 1
                continue
            end = index
            while end < len(group) and checked[end] is not None:
                end += 1
            segment = [
                (group[i], reads[i], records[reads[i]][0], records[reads[i]][2], checked[i]) for i in range(index, end)
            ]
            outcomes += _commit_segment(conn, entity, segment, utcnow(conn), run)
            index = end
        return outcomes
    finally:
        for temp in FAST_TEMPS:
            conn.execute(f"drop table if exists {temp}")


def _commit_segment(conn, entity: Entity, segment, started, run: Run) -> Outcomes:
    """One transaction for the segment; on any error, nothing of it is kept and its files
    are loaded one by one by the line path, each failing alone."""
    conn.execute("begin transaction")
    try:
        outcomes = write_segment(conn, entity, segment, started)
        conn.execute("commit")
        return outcomes
    except Exception:  # noqa: BLE001 - the line path then reports each file's own failure
        conn.execute("rollback")
    except BaseException:
        conn.execute("rollback")
        raise
    return [load_file(conn, entity, f.path, f.rel, f.sha, f.size, f.mtime_ns, run) for f, *_ in segment]


def insert_kept_rows(
    conn: duckdb.DuckDBPyConnection, entity: Entity, staged: str, files: str, rejected: str, keep: str = "true"
) -> None:
    """One insert of every staged row (``staged``: ``rowid``, ``_file``, ``_problem``, the typed
    ``t_<column>``) that no check rejected (``rejected``: ``_rid``) into the raw table, numbered
    within its file (``files``: ``_file``, ``_first`` rowid, ``_batch_id``); ``keep`` a further
    condition on the staged rows (the grouped reader's blank lines). The fast path and the grouped
    adapter loads share it."""
    columns = ", ".join(entity.column_names)
    typed = ", ".join(f"g.t_{c}" for c in entity.column_names)
    conn.execute(
        f"""
        insert into {RAW_SCHEMA}.{entity.table} ({columns}, _batch_id, _row_number, _loaded_at)
        select {typed}, f._batch_id, g.rowid - f._first + 1, cast(current_timestamp as timestamp)
        from {staged} as g join {files} as f using (_file)
        where g._problem is null and {keep} and g.rowid not in (select _rid from {rejected})
        """
    )
