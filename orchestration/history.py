"""Month-end history: the marts as the warehouse knew them at the end of each past month.

A publication shows every metric as of one day. "What did we report as June's NRR at the end
of June, and at the end of September?" needs the marts as they would have been built at each
month-end. They can be rebuilt exactly: every model honours the dbt var ``as_of_date`` (the
warehouse as built at the end of that day, DECISIONLOG "What as-of D means"), so a build of
today's raw layer with ``as_of_date`` D equals the build D's own data would have given.

For each month-end D this module rebuilds every model from scratch with ``as_of_date`` D in a
private work file (a copy of the last PUBLISHED build's snapshot, raw layer included: the
history never reads data the quality gate did not pass), runs dbt's tests in the same build and
the Great Expectations gate on its marts, and only then writes each mart to
``<warehouse>/history/<mart>/as_of_date=D/data.parquet``: one Parquet file per mart and
month-end (hive-partitioned, so DuckDB, Spark, pandas and most BI tools read a mart's whole
history with one glob), each row carrying ``as_of_date``. ``history/publication/`` records per
month-end and mart the rows written and the expectations that passed. Writing a month again
replaces its files (idempotent); a month whose build or gate fails writes nothing and is
reported. The Dagster side (a monthly-partitioned asset, one run per backfill) is
``orchestration.defs.history``; ``cxcs backfill`` runs it.
"""

from __future__ import annotations

import calendar
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.config import Settings, apply_duckdb_settings
from orchestration.publish import PUBLICATION_TABLE, snapshot_path

HISTORY_DIR = "history"
MANIFEST_MART = "publication"  # history/publication/: what each month-end holds
BACKFILL_LOCK_FILE = "history.lock"  # in <warehouse>/build/, beside the refresh's lock


def month_end(month: date) -> date:
    """The last day of ``month`` (any day of it)."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def last_complete_months(as_of: date, months: int) -> list[date]:
    """The first days of the ``months`` latest months that had ended by ``as_of`` (its last day
    included, as orchestration.latest_month counts), oldest first."""
    # Months counted as year * 12 + month - 1, so stepping back over a new year is arithmetic.
    last = as_of.year * 12 + as_of.month - 1 - (0 if month_end(as_of) == as_of else 1)
    return [date(i // 12, i % 12 + 1, 1) for i in range(last - months + 1, last + 1)]


def history_dir(warehouse_dir: Path) -> Path:
    return warehouse_dir / HISTORY_DIR


@dataclass
class MonthOutcome:
    as_of: date
    rows: dict[str, int]  # mart -> rows written; empty when the month failed
    error: str | None = None


@contextmanager
def work_copy(settings: Settings) -> Iterator[Settings]:
    """Settings whose build file is a private copy of the last published build (raw included),
    under ``<warehouse>/build/history/``; removed afterwards. The snapshot is replaced only by an
    atomic rename (orchestration.publish), so copying it needs no lock: a refresh running now
    publishes a new one beside the copy."""
    source = snapshot_path(settings.build_path)
    if not source.exists():
        raise FileNotFoundError(
            f"no published build to rebuild history from ({source} is missing): run `cxcs refresh` first"
        )
    folder = settings.build_path.parent / HISTORY_DIR
    with _backfill_lock(settings.build_path.parent):
        shutil.rmtree(folder, ignore_errors=True)  # a crashed backfill's leftovers (no backfill runs now)
        folder.mkdir(parents=True)
        yield from _work_file(settings, source, folder)


class BackfillRunning(RuntimeError):
    """Another backfill of the same warehouse holds the history lock."""


@contextmanager
def _backfill_lock(build_dir: Path) -> Iterator[None]:
    """One backfill per warehouse at a time: two would share (and remove) one work folder. The
    second fails at once, naming the lock; the OS drops the lock when its holder dies, however
    it dies. A refresh does not take it: the backfill reads only the published snapshot."""
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / BACKFILL_LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackfillRunning(
                f"another backfill is running on {build_dir.parent} (lock {path}); nothing was rebuilt"
            ) from None
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _work_file(settings: Settings, source: Path, folder: Path) -> Iterator[Settings]:
    # Named like the build file: the parsed project's relations name the catalog by file stem.
    work = folder / settings.build_path.name
    shutil.copyfile(source, work)
    with duckdb.connect(str(work)) as conn:
        # The copy's publication log belongs to the live warehouse, not to a month-end.
        conn.execute(f"drop table if exists {PUBLICATION_TABLE}")
    try:
        yield Settings(settings.landing_dir, settings.warehouse_dir, work, settings.duckdb_memory_limit)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def mart_tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
    ]


def export_month(
    build_path: Path, target_dir: Path, as_of: date, run_id: str, checks: dict[str, tuple[int, int]]
) -> dict[str, int]:
    """Write every mart of the build (as of ``as_of``) and the month's manifest rows to
    ``target_dir/<mart>/as_of_date=<as_of>/data.parquet``, replacing that month's files.
    ``checks``: mart -> (critical expectations passed, warnings). Returns rows per mart."""
    day = as_of.isoformat()
    incoming = target_dir / f".incoming-{uuid.uuid4().hex[:8]}"
    rows: dict[str, int] = {}
    try:
        with duckdb.connect(str(build_path), read_only=True) as conn:
            apply_duckdb_settings(conn)
            for mart in mart_tables(conn):
                columns = [c for (c,) in conn.execute(f"select column_name from (describe marts.{mart})").fetchall()]
                # Every history row says which month-end it is from; customer_360 already carries
                # its as-of date (the same value: one per build).
                select = "*" if "as_of_date" in columns else f"cast('{day}' as date) as as_of_date, *"
                path = incoming / mart / f"as_of_date={day}" / "data.parquet"
                path.parent.mkdir(parents=True)
                conn.execute(f"copy (select {select} from marts.{mart}) to '{path}' (format parquet)")
                rows[mart] = int(conn.execute(f"select count(*) from marts.{mart}").fetchone()[0])
            manifest = incoming / MANIFEST_MART / f"as_of_date={day}" / "data.parquet"
            manifest.parent.mkdir(parents=True)
            built_at = datetime.now(UTC).replace(tzinfo=None)
            conn.execute(
                "create temp table month_manifest (as_of_date date, run_id varchar, built_at timestamp, "
                "mart varchar, row_count bigint, gx_expectations_passed integer, warnings integer)"
            )
            conn.executemany(
                "insert into month_manifest values (?, ?, ?, ?, ?, ?, ?)",
                [(as_of, run_id, built_at, m, n, *checks.get(m, (0, 0))) for m, n in rows.items()],
            )
            conn.execute(f"copy month_manifest to '{manifest}' (format parquet)")
        # Swap each mart's month folder in: a reader sees the old file or the new one.
        for mart in [*rows, MANIFEST_MART]:
            new, final = incoming / mart / f"as_of_date={day}", target_dir / mart / f"as_of_date={day}"
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():
                old = incoming / f"{mart}.replaced"
                final.rename(old)
            new.rename(final)
    finally:
        shutil.rmtree(incoming, ignore_errors=True)
    return rows
