"""The Customer Experience marts, built for real on a hand-made landing set.

``tests_py/fixtures/cx/`` holds a few dozen survey responses, their invitations, accounts
(one of them re-delivered with a new segment) and subscription versions, written as the
landing files of the raw contract (one file per batch; a later file corrects a response).
``fixtures/cx/load.py`` puts them into schema ``raw`` as the loader would (offset timestamps
converted to UTC).  ``dbt build`` of the CX models and everything upstream runs against a
private DuckDB file, with ``as_of_date`` fixed so the per-account windows do not depend
on today's date.  Every published number is compared with a value computed by hand from
the metric definitions; the arithmetic sits next to each value.

Rounding as published: NPS, margin of error and percentages 1 decimal, mean scores
2 decimals, half away from zero.  Margin of error, with P promoters, D detractors and n
responses: 196 * sqrt((n * (P + D) - (P - D)^2) / n^3), the same as
1.96 * 100 * sqrt((p + d - (p - d)^2) / n) with p = P / n, d = D / n.

The fixture, by month (UTC), with segment / region as the accounts are now:
  A1 smb / NA, A2 mid_market / EMEA (was smb), A3 enterprise / APAC, A4 smb / no region,
  A9 unknown to billing.  P promoter, Pa passive, D detractor; * = in-app (no invitation).
  NPS  Jan: N01 A1 rel 10 P, N02 A1 rel 9 P, N03 A2 rel 8 Pa (corrected from 6),
            N04* A2 support 7 Pa, N05 A3 rel 6 D, N06 A3 onboarding 0 D, N07* A4 product 9 P,
            N08 A9 rel 10 P, N09 A1 rel 3 D (2024-01-31 23:59:59)
       Feb: none
       Mar: N10 A2 rel 7 Pa, N11* A3 rel 8 Pa
       Apr: N12 A1 rel 9 P (landed 2024-03-31T23:30:00-02:00 = 2024-04-01 01:30 UTC)
  CSAT Jan: C01 A1 support 5, C02 A2 support 4, C03* A3 billing 3
       Feb: C04 A1 support 4, C05 A4 support 3, C06* A9 onboarding 1,
            C07 A2 support 2 (landed 2024-03-01T00:30:00+01:00 = 2024-02-29 23:30 UTC)
       Apr: C08* A3 support 5 (2024-04-30 23:59:59)
  CES  Jan: E01 A1 support 4, E02* A2 support 5
       Mar: E03 A3 onboarding 1, E04 A4 product 7, E05* A1 support 2

Run alone: ``.venv/bin/python -m pytest tests_py/test_cx_marts.py``.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import CX_MARTS
from dbt_build import Build, dbt_build, run_dbt

from orchestration.raw_schema import ensure_raw_schema

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cx"
AS_OF = "2024-06-30"

D = Decimal


def _load_fixture_module():
    spec = importlib.util.spec_from_file_location("cx_fixture_load", FIXTURES / "load.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    tmp = tmp_path_factory.mktemp("cx")
    database = tmp / "cxcs.duckdb"
    with duckdb.connect(str(database)) as conn:
        ensure_raw_schema(conn)
        _load_fixture_module().load_cx_fixtures(conn)
    # Only tests whose every parent is built (this set has no events, users or invoices).
    return dbt_build(database, tmp, ["+path:models/marts/cx", "+path:models/intermediate/cx"], {"as_of_date": AS_OF})


def test_every_test_passes(build: Build) -> None:
    statuses = build.statuses()
    failing = {uid: s for uid, s in statuses.items() if s in ("fail", "error")}
    assert not failing
    # The CX models' unit tests (formulas and boundaries; see the models' _unit_tests.yml): 11, plus
    # cx_acquisition_monthly's open-cohort test, plus issue 17's four: cx_themes_monthly,
    # cx_key_drivers, cx_emerging_themes and int_cx__driver_observations.
    cx_unit = {
        uid: s for uid, s in statuses.items() if uid.startswith(("unit_test.cxcs.cx_", "unit_test.cxcs.int_cx__"))
    }
    assert len(cx_unit) == 16 and set(cx_unit.values()) == {"pass"}, cx_unit
    for singular in (
        "assert_cx_nps_counts_add_up",
        "assert_cx_scores_null_only_without_responses",
        "assert_cx_overall_row_every_survey_month",
        "assert_cx_dimensions_reconcile",
    ):
        assert statuses[f"test.cxcs.{singular}"] == "pass"
    # Only the unknown account A9 warns (kept and flagged), nothing else.
    warned = sorted(uid for uid, s in statuses.items() if s == "warn")
    assert all("account_id__account_id__ref_stg_billing__accounts_" in uid for uid in warned), warned


def test_fct_survey_responses(build: Build) -> None:
    rows = build.query(
        "select response_id, survey_type, touchpoint, account_id, score, nps_class, is_csat_satisfied,"
        " is_ces_high_effort, is_invited, responded_at, response_month, segment, region"
        " from marts.fct_survey_responses order by response_id"
    )
    jan, feb, mar, apr = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)
    t = datetime
    assert rows == [
        ("C01", "csat", "support", "A1", 5, None, True, None, True, t(2024, 1, 8, 10), jan, "smb", "NA"),
        ("C02", "csat", "support", "A2", 4, None, True, None, True, t(2024, 1, 9, 10), jan, "mid_market", "EMEA"),
        ("C03", "csat", "billing", "A3", 3, None, False, None, False, t(2024, 1, 30, 10), jan, "enterprise", "APAC"),
        ("C04", "csat", "support", "A1", 4, None, True, None, True, t(2024, 2, 5, 10), feb, "smb", "NA"),
        ("C05", "csat", "support", "A4", 3, None, False, None, True, t(2024, 2, 6, 10), feb, "smb", None),
        ("C06", "csat", "onboarding", "A9", 1, None, False, None, False, t(2024, 2, 7, 10), feb, None, None),
        # 2024-03-01T00:30:00+01:00 is 2024-02-29 23:30 UTC: February.
        ("C07", "csat", "support", "A2", 2, None, False, None, True, t(2024, 2, 29, 23, 30), feb, "mid_market", "EMEA"),
        (
            "C08",
            "csat",
            "support",
            "A3",
            5,
            None,
            True,
            None,
            False,
            t(2024, 4, 30, 23, 59, 59),
            apr,
            "enterprise",
            "APAC",
        ),
        ("E01", "ces", "support", "A1", 4, None, None, False, True, t(2024, 1, 16, 10), jan, "smb", "NA"),
        ("E02", "ces", "support", "A2", 5, None, None, True, False, t(2024, 1, 17, 10), jan, "mid_market", "EMEA"),
        ("E03", "ces", "onboarding", "A3", 1, None, None, False, True, t(2024, 3, 5, 10), mar, "enterprise", "APAC"),
        ("E04", "ces", "product", "A4", 7, None, None, True, True, t(2024, 3, 6, 10), mar, "smb", None),
        ("E05", "ces", "support", "A1", 2, None, None, False, False, t(2024, 3, 20, 10), mar, "smb", "NA"),
        ("N01", "nps", "relationship", "A1", 10, "promoter", None, None, True, t(2024, 1, 5, 10), jan, "smb", "NA"),
        ("N02", "nps", "relationship", "A1", 9, "promoter", None, None, True, t(2024, 1, 10, 10), jan, "smb", "NA"),
        # Corrected in a later batch: 6 -> 8.
        (
            "N03",
            "nps",
            "relationship",
            "A2",
            8,
            "passive",
            None,
            None,
            True,
            t(2024, 1, 12, 9),
            jan,
            "mid_market",
            "EMEA",
        ),
        ("N04", "nps", "support", "A2", 7, "passive", None, None, False, t(2024, 1, 15, 14), jan, "mid_market", "EMEA"),
        (
            "N05",
            "nps",
            "relationship",
            "A3",
            6,
            "detractor",
            None,
            None,
            True,
            t(2024, 1, 18, 8),
            jan,
            "enterprise",
            "APAC",
        ),
        (
            "N06",
            "nps",
            "onboarding",
            "A3",
            0,
            "detractor",
            None,
            None,
            True,
            t(2024, 1, 20, 8),
            jan,
            "enterprise",
            "APAC",
        ),
        ("N07", "nps", "product", "A4", 9, "promoter", None, None, False, t(2024, 1, 22, 12), jan, "smb", None),
        ("N08", "nps", "relationship", "A9", 10, "promoter", None, None, True, t(2024, 1, 25, 12), jan, None, None),
        # The last second of January stays in January.
        (
            "N09",
            "nps",
            "relationship",
            "A1",
            3,
            "detractor",
            None,
            None,
            True,
            t(2024, 1, 31, 23, 59, 59),
            jan,
            "smb",
            "NA",
        ),
        (
            "N10",
            "nps",
            "relationship",
            "A2",
            7,
            "passive",
            None,
            None,
            True,
            t(2024, 3, 2, 10),
            mar,
            "mid_market",
            "EMEA",
        ),
        (
            "N11",
            "nps",
            "relationship",
            "A3",
            8,
            "passive",
            None,
            None,
            False,
            t(2024, 3, 15, 10),
            mar,
            "enterprise",
            "APAC",
        ),
        # 2024-03-31T23:30:00-02:00 is 2024-04-01 01:30 UTC: April.
        ("N12", "nps", "relationship", "A1", 9, "promoter", None, None, True, t(2024, 4, 1, 1, 30), apr, "smb", "NA"),
    ]


def test_cx_nps_monthly(build: Build) -> None:
    rows = build.query(
        "select month, dimension, dimension_value, responses, promoters, passives, detractors, nps, nps_moe_95"
        " from marts.cx_nps_monthly order by 1, 2, 3"
    )
    jan, feb, mar, apr = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)
    assert rows == [
        # n 9, P 4 (N01 N02 N07 N08), Pa 2 (N03 N04), D 3 (N05 N06 N09): 100 * (4 - 3) / 9 = 11.11 -> 11.1;
        # MOE 196 * sqrt((9 * 7 - 1) / 729) = 196 * sqrt(0.085048) = 196 * 0.291630 = 57.159 -> 57.2
        (jan, "overall", "all", 9, 4, 2, 3, D("11.1"), D("57.2")),
        # APAC: N05 N06, 2 D: -100.0; MOE 196 * sqrt((2 * 2 - 4) / 8) = 0.0
        (jan, "region", "APAC", 2, 0, 0, 2, D("-100.0"), D("0.0")),
        # EMEA: N03 N04, 2 Pa: 0.0; MOE 196 * sqrt((2 * 0 - 0) / 8) = 0.0
        (jan, "region", "EMEA", 2, 0, 2, 0, D("0.0"), D("0.0")),
        # NA: N01 N02 N09, P 2 D 1: 100 * 1 / 3 = 33.3; MOE 196 * sqrt((3 * 3 - 1) / 27) = 196 * 0.544331 = 106.689 -> 106.7
        (jan, "region", "NA", 3, 2, 0, 1, D("33.3"), D("106.7")),
        # unknown: N07 (A4 has no region), N08 (A9 unknown), 2 P: 100.0; MOE 196 * sqrt((2 * 2 - 4) / 8) = 0.0
        (jan, "region", "unknown", 2, 2, 0, 0, D("100.0"), D("0.0")),
        (jan, "segment", "enterprise", 2, 0, 0, 2, D("-100.0"), D("0.0")),
        # A2 is mid_market now (it was smb when it answered).
        (jan, "segment", "mid_market", 2, 0, 2, 0, D("0.0"), D("0.0")),
        # smb: N01 N02 N07 P, N09 D: 100 * 2 / 4 = 50.0; MOE 196 * sqrt((4 * 4 - 4) / 64) = 196 * 0.433013 = 84.870 -> 84.9
        (jan, "segment", "smb", 4, 3, 0, 1, D("50.0"), D("84.9")),
        (jan, "segment", "unknown", 1, 1, 0, 0, D("100.0"), D("0.0")),
        (jan, "touchpoint", "onboarding", 1, 0, 0, 1, D("-100.0"), D("0.0")),
        (jan, "touchpoint", "product", 1, 1, 0, 0, D("100.0"), D("0.0")),
        # relationship: N01 N02 N08 P, N03 Pa, N05 N09 D: 100 * 1 / 6 = 16.67 -> 16.7;
        # MOE 196 * sqrt((6 * 5 - 1) / 216) = 196 * sqrt(0.134259) = 196 * 0.366414 = 71.817 -> 71.8
        (jan, "touchpoint", "relationship", 6, 3, 1, 2, D("16.7"), D("71.8")),
        (jan, "touchpoint", "support", 1, 0, 1, 0, D("0.0"), D("0.0")),
        # No NPS response in February: the overall row only, null scores.
        (feb, "overall", "all", 0, 0, 0, 0, None, None),
        # Only passives: NPS 0.0.
        (mar, "overall", "all", 2, 0, 2, 0, D("0.0"), D("0.0")),
        (mar, "region", "APAC", 1, 0, 1, 0, D("0.0"), D("0.0")),
        (mar, "region", "EMEA", 1, 0, 1, 0, D("0.0"), D("0.0")),
        (mar, "segment", "enterprise", 1, 0, 1, 0, D("0.0"), D("0.0")),
        (mar, "segment", "mid_market", 1, 0, 1, 0, D("0.0"), D("0.0")),
        (mar, "touchpoint", "relationship", 2, 0, 2, 0, D("0.0"), D("0.0")),
        # A single promoter: NPS 100.0, MOE 196 * sqrt((1 * 1 - 1) / 1) = 0.0.
        (apr, "overall", "all", 1, 1, 0, 0, D("100.0"), D("0.0")),
        (apr, "region", "NA", 1, 1, 0, 0, D("100.0"), D("0.0")),
        (apr, "segment", "smb", 1, 1, 0, 0, D("100.0"), D("0.0")),
        (apr, "touchpoint", "relationship", 1, 1, 0, 0, D("100.0"), D("0.0")),
    ]


def test_cx_csat_monthly(build: Build) -> None:
    rows = build.query(
        "select month, dimension, dimension_value, responses, satisfied, csat_pct, csat_mean"
        " from marts.cx_csat_monthly order by 1, 2, 3"
    )
    jan, feb, mar, apr = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)
    assert rows == [
        # C01 5, C02 4, C03 3: satisfied 2 (>= 4): 100 * 2 / 3 = 66.67 -> 66.7; mean 12 / 3 = 4.00
        (jan, "overall", "all", 3, 2, D("66.7"), D("4.00")),
        (jan, "region", "APAC", 1, 0, D("0.0"), D("3.00")),
        (jan, "region", "EMEA", 1, 1, D("100.0"), D("4.00")),
        (jan, "region", "NA", 1, 1, D("100.0"), D("5.00")),
        (jan, "segment", "enterprise", 1, 0, D("0.0"), D("3.00")),
        (jan, "segment", "mid_market", 1, 1, D("100.0"), D("4.00")),
        (jan, "segment", "smb", 1, 1, D("100.0"), D("5.00")),
        (jan, "touchpoint", "billing", 1, 0, D("0.0"), D("3.00")),
        # C01 5, C02 4: 100.0; (5 + 4) / 2 = 4.50
        (jan, "touchpoint", "support", 2, 2, D("100.0"), D("4.50")),
        # C04 4, C05 3, C06 1, C07 2: satisfied 1: 25.0; mean 10 / 4 = 2.50
        (feb, "overall", "all", 4, 1, D("25.0"), D("2.50")),
        (feb, "region", "EMEA", 1, 0, D("0.0"), D("2.00")),
        (feb, "region", "NA", 1, 1, D("100.0"), D("4.00")),
        # C05 (A4, no region) 3, C06 (A9) 1: 0.0; 4 / 2 = 2.00
        (feb, "region", "unknown", 2, 0, D("0.0"), D("2.00")),
        (feb, "segment", "mid_market", 1, 0, D("0.0"), D("2.00")),
        # C04 4, C05 3: 50.0; 7 / 2 = 3.50
        (feb, "segment", "smb", 2, 1, D("50.0"), D("3.50")),
        (feb, "segment", "unknown", 1, 0, D("0.0"), D("1.00")),
        (feb, "touchpoint", "onboarding", 1, 0, D("0.0"), D("1.00")),
        # C04 4, C05 3, C07 2: 100 * 1 / 3 = 33.3; 9 / 3 = 3.00
        (feb, "touchpoint", "support", 3, 1, D("33.3"), D("3.00")),
        # No CSAT response in March.
        (mar, "overall", "all", 0, 0, None, None),
        (apr, "overall", "all", 1, 1, D("100.0"), D("5.00")),
        (apr, "region", "APAC", 1, 1, D("100.0"), D("5.00")),
        (apr, "segment", "enterprise", 1, 1, D("100.0"), D("5.00")),
        (apr, "touchpoint", "support", 1, 1, D("100.0"), D("5.00")),
    ]


def test_cx_ces_monthly(build: Build) -> None:
    rows = build.query(
        "select month, dimension, dimension_value, responses, high_effort, ces_mean, high_effort_pct"
        " from marts.cx_ces_monthly order by 1, 2, 3"
    )
    jan, feb, mar, apr = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)
    assert rows == [
        # E01 4, E02 5: high effort (>= 5) 1: 50.0; mean 9 / 2 = 4.50
        (jan, "overall", "all", 2, 1, D("4.50"), D("50.0")),
        (jan, "region", "EMEA", 1, 1, D("5.00"), D("100.0")),
        (jan, "region", "NA", 1, 0, D("4.00"), D("0.0")),
        (jan, "segment", "mid_market", 1, 1, D("5.00"), D("100.0")),
        (jan, "segment", "smb", 1, 0, D("4.00"), D("0.0")),
        (jan, "touchpoint", "support", 2, 1, D("4.50"), D("50.0")),
        (feb, "overall", "all", 0, 0, None, None),
        # E03 1, E04 7, E05 2: high effort 1: 100 * 1 / 3 = 33.3; mean 10 / 3 = 3.33
        (mar, "overall", "all", 3, 1, D("3.33"), D("33.3")),
        (mar, "region", "APAC", 1, 0, D("1.00"), D("0.0")),
        (mar, "region", "NA", 1, 0, D("2.00"), D("0.0")),
        (mar, "region", "unknown", 1, 1, D("7.00"), D("100.0")),
        (mar, "segment", "enterprise", 1, 0, D("1.00"), D("0.0")),
        # E04 7, E05 2: 50.0; 9 / 2 = 4.50
        (mar, "segment", "smb", 2, 1, D("4.50"), D("50.0")),
        (mar, "touchpoint", "onboarding", 1, 0, D("1.00"), D("0.0")),
        (mar, "touchpoint", "product", 1, 1, D("7.00"), D("100.0")),
        (mar, "touchpoint", "support", 1, 0, D("2.00"), D("0.0")),
        (apr, "overall", "all", 0, 0, None, None),
    ]


def test_cx_response_rates_monthly(build: Build) -> None:
    rows = build.query(
        "select month, survey_type, invitations, responses_to_invitations, response_rate_pct"
        " from marts.cx_response_rates_monthly order by 1, 2"
    )
    jan, feb, mar, apr = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)
    assert rows == [
        # IE1 answered by E01 (E02 is in-app): 1 / 1 = 100.0
        (jan, "ces", 1, 1, D("100.0")),
        # IC1 IC2 answered, IC3 not (C03 is in-app): 100 * 2 / 3 = 66.7
        (jan, "csat", 3, 2, D("66.7")),
        # I01 I02 I03 I05 I06 I08 I09 answered, I20 I21 not; in-app N04 N07 do not count: 100 * 7 / 9 = 77.8
        (jan, "nps", 9, 7, D("77.8")),
        (feb, "ces", 0, 0, None),
        # IC4 IC5 IC7 answered, IC8 not (C06 in-app): 100 * 3 / 4 = 75.0
        (feb, "csat", 4, 3, D("75.0")),
        # I10 sent 28 Feb, answered 2 March: counts in February: 100.0
        (feb, "nps", 1, 1, D("100.0")),
        # IE3 IE4 answered, IE5 not (E05 in-app): 100 * 2 / 3 = 66.7
        (mar, "ces", 3, 2, D("66.7")),
        (mar, "csat", 0, 0, None),
        # I12 answered (in April), I22 not; N11 in-app: 100 * 1 / 2 = 50.0
        (mar, "nps", 2, 1, D("50.0")),
        (apr, "ces", 0, 0, None),
        (apr, "csat", 0, 0, None),
        (apr, "nps", 0, 0, None),
    ]


def test_cx_acquisition_monthly(build: Build) -> None:
    rows = build.query(
        "select month, new_accounts, trials_started, trials_converted, trial_conversion_pct,"
        " is_trial_cohort_closed from marts.cx_acquisition_monthly order by 1"
    )
    assert rows == [
        # New: A1 (trial 1 Jan), A2 (trial 10 Jan), A9 (paid 20 Jan), A7 (trial 20 Jan) = 4.
        # Trials: S1 (paid S1 v2 on its end, 15 Jan: converted), S2 (ends 24 Jan, paid S3 on 23 Feb =
        # day 30: converted), S11 (ends 3 Feb, paid S12 on 10 Mar = day 36: not) -> 100 * 2 / 3 = 66.7.
        # January to March: every trial ended by 2 April, its window (+30 days) by 2 May < 30 June:
        # closed cohorts, final rates.
        (date(2024, 1, 1), 4, 3, 2, D("66.7"), True),
        # New: A3 (trial 1 Feb), A4 (paid 10 Feb) = 2. Trial S4 ends 15 Feb, paid S5 17 Mar = day 31: 0.0
        (date(2024, 2, 1), 2, 1, 0, D("0.0"), True),
        # New: A5. Trial S7 = versions 1 and 2 (extension), ends 2 Apr; paid S8 20 Apr = day 18: 100.0
        (date(2024, 3, 1), 1, 1, 1, D("100.0"), True),
        # New: A6. Trial S10 still open (no end), no paid version: the cohort is open, its rate
        # not yet final: null (it was 0.0 before the rule).
        (date(2024, 4, 1), 1, 1, 0, None, False),
        # Only S6 version 2 (a seat change) starts in May: no new account, no trial, conversion
        # null; May is over by 30 June with nothing pending: closed.
        (date(2024, 5, 1), 0, 0, 0, None, True),
    ]


def test_account_sentiment_daily(build: Build) -> None:
    counts = build.query(
        "select account_id, count(*), min(as_of_date), max(as_of_date), sum(case when is_latest then 1 else 0 end)"
        " from intermediate.int_cx__account_sentiment_daily group by 1 order by 1"
    )
    end = date(2024, 6, 30)
    assert counts == [
        # Every day from the first response to the as-of date 2024-06-30:
        ("A1", 27 + 29 + 31 + 30 + 31 + 30, date(2024, 1, 5), end, 1),  # from 5 Jan (N01)
        ("A2", 23 + 29 + 31 + 30 + 31 + 30, date(2024, 1, 9), end, 1),  # from 9 Jan (C02)
        ("A3", 14 + 29 + 31 + 30 + 31 + 30, date(2024, 1, 18), end, 1),  # from 18 Jan (N05)
        ("A4", 10 + 29 + 31 + 30 + 31 + 30, date(2024, 1, 22), end, 1),  # from 22 Jan (N07)
        ("A9", 7 + 29 + 31 + 30 + 31 + 30, date(2024, 1, 25), end, 1),  # from 25 Jan (N08)
    ]
    rows = build.query(
        "select account_id, as_of_date, nps_responses_90d, nps_promoters_90d, nps_passives_90d,"
        " nps_detractors_90d, nps_90d, latest_nps_score, latest_nps_class,"
        " csat_responses_180d, csat_satisfied_180d, csat_180d_pct, csat_180d_mean,"
        " ces_responses_180d, ces_high_effort_180d, ces_180d_mean, ces_180d_high_effort_pct, is_latest"
        " from intermediate.int_cx__account_sentiment_daily"
        " where (account_id = 'A1' and as_of_date in"
        "   ('2024-01-05', '2024-01-31', '2024-04-01', '2024-04-03', '2024-04-04'))"
        " or (account_id = 'A2' and as_of_date = '2024-03-02') or is_latest"
        " order by 1, 2"
    )
    # A1's CSAT and CES over 180 days on 1 Apr to 30 Jun (from 3 Jan at the latest): CSAT C01 5, C04 4
    # -> 2 responses, 2 satisfied, 100.0, 4.50; CES E01 4, E05 2 -> 2 responses, 0 high effort, 3.00, 0.0
    a1_surveys_180d = (2, 2, D("100.0"), D("4.50"), 2, 0, D("3.00"), D("0.0"))
    assert rows == [
        # N01 (10): 1 promoter -> 100.0; no CSAT or CES yet -> null
        ("A1", date(2024, 1, 5), 1, 1, 0, 0, D("100.0"), 10, "promoter", 0, 0, None, None, 0, 0, None, None, False),
        # N01 N02 P, N09 D (31 Jan 23:59:59, the latest): 100 * 1 / 3 = 33.3; CSAT C01 5 -> 100.0, 5.00;
        # CES E01 4 -> 4.00, 0.0
        (
            "A1",
            date(2024, 1, 31),
            3,
            2,
            0,
            1,
            D("33.3"),
            3,
            "detractor",
            1,
            1,
            D("100.0"),
            D("5.00"),
            1,
            0,
            D("4.00"),
            D("0.0"),
            False,
        ),
        # 90 days to 1 Apr = from 3 Jan: N01 N02 N09 N12 -> P 3 D 1 = 100 * 2 / 4 = 50.0, latest N12 (9)
        ("A1", date(2024, 4, 1), 4, 3, 0, 1, D("50.0"), 9, "promoter", *a1_surveys_180d, False),
        # 90 days to 3 Apr = from 5 Jan: N01 still inside -> 50.0
        ("A1", date(2024, 4, 3), 4, 3, 0, 1, D("50.0"), 9, "promoter", *a1_surveys_180d, False),
        # 90 days to 4 Apr = from 6 Jan: N01 out -> N02 P, N09 D, N12 P = 100 * 1 / 3 = 33.3
        ("A1", date(2024, 4, 4), 3, 2, 0, 1, D("33.3"), 9, "promoter", *a1_surveys_180d, False),
        # 90 days to 30 Jun = from 2 Apr: no NPS (N12 on 1 Apr is out) -> null, latest class still promoter
        ("A1", end, 0, 0, 0, 0, None, 9, "promoter", *a1_surveys_180d, True),
        # To 2 Mar: N03 8, N04 7, N10 7 -> 3 passives = 0.0, latest N10 (7); CSAT C02 4, C07 2 -> 50.0, 3.00;
        # CES E02 5 -> 5.00, 100.0
        (
            "A2",
            date(2024, 3, 2),
            3,
            0,
            3,
            0,
            D("0.0"),
            7,
            "passive",
            2,
            1,
            D("50.0"),
            D("3.00"),
            1,
            1,
            D("5.00"),
            D("100.0"),
            False,
        ),
        ("A2", end, 0, 0, 0, 0, None, 7, "passive", 2, 1, D("50.0"), D("3.00"), 1, 1, D("5.00"), D("100.0"), True),
        # A3: NPS N05 6, N06 0, N11 8 all before 2 Apr -> null, latest N11 (8); CSAT C03 3, C08 5 -> 50.0, 4.00;
        # CES E03 1 -> 1.00, 0.0
        ("A3", end, 0, 0, 0, 0, None, 8, "passive", 2, 1, D("50.0"), D("4.00"), 1, 0, D("1.00"), D("0.0"), True),
        # A4: latest N07 (9); CSAT C05 3 -> 0.0, 3.00; CES E04 7 -> 7.00, 100.0
        ("A4", end, 0, 0, 0, 0, None, 9, "promoter", 1, 0, D("0.0"), D("3.00"), 1, 1, D("7.00"), D("100.0"), True),
        # A9 (unknown to billing, kept): latest N08 (10); CSAT C06 1 -> 0.0, 1.00; no CES
        ("A9", end, 0, 0, 0, 0, None, 10, "promoter", 1, 0, D("0.0"), D("1.00"), 0, 0, None, None, True),
    ]


def test_marts_are_tables_with_enforced_types(build: Build) -> None:
    tables = dict(
        build.query("select table_name, table_type from information_schema.tables where table_schema = 'marts'")
    )
    assert {name: tables.get(name) for name in CX_MARTS} == dict.fromkeys(CX_MARTS, "BASE TABLE")
    types = dict(
        build.query(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'cx_nps_monthly'"
        )
    )
    assert types == {
        "month": "DATE",
        "dimension": "VARCHAR",
        "dimension_value": "VARCHAR",
        "responses": "BIGINT",
        "promoters": "BIGINT",
        "passives": "BIGINT",
        "detractors": "BIGINT",
        "nps": "DECIMAL(5,1)",
        "nps_moe_95": "DECIMAL(5,1)",
    }


def test_nps_margin_of_error_does_not_overflow_on_large_months(build: Build, tmp_path: Path) -> None:
    # A month of a large customer base: n = 5,000 responses, P = 2,500, D = 1,000.
    # (n(P+D) - (P-D)^2) / n^3 = (17,500,000 - 2,250,000) / 125,000,000,000 = 0.000122;
    # MOE = 196 * sqrt(0.000122) = 196 * 0.0110454 = 2.1649 -> 2.2.
    # And n = 2,000,000 (P = 1,200,000, D = 300,000): (2e6 * 1.5e6 - 9e5^2) / 8e18
    # = (3e12 - 8.1e11) / 8e18 = 2.7375e-7; 196 * sqrt(2.7375e-7) = 196 * 0.00052321 = 0.10255 -> 0.1.
    sql = (
        "select {{ cx_nps_moe_95('2500', '1000', '5000') }} as moe_5k, "
        "{{ cx_nps_moe_95('1200000', '300000', '2000000') }} as moe_2m"
    )
    # Compiled and run by dbt against the module's build file (the macro's SQL on DuckDB).
    result = run_dbt(
        build.database, tmp_path, "show", "--inline", sql, "--output", "json", dbt_vars={"as_of_date": AS_OF}
    )
    shown, _ = json.JSONDecoder().raw_decode(result.stdout[result.stdout.index('{\n  "show"') :])
    assert shown["show"] == [{"moe_5k": 2.2, "moe_2m": 0.1}]
