"""The incremental events rollup and its downstream marts rebuild the days that newly loaded
raw batches touch, however old or far in the future those days are (issue 14, items 1-2).

A tiny generated demo (4 accounts, 6 days up to 2024-03-10, as-of 2024-03-11) is loaded with
the real loader and built for real (``dbt run`` of ``+cs_account_health_daily``); then, one
delivery at a time, each followed by an incremental run:

(a) a clock-skewed event dated 2027-06-01 in a batch of its own, written straight into
    ``raw.product_events`` with its manifest row (the loader may quarantine such a timestamp;
    the rollup must be right without that guard; it occurred after the as-of date, so the
    build leaves it out), then 20 events on 2024-03-11, a day after the last loaded day, in a
    landing file: the rollup and the usage mart count the 20;
(b) 10 events dated 2024-02-19, 20 days before the last day (before the product history
    started), in a landing file: the rollup counts the 10.

Expected values are the delivered counts. Finally a copy of the build file gets a
``--full-refresh`` build: the rollup, ``product_usage_daily`` and ``cs_account_health_daily``
must equal the incremental ones row for row (EXCEPT ALL both ways).

Run alone: ``.venv/bin/python -m pytest tests_py/test_incremental_batches.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dbt_build import run_dbt

from orchestration.loading import load_landing
from tests_py.demo_warehouse import loaded_demo

END = date(2024, 3, 10)
LATER_DAY = END + timedelta(days=1)
LATE_DAY = END - timedelta(days=20)
SKEW_AT = datetime(2027, 6, 1, 12, 0, 0)
VARS = {"as_of_date": LATER_DAY.isoformat()}
SELECT = "+cs_account_health_daily"
COMPARED = [
    "intermediate.int_product__activity_daily",
    "marts.product_usage_daily",
    "marts.cs_account_health_daily",
]


def dbt(database: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_dbt(database, tmp, *args, dbt_vars=VARS)


def write_events(path: Path, account_id: str, user_id: str, prefix: str, day: date, count: int) -> None:
    """``count`` session events of ``user_id`` at 10:00, 10:01, ... UTC on ``day``, received
    at noon on END."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            occurred = datetime(day.year, day.month, day.day, 10, i)
            handle.write(
                json.dumps(
                    {
                        "event_id": f"{prefix}_{i:03d}",
                        "account_id": account_id,
                        "user_id": user_id,
                        "event_name": "session_started",
                        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "received_at": f"{END.isoformat()}T12:00:00Z",
                    }
                )
                + "\n"
            )


def insert_skewed_batch(database: Path, account_id: str, user_id: str) -> None:
    """One event dated SKEW_AT as a batch of its own, straight into raw (with its manifest
    row, so the loader's next batch id is above it)."""
    with duckdb.connect(str(database)) as conn:
        (batch,) = conn.execute("select coalesce(max(batch_id), 0) + 1 from raw.load_manifest").fetchone()
        conn.execute(
            "insert into raw.load_manifest (batch_id, entity, file_path, sha256, size_bytes, mtime_ns, status,"
            " rows_delivered, rows_loaded, rows_quarantined, reason, started_at, finished_at)"
            " values (?, 'product_events', 'product/events/skew.jsonl', 'skew', 1, 0, 'loaded', 1, 1, 0, null,"
            " current_timestamp, current_timestamp)",
            [batch],
        )
        conn.execute(
            "insert into raw.product_events (event_id, account_id, user_id, event_name, occurred_at, received_at,"
            " _batch_id, _row_number, _loaded_at) values ('evt_skew', ?, ?, 'session_started', ?, ?, ?, 1,"
            " current_timestamp)",
            [account_id, user_id, SKEW_AT, datetime(END.year, END.month, END.day, 12), batch],
        )


def user_events(database: Path, day: date) -> int | None:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(
            "select sum(events) from intermediate.int_product__activity_daily"
            " where rollup_level = 'user' and activity_date = ?",
            [day],
        ).fetchone()[0]


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("batches")
    landing, database = loaded_demo(tmp, accounts=4, days=6, seed=3, end_date=END)
    with duckdb.connect(str(database), read_only=True) as conn:
        account_id, user_id = conn.execute(
            "select account_id, min(user_id) from raw.product_users group by 1 order by 1 limit 1"
        ).fetchone()
    dbt(database, tmp, "seed")
    dbt(database, tmp, "run", "--select", SELECT)
    seen: dict[str, object] = {}

    # (a) A future-dated event in its own batch, then 20 events on the next day.
    insert_skewed_batch(database, account_id, user_id)
    dbt(database, tmp, "run", "--select", SELECT)
    seen["skew"] = user_events(database, SKEW_AT.date())
    write_events(landing / "product" / "events" / "later.jsonl", account_id, user_id, "evt_later", LATER_DAY, 20)
    with duckdb.connect(str(database)) as conn:
        load_landing(conn, landing, entities=["product_events"])
    dbt(database, tmp, "run", "--select", SELECT)
    seen["later"] = user_events(database, LATER_DAY)
    with duckdb.connect(str(database), read_only=True) as conn:
        seen["usage_later"] = conn.execute(
            "select events from marts.product_usage_daily where account_id = ? and date = ?",
            [account_id, LATER_DAY],
        ).fetchone()

    # (b) 10 events that occurred 20 days before the last day, delivered now.
    write_events(landing / "product" / "events" / "late.jsonl", account_id, user_id, "evt_late", LATE_DAY, 10)
    with duckdb.connect(str(database)) as conn:
        load_landing(conn, landing, entities=["product_events"])
    dbt(database, tmp, "run", "--select", SELECT)
    seen["late"] = user_events(database, LATE_DAY)

    full = tmp / "full" / "cxcs.duckdb"
    full.parent.mkdir()
    shutil.copy(database, full)
    dbt(full, tmp, "run", "--full-refresh", "--select", SELECT)
    return {"incremental": database, "full": full, "seen": seen, "account_id": account_id}


def test_future_dated_event_does_not_hide_later_events(builds: dict[str, object]) -> None:
    seen = builds["seen"]
    # The skewed event occurred after the as-of date: the staging cut leaves it out of the
    # rollup (DECISIONLOG "What as-of D means"), and its batch must still not move the cutoff.
    assert seen["skew"] is None
    assert seen["later"] == 20  # the 20 events delivered after it, on the day after the last one
    assert seen["usage_later"] == (20,)


def test_events_delivered_weeks_late_are_counted(builds: dict[str, object]) -> None:
    assert builds["seen"]["late"] == 10


def test_incremental_equals_full_refresh(builds: dict[str, object]) -> None:
    with duckdb.connect(str(builds["full"]), read_only=True) as conn:
        conn.execute(f"attach '{builds['incremental']}' as inc (read_only)")
        for name in COMPARED:
            rows = conn.execute(f"select count(*) from {name}").fetchone()[0]
            only_full = conn.execute(f"select count(*) from (from {name} except all from inc.{name})").fetchone()[0]
            only_inc = conn.execute(f"select count(*) from (from inc.{name} except all from {name})").fetchone()[0]
            assert rows > 0, name
            assert (only_full, only_inc) == (0, 0), (
                f"{name}: {only_full} rows only in full, {only_inc} only in incremental of {rows}"
            )
