"""Overlapping subscription versions count once (issue 14, item 4; DECISIONLOG "A later
subscription version closes the earlier ones").

A hand-made billing landing set, loaded by the real loader and built for real (``dbt build``
of ``+cs_revenue_monthly`` with as_of_date 2026-09-30):

  A1 (smb)  S1 v1 3 seats * 10 USD monthly = 30 from 2026-06-01, valid_to empty
            S1 v2 3 * 25 = 75 from 2026-08-01, valid_to empty        (the issue's case)
  A2 (smb)  S2 v1 3 * 10 = 30 from 2026-06-01 to 2026-12-01 (after v2's start)
            S2 v2 3 * 25 = 75 from 2026-08-01, valid_to empty

A later version closes the earlier one, so v1 holds until 2026-08-01 in both. Month-end MRR
(the versions in force at the end of the month's last day):
  month    A1   A2   all
  2026-06  30   30    60
  2026-07  30   30    60
  2026-08  75   75   150   (before the fix: 30 + 75 = 105 per account, 210 in all)
  2026-09  75   75   150

The blocking data test assert_cs_no_overlapping_subscription_versions passes on the build
and fails (exit 1) once an overlapping version is put back into the versions model.

Run alone: ``.venv/bin/python -m pytest tests_py/test_subscription_overlaps.py``.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_build import Build, dbt_build, run_dbt

from orchestration.loading import load_landing

AS_OF = "2026-09-30"
ACCOUNTS = """account_id,account_name,segment,industry,region,created_at,updated_at
A1,Alpha,smb,Software,NA,2026-05-01T00:00:00Z,2026-05-01T00:00:00Z
A2,Bravo,smb,Software,NA,2026-05-01T00:00:00Z,2026-05-01T00:00:00Z
"""
SUBSCRIPTIONS = """subscription_id,version,account_id,plan_id,is_trial,billing_interval,quantity,unit_amount,discount_pct,currency,valid_from,valid_to,contract_end,canceled_at,updated_at
S1,1,A1,growth,false,month,3,10.00,,USD,2026-06-01,,2027-06-01,,2026-06-01T00:00:00Z
S1,2,A1,growth,false,month,3,25.00,,USD,2026-08-01,,2027-08-01,,2026-08-01T00:00:00Z
S2,1,A2,growth,false,month,3,10.00,,USD,2026-06-01,2026-12-01,2027-06-01,,2026-06-01T00:00:00Z
S2,2,A2,growth,false,month,3,25.00,,USD,2026-08-01,,2027-08-01,,2026-08-01T00:00:00Z
"""
OVERLAP_TEST = "assert_cs_no_overlapping_subscription_versions"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    tmp = tmp_path_factory.mktemp("overlaps")
    landing = tmp / "landing"
    for entity, text in (("accounts", ACCOUNTS), ("subscriptions", SUBSCRIPTIONS)):
        folder = landing / "billing" / entity
        folder.mkdir(parents=True)
        (folder / f"{entity}.csv").write_text(text, encoding="utf-8")
    database = tmp / "cxcs.duckdb"
    with duckdb.connect(str(database)) as conn:
        load = load_landing(conn, landing)
    assert not load.has_failures
    return dbt_build(database, tmp, ["+cs_revenue_monthly", OVERLAP_TEST], {"as_of_date": AS_OF})


def test_later_version_closes_the_earlier(build: Build) -> None:
    assert build.query(
        "select subscription_id, version, valid_from, valid_to from intermediate.int_cs__subscription_versions"
        " order by 1, 2"
    ) == [
        ("S1", 1, date(2026, 6, 1), date(2026, 8, 1)),
        ("S1", 2, date(2026, 8, 1), None),
        ("S2", 1, date(2026, 6, 1), date(2026, 8, 1)),
        ("S2", 2, date(2026, 8, 1), None),
    ]


def test_month_end_mrr_counts_one_version(build: Build) -> None:
    by_account = build.query(
        "select account_id, month_start, ending_mrr from intermediate.int_cs__account_mrr_monthly order by 1, 2"
    )
    expected = {date(2026, 6, 1): 30, date(2026, 7, 1): 30, date(2026, 8, 1): 75, date(2026, 9, 1): 75}
    assert by_account == [(account, month, Decimal(mrr)) for account in ("A1", "A2") for month, mrr in expected.items()]
    assert build.query("select month, ending_mrr from marts.cs_revenue_monthly where segment = 'all' order by 1") == [
        (month, Decimal(2 * mrr)) for month, mrr in expected.items()
    ]


def test_overlap_test_blocks(build: Build, tmp_path: Path) -> None:
    assert build.statuses()[f"test.cxcs.{OVERLAP_TEST}"] == "pass"
    # A copy whose versions model has the delivered (overlapping) S1 v1 back: the test must
    # fail the run. (Same file name: dbt-duckdb's views name the catalog after the file.)
    database = tmp_path / "cxcs.duckdb"
    shutil.copy(build.database, database)
    with duckdb.connect(str(database)) as conn:
        conn.execute(
            "create table intermediate.kept_versions as select * from intermediate.int_cs__subscription_versions"
        )
        conn.execute(
            "create or replace view intermediate.int_cs__subscription_versions as"
            " select * replace (case when subscription_id = 'S1' and version = 1 then null else valid_to end as valid_to)"
            " from intermediate.kept_versions"
        )
    checked = run_dbt(database, tmp_path, "test", "--select", OVERLAP_TEST, dbt_vars={"as_of_date": AS_OF}, expect=1)
    assert f"FAIL 1 {OVERLAP_TEST}" in checked.stdout
