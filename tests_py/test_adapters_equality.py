"""Issue #16's equality test: the same demo delivered as other tools' exports builds the same
marts as the native contract (``except all`` both ways), raw table by raw table and mart by mart.

A landing holds one export per kind of data (``cxcs demo-data --format``'s groups), so the formats
are tested in combinations that together cover each of them once: a format that mapped a row
wrongly would make its raw table, and the marts that read it, differ. Three builds instead of one
per format keep the test's cost (the builds are most of it) flat as formats are added.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests_py.demo_warehouse import demos_in_formats

END = date(2026, 6, 30)
# Enough days and accounts for every survey kind (relationship waves, support, product, in-app).
DEMO = {"accounts": 10, "days": 120, "seed": 5, "end_date": END}
COMBINATIONS = ("segment,qualtrics,stripe-fivetran,zendesk", "amplitude,delighted,stripe-api")
# What each format maps into, and the contract columns compared there: `properties` as normalised
# JSON (the converters re-serialise it); billing raw rows are compared through the marts only (a
# Stripe export holds the latest delivery of each row, Fivetran's current state, and API snapshots
# the current state of each object with a snapshot's export time: raw differs by design, the marts
# do not).
RAW = {
    "segment": {
        "product_events": "event_id, account_id, user_id, event_name, occurred_at, received_at, "
        "cast(json(properties) as varchar)",
        "product_users": "user_id, account_id, email, role, created_at",
    },
    "survey": {
        # Both survey formats carry every response column (comment, invitation and account
        # through the mapping's fields), so nothing is excepted.
        "survey_responses": "response_id, invitation_id, survey_id, survey_type, touchpoint, account_id, "
        "contact_id, score, comment, responded_at",
    },
}
# Support tickets as each ticket's latest state: a Zendesk export (Fivetran's current state)
# carries no earlier one, the rows the format cannot carry.
RAW["zendesk"] = {
    "support_tickets": "ticket_id, account_id, created_at, updated_at, status, priority, channel, first_reply_at, "
    "solved_at, reopens, satisfaction_rating, satisfaction_comment, satisfaction_rated_at, requester_email"
}
LATEST = {
    "support_tickets": "qualify row_number() over (partition by ticket_id order by updated_at desc, _batch_id desc) = 1"
}
RAW["amplitude"] = {"product_events": RAW["segment"]["product_events"]}
RAW["qualtrics"] = RAW["delighted"] = RAW["survey"]


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo natively and in each combination: real generator, loader and dbt."""
    return demos_in_formats(tmp_path_factory, ("native", *COMBINATIONS), **DEMO)


def _differences(conn: duckdb.DuckDBPyConnection, relation: str, columns: str = "*") -> int:
    latest = LATEST.get(relation.split(".")[-1], "")
    one_way = (
        f"select {columns} from native.{relation} {latest} except all select {columns} from other.{relation} {latest}"
    )
    other_way = (
        f"select {columns} from other.{relation} {latest} except all select {columns} from native.{relation} {latest}"
    )
    return conn.execute(f"select (select count(*) from ({one_way})) + (select count(*) from ({other_way}))").fetchone()[
        0
    ]


@pytest.mark.parametrize("combination", COMBINATIONS)
def test_each_format_builds_the_native_marts(demos: dict[str, Path], combination: str) -> None:
    with duckdb.connect() as conn:
        conn.execute(f"attach '{demos['native']}' as native (read_only)")
        conn.execute(f"attach '{demos[combination]}' as other (read_only)")
        kinds = conn.execute("select count(distinct survey_type) from native.raw.survey_responses").fetchone()[0]
        assert kinds == 3  # nps, csat and ces all present
        for fmt in combination.split(","):
            for table, columns in RAW.get(fmt, {}).items():
                assert conn.execute(f"select count(*) from native.raw.{table}").fetchone()[0] > 0
                assert _differences(conn, f"raw.{table}", columns) == 0, (fmt, table)
        marts = [
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'native' and table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        filled = (
            "product_usage_daily",
            "cs_account_health_daily",
            "cx_nps_monthly",
            "cs_revenue_monthly",
            "cx_support_monthly",
        )
        for mart in filled:
            assert conn.execute(f"select count(*) from native.marts.{mart}").fetchone()[0] > 0, mart
        assert [m for m in marts if _differences(conn, f"marts.{m}")] == []
