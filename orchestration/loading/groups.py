"""JSON Lines event files loaded as a group: one scan and one transaction for many files,
with exactly the rows, numbers, reasons and manifest records of loading them one by one."""

from __future__ import annotations

import duckdb

from orchestration.contract import Entity
from orchestration.loading.fast import Outcomes, insert_kept_rows, load_fast
from orchestration.loading.files import record_manifest, utcnow
from orchestration.loading.readers import LINE_DELIMITER, check_gzip_complete, json_fields, json_parse
from orchestration.loading.results import FileOutcome, FileRejected, Pending, Run
from orchestration.loading.validation import is_present, rejected_sql, sql_str, staged_sql
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE

# per file index: (first rowid, last rowid, physical lines, non-blank lines, characters read)
Found = dict[int, tuple[int, int, int, int, int]]


def load_jsonl_group(
    conn: duckdb.DuckDBPyConnection, entity: Entity, group: list[Pending], run: Run
) -> Outcomes | None:
    """Load JSON Lines files: the fast path (``fast.load_fast``: DuckDB's JSON reader, a
    line's text only for a quarantined row) when ``read_json`` reads the group, else, for
    several files, one scan of their lines.  None, with nothing written, when neither
    applies: the caller then loads the files one by one."""
    outcomes = load_fast(conn, entity, group, run)
    if outcomes is None and len(group) > 1:
        outcomes = _load_lines_group(conn, entity, group, run)
    return outcomes


def _load_lines_group(
    conn: duckdb.DuckDBPyConnection, entity: Entity, group: list[Pending], run: Run
) -> Outcomes | None:
    """Load several JSON Lines files with one scan and one transaction; the same rows,
    numbers, reasons and manifest records as loading them one by one.

    Returns None, with nothing written, when the group cannot be read as a whole or a gzip
    member is truncated: the caller then loads the files one by one, which records the bad
    file as failed and loads the others.  ``_g`` keeps one row per physical line in file
    order (DuckDB keeps insertion order), so a line's number is its ``rowid`` minus the
    first ``rowid`` of its file, plus one."""
    started = utcnow(conn)
    first_batch = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
    conn.execute("begin transaction")
    try:
        found = _scan(conn, entity, group, run)
        if found is None:
            conn.execute("rollback")
            return None
        rejected = _write_rows(conn, entity, group, found, first_batch)
        outcomes: Outcomes = []
        for index, file in enumerate(group):
            _, _, lines, delivered, _ = found[index]
            quarantined = int(rejected.get(index, 0))
            blank = lines - delivered
            note = f"{blank} blank line(s) skipped" if blank else None
            outcome = FileOutcome(
                rows_delivered=delivered, rows_loaded=delivered - quarantined, rows_quarantined=quarantined, note=note
            )
            record_manifest(
                conn,
                first_batch + index,
                entity,
                file.rel,
                file.sha,
                file.size,
                file.mtime_ns,
                "loaded",
                outcome.rows_delivered,
                outcome.rows_loaded,
                outcome.rows_quarantined,
                note,
                started,
            )
            outcomes.append((outcome, None))
        conn.execute("commit")
    except Exception:  # noqa: BLE001 - the files are loaded one by one, each failing alone
        conn.execute("rollback")
        return None
    except BaseException:
        conn.execute("rollback")
        raise
    for temp in ("_g", "_gfiles", "_grejected", "_gpaths"):
        conn.execute(f"drop table if exists {temp}")
    return outcomes


def _source_sql(entity: Entity, group: list[Pending], run: Run) -> str:
    """Every physical line of the group's files, parsed once, with its file index."""
    paths = "[" + ", ".join(sql_str(str(run.readable(f.path))) for f in group) + "]"
    return f"""(
        select {json_fields(entity)}, _file, _raw, _blank,
               case when not _blank and d is null then 'invalid_json: not a JSON object' end as _reason
        from (
            select file_index as _file, line as _raw, not ({is_present("line")}) as _blank,
                   case when {is_present("line")} then {json_parse(entity, "line")} end as d
            from read_csv({paths}, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                          delim = '{LINE_DELIMITER}', quote = '', escape = '', parallel = false,
                          max_line_size = 10000000)
        )
    )"""


def _scan(conn: duckdb.DuckDBPyConnection, entity: Entity, group: list[Pending], run: Run) -> Found | None:
    """Read and validate the group into ``_g``; None when any file is unreadable or incomplete."""
    staged = staged_sql(entity, _source_sql(entity, group, run), ["_file", "_raw", "_blank"], run.bounds)
    try:
        conn.execute(f"create or replace temp table _g as {staged}")
    except duckdb.Error:
        return None
    per_file = conn.execute(
        """
        select _file, min(rowid), max(rowid), count(*), count(*) filter (where not _blank),
               sum(coalesce(strlen(_raw), 0) + 1)
        from _g group by _file order by _file
        """
    ).fetchall()
    found = {row[0]: row[1:] for row in per_file}
    for index, file in enumerate(group):
        first, last, lines, _, chars = found.get(index, (None, None, 0, 0, 0))
        complete = lines > 0 and last - first + 1 == lines
        if complete and file.path.name.lower().endswith(".gz"):
            try:
                check_gzip_complete(file.path, chars)
            except FileRejected:
                complete = False
        if not complete:
            return None
    return found


def _write_rows(
    conn: duckdb.DuckDBPyConnection, entity: Entity, group: list[Pending], found: Found, first_batch: int
) -> dict[int, int]:
    """Insert the good rows into raw and the rejected ones into the quarantine; rejected rows per file."""
    conn.execute("create or replace temp table _gfiles (_file integer, _first bigint, _batch_id bigint)")
    conn.executemany(
        "insert into _gfiles values (?, ?, ?)", [[i, found[i][0], first_batch + i] for i in range(len(group))]
    )
    rejected = rejected_sql(
        entity,
        "_g",
        "_rid",
        ["_file", "_raw"],
        row_expr="rowid",
        per_file=True,
        rows="not _blank",
        label="(_kept - f._first + 1)",
        join="join _gfiles as f using (_file)",
    )
    conn.execute(f"create or replace temp table _grejected as {rejected}")
    insert_kept_rows(conn, entity, "_g", "_gfiles", "_grejected", keep="not g._blank")
    conn.execute("create or replace temp table _gpaths (_file integer, _rel varchar)")
    conn.executemany("insert into _gpaths values (?, ?)", [[i, f.rel] for i, f in enumerate(group)])
    conn.execute(
        f"""
        insert into {QUARANTINE_TABLE}
        select f._batch_id, ?, p._rel, q._rid - f._first + 1, q._rid - f._first + 1, q._raw, q._reason,
               cast(current_timestamp as timestamp)
        from _grejected as q join _gfiles as f using (_file) join _gpaths as p using (_file)
        order by f._batch_id, q._rid
        """,
        [entity.table],
    )
    return dict(conn.execute("select _file, count(*) from _grejected group by _file").fetchall())
