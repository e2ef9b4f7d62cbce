"""The load loop: discover the landing, skip what was loaded before, group JSON Lines event
files, and load every other file on its own (``files``), collecting a ``LoadSummary``."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from orchestration.config import apply_duckdb_settings, earliest_plausible, max_future_skew
from orchestration.contract import ENTITIES, Entity
from orchestration.landing_files import Ignored, ReadablePaths, discover, display, sha256_file
from orchestration.loading.files import load_file
from orchestration.loading.groups import load_jsonl_group
from orchestration.loading.results import LOADER_ERROR, EntityLoad, LoadSummary, Pending, Progress, Run
from orchestration.plausibility import TimeBounds
from orchestration.raw_schema import MANIFEST_TABLE, ensure_raw_schema

# JSON Lines event files are read, validated and committed in groups of about this many lines
# (one scan and one transaction per group instead of per file: per-statement and per-commit
# costs stop mattering, both cores read, and a group's rows are written straight to the
# database file instead of through the write-ahead log).  Sizes estimate the lines.
GROUP_ROWS = 1_000_000
GZ_BYTES_PER_LINE = 30
JSONL_BYTES_PER_LINE = 230


def load_landing(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    entities: Iterable[str] | None = None,
    progress: Progress | None = None,
    earliest: datetime | None = None,
    max_future: timedelta | None = None,
) -> LoadSummary:
    """Load every new landing file of the selected raw tables (default: all).

    ``earliest`` and ``max_future`` bound plausible timestamps (default: the settings
    ``CXCS_EARLIEST_PLAUSIBLE`` and ``CXCS_MAX_FUTURE_HOURS``); the load time is now."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    wanted = set(entities) if entities is not None else None
    unknown = sorted(wanted - {e.table for e in ENTITIES}) if wanted is not None else []
    if unknown:
        raise ValueError(f"unknown raw tables: {', '.join(unknown)}; known: {', '.join(e.table for e in ENTITIES)}")
    conn.execute("set TimeZone = 'UTC'")
    apply_duckdb_settings(conn)
    ensure_raw_schema(conn)
    summary = LoadSummary(entities={})
    now = datetime.now(UTC).replace(tzinfo=None)
    bounds = TimeBounds.at(
        now,
        earliest if earliest is not None else earliest_plausible(),
        max_future if max_future is not None else max_future_skew(),
    )
    run = Run(bounds=bounds, readable=ReadablePaths())
    landing = discover(Path(landing_dir))
    try:
        _record_ignored(conn, landing.ignored, summary, say)
        for entity in ENTITIES:
            if wanted is not None and entity.table not in wanted:
                continue
            stats = summary.entities[entity.table] = EntityLoad()
            _load_entity(conn, Path(landing_dir), landing.files[entity.table], entity, stats, say, run)
        # After the native files: the adapters' rows go through the same validation and insert.
        from orchestration.adapters.load import load_adapters  # the adapters import the loader

        load_adapters(conn, Path(landing_dir), landing.adapter_files, wanted, summary, say, run)
    finally:
        run.readable.close()
    summary.seconds = time.monotonic() - started
    return summary


def _record_ignored(
    conn: duckdb.DuckDBPyConnection, ignored: list[Ignored], summary: LoadSummary, say: Progress
) -> None:
    """List every ignored entry in the summary; record it in the manifest once per
    path/size/mtime (like a loaded file), not again on every run."""
    known = set(
        conn.execute(
            f"select file_path, size_bytes, mtime_ns from {MANIFEST_TABLE} where status = 'ignored'"
        ).fetchall()
    )
    for item in ignored:
        summary.ignored.append((item.rel, item.reason))
        say(f"ignored {item.rel}: {item.reason}")
        if (item.rel, item.size, item.mtime_ns) in known:
            continue
        batch_id = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
        conn.execute(
            f"insert into {MANIFEST_TABLE} values (?, ?, ?, '', ?, ?, 'ignored', null, 0, 0, ?, "
            "cast(current_timestamp as timestamp), cast(current_timestamp as timestamp))",
            [batch_id, item.entity, item.rel, item.size, item.mtime_ns, item.reason],
        )


def _failed_again(stats: EntityLoad, say: Progress, entity: Entity, rel: str, reason: str) -> None:
    """A failed file still in the landing: reported on every run, not recorded again."""
    stats.files_failed.append((rel, reason))
    say(f"{entity.table}: FAILED (still in the landing, same bytes) {rel}: {reason}")


def _load_entity(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    files: list[Path],
    entity: Entity,
    stats: EntityLoad,
    say: Progress,
    run: Run,
) -> None:
    known = conn.execute(
        f"select file_path, size_bytes, mtime_ns, sha256, status, reason from {MANIFEST_TABLE} "
        "where entity = ? and status in ('loaded', 'failed') order by batch_id",
        [entity.table],
    ).fetchall()
    # The latest record of a path/size/mtime or path/content decides (a retried loader_error
    # that then loaded is loaded).
    by_stats = {(path, size, mtime): (status, reason) for path, size, mtime, _, status, reason in known}
    by_content = {(path, sha): (status, reason) for path, _, _, sha, status, reason in known}
    loaded_hashes = {sha for _, _, _, sha, status, _ in known if status == "loaded"}
    pending: list[Pending] = []
    for path in files:
        rel = display(path.relative_to(landing_dir).as_posix())
        try:
            info = path.stat()
            status, reason = by_stats.get((rel, info.st_size, info.st_mtime_ns), (None, None))
            if status == "loaded":
                stats.files_skipped += 1
                continue
            if status == "failed" and not reason.startswith(LOADER_ERROR):
                _failed_again(stats, say, entity, rel, reason)
                continue
            sha = sha256_file(path)
        except OSError as error:  # vanished or unreadable between listing and reading
            reason = f"unreadable: {type(error).__name__}: {error.strerror or error}"
            stats.files_failed.append((rel, reason))
            say(f"{entity.table}: FAILED {rel}: {reason}")
            continue
        if sha in loaded_hashes:
            stats.files_skipped += 1
            continue
        status, reason = by_content.get((rel, sha), (None, None))
        if status == "failed" and not reason.startswith(LOADER_ERROR):
            _failed_again(stats, say, entity, rel, reason)
            continue
        loaded_hashes.add(sha)
        pending.append(Pending(path, rel, sha, info.st_size, info.st_mtime_ns))
    for group in _groups(entity, pending):
        # JSON Lines event files, even one alone, try the fast path first (``load_jsonl_group``).
        outcomes = load_jsonl_group(conn, entity, group, run) if _is_jsonl_group(entity, group) else None
        if outcomes is None:  # one file, or a group that needs the per-file path to tell which file is bad
            outcomes = [load_file(conn, entity, p.path, p.rel, p.sha, p.size, p.mtime_ns, run) for p in group]
        for file, (outcome, reason) in zip(group, outcomes, strict=True):
            if outcome is None:
                stats.files_failed.append((file.rel, reason or "failed"))
                say(f"{entity.table}: FAILED {file.rel}: {reason}")
                continue
            stats.files_loaded += 1
            stats.rows_loaded += outcome.rows_loaded
            stats.rows_quarantined += outcome.rows_quarantined
            say(
                f"{entity.table}: {file.rel}: {outcome.rows_loaded:,} rows loaded, {outcome.rows_quarantined:,} quarantined"
            )
    if not files:
        say(f"{entity.table}: no landing files yet")


def _is_jsonl_group(entity: Entity, group: list[Pending]) -> bool:
    return entity.table == "product_events" and all(
        f.size > 0 and f.path.name.lower().endswith((".jsonl", ".jsonl.gz")) for f in group
    )


def _groups(entity: Entity, pending: list[Pending]) -> list[list[Pending]]:
    """Consecutive non-empty JSON Lines event files, up to about ``GROUP_ROWS`` lines a group
    (estimated from file sizes); every other file is a group of its own."""
    groups: list[list[Pending]] = []
    current: list[Pending] = []
    estimate = 0
    for file in pending:
        name = file.path.name.lower()
        if entity.table != "product_events" or file.size == 0 or not name.endswith((".jsonl", ".jsonl.gz")):
            if current:
                groups.append(current)
                current, estimate = [], 0
            groups.append([file])
            continue
        lines = file.size // (GZ_BYTES_PER_LINE if name.endswith(".gz") else JSONL_BYTES_PER_LINE)
        if current and estimate + lines > GROUP_ROWS:
            groups.append(current)
            current, estimate = [], 0
        current.append(file)
        estimate += lines
    if current:
        groups.append(current)
    return groups
