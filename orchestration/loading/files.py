"""One landing file in one transaction: read, validate, write the good rows, the quarantined
rows and the manifest row together, or record the file as failed with its reason."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.contract import Entity
from orchestration.loading.readers import read_csv_file, read_jsonl_file, read_parquet_file
from orchestration.loading.results import LOADER_ERROR, FileOutcome, FileRejected, Run, Staged
from orchestration.loading.validation import validate
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE, RAW_SCHEMA

CSV_EXTENSIONS = (".csv",)
EVENT_EXTENSIONS = (".jsonl", ".jsonl.gz", ".parquet")


def load_file(
    conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path, rel: str, sha: str, size: int, mtime_ns: int, run: Run
) -> tuple[FileOutcome | None, str | None]:
    """Load one file in one transaction. Returns (outcome, None) or (None, reason) for a failed file.

    A file that cannot be read is failed with its reason; any other exception (a bug, a
    database error) rolls the file back and fails it with ``loader_error: <type>: <message>``,
    so one file never stops the rest of the landing.  Only an interrupt, or an error while
    recording the failure itself, propagates."""
    started = utcnow(conn)
    batch_id = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
    conn.execute("begin transaction")
    try:
        staged = stage_file(conn, entity, path, run)
        outcome = commit_staged(conn, entity, batch_id, rel, staged)
        record_manifest(
            conn,
            batch_id,
            entity,
            rel,
            sha,
            size,
            mtime_ns,
            "loaded",
            outcome.rows_delivered,
            outcome.rows_loaded,
            outcome.rows_quarantined,
            outcome.note,
            started,
        )
        conn.execute("commit")
        return outcome, None
    except FileRejected as rejected:
        reason = str(rejected)
    except Exception as error:  # noqa: BLE001 - any error of one file is that file's failure
        reason = f"{LOADER_ERROR} {type(error).__name__}: {first_line(str(error))}"
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("rollback")
    drop_temps(conn)
    repeated = conn.execute(
        f"select count(*) from {MANIFEST_TABLE} where entity = ? and file_path = ? and sha256 = ? "
        "and status = 'failed' and reason = ?",
        [entity.table, rel, sha, reason],
    ).fetchone()[0]
    if not repeated:  # a retried loader_error that fails the same way is not recorded again
        conn.execute("begin transaction")
        try:
            record_manifest(conn, batch_id, entity, rel, sha, size, mtime_ns, "failed", None, 0, 0, reason, started)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
    return None, reason


def utcnow(conn: duckdb.DuckDBPyConnection):
    return conn.execute("select cast(current_timestamp as timestamp)").fetchone()[0]


def record_manifest(
    conn, batch_id, entity, rel, sha, size, mtime_ns, status, delivered, loaded, quarantined, reason, started
) -> None:
    conn.execute(
        f"insert into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(current_timestamp as timestamp))",
        [batch_id, entity.table, rel, sha, size, mtime_ns, status, delivered, loaded, quarantined, reason, started],
    )


def stage_file(conn: duckdb.DuckDBPyConnection, entity: Entity, original: Path, run: Run) -> Staged:
    """Read a file into ``_incoming`` (all varchar contract columns, _row_number, _line_number,
    _reason; a temp table or view), then validate it into ``_staged`` and ``_rejected``."""
    name = original.name.lower()
    path = run.readable(original)
    if path.stat().st_size == 0:
        raise FileRejected("empty_file: zero bytes")
    physical_lines = None
    try:
        if entity.table == "product_events":
            if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
                physical_lines, raw_sql = read_jsonl_file(conn, entity, path)
                note = None
            elif name.endswith(".parquet"):
                note, raw_sql = read_parquet_file(conn, entity, path)
            else:
                raise FileRejected(f"unsupported_file_type: expected one of {', '.join(EVENT_EXTENSIONS)}")
        elif name.endswith(CSV_EXTENSIONS):
            note, raw_sql = read_csv_file(conn, entity, path)
        else:
            raise FileRejected("unsupported_file_type: expected .csv")
    except duckdb.Error as error:
        raise FileRejected(f"unreadable: {first_line(str(error))}") from error
    validate(conn, entity, run.bounds)
    if physical_lines is not None:
        blank = physical_lines - conn.execute("select count(*) from _staged").fetchone()[0]
        note = f"{blank} blank line(s) skipped" if blank else None
    return Staged(note=note, raw_sql=raw_sql)


def first_line(message: str) -> str:
    return message.strip().splitlines()[0][:300] if message.strip() else "unknown error"


def commit_staged(
    conn: duckdb.DuckDBPyConnection, entity: Entity, batch_id: int, rel: str, staged: Staged
) -> FileOutcome:
    columns = ", ".join(entity.column_names)
    typed = ", ".join(f"t_{c}" for c in entity.column_names)
    loaded = conn.execute(
        f"""
        insert into {RAW_SCHEMA}.{entity.table} ({columns}, _batch_id, _row_number, _loaded_at)
        select {typed}, {batch_id}, _row_number, cast(current_timestamp as timestamp)
        from _staged anti join _rejected using (_row_number)
        """
    ).fetchone()[0]
    quarantined = conn.execute(
        f"""
        insert into {QUARANTINE_TABLE}
        select {batch_id}, ?, ?, q._row_number, q._line_number, r._raw, q._reason, cast(current_timestamp as timestamp)
        from _rejected as q left join ({staged.raw_sql}) as r using (_row_number)
        order by q._row_number
        """,
        [entity.table, rel],
    ).fetchone()[0]
    delivered = conn.execute("select count(*) from _staged").fetchone()[0]
    drop_temps(conn)
    return FileOutcome(rows_delivered=delivered, rows_loaded=loaded, rows_quarantined=quarantined, note=staged.note)


def drop_temps(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("drop view if exists _incoming")
    for temp in ("_rejected", "_staged", "_csv_records", "_csv_rows", "_csv_rejects", "_lines", "_parquet"):
        conn.execute(f"drop table if exists {temp}")
