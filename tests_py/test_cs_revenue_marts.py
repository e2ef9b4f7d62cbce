"""The Customer Success revenue marts, built for real on a hand-made billing landing set.

``tests_py/fixtures/cs/landing/`` holds billing landing files laid out as the raw contract
says (``billing/<entity>/*.csv``), delivered over time: a 2023 export, a 2024 export that
closes versions and re-delivers an account with a new segment, and a July update that pays
an invoice.  The real loader (``orchestration.loading.load_landing``) puts them into schema
``raw`` of a private DuckDB file; ``dbt build`` of the CS models and everything upstream
runs against it with ``as_of_date`` fixed to 2024-06-30.  Every published number is
compared with a value computed by hand from the metric definitions (metrics spec); the
arithmetic sits next to each value.

The fixture (segment as the account is now; MRR in USD; month-end snapshot = the versions
with valid_from <= last day of the month < valid_to, valid_to exclusive):

  A1 smb         S1 v1 10 seats * 30 USD monthly = 300, 2023-06-01 .. 2024-01-20
                 S1 v2 15 * 30 = 450 from 2024-01-20 (mid-month upgrade: +150 in January)
                 S9 2 * 15 = 30 from 2024-02-05 to 2024-02-20: never at a month end, never in MRR
  A2 enterprise  S2 v1 annual 10 * 600 EUR - 10% = 5400 EUR / 12 = 450 EUR * 1.08 = 486.00, from 2023-06-15
                 S2 v2 annual 12 * 600 EUR - 10% = 6480 / 12 = 540 EUR * 1.08 = 583.20 from 2024-06-15
  A3 smb         S3 v1 trial 2023-07-20 .. 2023-08-03 (MRR 0), v2 5 * 20 = 100 from 2023-08-03 (new in
                 August, not July), canceled: valid_to 2024-02-10 (churn in February);
                 S7 6 * 20 = 120 from 2024-04-05 (reactivation in April), ends 2024-07-05
  A4 mid_market  (smb in the 2023 export, mid_market since 2024-01-02: the current segment counts)
                 S4 v1 10 * 35 = 350 to 2023-11-01, v2 14 * 25 = 350 from 2023-11-01 (flat)
                 S5 4 * 15 = 60 from 2023-09-10 to 2024-03-15 (second subscription)
  A5 enterprise  S6 trial only, 2024-03-01 .. 2024-03-15: never in MRR
  A6 smb         S8 v1 2 * 50 = 100, v2 1 * 50 = 50 from 2023-10-05, valid_to 2024-01-10 (churn in January)
  A7 (unknown)   never delivered by billing: S10 annual 1 * 100 GBP = 100 * 1.27 / 12 = 10.5833..
                 -> 10.583333 from 2024-05-10

Month-end MRR by account (0 = not paying; '-' = before the account's first subscription month):
  month    A1    A2      A3   A4   A5  A6   A7         all
  2023-06  300   486     -    350  -   100  -          1236
  2023-07  300   486     0    350  -   100  -          1236
  2023-08  300   486     100  350  -   100  -          1336
  2023-09  300   486     100  410  -   100  -          1396
  2023-10  300   486     100  410  -   50   -          1346
  2023-11  300   486     100  410  -   50   -          1346   (A4: S4 v1 -> v2, 350 -> 350)
  2023-12  300   486     100  410  -   50   -          1346
  2024-01  450   486     100  410  -   0    -          1446
  2024-02  450   486     0    410  -   0    -          1346
  2024-03  450   486     0    350  0   0    -          1286
  2024-04  450   486     120  350  0   0    -          1406
  2024-05  450   486     120  350  0   0    10.583333  1416.583333
  2024-06  450   583.2   120  350  0   0    10.583333  1513.783333

Rounding as published: money 6 decimals (exact sums of per-version MRR), percentages 2
decimals, half away from zero.

Run alone: ``.venv/bin/python -m pytest tests_py/test_cs_revenue_marts.py``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import CS_REVENUE_MARTS
from dbt_build import Build, dbt_build

from orchestration.loading import load_landing

LANDING = Path(__file__).resolve().parent / "fixtures" / "cs" / "landing"
AS_OF = "2024-06-30"
# The models of this issue (the health, onboarding and alert marts in models/marts/cs have their own tests).
CS_REVENUE_MODELS = {
    "int_cs__subscription_versions",
    "int_cs__months",
    "int_cs__accounts",
    "int_cs__fx_rates",
    "int_cs__account_mrr_monthly",
    "int_cs__account_mrr_retention",
    *CS_REVENUE_MARTS,
}

D = Decimal
NULL = None


def m(year: int, month: int) -> date:
    return date(year, month, 1)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    tmp = tmp_path_factory.mktemp("cs")
    # The file keeps the warehouse's name: dbt-duckdb views name the catalog (= file stem).
    database = tmp / "cxcs.duckdb"
    with duckdb.connect(str(database)) as conn:
        load = load_landing(conn, LANDING)
    # Only tests whose every parent is built (this set has no surveys or product data).
    b = dbt_build(database, tmp, ["+path:models/marts/cs", "+path:models/intermediate/cs"], {"as_of_date": AS_OF})
    b.extra["load"] = load
    return b


def test_landing_files_loaded_by_the_loader(build: Build) -> None:
    load = build.extra["load"]
    assert not load.has_failures
    counts = {
        table: (e.files_loaded, e.rows_loaded, e.rows_quarantined)
        for table, e in load.entities.items()
        if table.startswith("billing_")
    }
    # accounts: 5 + 2 rows in 2 files; subscriptions: 9 + 10 in 2 files; invoices: 6 + 5 + 2 in 3 files.
    assert counts == {
        "billing_accounts": (2, 7, 0),
        "billing_subscriptions": (2, 19, 0),
        "billing_invoices": (3, 13, 0),
    }
    # Staging keeps the latest delivery of each key: 6 accounts, 15 versions, 11 invoices.
    assert build.query("select count(*) from staging.stg_billing__accounts") == [(6,)]
    assert build.query("select count(*) from staging.stg_billing__subscriptions") == [(15,)]
    assert build.query("select count(*) from staging.stg_billing__invoices") == [(11,)]


def test_every_test_passes(build: Build) -> None:
    statuses = build.statuses()
    failing = {uid: s for uid, s in statuses.items() if s in ("fail", "error")}
    assert not failing
    # The CS unit tests (_int_cs__unit_tests.yml, _cs__unit_tests.yml): pricing, months,
    # overlapping versions closed by the later one, the six movement cases, the NRR/GRR bases,
    # and every mart's formulas (cs_clv_segments: its window of complete months, as of a partial
    # month and as of a month's last day; cs_clv: the simple and the model-based CLV).
    cs_unit = {
        uid: s for uid, s in statuses.items() if uid.startswith("unit_test.") and uid.split(".")[2] in CS_REVENUE_MODELS
    }
    assert len(cs_unit) == 22 and set(cs_unit.values()) == {"pass"}, cs_unit
    for singular in (
        "assert_cs_revenue_movements_add_up",
        "assert_cs_grr_within_bounds",
        "assert_cs_movement_type_matches_change",
        "assert_cs_account_months_without_gaps",
        "assert_cs_movements_chain_per_account",
        "assert_cs_churned_accounts_within_starting",
        "assert_cs_one_new_movement_per_account",
        "assert_cs_revenue_months_chain",
        "assert_cs_cohort_month_zero_is_whole_cohort",
        "assert_cs_clv_current_mrr_reconciles",
    ):
        assert statuses[f"test.cxcs.{singular}"] == "pass", singular
    # Only the subscription of A7 (unknown to billing) warns: kept and flagged.
    warned = sorted(uid for uid, s in statuses.items() if s == "warn")
    assert len(warned) == 1 and "relationships_stg_billing__subscriptions_account_id" in warned[0], warned


def test_subscription_versions_priced_in_usd(build: Build) -> None:
    rows = build.query(
        "select subscription_id, version, is_trial, mrr from intermediate.int_cs__subscription_versions"
        " order by subscription_id, version"
    )
    assert rows == [
        ("S1", 1, False, D("300.000000")),  # 10 * 30.00
        ("S1", 2, False, D("450.000000")),  # 15 * 30.00
        ("S10", 1, False, D("10.583333")),  # annual 1 * 100 GBP / 12 * 1.27 = 127 / 12 = 10.58333..
        ("S2", 1, False, D("486.000000")),  # annual 10 * 600 EUR * 0.9 / 12 * 1.08 = 450 * 1.08
        ("S2", 2, False, D("583.200000")),  # annual 12 * 600 EUR * 0.9 / 12 * 1.08 = 540 * 1.08
        ("S3", 1, True, D("0")),  # trial
        ("S3", 2, False, D("100.000000")),  # 5 * 20.00
        ("S4", 1, False, D("350.000000")),  # 10 * 35.00
        ("S4", 2, False, D("350.000000")),  # 14 * 25.00
        ("S5", 1, False, D("60.000000")),  # 4 * 15.00
        ("S6", 1, True, D("0")),  # trial
        ("S7", 1, False, D("120.000000")),  # 6 * 20.00
        ("S8", 1, False, D("100.000000")),  # 2 * 50.00
        ("S8", 2, False, D("50.000000")),  # 1 * 50.00
        ("S9", 1, False, D("30.000000")),  # 2 * 15.00, discount 0
    ]


def test_account_month_spine(build: Build) -> None:
    # From each account's first subscription month (trial included) to June 2024, no gaps:
    # A1, A2, A4, A6 from 2023-06 (13 months), A3 from 2023-07 (12), A5 from 2024-03 (4),
    # A7 from 2024-05 (2).
    assert build.query(
        "select account_id, min(month_start), max(month_start), count(*)"
        " from intermediate.int_cs__account_mrr_monthly group by 1 order by 1"
    ) == [
        ("A1", m(2023, 6), m(2024, 6), 13),
        ("A2", m(2023, 6), m(2024, 6), 13),
        ("A3", m(2023, 7), m(2024, 6), 12),
        ("A4", m(2023, 6), m(2024, 6), 13),
        ("A5", m(2024, 3), m(2024, 6), 4),
        ("A6", m(2023, 6), m(2024, 6), 13),
        ("A7", m(2024, 5), m(2024, 6), 2),
    ]
    # The trial-only account is never in MRR.
    assert build.query(
        "select max(ending_mrr), count(movement_type) from intermediate.int_cs__account_mrr_monthly"
        " where account_id = 'A5'"
    ) == [(D("0"), 0)]


def _movements(account: str, segment: str, *rows: tuple) -> list[tuple]:
    return [(account, month, segment, D(start), D(end), D(end) - D(start), kind) for month, start, end, kind in rows]


def test_fct_mrr_movements(build: Build) -> None:
    rows = build.query(
        "select account_id, month, segment, starting_mrr, ending_mrr, mrr_change, movement_type"
        " from marts.fct_mrr_movements order by account_id, month"
    )
    flat = "flat"
    expected = (
        _movements(
            "A1",
            "smb",
            (m(2023, 6), "0", "300", "new"),
            *[(m(2023, k), "300", "300", flat) for k in range(7, 13)],
            # Upgrade on 2024-01-20: the January month end sees 450.
            (m(2024, 1), "300", "450", "expansion"),
            # S9 (30, 2024-02-05 .. 2024-02-20) holds at no month end: February is flat.
            *[(m(2024, k), "450", "450", flat) for k in range(2, 7)],
        )
        + _movements(
            "A2",
            "enterprise",
            (m(2023, 6), "0", "486", "new"),
            *[(m(2023, k), "486", "486", flat) for k in range(7, 13)],
            *[(m(2024, k), "486", "486", flat) for k in range(1, 6)],
            # 486 -> 583.2 on 2024-06-15: +97.2.
            (m(2024, 6), "486", "583.2", "expansion"),
        )
        + _movements(
            "A3",
            "smb",
            # July 2023 ends in the trial (0 at both ends): no movement row. New in August.
            (m(2023, 8), "0", "100", "new"),
            *[(m(2023, k), "100", "100", flat) for k in range(9, 13)],
            (m(2024, 1), "100", "100", flat),
            (m(2024, 2), "100", "0", "churn"),
            # March 2024: 0 at both ends, no row. April: paying again after a month end at 0.
            (m(2024, 4), "0", "120", "reactivation"),
            (m(2024, 5), "120", "120", flat),
            (m(2024, 6), "120", "120", flat),
        )
        + _movements(
            "A4",
            "mid_market",
            (m(2023, 6), "0", "350", "new"),
            (m(2023, 7), "350", "350", flat),
            (m(2023, 8), "350", "350", flat),
            # S5 (60) from 2023-09-10: 350 + 60 = 410, one account-level movement.
            (m(2023, 9), "350", "410", "expansion"),
            (m(2023, 10), "410", "410", flat),
            # S4 v1 (10 * 35) -> v2 (14 * 25) on 2023-11-01: 350 either way.
            (m(2023, 11), "410", "410", flat),
            (m(2023, 12), "410", "410", flat),
            (m(2024, 1), "410", "410", flat),
            (m(2024, 2), "410", "410", flat),
            # S5 ends 2024-03-15: 410 -> 350.
            (m(2024, 3), "410", "350", "contraction"),
            *[(m(2024, k), "350", "350", flat) for k in range(4, 7)],
        )
        + _movements(
            "A6",
            "smb",
            (m(2023, 6), "0", "100", "new"),
            *[(m(2023, k), "100", "100", flat) for k in range(7, 10)],
            (m(2023, 10), "100", "50", "contraction"),
            (m(2023, 11), "50", "50", flat),
            (m(2023, 12), "50", "50", flat),
            (m(2024, 1), "50", "0", "churn"),
        )
        + _movements(
            "A7",
            "unknown",
            (m(2024, 5), "0", "10.583333", "new"),
            (m(2024, 6), "10.583333", "10.583333", flat),
        )
    )
    assert rows == expected


REVENUE_COLUMNS = (
    "month, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr, churned_mrr, ending_mrr,"
    " ending_arr, starting_accounts, ending_accounts, churned_accounts, logo_churn_pct, gross_mrr_churn_pct,"
    " nrr_1m_pct, grr_1m_pct, nrr_12m_pct, grr_12m_pct"
)


def _revenue(
    month: date,
    start: str,
    new: str,
    react: str,
    exp: str,
    contr: str,
    churn: str,
    end: str,
    accounts: tuple[int, int, int],
    rates: tuple[str | None, ...],
) -> tuple:
    def pct(value: str | None) -> Decimal | None:
        return None if value is None else D(value)

    # ARR = 12 * MRR.
    return (
        month,
        D(start),
        D(new),
        D(react),
        D(exp),
        D(contr),
        D(churn),
        D(end),
        12 * D(end),
        *accounts,
        *(pct(r) for r in rates),
    )


NO_RATES = (NULL, NULL, NULL, NULL, NULL, NULL)
STEADY = ("0.00", "0.00", "100.00", "100.00", NULL, NULL)  # logo, gross, NRR, GRR 1m; 12m null


def test_cs_revenue_monthly_total(build: Build) -> None:
    rows = build.query(f"select {REVENUE_COLUMNS} from marts.cs_revenue_monthly where segment = 'all' order by month")
    z = "0"
    assert rows == [
        # New: A1 300 + A2 486 + A4 350 + A6 100 = 1236; 4 accounts; no start, no rate.
        _revenue(m(2023, 6), z, "1236", z, z, z, z, "1236", (0, 4, 0), NO_RATES),
        _revenue(m(2023, 7), "1236", z, z, z, z, z, "1236", (4, 4, 0), STEADY),
        # A3 new at 100 (its trial month July had no MRR).
        _revenue(m(2023, 8), "1236", "100", z, z, z, z, "1336", (4, 5, 0), STEADY),
        # A4 +60; NRR = 1396 / 1336 = 104.49; GRR 100.
        _revenue(
            m(2023, 9), "1336", z, z, "60", z, z, "1396", (5, 5, 0), ("0.00", "0.00", "104.49", "100.00", NULL, NULL)
        ),
        # A6 -50: gross MRR churn 50 / 1396 = 3.58; NRR = GRR = 1346 / 1396 = 96.42.
        _revenue(
            m(2023, 10), "1396", z, z, z, "-50", z, "1346", (5, 5, 0), ("0.00", "3.58", "96.42", "96.42", NULL, NULL)
        ),
        _revenue(m(2023, 11), "1346", z, z, z, z, z, "1346", (5, 5, 0), STEADY),
        _revenue(m(2023, 12), "1346", z, z, z, z, z, "1346", (5, 5, 0), STEADY),
        # A1 +150, A6 churns -50: logo 1/5 = 20.00; gross 50 / 1346 = 3.71;
        # NRR 1446 / 1346 = 107.43; GRR (1346 - 50) / 1346 = 96.29.
        _revenue(
            m(2024, 1),
            "1346",
            z,
            z,
            "150",
            z,
            "-50",
            "1446",
            (5, 4, 1),
            ("20.00", "3.71", "107.43", "96.29", NULL, NULL),
        ),
        # A3 churns -100: logo 1/4 = 25.00; gross 100 / 1446 = 6.92; NRR = GRR = 1346 / 1446 = 93.08.
        _revenue(
            m(2024, 2), "1446", z, z, z, z, "-100", "1346", (4, 3, 1), ("25.00", "6.92", "93.08", "93.08", NULL, NULL)
        ),
        # A4 -60: gross 60 / 1346 = 4.46; NRR = GRR = 1286 / 1346 = 95.54.
        _revenue(
            m(2024, 3), "1346", z, z, z, "-60", z, "1286", (3, 3, 0), ("0.00", "4.46", "95.54", "95.54", NULL, NULL)
        ),
        # A3 reactivates at 120 (not in the NRR base: it had 0 at the end of March).
        _revenue(m(2024, 4), "1286", z, "120", z, z, z, "1406", (3, 4, 0), STEADY),
        _revenue(m(2024, 5), "1406", "10.583333", z, z, z, z, "1416.583333", (4, 5, 0), STEADY),
        # A2 +97.2: NRR = 1513.783333 / 1416.583333 = 106.86; GRR 100.
        # 12 months: base = the accounts paying at the end of June 2023, A1 300 + A2 486 + A4 350
        # + A6 100 = 1236; now A1 450 + A2 583.2 + A4 350 + A6 0 = 1383.2: NRR = 1383.2 / 1236
        # = 111.909 -> 111.91; GRR = (300 + 486 + 350 + 0) / 1236 = 1136 / 1236 = 91.909 -> 91.91.
        _revenue(
            m(2024, 6),
            "1416.583333",
            z,
            z,
            "97.2",
            z,
            z,
            "1513.783333",
            (5, 5, 0),
            ("0.00", "0.00", "106.86", "100.00", "111.91", "91.91"),
        ),
    ]


def test_cs_revenue_monthly_segments(build: Build) -> None:
    def segment(name: str) -> list[tuple]:
        return build.query(
            f"select {REVENUE_COLUMNS} from marts.cs_revenue_monthly where segment = '{name}' order by month"
        )

    # One row per month and segment that ever had MRR, plus `all`: 13 months * 5.
    assert build.query("select segment, count(*) from marts.cs_revenue_monthly group by 1 order by 1") == [
        ("all", 13),
        ("enterprise", 13),
        ("mid_market", 13),
        ("smb", 13),
        ("unknown", 13),
    ]
    z = "0"
    # smb = A1, A3, A6.
    assert segment("smb") == [
        _revenue(m(2023, 6), z, "400", z, z, z, z, "400", (0, 2, 0), NO_RATES),  # A1 300 + A6 100
        _revenue(m(2023, 7), "400", z, z, z, z, z, "400", (2, 2, 0), STEADY),
        _revenue(m(2023, 8), "400", "100", z, z, z, z, "500", (2, 3, 0), STEADY),  # A3 new
        _revenue(m(2023, 9), "500", z, z, z, z, z, "500", (3, 3, 0), STEADY),
        # A6 -50: gross 50 / 500 = 10.00; NRR = GRR = 450 / 500 = 90.00.
        _revenue(
            m(2023, 10), "500", z, z, z, "-50", z, "450", (3, 3, 0), ("0.00", "10.00", "90.00", "90.00", NULL, NULL)
        ),
        _revenue(m(2023, 11), "450", z, z, z, z, z, "450", (3, 3, 0), STEADY),
        _revenue(m(2023, 12), "450", z, z, z, z, z, "450", (3, 3, 0), STEADY),
        # A1 +150, A6 -50 churn: logo 1/3 = 33.33; gross 50 / 450 = 11.11; NRR 550 / 450 =
        # 122.22; GRR (300 + 100 + 0) / 450 = 88.89.
        _revenue(
            m(2024, 1),
            "450",
            z,
            z,
            "150",
            z,
            "-50",
            "550",
            (3, 2, 1),
            ("33.33", "11.11", "122.22", "88.89", NULL, NULL),
        ),
        # A3 -100 churn: logo 1/2 = 50.00; gross 100 / 550 = 18.18; NRR = GRR = 450 / 550 = 81.82.
        _revenue(
            m(2024, 2), "550", z, z, z, z, "-100", "450", (2, 1, 1), ("50.00", "18.18", "81.82", "81.82", NULL, NULL)
        ),
        _revenue(m(2024, 3), "450", z, z, z, z, z, "450", (1, 1, 0), STEADY),
        _revenue(m(2024, 4), "450", z, "120", z, z, z, "570", (1, 2, 0), STEADY),  # A3 back
        _revenue(m(2024, 5), "570", z, z, z, z, z, "570", (2, 2, 0), STEADY),
        # 12 months: base A1 300 + A6 100 = 400; now 450 + 0: NRR 450 / 400 = 112.50,
        # GRR (300 + 0) / 400 = 75.00 (A3 joined after June 2023: not in the base).
        _revenue(
            m(2024, 6), "570", z, z, z, z, z, "570", (2, 2, 0), ("0.00", "0.00", "100.00", "100.00", "112.50", "75.00")
        ),
    ]
    # mid_market = A4 (smb in the 2023 export; the current segment applies to its whole history).
    assert segment("mid_market") == [
        _revenue(m(2023, 6), z, "350", z, z, z, z, "350", (0, 1, 0), NO_RATES),
        _revenue(m(2023, 7), "350", z, z, z, z, z, "350", (1, 1, 0), STEADY),
        _revenue(m(2023, 8), "350", z, z, z, z, z, "350", (1, 1, 0), STEADY),
        # +60: NRR 410 / 350 = 117.14.
        _revenue(
            m(2023, 9), "350", z, z, "60", z, z, "410", (1, 1, 0), ("0.00", "0.00", "117.14", "100.00", NULL, NULL)
        ),
        *[
            _revenue(m(y, k), "410", z, z, z, z, z, "410", (1, 1, 0), STEADY)
            for y, k in ((2023, 10), (2023, 11), (2023, 12), (2024, 1), (2024, 2))
        ],
        # -60: gross 60 / 410 = 14.63; NRR = GRR = 350 / 410 = 85.37.
        _revenue(
            m(2024, 3), "410", z, z, z, "-60", z, "350", (1, 1, 0), ("0.00", "14.63", "85.37", "85.37", NULL, NULL)
        ),
        _revenue(m(2024, 4), "350", z, z, z, z, z, "350", (1, 1, 0), STEADY),
        _revenue(m(2024, 5), "350", z, z, z, z, z, "350", (1, 1, 0), STEADY),
        # 12 months: 350 / 350.
        _revenue(
            m(2024, 6), "350", z, z, z, z, z, "350", (1, 1, 0), ("0.00", "0.00", "100.00", "100.00", "100.00", "100.00")
        ),
    ]
    # enterprise = A2 (A5's trial never counts).
    assert segment("enterprise") == [
        _revenue(m(2023, 6), z, "486", z, z, z, z, "486", (0, 1, 0), NO_RATES),
        *[
            _revenue(m(y, k), "486", z, z, z, z, z, "486", (1, 1, 0), STEADY)
            for y, k in [(2023, k) for k in range(7, 13)] + [(2024, k) for k in range(1, 6)]
        ],
        # 486 -> 583.2: NRR 583.2 / 486 = 120.00 over 1 and over 12 months; GRR capped at 100.
        _revenue(
            m(2024, 6),
            "486",
            z,
            z,
            "97.2",
            z,
            z,
            "583.2",
            (1, 1, 0),
            ("0.00", "0.00", "120.00", "100.00", "120.00", "100.00"),
        ),
    ]
    # unknown = A7 (billing never delivered the account); zero rows before its first month.
    assert segment("unknown") == [
        *[
            _revenue(m(y, k), z, z, z, z, z, z, z, (0, 0, 0), NO_RATES)
            for y, k in [(2023, k) for k in range(6, 13)] + [(2024, k) for k in range(1, 5)]
        ],
        _revenue(m(2024, 5), z, "10.583333", z, z, z, z, "10.583333", (0, 1, 0), NO_RATES),
        _revenue(m(2024, 6), "10.583333", z, z, z, z, z, "10.583333", (1, 1, 0), STEADY),
    ]


def test_cs_cohort_retention(build: Build) -> None:
    rows = build.query(
        "select cohort_month, months_since_start, month, cohort_accounts, retained_accounts, logo_retention_pct,"
        " cohort_starting_mrr, mrr, revenue_retention_pct from marts.cs_cohort_retention order by 1, 2"
    )
    jun23 = m(2023, 6)
    aug23 = m(2023, 8)
    may24 = m(2024, 5)

    def row(
        cohort: date, k: int, month: date, size: int, retained: int, logo: str, start: str, mrr: str, revenue: str
    ) -> tuple:
        return (cohort, k, month, size, retained, D(logo), D(start), D(mrr), D(revenue))

    months = [m(2023, k) for k in range(6, 13)] + [m(2024, k) for k in range(1, 7)]
    # June 2023 cohort: A1 300, A2 486, A4 350, A6 100 = 1236 (its month of first MRR).
    cohort_jun = [
        # (retained, MRR of the cohort, logo %, revenue % = MRR / 1236)
        (4, "1236", "100.00", "100.00"),  # Jun
        (4, "1236", "100.00", "100.00"),  # Jul
        (4, "1236", "100.00", "100.00"),  # Aug
        (4, "1296", "100.00", "104.85"),  # Sep: A4 410; 1296 / 1236 = 104.854
        (4, "1246", "100.00", "100.81"),  # Oct: A6 50; 1246 / 1236 = 100.809
        (4, "1246", "100.00", "100.81"),  # Nov
        (4, "1246", "100.00", "100.81"),  # Dec
        (3, "1346", "75.00", "108.90"),  # Jan: A6 gone, A1 450; 3/4; 1346 / 1236 = 108.900
        (3, "1346", "75.00", "108.90"),  # Feb
        (3, "1286", "75.00", "104.05"),  # Mar: A4 350; 1286 / 1236 = 104.045
        (3, "1286", "75.00", "104.05"),  # Apr
        (3, "1286", "75.00", "104.05"),  # May
        (3, "1383.2", "75.00", "111.91"),  # Jun: A2 583.2; 1383.2 / 1236 = 111.909
    ]
    # August 2023 cohort: A3 alone (its July trial does not count), 100; out in Feb and Mar
    # 2024, back at 120 from April: 120 / 100 = 120.00%.
    cohort_aug = (
        [(1, "100", "100.00", "100.00")] * 6 + [(0, "0", "0.00", "0.00")] * 2 + [(1, "120", "100.00", "120.00")] * 3
    )
    # May 2024 cohort: A7, 10.583333, unchanged.
    cohort_may = [(1, "10.583333", "100.00", "100.00")] * 2
    expected = (
        [row(jun23, k, months[k], 4, r, logo, "1236", mrr, rev) for k, (r, mrr, logo, rev) in enumerate(cohort_jun)]
        + [
            row(aug23, k, months[k + 2], 1, r, logo, "100", mrr, rev)
            for k, (r, mrr, logo, rev) in enumerate(cohort_aug)
        ]
        + [
            row(may24, k, months[k + 11], 1, r, logo, "10.583333", mrr, rev)
            for k, (r, mrr, logo, rev) in enumerate(cohort_may)
        ]
    )
    assert rows == expected


def test_cs_clv_segments(build: Build) -> None:
    rows = build.query(
        "select segment, arpa, monthly_logo_churn_pct, gross_margin, predicted_clv, window_start_month,"
        " window_end_month, paying_account_months, starting_accounts, churned_accounts"
        " from marts.cs_clv_segments order by segment"
    )
    window = (m(2023, 7), m(2024, 6))  # June 2024 and the 11 months before it
    assert rows == [
        # Ending MRR Jul 2023 .. Jun 2024 (table in the module docstring): 1236 + 1336 + 1396
        # + 1346 * 3 + 1446 + 1346 + 1286 + 1406 + 1416.583333 + 1513.783333 = 16420.366666;
        # paying account-months 4+5+5+5+5+5+4+3+3+4+5+5 = 53: ARPA = 309.818 -> 309.82.
        # Starting accounts 4+4+5+5+5+5+5+4+3+3+4+5 = 52, churned 2 (Jan, Feb): 3.846 -> 3.85%.
        # CLV = ARPA * 0.8 / (2 / 52) = 16420.366666 * 0.8 * 52 / (53 * 2) = 6444.219 -> 6444.22.
        ("all", D("309.82"), D("3.85"), D("0.8"), D("6444.22"), *window, 53, 52, 2),
        # A2: 486 * 11 + 583.2 = 5929.2 / 12 = 494.10; no churn: CLV null.
        ("enterprise", D("494.10"), D("0.00"), D("0.8"), None, *window, 12, 12, 0),
        # A4: 350 * 6 + 410 * 6 = 4560 / 12 = 380.00; no churn.
        ("mid_market", D("380.00"), D("0.00"), D("0.8"), None, *window, 12, 12, 0),
        # smb: 400 + 500 + 500 + 450 * 3 + 550 + 450 + 450 + 570 * 3 = 5910 over
        # 2+3+3+3+3+3+2+1+1+2+2+2 = 27 paying account-months: 218.888 -> 218.89; starting
        # 2+2+3+3+3+3+3+2+1+1+2+2 = 27, churned 2: 7.407 -> 7.41%;
        # CLV = 5910 * 0.8 * 27 / (27 * 2) = 2364.00.
        ("smb", D("218.89"), D("7.41"), D("0.8"), D("2364.00"), *window, 27, 27, 2),
        # A7: (10.583333 * 2) / 2 = 10.58; starting 1 (June), no churn.
        ("unknown", D("10.58"), D("0.00"), D("0.8"), None, *window, 2, 1, 0),
    ]


def test_cs_clv(build: Build) -> None:
    rows = build.query(
        "select account_id, segment, lifetime_revenue, current_mrr, predicted_clv from marts.cs_clv order by 1"
    )
    assert rows == [
        # INV1 300 + INV2 450; INV3 is open; INV11 was paid on 2024-07-02, after the as-of date.
        ("A1", "smb", D("750"), D("450"), D("2364.00")),
        # INV4 5400 EUR * 1.08 = 5832; INV5 is void.
        ("A2", "enterprise", D("5832"), D("583.2"), None),
        # INV6 100 + INV7 120.
        ("A3", "smb", D("220"), D("120"), D("2364.00")),
        # INV8: open in the first delivery, paid (350) in the July update: the latest wins.
        ("A4", "mid_market", D("350"), D("350"), None),
        ("A5", "enterprise", D("0"), D("0"), None),
        # INV9 100; INV10 became uncollectible. Churned: current MRR 0.
        ("A6", "smb", D("100"), D("0"), D("2364.00")),
        ("A7", "unknown", D("0"), D("10.583333"), None),
    ]


def test_cs_renewals(build: Build) -> None:
    rows = build.query(
        "select subscription_id, account_id, segment, contract_end, days_to_renewal, mrr, arr_up_for_renewal,"
        " is_cancellation_requested, health_band from marts.cs_renewals order by 1"
    )
    # As of 2024-06-30: contract_end within [2024-06-30, 2024-09-28]. S2 (2025-06-15) and
    # S10 (2025-05-10) are later; S3, S5, S8, S9 ended; S6 was a trial. health_band is the
    # band of the account's latest cs_account_health_daily day up to the as-of date; this
    # landing set has no product events, so no account has a health row: null (the band
    # itself is checked by the unit test test_cs_renewals_window_and_in_force_version).
    assert build.query("select count(*) from marts.cs_account_health_daily") == [(0,)]
    assert rows == [
        ("S1", "A1", "smb", date(2024, 7, 1), 1, D("450"), D("5400"), False, None),  # 12 * 450
        ("S4", "A4", "mid_market", date(2024, 9, 28), 90, D("350"), D("4200"), False, None),  # day 90: in
        ("S7", "A3", "smb", date(2024, 7, 5), 5, D("120"), D("1440"), True, None),  # cancel requested 2024-06-01
    ]


# Published columns (marts spec, CS) and their types: the enforced contracts.
SPEC_COLUMNS = {
    "fct_mrr_movements": "account_id, month, starting_mrr, ending_mrr, mrr_change, movement_type",
    "cs_revenue_monthly": "month, segment, starting_mrr, new_mrr, reactivation_mrr, expansion_mrr, contraction_mrr,"
    " churned_mrr, ending_mrr, ending_arr, starting_accounts, ending_accounts, churned_accounts, logo_churn_pct,"
    " gross_mrr_churn_pct, nrr_1m_pct, grr_1m_pct, nrr_12m_pct, grr_12m_pct",
    "cs_cohort_retention": "cohort_month, months_since_start, cohort_accounts, retained_accounts, logo_retention_pct,"
    " cohort_starting_mrr, mrr, revenue_retention_pct",
    "cs_clv": "account_id, segment, lifetime_revenue, current_mrr, predicted_clv",
    "cs_clv_segments": "segment, arpa, monthly_logo_churn_pct, gross_margin, predicted_clv",
    "cs_renewals": "subscription_id, account_id, contract_end, arr_up_for_renewal, health_band, days_to_renewal",
}


def test_published_columns_match_the_marts_spec(build: Build) -> None:
    types = {
        (table, column): data_type
        for table, column, data_type in build.query(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = 'marts'"
        )
    }
    for mart, columns in SPEC_COLUMNS.items():
        missing = [c.strip() for c in columns.split(",") if (mart, c.strip()) not in types]
        assert missing == [], (mart, missing)
    assert types[("fct_mrr_movements", "month")] == "DATE"
    assert types[("cs_revenue_monthly", "ending_mrr")] == "DECIMAL(38,6)"
    assert types[("cs_revenue_monthly", "nrr_12m_pct")] == "DECIMAL(18,2)"
    assert types[("cs_renewals", "health_band")] == "VARCHAR"
    assert types[("cs_renewals", "contract_end")] == "DATE"
