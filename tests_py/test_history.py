"""The month-end history (`cxcs backfill`, the Dagster ``history`` job): month-ends of the
session's 60-account demo (data 2025-05 .. 2026-06-30) rebuilt in one run, each exactly as of its
last day, written where a BI tool reads them, validated, and idempotent.

Three month-ends over a new year (2025-11-30 .. 2026-01-31), not the default twelve: each
month-end is a whole dbt build and gate (21-35 s each alone on the CI host), and what the tests
check (a closed month unchanged at later month-ends, a cohort open at one and closed at the next,
the months kept outside the range, the year boundary) needs three. The default range is checked
without a build (test_the_default_range_is_the_last_twelve_complete_months)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from conftest import held_by_another_process

from orchestration.history import BACKFILL_LOCK_FILE, MANIFEST_MART, last_complete_months, month_end
from orchestration.quality import load_suites
from tests_py.demo_warehouse import published_demo, run_cli

THROUGH, MONTHS = date(2026, 1, 31), 3
MONTH_ENDS = [month_end(m) for m in last_complete_months(THROUGH, MONTHS)]
# A month-end outside the backfilled range: a backfill leaves the other months alone.
KEPT = date(2025, 6, 30)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the demo's publication (the published file and the build snapshot the history
    rebuilds from), a planted stale file in one month of the range and one month outside it,
    then `cxcs backfill --months 3 --through 2026-01-31`."""
    _, warehouse = published_demo(tmp_path_factory)
    target = tmp_path_factory.mktemp("history") / "warehouse"
    (target / "build" / "snapshot").mkdir(parents=True)
    shutil.copyfile(warehouse / "cxcs.duckdb", target / "cxcs.duckdb")
    shutil.copyfile(warehouse / "build" / "snapshot" / "cxcs.duckdb", target / "build" / "snapshot" / "cxcs.duckdb")
    with duckdb.connect(str(target / "cxcs.duckdb"), read_only=True) as conn:
        # Same columns as a history file: a stale (empty) last month, a kept month before the range.
        for day, rows in ((MONTH_ENDS[-1], "where false"), (KEPT, "")):
            folder = target / "history" / "cs_renewals" / f"as_of_date={day}"
            folder.mkdir(parents=True)
            select = f"select date '{day}' as as_of_date, * from marts.cs_renewals {rows}"
            conn.execute(f"copy ({select}) to '{folder / 'data.parquet'}' (format parquet)")
    result = run_cli("backfill", "--warehouse", str(target), "--months", str(MONTHS), "--through", str(THROUGH))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return target / "history", result.stdout


def _read(history: Path, mart: str, where: str = "true") -> duckdb.DuckDBPyRelation:
    return duckdb.sql(f"select * from read_parquet('{history / mart}/*/*.parquet') where {where}")


def test_every_mart_has_its_month_ends_and_a_validated_manifest(
    backfilled: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    history, stdout = backfilled
    _, warehouse = published_demo(tmp_path_factory)
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        marts = {
            t
            for (t,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "and table_type = 'BASE TABLE' and table_name <> 'publication'"
            ).fetchall()
        }
    assert {p.name for p in history.iterdir() if not p.name.startswith(".")} == marts | {MANIFEST_MART}
    for mart in marts:
        # A folder per month-end, also where the mart was empty then (a retention fit needs months).
        days = {date.fromisoformat(p.name.removeprefix("as_of_date=")) for p in (history / mart).iterdir()}
        assert sorted(days) == (MONTH_ENDS if mart != "cs_renewals" else [KEPT, *MONTH_ENDS]), mart
    assert f"month-ends {MONTH_ENDS[0]} .. {MONTH_ENDS[-1]} ({MONTHS})" in stdout
    manifest = _read(history, MANIFEST_MART)
    assert manifest.aggregate("count(*), count(distinct as_of_date), count(distinct run_id)").fetchone() == (
        MONTHS * len(marts),
        MONTHS,
        1,
    )
    # Each manifest row counts what was written for that month-end, and every mart with a suite and
    # rows passed the critical expectations of its suite in that month's gate (the row count at
    # least). The Python models' tables in schema marts (int_churn__model, ...) have no suite.
    suites = {s.mart for s in load_suites()}
    for mart, day, row_count, passed in manifest.project(
        "mart, as_of_date, row_count, gx_expectations_passed"
    ).fetchall():
        assert _read(history, mart, f"as_of_date = '{day}'").aggregate("count(*)").fetchone()[0] == row_count
        assert passed > 0 or row_count == 0 or mart not in suites, (mart, day)


def test_each_month_end_is_the_warehouse_as_of_that_day(backfilled: tuple[Path, str]) -> None:
    history, _ = backfilled
    # customer_360 carries the build's as-of date itself: it must be the month-end of its file.
    assert _read(history, "customer_360", "as_of_date is null").aggregate("count(*)").fetchone()[0] == 0
    # No month after the as-of date's own.
    late = _read(history, "cs_revenue_monthly", "month > as_of_date").aggregate("count(*)").fetchone()[0]
    assert late == 0
    latest = _read(history, "cs_revenue_monthly").aggregate("as_of_date, max(month)", "as_of_date").fetchall()
    assert sorted(latest) == [(d, d.replace(day=1)) for d in MONTH_ENDS]


def test_a_closed_month_reads_the_same_at_every_later_month_end(backfilled: tuple[Path, str]) -> None:
    """A month's revenue depends only on rows dated in or before it, and the demo delivers none
    late: so once a month has ended, every later month-end reports it identically (what changes
    is only what was not yet known, next test)."""
    history, _ = backfilled
    columns = "month, segment, starting_mrr, ending_mrr, new_mrr, churned_mrr, nrr_12m_pct, logo_churn_pct"
    month = date(2025, 11, 1)
    first = _read(history, "cs_revenue_monthly", f"month = '{month}' and as_of_date = '{month_end(month)}'")
    assert first.aggregate("count(*)").fetchone()[0] > 0
    for day in MONTH_ENDS[MONTH_ENDS.index(month_end(month)) + 1 :]:
        later = _read(history, "cs_revenue_monthly", f"month = '{month}' and as_of_date = '{day}'")
        assert first.project(columns).except_(later.project(columns)).fetchall() == [], day
        assert later.project(columns).except_(first.project(columns)).fetchall() == [], day


def test_what_was_not_known_yet_is_shown_as_then(backfilled: tuple[Path, str]) -> None:
    """Trial conversion: a month whose trials were still within their conversion window at one
    month-end is open there (no rate) and closed, with its rate, at a later one."""
    history, _ = backfilled
    rows = _read(history, "cx_acquisition_monthly", "trials_started > 0").project(
        "month, as_of_date, is_trial_cohort_closed, trial_conversion_pct, trials_started, trials_converted"
    )
    opened = rows.filter("month = date_trunc('month', as_of_date) and not is_trial_cohort_closed").fetchall()
    assert opened, "the demo has a month-end with trials still running in its own month"
    for month, day, _, pct, *_ in opened:
        assert pct is None
        closed = rows.filter(f"month = '{month}' and as_of_date > '{day}' and is_trial_cohort_closed").fetchall()
        if closed:
            started, converted = closed[-1][4], closed[-1][5]
            assert closed[-1][3] == pytest.approx(round(100 * converted / started, 1))
            break
    else:
        pytest.fail("no open trial cohort of the range closed at a later month-end")


def test_a_backfill_replaces_its_months_and_keeps_the_others(
    backfilled: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    history, _ = backfilled
    _, warehouse = published_demo(tmp_path_factory)
    written = _read(history, MANIFEST_MART, f"mart = 'cs_renewals' and as_of_date = '{MONTH_ENDS[-1]}'")
    (row_count,) = written.project("row_count").fetchone()
    assert row_count > 0, "the planted empty file of the last month-end was replaced"
    assert _read(history, "cs_renewals", f"as_of_date = '{MONTH_ENDS[-1]}'").aggregate("count(*)").fetchone() == (
        row_count,
    )
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        published = conn.execute("select count(*) from marts.cs_renewals").fetchone()
    assert _read(history, "cs_renewals", f"as_of_date = '{KEPT}'").aggregate("count(*)").fetchone() == published
    assert not [p for p in history.rglob("*") if p.name.startswith(".")], "no staging folder left behind"


def test_the_default_range_is_the_last_twelve_complete_months(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`cxcs backfill` with no options: the 12 months complete at the publication's as-of date
    (customer_360's, the day the demo was built: it sets no as_of_date). The month lists are
    written by hand: a month-end as-of date counts its own month, a mid-month one does not."""
    from orchestration.backfill import months_to_build
    from orchestration.cli import build_parser

    args = build_parser().parse_args(["backfill"])
    assert (args.months, args.through) == (12, None)
    july_to_june = [date(2025, m, 1) for m in range(7, 13)] + [date(2026, m, 1) for m in range(1, 7)]
    assert last_complete_months(date(2026, 6, 30), 12) == july_to_june
    assert last_complete_months(date(2026, 7, 15), 12) == july_to_june
    assert last_complete_months(date(2026, 1, 30), 2) == [date(2025, 11, 1), date(2025, 12, 1)]
    _, warehouse = published_demo(tmp_path_factory)
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        (as_of,) = conn.execute("select distinct as_of_date from marts.customer_360").fetchone()
    assert months_to_build(warehouse / "cxcs.duckdb", args.months, args.through) == last_complete_months(as_of, 12)


def test_backfill_without_a_publication_fails_clearly(tmp_path: Path) -> None:
    result = run_cli("backfill", "--warehouse", str(tmp_path / "empty"))
    assert result.returncode == 1
    assert "nothing published" in result.stderr and "cxcs refresh" in result.stderr


def test_a_second_backfill_of_the_warehouse_fails_at_once_and_changes_nothing(
    backfilled: tuple[Path, str],
) -> None:
    """Two backfills of one warehouse would share its work folder (the second removes the first's
    build file): the second fails at once with the reason while the first holds the lock."""
    history, _ = backfilled
    warehouse = history.parent
    before = sorted((p.relative_to(history), p.stat().st_mtime_ns) for p in history.rglob("*"))
    lock = warehouse / "build" / BACKFILL_LOCK_FILE
    take_lock = f"""
        import fcntl, os
        fd = os.open({str(lock)!r}, os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
    """
    with held_by_another_process(take_lock):
        result = run_cli("backfill", "--warehouse", str(warehouse), "--months", "1", "--through", "2026-06-30")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "another backfill is running" in result.stderr and str(lock) in result.stderr, result.stderr[-2000:]
    assert sorted((p.relative_to(history), p.stat().st_mtime_ns) for p in history.rglob("*")) == before
