"""Write, audit, publish: the build file's life cycle and the atomic swap BI tools read.

* **Write.** A refresh writes only the private build file ``<warehouse>/build/cxcs.duckdb``.
  ``begin_build`` runs first: it takes the warehouse's refresh lock and, when the previous
  run did not end in a publication (failed gate, failed dbt, a crash or ``kill -9``), it
  throws that run's build away and starts from the last publication (a copy of
  the private snapshot of the last published build; a fresh file when nothing was published
  yet).  Incremental models and the load manifest therefore always continue from the last
  good state, never from a half-applied one.  After a publication the build file persists
  and the next run continues from it (it is byte for byte the snapshot).
* **Audit.** ``orchestration.quality`` validates the build (GX suites) after dbt's tests.
* **Publish.** ``publish`` records the publication in ``marts.publication`` inside the
  build and checkpoints it; it keeps a private snapshot of the whole build
  (``<warehouse>/build/snapshot/cxcs.duckdb``: the last good state a failed run restores);
  it writes the public copy (``orchestration.public_copy``: marts, semantic layer, seeds and
  the load bookkeeping, nothing with personal data) next to the published file and renames
  it over ``<warehouse>/cxcs.duckdb`` with ``os.replace`` (atomic on POSIX).  The publisher
  never opens the published path: a reader opens either the previous file or the new one,
  never a half-written one, and never meets a lock (a reader that still has the previous
  file open keeps reading it; the next open sees the new one).

The state of the build file is kept in ``<warehouse>/build/build_state.json``:
``{"status": "building" | "published", "run_id": ..., "inputs": ...}`` (``inputs``: the digest of
what the build was made from, orchestration.build_inputs; a run whose inputs equal the last
publication's builds nothing).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.config import apply_duckdb_settings
from orchestration.public_copy import write_public_copy

PUBLICATION_TABLE = "marts.publication"
STATE_FILE = "build_state.json"
LOCK_FILE = ".refresh.lock"
SNAPSHOT_DIR = "snapshot"

PUBLICATION_DDL = f"""
create table if not exists {PUBLICATION_TABLE} (
    run_id varchar not null,               -- the run that built, audited and published the file
    published_at timestamp not null,       -- when it was published (UTC)
    mart varchar not null,                 -- table in schema marts
    row_count bigint not null,             -- rows of the mart in this publication
    dbt_tests_passed integer not null,     -- blocking dbt tests of the mart that passed in the run
    gx_expectations_passed integer not null,  -- blocking (critical) GX expectations that passed
    warnings integer not null,             -- warn-only checks that did not pass (published anyway)
    primary key (run_id, mart)
)
"""


class BuildLocked(RuntimeError):
    """Another refresh holds this warehouse's build file."""


@dataclass(frozen=True)
class MartChecks:
    dbt_tests_passed: int = 0
    gx_expectations_passed: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class Publication:
    path: Path
    size_bytes: int
    run_id: str = ""
    published_at: datetime | None = None
    row_counts: Mapping[str, int] = field(default_factory=dict)


# --------------------------------------------------------------------------- build state


def snapshot_path(build_path: Path) -> Path:
    """The private copy of the last published build (raw included), what a failed run restores."""
    return build_path.parent / SNAPSHOT_DIR / build_path.name


def _has_raw(path: Path) -> bool:
    """Whether a published file is a full build copy (published before the public copy existed)."""
    with duckdb.connect(str(path), read_only=True) as conn:
        return bool(
            conn.execute(
                "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = 'load_manifest'"
            ).fetchone()[0]
        )


def state_path(build_path: Path) -> Path:
    return build_path.with_name(STATE_FILE)


def read_state(build_path: Path) -> dict[str, str] | None:
    path = state_path(build_path)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None  # a torn write counts as unknown: treated like an unpublished build


def write_state(build_path: Path, status: str, run_id: str, **details: str) -> None:
    """``details``: ``inputs`` (the digest the build was made from, orchestration.build_inputs)
    and, while building on a publication, ``published_run_id`` / ``published_inputs``."""
    path = state_path(build_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    state = {"status": status, "run_id": run_id, "at": datetime.now(UTC).isoformat(), **details}
    tmp.write_text(json.dumps(state) + "\n", encoding="utf-8")
    os.replace(tmp, path)


_lock: tuple[Path, int] | None = None


def acquire_build_lock(build_path: Path) -> None:
    """Hold the warehouse's refresh lock for the rest of this process (or until ``release``).

    One refresh per warehouse at a time: a second one fails fast instead of restoring over a
    build file another process is writing.  The OS drops the lock when the process dies,
    however it dies.
    """
    global _lock
    path = build_path.with_name(LOCK_FILE)
    if _lock is not None:
        if _lock[0] == path:
            return
        release_build_lock()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BuildLocked(f"another refresh is running on {build_path.parent} (lock {path})") from None
    _lock = (path, fd)


def build_lock_held(build_path: Path) -> bool:
    """Whether some process holds the warehouse's refresh lock now (the landing sensor asks, from
    the daemon). A probe: takes the lock without waiting and drops it at once."""
    path = build_path.with_name(LOCK_FILE)
    if _lock is not None and _lock[0] == path:
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def release_build_lock() -> None:
    global _lock
    if _lock is not None:
        fcntl.flock(_lock[1], fcntl.LOCK_UN)
        os.close(_lock[1])
        _lock = None


def _remove_database(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _copy_durably(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` through a temporary file and an atomic rename."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    dir_fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def begin_build(build_path: Path, published_path: Path, run_id: str, say: Callable[[str], None] | None = None) -> str:
    """Start a refresh on the build file; returns ``continued``, ``restored``, ``reset`` or ``new``."""
    say = say or (lambda message: None)
    acquire_build_lock(build_path)
    state = read_state(build_path)
    wal = build_path.with_name(build_path.name + ".wal")
    published: dict[str, str] = {}
    if not build_path.exists() and not wal.exists():
        outcome = "new"
    elif state is not None and state.get("status") == "published":
        outcome = "continued"
        # What the publication was built from: a run that finds the same inputs skips its build.
        published = {"published_run_id": state.get("run_id", ""), "published_inputs": state.get("inputs", "")}
    else:
        previous = (state or {}).get("run_id", "unknown")
        snapshot = snapshot_path(build_path)
        # The published file holds no raw data: only a warehouse published before the public
        # copy existed has a full build there to restore from.
        source = (
            snapshot
            if snapshot.exists()
            else (published_path if published_path.exists() and _has_raw(published_path) else None)
        )
        if source is not None:
            # The WAL of the discarded build must go first: DuckDB would replay it into the copy.
            _remove_database(build_path)
            _copy_durably(source, build_path)
            outcome = "restored"
            say(
                f"the previous run ({previous}) did not publish: its build is discarded, "
                f"starting again from the last publication {published_path}"
            )
        else:
            _remove_database(build_path)
            outcome = "reset"
            say(
                f"the previous run ({previous}) did not publish and nothing was published yet: "
                "starting from an empty build file"
            )
    write_state(build_path, "building", run_id, **published)
    return outcome


# --------------------------------------------------------------------------- publish


def checkpoint(build_path: Path) -> None:
    """Fold the write-ahead log into the database file so a file copy is complete."""
    with duckdb.connect(str(build_path)) as conn:
        apply_duckdb_settings(conn)
        conn.execute("checkpoint")


def record_publication(
    conn: duckdb.DuckDBPyConnection, run_id: str, published_at: datetime, checks: Mapping[str, MartChecks]
) -> dict[str, int]:
    """Add this publication's rows (one per mart) to ``marts.publication``; returns row counts."""
    conn.execute("create schema if not exists marts")
    conn.execute(PUBLICATION_DDL)
    marts = [
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_name <> 'publication' order by 1"
        ).fetchall()
    ]
    counts = {m: int(conn.execute(f'select count(*) from marts."{m}"').fetchone()[0]) for m in marts}
    conn.execute(f"delete from {PUBLICATION_TABLE} where run_id = ?", [run_id])
    rows = [
        (
            run_id,
            published_at.replace(tzinfo=None),
            m,
            counts[m],
            c.dbt_tests_passed,
            c.gx_expectations_passed,
            c.warnings,
        )
        for m in marts
        for c in [checks.get(m, MartChecks())]
    ]
    if rows:
        conn.executemany(f"insert into {PUBLICATION_TABLE} values (?, ?, ?, ?, ?, ?, ?)", rows)
    return counts


def publish(
    build_path: Path,
    published_path: Path,
    run_id: str = "manual",
    checks: Mapping[str, MartChecks] | None = None,
) -> Publication:
    """Record the publication in the build, then swap a copy of it in as the published file."""
    if build_path.name != published_path.name:
        # Views in the file name their catalog, which DuckDB takes from the file name.
        raise ValueError(
            f"build file {build_path.name!r} and published file {published_path.name!r} must share a file name"
        )
    if not build_path.exists():
        raise FileNotFoundError(f"build file {build_path} does not exist: nothing to publish")
    published_at = datetime.now(UTC)
    with duckdb.connect(str(build_path)) as conn:
        conn.execute("begin transaction")
        counts = record_publication(conn, run_id, published_at, checks or {})
        conn.execute("commit")
        conn.execute("checkpoint")
    published_path.parent.mkdir(parents=True, exist_ok=True)
    # The public copy is written and cleaned in a private folder next to the published file
    # (same file system: the rename is atomic), under the published file's name (views name
    # their catalog after it).
    for stale in published_path.parent.glob(".publishing-*"):
        # A crashed publisher's leftovers: this process holds the refresh lock, so no other
        # publisher is writing there now.
        shutil.rmtree(stale, ignore_errors=True)
    staging_dir = published_path.parent / f".publishing-{os.getpid()}"
    staging_dir.mkdir()
    try:
        public = staging_dir / published_path.name
        write_public_copy(build_path, public)
        # Snapshot before the swap: a crash between the two leaves a snapshot one publication
        # ahead, which the next run restores and publishes (nothing loaded is lost).
        snapshot = snapshot_path(build_path)
        snapshot.parent.mkdir(parents=True, exist_ok=True)
        _copy_durably(build_path, snapshot)
        os.replace(public, published_path)
        _fsync_dir(published_path.parent)
    finally:
        shutil.rmtree(staging_dir, ignore_errors=True)
    write_state(build_path, "published", run_id, inputs=(read_state(build_path) or {}).get("inputs", ""))
    release_build_lock()
    return Publication(
        path=published_path,
        size_bytes=published_path.stat().st_size,
        run_id=run_id,
        published_at=published_at,
        row_counts=counts,
    )


def current_publication(published_path: Path) -> tuple[str, dict[str, int]] | None:
    """Run id and row count per mart of the file BI tools read now (``None`` before the first)."""
    if not published_path.exists():
        return None
    with duckdb.connect(str(published_path), read_only=True) as conn:
        try:
            rows = conn.execute(
                f"select run_id, mart, row_count from {PUBLICATION_TABLE} "
                f"where run_id = (select run_id from {PUBLICATION_TABLE} order by published_at desc limit 1)"
            ).fetchall()
        except duckdb.CatalogException:
            return None
    if not rows:
        return None
    return rows[0][0], {mart: int(count) for _, mart, count in rows}
