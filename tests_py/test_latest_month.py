"""One rule for "latest" in the run summary (``cxcs refresh`` / ``make demo``) and the scorecard
headline: the latest COMPLETE month relative to the publication's as-of date (a month whose
last day is on or before it), labelled as such.

A dbt-free DuckDB file with the few mart columns both read (no dbt build: this is about which
month is picked, not how marts are computed): overall NPS 10.0 in October, 20.0 in November,
30.0 in a December that, as of 2026-12-06, has run 6 days. Expected by the rule: November
(20.0) as of 2026-12-06; December (30.0) as of 2026-12-31, its last day.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.scorecard import build_scorecard
from orchestration.summary import warehouse_summary

MONTHS = ((date(2026, 10, 1), 10.0, 1000), (date(2026, 11, 1), 20.0, 1100), (date(2026, 12, 1), 30.0, 1200))


def tiny_warehouse(path: Path, as_of: date) -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.cx_nps_monthly (month date, dimension varchar, nps decimal(5, 1))")
        conn.execute("create table marts.cs_revenue_monthly (month date, segment varchar, ending_mrr decimal(38, 6))")
        conn.execute("create table marts.customer_360 (account_id varchar, as_of_date date)")
        for month, nps, mrr in MONTHS:
            conn.execute("insert into marts.cx_nps_monthly values (?, 'overall', ?)", [month, nps])
            conn.execute("insert into marts.cs_revenue_monthly values (?, 'all', ?)", [month, mrr])
        conn.execute("insert into marts.customer_360 values ('A1', ?)", [as_of])
    return path


@pytest.mark.parametrize(
    ("as_of", "month_label", "nps", "mrr"),
    [(date(2026, 12, 6), "Nov 2026", "20.00", "1,100.00"), (date(2026, 12, 31), "Dec 2026", "30.00", "1,200.00")],
)
def test_summary_and_scorecard_show_the_same_latest_complete_month(
    tmp_path: Path, as_of: date, month_label: str, nps: str, mrr: str
) -> None:
    published = tiny_warehouse(tmp_path / "cxcs.duckdb", as_of)

    summary = warehouse_summary(published)
    assert re.search(rf"NPS, {month_label} \(latest complete month\)\s+{re.escape(nps)}$", summary, re.M), summary
    assert re.search(rf"MRR \(USD\), {month_label} \(latest complete month\)\s+{re.escape(mrr)}$", summary, re.M), (
        summary
    )

    page = build_scorecard(published, tmp_path / "scorecard.html").path.read_text()
    tile = re.search(r'data-kpi="nps">.*?kpi-value">([^<]*)<.*?kpi-when">([^<]*)<', page)
    assert tile is not None, page
    full_month = {"Nov 2026": "November 2026", "Dec 2026": "December 2026"}[month_label]
    assert tile.groups() == (nps[:-1], f"{full_month} (latest complete month)")
