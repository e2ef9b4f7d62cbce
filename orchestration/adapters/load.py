"""Adapter files from the landing to the raw tables: the same manifest rules as native files
(skipped when the path/size/mtime or the content was loaded before, a failed file reported again
while its bytes stay), one transaction per file, and the same validation and insert path
(``orchestration.loading.files``) per native table the file feeds.  Files an adapter reads in
groups (segment-logs JSON Lines, Amplitude archives) load many per statement and one transaction
per group (``adapters.grouped``) with the same rows, numbers and records; a group that cannot
load as a whole is loaded file by file here.

Manifest: one batch per (file, native table it delivered rows to), ``entity`` = that table, so
``raw.<table>._batch_id`` names the source file as for a native file; a failed file is one row
with the adapter's first table.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.adapters import ADAPTERS
from orchestration.adapters.accounts import AccountMapUnreadable, load_account_map
from orchestration.adapters.base import RAW_SQL, Adapter
from orchestration.adapters.grouped import GROUP_ROWS, estimated_lines, load_group
from orchestration.contract import ENTITY_BY_TABLE
from orchestration.landing_files import ACCOUNT_MAP, display, sha256_file
from orchestration.loading.files import commit_staged, drop_temps, first_line, record_manifest, utcnow
from orchestration.loading.results import (
    LOADER_ERROR,
    EntityLoad,
    FileRejected,
    LoadSummary,
    Pending,
    Progress,
    Run,
    Staged,
)
from orchestration.loading.validation import validate
from orchestration.raw_schema import MANIFEST_TABLE


def load_adapters(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    files: dict[str, list[Path]],
    wanted: set[str] | None,
    summary: LoadSummary,
    say: Progress,
    run: Run,
) -> None:
    """Load every new file of every adapter folder (those feeding a ``wanted`` table); the account
    map first (an unreadable map loads no adapter file: no account is guessed)."""
    adapters = [a for a in ADAPTERS if wanted is None or {t.table for t in a.targets} & wanted]
    if not any(files.get(a.folder) for a in adapters):
        return
    try:
        errors = load_account_map(conn, landing_dir, run.readable)
    except AccountMapUnreadable as error:
        summary.mapping_errors.append(f"{error}; no adapter file was loaded")
        say(f"FAILED {error}")
        first = next(a for a in adapters if files.get(a.folder))
        summary.entities.setdefault(first.targets[0].table, EntityLoad()).files_failed.append(
            (ACCOUNT_MAP, f"{str(error)[len(ACCOUNT_MAP) :].lstrip(': ')}; no adapter file was loaded")
        )
        return
    for table in {t.table for a in adapters for t in a.targets}:
        summary.entities.setdefault(table, EntityLoad())
    summary.mapping_errors += errors
    for error in errors:
        say(f"ERROR {error}")
    if errors:  # reported as a failed file of the first table fed, so the run exits 2 and lists it
        first = next(a for a in adapters if files.get(a.folder))
        reason = "; ".join(error[len(ACCOUNT_MAP) :].lstrip(": ") for error in errors)
        summary.entities[first.targets[0].table].files_failed.append((ACCOUNT_MAP, reason))
    for adapter in adapters:
        if adapter.prepare is not None and files.get(adapter.folder):
            # An adapter's own mapping file ("<path>: <reason>" per error): reported as a failed
            # file of its first table, so the run exits 2 and names it.
            for error in adapter.prepare(conn, landing_dir, run.readable):
                summary.mapping_errors.append(error)
                say(f"ERROR {error}")
                mapping, _, reason = error.partition(": ")
                summary.entities[adapter.targets[0].table].files_failed.append((mapping, reason))
    for adapter in adapters:
        if not files.get(adapter.folder):
            continue  # a source that delivered nothing this run is not listed in the counts
        summary.unmapped.setdefault(adapter.folder, 0)
        _folder(conn, adapter, landing_dir, files[adapter.folder], summary, say, run)
    conn.execute("drop table if exists _account_map_rows")


def _folder(conn, adapter: Adapter, landing_dir: Path, paths: list[Path], summary, say: Progress, run: Run) -> None:
    """The folder's new files in listing order: consecutive files the adapter reads in groups
    (``Adapter.groups``) go in groups of about ``GROUP_ROWS`` lines (``adapters.grouped``; a group
    that cannot load as a whole is loaded file by file), every other file alone.  A file with the
    bytes of another file pending in this run waits until the end: by then the first is loaded
    and the copy is skipped by content, as it would be one file after the other."""
    group: list[Pending] = []
    estimate = 0
    seen: set[str] = set()
    copies: list[Path] = []

    def flush() -> None:
        nonlocal group, estimate
        if group and not load_group(conn, adapter, group, summary, say, run):
            for file in group:
                _load_reported(conn, adapter, file, summary, say, run)
        group, estimate = [], 0

    for path in paths:
        file = _pending(conn, adapter, landing_dir, path, summary, say)
        if file is None:
            continue
        if file.sha in seen:
            copies.append(path)
            continue
        seen.add(file.sha)
        if not adapter.groups(path.name) or file.size == 0:
            flush()
            _load_reported(conn, adapter, file, summary, say, run)
            continue
        lines = estimated_lines(file)
        if group and estimate + lines > GROUP_ROWS:
            flush()
        group.append(file)
        estimate += lines
    flush()
    for path in copies:
        file = _pending(conn, adapter, landing_dir, path, summary, say)
        if file is not None:
            _load_reported(conn, adapter, file, summary, say, run)


def _load_reported(conn, adapter: Adapter, file: Pending, summary: LoadSummary, say: Progress, run: Run) -> None:
    failure = _load(conn, adapter, file, summary, say, run)
    if failure is not None:
        summary.entities[adapter.targets[0].table].files_failed.append((file.rel, failure))
        say(f"{adapter.folder}: FAILED {file.rel}: {failure}")


def _pending(
    conn, adapter: Adapter, landing_dir: Path, path: Path, summary: LoadSummary, say: Progress
) -> Pending | None:
    """The file to load, or None when it is skipped (loaded before, by path/size/mtime or by
    content) or failed before with the same bytes (reported again)."""
    rel = display(path.relative_to(landing_dir).as_posix())
    primary = summary.entities[adapter.targets[0].table]
    known = conn.execute(
        f"select size_bytes, mtime_ns, sha256, status, reason from {MANIFEST_TABLE} "
        "where file_path = ? and status in ('loaded', 'failed') order by batch_id",
        [rel],
    ).fetchall()
    sha = None
    try:
        info = path.stat()
        by_stats = {(size, mtime): (status, reason) for size, mtime, _, status, reason in known}
        status, reason = by_stats.get((info.st_size, info.st_mtime_ns), (None, None))
        if status != "loaded":
            sha = sha256_file(path)
            status, reason = {h: (s, r) for _, _, h, s, r in known}.get(sha, (None, None))
            if (
                status is None
                and conn.execute(
                    f"select count(*) from {MANIFEST_TABLE} where sha256 = ? and status = 'loaded' and file_path like ?",
                    [sha, f"{adapter.folder}/%"],
                ).fetchone()[0]
            ):
                status = "loaded"  # the same bytes under another name
    except OSError as error:  # vanished or unreadable between listing and reading
        status, reason = "failed", f"unreadable: {type(error).__name__}: {error.strerror or error}"
    if status == "loaded":
        primary.files_skipped += 1
        return None
    if status == "failed" and (sha is None or not reason.startswith((LOADER_ERROR, *adapter.retry_reasons))):
        primary.files_failed.append((rel, reason))
        say(f"{adapter.folder}: FAILED {rel}: {reason}")
        return None
    return Pending(path, rel, sha, info.st_size, info.st_mtime_ns)


def _load(conn, adapter: Adapter, file: Pending, summary: LoadSummary, say: Progress, run: Run) -> str | None:
    """Read (temp tables only, before the transaction), then validate and write every target
    table and its manifest rows in one transaction; the failure reason, or None."""
    started = utcnow(conn)
    try:
        note = adapter.read(conn, run.readable(file.path), file.path.name)
        reason = None
    except FileRejected as rejected:
        reason = str(rejected)
    except duckdb.Error as error:
        reason = f"unreadable: {first_line(str(error))}"
    if reason is None:
        conn.execute("begin transaction")
        try:
            _write(conn, adapter, file, note, summary, say, run, started)
            conn.execute("commit")
        except Exception as error:  # noqa: BLE001 - any error of one file is that file's failure
            conn.execute("rollback")
            reason = f"{LOADER_ERROR} {type(error).__name__}: {first_line(str(error))}"
        except BaseException:
            conn.execute("rollback")
            raise
    conn.execute("drop table if exists _src")
    if reason is None:
        return None
    drop_temps(conn)
    batch_id = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
    entity = ENTITY_BY_TABLE[adapter.targets[0].table]
    record_manifest(
        conn, batch_id, entity, file.rel, file.sha, file.size, file.mtime_ns, "failed", None, 0, 0, reason, started
    )
    return reason


def _write(conn, adapter: Adapter, file: Pending, note, summary: LoadSummary, say: Progress, run: Run, started) -> None:
    recorded = False
    for index, target in enumerate(adapter.targets):
        entity = ENTITY_BY_TABLE[target.table]
        # A table the file delivers nothing to gets no manifest row (it is not fresher for it);
        # a file that delivers nothing at all is still recorded once, so it is not read again.
        if (recorded or index < len(adapter.targets) - 1) and not conn.execute(
            f"select count(*) from _src where {target.where}"
        ).fetchone()[0]:
            continue
        recorded = True
        conn.execute(f"create or replace temp view _incoming as {target.sql()}")
        validate(conn, entity, run.bounds)
        unmapped = conn.execute(
            "select count(*) from _rejected where contains(_reason, 'unmapped_account')"
        ).fetchone()[0]
        batch_id = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
        outcome = commit_staged(conn, entity, batch_id, file.rel, Staged(note=note, raw_sql=RAW_SQL))
        record_manifest(
            conn, batch_id, entity, file.rel, file.sha, file.size, file.mtime_ns, "loaded",
            outcome.rows_delivered, outcome.rows_loaded, outcome.rows_quarantined, note, started,
        )  # fmt: skip
        stats = summary.entities[target.table]
        stats.files_loaded += 1
        stats.rows_loaded += outcome.rows_loaded
        stats.rows_quarantined += outcome.rows_quarantined
        summary.unmapped[adapter.folder] += unmapped
        say(
            f"{target.table}: {file.rel}: {outcome.rows_loaded:,} rows loaded, "
            f"{outcome.rows_quarantined:,} quarantined ({unmapped:,} unmapped_account)"
        )
