"""Stripe API objects as JSON Lines snapshots (orchestration.adapters.stripe_api): hand-made
snapshots in both API layouts, loaded by the real loader into the native billing tables, priced
by the real dbt model (int_cs__subscription_versions).  Every expected MRR is computed by hand
from Stripe's definition (price per interval, normalised to a month, x quantity, less a forever
coupon); the rules are the Fivetran adapter's (tests_py/test_adapters_stripe.py has each one)."""

from __future__ import annotations

import calendar
import gzip
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_build import run_dbt

from orchestration.adapters.stripe_api import export_time
from orchestration.loading import load_landing
from orchestration.loading.results import FileRejected


def _t(day: str) -> int:
    """Stripe's timestamps: Unix seconds (UTC)."""
    return calendar.timegm(datetime.fromisoformat(day).timetuple())


def _price(pid: str, cents: object, currency: str = "usd", interval: str = "month", count: int = 1) -> dict:
    return {
        "id": pid,
        "object": "price",
        "unit_amount": cents,
        "currency": currency,
        "recurring": {"interval": interval, "interval_count": count},
        "product": {"id": "prod_growth", "object": "product"} if interval == "year" else "prod_starter",
    }


def _coupon(cid: str, percent: int) -> dict:
    return {"id": cid, "object": "coupon", "percent_off": percent, "amount_off": None, "duration": "forever"}


def _sub(sid: str, customer: str, price: dict, quantity: int, *, basil: bool, period_end: str, **extra) -> dict:
    """A subscription in the pre-2025 layout (period on the subscription) or 2025-03-31.basil's
    (period on each item)."""
    item = {"id": f"si_{sid}", "object": "subscription_item", "quantity": quantity, "price": price}
    sub = {"id": sid, "object": "subscription", "customer": customer, "status": "active",
           "start_date": _t("2025-03-01"), "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None}  # fmt: skip
    period = {"current_period_start": _t("2025-03-01"), "current_period_end": _t(period_end)}
    (item if basil else sub).update(period)
    return sub | {"items": {"object": "list", "data": [item]}, "discounts": []} | extra


C20 = _coupon("c20", 20)
# sub_old: USD 20.00 a month with a 20% forever coupon; its seats change 3 -> 5 -> 7 across snapshots.
OLD_DISCOUNT = {"discount": {"id": "di_1", "object": "discount", "coupon": C20}, "discounts": ["di_1"]}
BASIL_DISCOUNT = {"discounts": [{"id": "di_1", "object": "discount", "coupon": C20}]}
QUARTER = _price("price_q", 30000, interval="month", count=3)
CUSTOMERS = [
    {"id": "cus_1", "object": "customer", "name": "Acme", "created": _t("2025-01-01"),
     "metadata": {"account_id": "acc_1", "segment": "smb", "region": "EMEA"}},
    {"id": "cus_2", "object": "customer", "name": "Globex", "created": _t("2025-01-02"), "metadata": {"segment": "mid_market"}},
    {"id": "cus_3", "object": "customer", "name": "Initech", "created": _t("2025-01-03"), "metadata": {"segment": "smb"}},
]  # fmt: skip
INVOICE = {"object": "invoice", "customer": "cus_1", "subscription": "sub_old", "status": "paid", "currency": "usd",
           "created": _t("2025-03-01"), "due_date": None, "status_transitions": {"paid_at": _t("2025-03-02")},
           "lines": {"object": "list", "data": [{"id": "il_1", "amount": 4800, "proration": False}]}}  # fmt: skip
# A: 2025-03-01 06:00 UTC, the pre-2025 layout; every bad case is here.
SNAPSHOT_A = [
    *CUSTOMERS,  # 1-3
    _sub("sub_old", "cus_1", _price("price_m", 2000), 3, basil=False, period_end="2025-04-01", **OLD_DISCOUNT),  # 4
    _sub("sub_q", "cus_2", QUARTER, 2, basil=False, period_end="2025-06-01"),  # 5
    _sub("sub_text", "cus_1", _price("price_text", "2000"), 1, basil=False, period_end="2025-04-01"),  # 6
    _sub("sub_xyz", "cus_1", _price("price_xyz", 1000, currency="xyz"), 1, basil=False, period_end="2025-04-01"),  # 7
    _sub("sub_ids", "cus_1", _price("price_m", 2000), 1, basil=False, period_end="2025-04-01", discounts=["di_9"]),  # 8
    _sub("sub_nomap", "cus_3", _price("price_m", 2000), 1, basil=False, period_end="2025-04-01"),  # 9
    INVOICE | {"id": "in_1", "amount_due": 4800, "amount_paid": 4800},  # 10
    INVOICE | {"id": "in_str", "amount_due": "4800", "amount_paid": 0, "status": "open"},  # 11
    "{not json",  # 12
    {"object": "list", "data": []},  # 13: `stripe subscriptions list` output not flattened
    # 14: missing from the later snapshots (the CLI lists no canceled subscription by default)
    _sub("sub_gone", "cus_1", _price("price_m", 2000), 1, basil=False, period_end="2025-04-01"),
]
# B: 2025-04-15 06:00, basil layout: sub_old to 5 seats; sub_q renewed (a new period: no change).
SNAPSHOT_B = [
    _sub("sub_old", "cus_1", _price("price_m", 2000), 5, basil=True, period_end="2025-05-01", **BASIL_DISCOUNT),
    _sub("sub_q", "cus_2", QUARTER, 2, basil=True, period_end="2025-06-01"),
]
# C: 2025-05-20, basil layout, gzipped: 7 seats; sub_new (started 2025-05-01) with a coupon in
# 2025-09-30.clover's shape (discounts[].source.coupon).
SNAPSHOT_C = [
    _sub("sub_old", "cus_1", _price("price_m", 2000), 7, basil=True, period_end="2025-06-01", **BASIL_DISCOUNT),
    _sub("sub_q", "cus_2", QUARTER, 2, basil=True, period_end="2025-09-01"),
    _sub("sub_new", {"id": "cus_1", "object": "customer"}, _price("price_y", 120000, interval="year"), 2, basil=True,
         period_end="2026-05-01", start_date=_t("2025-05-01"),
         discounts=[{"id": "di_3", "object": "discount", "source": {"type": "coupon", "coupon": _coupon("c25", 25)}}]),
]  # fmt: skip


def _jsonl(rows: list[object]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A and C loaded in one run; B (exported between them) arrives late, in a second run; then
    the versions priced by real dbt."""
    tmp = tmp_path_factory.mktemp("stripe_api")
    folder = tmp / "landing" / "stripe_api" / "prod"
    folder.mkdir(parents=True)
    (tmp / "landing" / "mappings").mkdir()
    (tmp / "landing" / "mappings" / "account_map.csv").write_text("source,source_id,account_id\nstripe,cus_2,acc_2\n")
    (folder / "2025-03-01T060000Z.jsonl").write_text(_jsonl(SNAPSHOT_A))
    (folder / "2025-05-20.jsonl.gz").write_bytes(gzip.compress(_jsonl(SNAPSHOT_C).encode(), mtime=0))
    database = tmp / "cxcs.duckdb"
    with duckdb.connect(str(database)) as conn:
        first = load_landing(conn, tmp / "landing")
        (folder / "2025-04-15T060000Z.jsonl").write_text(_jsonl(SNAPSHOT_B))
        second = load_landing(conn, tmp / "landing")
    assert not first.has_failures and not second.has_failures, first.format() + second.format()
    dbt_vars = {"as_of_date": "2025-06-30"}
    run_dbt(database, tmp, "seed", "-s", "fx_rates", dbt_vars=dbt_vars)
    run_dbt(database, tmp, "run", "-s", "+int_cs__subscription_versions", dbt_vars=dbt_vars)
    return database


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


D = Decimal


def test_versions_follow_the_snapshots_by_export_time_in_both_layouts(loaded: Path) -> None:
    rows = _query(
        loaded,
        "select subscription_id, version, quantity, billing_interval, unit_amount, discount_pct, valid_from, valid_to, "
        "contract_end, mrr from intermediate.int_cs__subscription_versions order by 1, 2",
    )
    assert rows == [
        # USD 20.00 a month; absent from B on: ended at B's export (before B arrived: at C's).
        ("sub_gone", 1, 1, "month", D("20"), D("0"), date(2025, 3, 1), date(2025, 4, 15), date(2025, 4, 1), D("20")),
        # USD 1,200.00 a year x 2 seats less 25% (a clover-shaped coupon) = 2 x 100 x 0.75 = 150; it
        # started (start_date 2025-05-01) before the first snapshot that lists it.
        ("sub_new", 1, 2, "year", D("1200"), D("25"), date(2025, 5, 1), None, date(2026, 5, 1), D("150")),
        # 3 seats x USD 20.00 less 20% = 48 (pre-2025 layout: period end on the subscription);
        # 5 seats from B (2025-04-15, arrived last but placed by its export time) = 80;
        # 7 seats from C = 112.  The period end comes from the items in the basil layout.
        ("sub_old", 1, 3, "month", D("20"), D("20"), date(2025, 3, 1), date(2025, 4, 15), date(2025, 4, 1), D("48")),
        ("sub_old", 2, 5, "month", D("20"), D("20"), date(2025, 4, 15), date(2025, 5, 20), date(2025, 5, 1), D("80")),
        ("sub_old", 3, 7, "month", D("20"), D("20"), date(2025, 5, 20), None, date(2025, 6, 1), D("112")),
        # USD 300.00 every 3 months x 2 = 200 a month; a renewal (C's later period end, read from
        # the items) is no new version: one version, contract end from the latest snapshot.
        ("sub_q", 1, 2, "year", D("1200"), D("0"), date(2025, 3, 1), None, date(2025, 9, 1), D("200")),
    ]


def test_accounts_invoices_and_the_quarantine(loaded: Path) -> None:
    assert _query(loaded, "select account_id, account_name, segment, region from raw.billing_accounts order by 1") == [
        ("acc_1", "Acme", "smb", "EMEA"),
        ("acc_2", "Globex", "mid_market", None),
    ]
    # updated_at: the invoice's latest status change (paid 2025-03-02), not the export time.
    assert _query(
        loaded,
        "select invoice_id, account_id, subscription_id, amount_due, paid_at, updated_at from raw.billing_invoices",
    ) == [("in_1", "acc_1", "sub_old", D("48"), datetime(2025, 3, 2), datetime(2025, 3, 2))]
    no_account = "unmapped_account: no customer metadata.account_id, and the user id is not in mappings/account_map.csv"
    # The bad states, by subscription id, each with the line of snapshot A that opened it; each
    # derivation of the folder's versions (C's load, then B's) delivers them again.
    bad_states = [
        (8, "unexpanded_discount: discounts holds ids only (export with expand[]=data.discounts, "
            "so each coupon can be priced)"),
        (9, no_account),
        (6, "invalid_amount: unit_amount='\"2000\"' (Stripe amounts are integers in minor units)"),
        (7, "unknown_currency: currency='XYZ'"),
    ]  # fmt: skip
    quarantine = _query(
        loaded,
        "select regexp_extract(file_path, '[^/]+$'), entity, line_number, reason from raw.load_quarantine "
        "order by batch_id, row_number",
    )
    a, b, c = "2025-03-01T060000Z.jsonl", "2025-04-15T060000Z.jsonl", "2025-05-20.jsonl.gz"
    assert quarantine == [
        (a, "billing_accounts", 3, no_account),
        (
            a,
            "billing_invoices",
            11,
            "invalid_amount: amount_due='\"4800\"' (Stripe amounts are integers in minor units)",
        ),
        (a, "billing_subscriptions", 12, "invalid_json: not a JSON object"),
        (
            a,
            "billing_subscriptions",
            13,
            "unsupported_object: 'list' (one customer, subscription or invoice object per line)",
        ),  # fmt: skip
        *[(c, "billing_subscriptions", line, reason) for line, reason in bad_states],
        *[(b, "billing_subscriptions", line, reason) for line, reason in bad_states],
    ]


def test_a_snapshot_without_an_export_time_fails_and_the_rest_loads(conn, landing: Path) -> None:
    folder = landing / "stripe_api" / "prod"
    folder.mkdir(parents=True)
    (folder / "subscriptions.jsonl").write_text(_jsonl(SNAPSHOT_B))
    (folder / "2025-03-01.jsonl").write_text(_jsonl([CUSTOMERS[0]]))
    summary = load_landing(conn, landing)
    assert summary.entities["billing_accounts"].files_failed == [
        (
            "stripe_api/prod/subscriptions.jsonl",
            "missing_export_time: a Stripe API snapshot is named with its export time in UTC "
            "(e.g. subscriptions_2026-03-01.jsonl or 2026-03-01T060000Z.jsonl.gz)",
        )
    ]
    assert conn.execute("select account_id, updated_at from raw.billing_accounts").fetchall() == [
        ("acc_1", datetime(2025, 3, 1))
    ]


def test_an_unreadable_snapshot_fails_alone_and_the_others_give_the_versions(conn, landing: Path) -> None:
    folder = landing / "stripe_api" / "prod"
    folder.mkdir(parents=True)
    (folder / "2025-03-01.jsonl").write_text(_jsonl([CUSTOMERS[0], SNAPSHOT_A[3]]))  # sub_old, 3 seats
    (folder / "2025-04-15.jsonl.gz").write_bytes(gzip.compress(_jsonl(SNAPSHOT_B).encode(), mtime=0)[:-30])
    (folder / "2025-05-20.jsonl").write_text(_jsonl(SNAPSHOT_C[:1]))  # 7 seats
    summary = load_landing(conn, landing)
    [(failed, reason)] = summary.entities["billing_accounts"].files_failed
    assert failed == "stripe_api/prod/2025-04-15.jsonl.gz" and reason.startswith("corrupt_gzip: ")
    # Without B's 5 seats: 3 seats until C, 7 from C.
    assert conn.execute(
        "select version, quantity, valid_from, valid_to from raw.billing_subscriptions order by version"
    ).fetchall() == [(1, 3, date(2025, 3, 1), date(2025, 5, 20)), (2, 7, date(2025, 5, 20), None)]


def test_the_demo_format_writes_snapshots_in_both_layouts(tmp_path: Path) -> None:
    from orchestration.demo_data import generate

    out = tmp_path / "landing"
    generate(out=out, formats=("stripe-api",), accounts=6, days=20, seed=5, end_date=date(2026, 6, 30))
    assert not list((out / "billing").rglob("*.csv"))
    with duckdb.connect() as conn:
        layouts = conn.execute(
            "select filename < $2, bool_and(json_exists(j, '$.current_period_end')), "
            "bool_and(json_exists(j, '$.items.data[0].current_period_end')) "
            "from read_json_objects($1, filename = true) as t(j, filename) group by 1 order by 1",
            [
                str(out / "stripe_api" / "demo" / "*_subscriptions.jsonl"),
                str(out / "stripe_api" / "demo" / "2025-03-31"),
            ],
        ).fetchall()
    # basil (2025-03-31 on): the period on each item only; before it: on the subscription only.
    assert layouts == [(False, False, True), (True, True, False)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2026-06-30_subscriptions.jsonl", datetime(2026, 6, 30)),
        ("subscriptions_2026-06-30T061500Z.jsonl.gz", datetime(2026, 6, 30, 6, 15)),
        ("2026-06-30T06:15:00.ndjson", datetime(2026, 6, 30, 6, 15)),
        # dlt's layout "{YYYY}-{MM}-{DD}_{table_name}.{load_id}.{file_id}.{ext}": the load id is no time
        ("2026-06-30_subscriptions.1719712345.678.a1b2c3.jsonl", datetime(2026, 6, 30)),
    ],
)
def test_the_export_time_is_the_dashed_date_in_the_name(name: str, expected: datetime) -> None:
    assert export_time(name) == expected


@pytest.mark.parametrize("name", ["subscriptions.jsonl", "20260630.jsonl", "2026-02-30_subscriptions.jsonl"])
def test_a_name_without_a_calendar_date_is_rejected(name: str) -> None:
    with pytest.raises(FileRejected, match="^missing_export_time: "):
        export_time(name)
