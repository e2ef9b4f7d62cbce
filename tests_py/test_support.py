"""Support tickets as a CX touchpoint (issue 16): the native contract's loader rules, the demo's
planted story and cx_support_monthly against the semantic layer, on the session's published
demo (tests_py/demo_warehouse.py). The mart's and staging's figures on hand-made rows are dbt
unit tests (models/marts/support/_support__unit_tests.yml, models/staging/support/)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from demo_warehouse import published_demo
from test_semantic_layer import mart, mf_query, number

from orchestration.loading import load_landing

HEADER = (
    b"ticket_id,account_id,created_at,updated_at,status,priority,channel,first_reply_at,solved_at,"
    b"reopens,satisfaction_rating,satisfaction_comment,satisfaction_rated_at,requester_email\n"
)


def _put(landing: Path, rel: str, data: bytes) -> None:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_ticket_states_load_and_bad_rows_are_quarantined_with_their_reason(conn, landing) -> None:
    _put(
        landing,
        "support/tickets/tickets_2026-03.csv",
        HEADER
        # 1: good, every optional column empty (staging fills the defaults)
        + b"T1,A1,2026-03-01T09:00:00Z,2026-03-01T09:00:00Z,new,,,,,,,,,\n"
        # 2: updated before it was created
        + b"T2,A1,2026-03-02T09:00:00Z,2026-03-01T09:00:00Z,open,high,email,,,0,unoffered,,,\n"
        # 3: a rating outside the vocabulary, 4: negative reopens, 5: no account
        + b"T3,A1,2026-03-02T09:00:00Z,2026-03-03T09:00:00Z,solved,low,web,,2026-03-03T09:00:00Z,0,great,,,\n"
        + b"T4,A1,2026-03-02T09:00:00Z,2026-03-03T09:00:00Z,solved,low,web,,2026-03-03T09:00:00Z,-1,good,,,\n"
        + b"T5,,2026-03-02T09:00:00Z,2026-03-03T09:00:00Z,open,urgent,chat,,,0,offered,,,\n"
        # 6: good; the loader keeps the comment and email as delivered (staging redacts)
        + b"T6,A2,2026-03-04T09:00:00+02:00,2026-03-05T10:00:00Z,Solved,URGENT,Phone,2026-03-04T08:00:00Z,"
        b"2026-03-05T10:00:00Z,2,bad,Call +44 20 7946 0958,2026-03-05T11:00:00Z,x@example.com\n",
    )
    # A later export carries T1 again in its new state: a new row in raw, not a duplicate.
    _put(
        landing,
        "support/tickets/tickets_2026-04.csv",
        HEADER + b"T1,A1,2026-03-01T09:00:00Z,2026-04-02T09:00:00Z,solved,,,,2026-04-02T09:00:00Z,0,offered,,,\n",
    )
    summary = load_landing(conn, landing, entities=["support_tickets"])
    assert summary.entities["support_tickets"].rows_loaded == 3
    assert conn.execute(
        "select row_number, reason from raw.load_quarantine order by file_path, row_number"
    ).fetchall() == [
        (2, "invalid_order: updated_at=2026-03-01 09:00:00 is before created_at=2026-03-02 09:00:00"),
        (3, "unknown_value: satisfaction_rating='great'"),
        (4, "out_of_range: reopens=-1"),
        (5, "missing_required: account_id"),
    ]
    assert conn.execute(
        "select ticket_id, created_at, updated_at, status, priority, reopens, satisfaction_comment, requester_email "
        "from raw.support_tickets order by _batch_id, _row_number"
    ).fetchall() == [
        ("T1", datetime(2026, 3, 1, 9), datetime(2026, 3, 1, 9), "new", None, None, None, None),
        # +02:00 stored as UTC; the enumerations as delivered (staging lower-cases them)
        (
            "T6",
            datetime(2026, 3, 4, 7),
            datetime(2026, 3, 5, 10),
            "Solved",
            "URGENT",
            2,
            "Call +44 20 7946 0958",
            "x@example.com",
        ),  # fmt: skip
        ("T1", datetime(2026, 3, 1, 9), datetime(2026, 4, 2, 9), "solved", None, 0, None, None),
    ]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_demo(tmp_path_factory)[1]


def test_demo_churners_open_more_urgent_tickets_and_rate_worse(warehouse: Path) -> None:
    """The planted story: accounts with a churn movement have a larger share of urgent tickets and
    of bad ratings than the others (the published ticket grain, sem_support_tickets)."""
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            """
            with churners as (select distinct account_id from marts.fct_mrr_movements where movement_type = 'churn')
            select account_id in (select account_id from churners) as churned,
                   avg(case when priority = 'urgent' then 1.0 else 0.0 end),
                   sum(is_rated) - sum(is_rated_good), sum(is_rated), count(*)
            from semantic.sem_support_tickets group by 1 order by 1
            """
        ).fetchall()
    (_, urgent_stay, bad_stay, rated_stay, n_stay), (_, urgent_churn, bad_churn, rated_churn, n_churn) = rows
    assert n_stay > 50 and n_churn > 20 and rated_stay > 10 and rated_churn > 5, rows
    assert urgent_churn > urgent_stay
    assert bad_churn / rated_churn > bad_stay / rated_stay


def test_support_metrics_by_month_equal_the_mart(warehouse: Path, tmp_path: Path) -> None:
    """`mf query` of support CSAT good % and median first reply per month returns the published
    cx_support_monthly overall rows (the mart rounds to 1 and 2 decimals)."""
    metrics = [
        "support_csat_good_pct",
        "support_ratings",
        "support_first_reply_hours_median",
        "support_tickets_created",
    ]
    rows = mf_query(warehouse, metrics, ["metric_time__month"], tmp_path / "support.csv")
    published = {
        r["month"]: r for r in mart(warehouse, "select * from marts.cx_support_monthly where dimension = 'overall'")
    }
    checked = 0
    for row in rows:
        if not row["metric_time__month"]:
            # tickets not solved or not rated have no solved or rated date: nothing to measure
            assert (number(row["support_ratings"]) or 0) == 0 and number(row["support_csat_good_pct"]) is None
            continue
        month = datetime.fromisoformat(row["metric_time__month"][:10]).date()
        expected = published[month]
        assert (number(row["support_ratings"]) or 0) == expected["ratings"]
        assert (number(row["support_tickets_created"]) or 0) == expected["tickets_created"]
        for metric, column, places in (
            ("support_csat_good_pct", "csat_good_pct", Decimal("0.1")),
            ("support_first_reply_hours_median", "first_reply_hours_median", Decimal("0.01")),
        ):
            exact = number(row[metric])
            if exact is None:
                assert expected[column] is None, (month, metric)
            else:
                assert exact.quantize(places, rounding=ROUND_HALF_UP) == expected[column], (month, metric)
                checked += 1
    assert checked >= 20  # 430 days: ~14 months with ratings and solves each
