"""Several adapter files in one statement: one scan of DuckDB's reader over a list of files
(``Adapter.read_group``), set-based mapping and validation over all of them, one insert per raw
table and one transaction for the group, with exactly the rows, row numbers, reasons, manifest
records and summary counts of loading the files one by one (``adapters.load``).

Why: per file, the fixed cost of a dozen statements (read, parse, map, type, rank duplicates,
insert, quarantine, manifest) and a commit dominated a Segment load (2-2.5x the native format's
time, which already reads its event files in groups: ``loading.groups``).

Every row carries ``_file`` (the file's index in the group); duplicates are ranked per file
(``rejected_sql(per_file=True)``), as a file loaded alone would rank them.  When the group cannot
be read as a whole (a file that is not UTF-8, a truncated gzip, a database error) nothing is
written and the caller loads the files one by one: the bad file is then failed and reported
alone, its good neighbours load.
"""

from __future__ import annotations

import duckdb

from orchestration.adapters.base import Adapter, drop_group_src
from orchestration.contract import ENTITY_BY_TABLE
from orchestration.loading.files import drop_temps, record_manifest, utcnow
from orchestration.loading.results import FileRejected, LoadSummary, Pending, Progress, Run
from orchestration.loading.validation import rejected_sql, staged_sql
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE, RAW_SCHEMA

# A group holds about this many lines (as the native JSON Lines groups, ``loading.loop``: one scan
# and one transaction per million lines; a group's temp tables stay well within the memory
# limit); sizes estimate the lines (compressed ~30 bytes a line, plain ~230).
GROUP_ROWS = 1_000_000
COMPRESSED_BYTES_PER_LINE = 30
PLAIN_BYTES_PER_LINE = 230

# (file index, target index) -> (batch id, rows delivered, rows loaded, rows quarantined, unmapped)
Counts = dict[tuple[int, int], tuple[int, int, int, int, int]]


def estimated_lines(file: Pending) -> int:
    compressed = file.path.name.lower().endswith((".gz", ".zip"))
    return file.size // (COMPRESSED_BYTES_PER_LINE if compressed else PLAIN_BYTES_PER_LINE)


def load_group(
    conn: duckdb.DuckDBPyConnection,
    adapter: Adapter,
    group: list[Pending],
    summary: LoadSummary,
    say: Progress,
    run: Run,
) -> bool:
    """Load ``group`` in one transaction; False, with nothing written, when it cannot be loaded
    as a whole (the caller then loads its files one by one)."""
    started = utcnow(conn)
    try:
        notes = adapter.read_group(conn, [run.readable(f.path) for f in group])
    except (FileRejected, duckdb.Error):
        _cleanup(conn)
        return False
    conn.execute("begin transaction")
    try:
        counts = _write(conn, adapter, group, notes, started, run)
        conn.execute("commit")
    except Exception:  # noqa: BLE001 - the files are loaded one by one, each failing alone
        conn.execute("rollback")
        _cleanup(conn)
        return False
    except BaseException:
        conn.execute("rollback")
        raise
    _cleanup(conn)
    for (index, target_index), (_, _, loaded, quarantined, unmapped) in sorted(counts.items()):
        table = adapter.targets[target_index].table
        stats = summary.entities[table]
        stats.files_loaded += 1
        stats.rows_loaded += loaded
        stats.rows_quarantined += quarantined
        summary.unmapped[adapter.folder] += unmapped
        say(
            f"{table}: {group[index].rel}: {loaded:,} rows loaded, "
            f"{quarantined:,} quarantined ({unmapped:,} unmapped_account)"
        )
    return True


def _batches(conn: duckdb.DuckDBPyConnection, adapter: Adapter, files: int) -> dict[tuple[int, int], int]:
    """The batch id of each (file, target) a file delivers rows to, numbered file by file and
    target by target as the one-by-one path numbers them; a file that delivers no row at all is
    recorded once, with the adapter's last target (as ``adapters.load._write``)."""
    counted = ", ".join(f"count(*) filter (where {t.where})" for t in adapter.targets)
    rows = {r[0]: r[1:] for r in conn.execute(f"select _file, {counted} from _src group by _file").fetchall()}
    next_batch = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
    batches: dict[tuple[int, int], int] = {}
    for index in range(files):
        per_target = rows.get(index, (0,) * len(adapter.targets))
        chosen = [t for t, n in enumerate(per_target) if n] or [len(adapter.targets) - 1]
        for target_index in chosen:
            batches[(index, target_index)] = next_batch
            next_batch += 1
    return batches


def _write(conn: duckdb.DuckDBPyConnection, adapter: Adapter, group: list[Pending], notes, started, run: Run) -> Counts:
    batches = _batches(conn, adapter, len(group))
    conn.execute(
        "create or replace temp table _gfiles (_file integer, _target integer, _batch_id bigint, _rel varchar)"
    )
    conn.executemany(
        "insert into _gfiles values (?, ?, ?, ?)",
        [[index, target, batch, group[index].rel] for (index, target), batch in batches.items()],
    )
    counts: Counts = {}
    for target_index, target in enumerate(adapter.targets):
        if not any(t == target_index for _, t in batches):
            continue
        entity = ENTITY_BY_TABLE[target.table]
        conn.execute(f"create or replace temp view _incoming as {target.sql()}")
        staged = staged_sql(entity, "_incoming", ["_file", "_row_number", "_line_number"], run.bounds)
        conn.execute(f"create or replace temp table _staged as {staged}")
        rejected = rejected_sql(entity, "_staged", "_row_number", ["_file", "_line_number"], per_file=True)
        conn.execute(f"create or replace temp table _rejected as {rejected}")
        files = f"(select _file, _batch_id, _rel from _gfiles where _target = {target_index})"
        columns = ", ".join(entity.column_names)
        typed = ", ".join(f"s.t_{c}" for c in entity.column_names)
        conn.execute(
            f"""
            insert into {RAW_SCHEMA}.{entity.table} ({columns}, _batch_id, _row_number, _loaded_at)
            select {typed}, f._batch_id, s._row_number, cast(current_timestamp as timestamp)
            from _staged as s join {files} as f using (_file)
            anti join _rejected as r on r._file = s._file and r._row_number = s._row_number
            """
        )
        conn.execute(
            f"""
            insert into {QUARANTINE_TABLE}
            select f._batch_id, ?, f._rel, q._row_number, q._line_number, src.line, q._reason,
                   cast(current_timestamp as timestamp)
            from _rejected as q join {files} as f using (_file)
            left join _src as src on src._file = q._file and src._row_number = q._row_number
            order by f._batch_id, q._row_number
            """,
            [entity.table],
        )
        per_file = conn.execute(
            """
            select s._file, count(*), count(r._row_number), count(*) filter (where contains(r._reason, 'unmapped_account'))
            from _staged as s left join _rejected as r on r._file = s._file and r._row_number = s._row_number
            group by s._file
            """
        ).fetchall()
        found = {file: (delivered, rejected, unmapped) for file, delivered, rejected, unmapped in per_file}
        for (index, t), batch in batches.items():
            if t == target_index:
                delivered, rejected_rows, unmapped = found.get(index, (0, 0, 0))
                counts[(index, t)] = (batch, delivered, delivered - rejected_rows, rejected_rows, unmapped)
        drop_temps(conn)
    for (index, target_index), (batch, delivered, loaded, quarantined, _) in sorted(
        counts.items(), key=lambda i: i[1][0]
    ):
        file = group[index]
        entity = ENTITY_BY_TABLE[adapter.targets[target_index].table]
        record_manifest(
            conn, batch, entity, file.rel, file.sha, file.size, file.mtime_ns, "loaded",
            delivered, loaded, quarantined, notes.get(index), started,
        )  # fmt: skip
    return counts


def _cleanup(conn: duckdb.DuckDBPyConnection) -> None:
    drop_temps(conn)
    drop_group_src(conn)
    conn.execute("drop table if exists _gfiles")
