"""Stripe in Fivetran's schema (orchestration.adapters.stripe_fivetran): a hand-made export of
each table, loaded by the real loader into the native billing tables, then priced by the real
dbt model (int_cs__subscription_versions).  Every expected MRR is computed by hand from Stripe's
definition (price per interval, normalised to a month, x quantity, less a forever coupon)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_build import run_dbt

from orchestration.loading import load_landing

CUSTOMERS = """id,name,description,metadata,created,_fivetran_synced
cus_1,Acme,,"{""account_id"": ""acc_1"", ""segment"": ""smb"", ""region"": ""EMEA""}",2026-01-01 00:00:00,2026-06-01 00:00:00
cus_2,Globex,,"{""segment"": ""mid_market""}",2026-01-02 00:00:00,2026-06-01 00:00:00
cus_3,Initech,,"{""segment"": ""smb""}",2026-01-03 00:00:00,2026-06-01 00:00:00
cus_4,,Umbrella KK,"{""account_id"": ""acc_4"", ""segment"": ""enterprise""}",2026-01-04 00:00:00,2026-06-01 00:00:00
cus_5,Hooli,,"{""account_id"": ""acc_5""}",2026-01-05 00:00:00,2026-06-01 00:00:00
"""
# unit_amount in minor units: 120000 = USD 1,200.00; 5000 JPY = JPY 5,000 (zero-decimal).
PRICES = """id,unit_amount,currency,recurring_interval,recurring_interval_count,product_id
price_year,120000,usd,year,1,growth
price_quarter,30000,usd,month,3,growth
price_week,1000,usd,week,1,starter
price_month,2000,usd,month,1,starter
price_jpy,5000,jpy,month,1,starter
price_text,19.99,usd,month,1,starter
price_xyz,1000,xyz,month,1,starter
price_month60,6000,usd,month,1,business
"""
# The legacy plan table (amount, interval, interval_count), used where no price has the id.
PLANS = """id,amount,currency,interval,interval_count,product_id
plan_legacy,1500,usd,month,1,starter
"""
ITEMS = """id,subscription_id,price_id,quantity
si_y,sub_year,price_year,1
si_q,sub_quarter,price_quarter,2
si_w,sub_week,price_week,1
si_3,sub_pct,price_month,3
si_f,sub_fixed,price_month,1
si_o,sub_once,price_month,1
si_j,sub_jpy,price_jpy,1
si_h,sub_life,price_month,1
si_t,sub_text,price_text,1
si_x,sub_xyz,price_xyz,1
si_n,sub_nomap,price_month,1
si_m1,sub_multi,price_month,2
si_m2,sub_multi,price_month60,1
si_l,sub_legacy,plan_legacy,1
"""
COUPONS = """id,percent_off,amount_off,currency,duration,duration_in_months
c20,20,,,forever,
c500,,500,usd,forever,
c50once,50,,,once,
"""
DISCOUNTS = """id,coupon_id,subscription_id,customer_id,start,end
di_1,c20,sub_pct,cus_2,2026-01-01 00:00:00,
di_2,c500,sub_fixed,cus_4,2026-01-01 00:00:00,
di_3,c50once,sub_once,cus_4,2026-01-01 00:00:00,
di_4,c500,sub_multi,cus_1,2026-01-01 00:00:00,
"""
H = "id,customer_id,status,_fivetran_start,_fivetran_end,start_date,cancel_at_period_end,cancel_at,canceled_at,ended_at,current_period_end\n"
HISTORY = (
    H
    + "".join(
        f"{row}\n"
        for row in (
            "sub_year,cus_1,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2027-01-10 08:00:00",  # 1
            "sub_quarter,cus_1,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-04-10 08:00:00",  # 2
            "sub_week,cus_2,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-01-17 08:00:00",  # 3
            "sub_pct,cus_2,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 4
            "sub_fixed,cus_4,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 5
            "sub_once,cus_4,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 6
            "sub_jpy,cus_4,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 7
            # sub_life: trial, a day with two states (the last one holds), past_due, unpaid, back,
            # cancellation at period end, ended.
            "sub_life,cus_1,trialing,2026-02-01 00:00:00,2026-02-15 09:00:00,2026-02-01 00:00:00,false,,,,2026-02-15 00:00:00",  # 8
            "sub_life,cus_1,incomplete,2026-02-15 09:00:00,2026-02-15 09:05:00,2026-02-01 00:00:00,false,,,,2026-03-15 00:00:00",  # 9
            "sub_life,cus_1,active,2026-02-15 09:05:00,2026-03-01 00:00:00,2026-02-01 00:00:00,false,,,,2026-03-15 00:00:00",  # 10
            "sub_life,cus_1,past_due,2026-03-01T01:00:00+02:00,2026-03-10 00:00:00,2026-02-01 00:00:00,false,,,,2026-03-15 00:00:00",  # 11
            "sub_life,cus_1,unpaid,2026-03-10 00:00:00,2026-04-01 00:00:00,2026-02-01 00:00:00,false,,,,2026-04-15 00:00:00",  # 12
            "sub_life,cus_1,active,2026-04-01 00:00:00,2026-04-15 10:00:00,2026-02-01 00:00:00,false,,,,2026-05-01 00:00:00",  # 13
            "sub_life,cus_1,active,2026-04-15 10:00:00,2026-05-01 00:00:00,2026-02-01 00:00:00,true,,2026-04-15 10:00:00,,2026-05-01 00:00:00",  # 14
            "sub_life,cus_1,canceled,2026-05-01 00:00:00,,2026-02-01 00:00:00,true,,2026-04-15 10:00:00,2026-05-01 00:00:00,2026-05-01 00:00:00",  # 15
            "sub_text,cus_1,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 16
            "sub_xyz,cus_1,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 17
            "sub_nomap,cus_3,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 18
            "sub_multi,cus_1,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 19
            "sub_legacy,cus_1,active,2026-01-10 08:00:00,,2026-01-10 08:00:00,false,,,,2026-02-10 08:00:00",  # 20
        )
    )
)
INVOICES = """id,customer_id,subscription_id,status,currency,amount_due,amount_paid,created,due_date,status_transitions_paid_at
in_1,cus_1,sub_year,paid,usd,120000,120000,2026-01-10 08:00:00,2026-01-10 08:00:00,2026-01-10 08:01:00
in_2,cus_4,sub_jpy,open,jpy,5000,0,2026-01-10 08:00:00,2026-02-09 08:00:00,
in_3,cus_1,sub_text,open,usd,$19.99,0,2026-01-10 08:00:00,2026-02-09 08:00:00,
in_4,cus_9,,open,usd,1000,0,2026-01-10 08:00:00,2026-02-09 08:00:00,
"""
# A proration line (an upgrade mid-period) is billed, never recurring revenue.
LINES = """id,invoice_id,amount,proration,type,subscription_id
il_1,in_1,120000,false,subscription,sub_year
il_2,in_1,-1500,true,invoiceitem,sub_year
"""
NO_ACCOUNT = "unmapped_account: no customer metadata.account_id, and the user id is not in mappings/account_map.csv"


def _export(landing: Path) -> Path:
    folder = landing / "stripe" / "2026-06-30"
    folder.mkdir(parents=True)
    for name, text in {
        "customer.csv": CUSTOMERS,
        "subscription_history.csv": HISTORY,
        "subscription_item.csv": ITEMS,
        "plan.csv": PLANS,
        "coupon.csv": COUPONS,
        "subscription_discount.csv": DISCOUNTS,
        "invoice.csv": INVOICES,
        "invoice_line_item.csv": LINES,
    }.items():
        (folder / name).write_text(text)
    # The price table as Parquet (a warehouse export), read as the same text columns.
    with duckdb.connect() as writer:
        writer.execute("create table p as select * from read_csv($1, all_varchar = true)", [str(_tmp_csv(folder))])
        writer.execute(f"copy p to '{folder / 'price.parquet'}' (format parquet)")
    (folder / "_prices.csv").unlink()
    (landing / "mappings").mkdir()
    (landing / "mappings" / "account_map.csv").write_text("source,source_id,account_id\nstripe,cus_2,acc_2\n")
    return folder


def _tmp_csv(folder: Path) -> Path:
    path = folder / "_prices.csv"
    path.write_text(PRICES)
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export loaded once, and the subscription versions priced by real dbt."""
    tmp = tmp_path_factory.mktemp("stripe")
    landing = tmp / "landing"
    landing.mkdir()
    _export(landing)
    database = tmp / "cxcs.duckdb"
    with duckdb.connect(str(database)) as conn:
        summary = load_landing(conn, landing)
    assert not summary.has_failures, summary.format()
    assert summary.unmapped == {"stripe": 3}  # customer cus_3, its subscription sub_nomap, invoice in_4
    dbt_vars = {"as_of_date": "2026-06-30"}
    run_dbt(database, tmp, "seed", "-s", "fx_rates", dbt_vars=dbt_vars)
    run_dbt(database, tmp, "run", "-s", "+int_cs__subscription_versions", dbt_vars=dbt_vars)
    return database


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _mrr(database: Path, subscription: str) -> list[tuple]:
    return _query(
        database,
        "select version, billing_interval, quantity, unit_amount, discount_pct, currency, mrr "
        f"from intermediate.int_cs__subscription_versions where subscription_id = '{subscription}' order by version",
    )


D = Decimal


@pytest.mark.parametrize(
    ("subscription", "expected"),
    [
        # USD 1,200.00 a year, 1 seat: 1200 / 12 = 100 a month.
        ("sub_year", (1, "year", 1, D("1200"), D("0"), "USD", D("100"))),
        # USD 300.00 every 3 months, 2 seats: 300 / 3 x 2 = 200 a month (carried as 4 x 300 a year).
        ("sub_quarter", (1, "year", 2, D("1200"), D("0"), "USD", D("200"))),
        # USD 10.00 a week: 10 x 52 / 12 = 43.333333 a month (52 weeks a year, 6 decimals).
        ("sub_week", (1, "year", 1, D("520"), D("0"), "USD", D("43.333333"))),
        # USD 20.00 a month, quantity 3, 20% forever: 3 x 20 x 0.8 = 48.
        ("sub_pct", (1, "month", 3, D("20"), D("20"), "USD", D("48"))),
        # USD 20.00 a month, USD 5.00 off forever: 5 / 20 = 25% -> 15.
        ("sub_fixed", (1, "month", 1, D("20"), D("25"), "USD", D("15"))),
        # A coupon that lasts once does not touch MRR (Stripe's rule): 20.
        ("sub_once", (1, "month", 1, D("20"), D("0"), "USD", D("20"))),
        # JPY is zero-decimal: 5000 is JPY 5,000, not 50.00; without a JPY rate in seeds/fx_rates.csv
        # the reporting-currency MRR is null (int_cs__subscription_versions' rule for any currency).
        ("sub_jpy", (1, "month", 1, D("5000"), D("0"), "JPY", None)),
        # A legacy plan: USD 15.00 a month.
        ("sub_legacy", (1, "month", 1, D("15"), D("0"), "USD", D("15"))),
        # Two items, 2 x 20.00 + 1 x 60.00 = 100.00 a month, 5.00 off the invoice = 5% of each:
        # 38 + 57 = 95 = 100 - 5.
        ("sub_multi/si_m1", (1, "month", 2, D("20"), D("5"), "USD", D("38"))),
        ("sub_multi/si_m2", (1, "month", 1, D("60"), D("5"), "USD", D("57"))),
    ],
)
def test_mrr_by_interval_quantity_discount_and_currency(loaded: Path, subscription: str, expected: tuple) -> None:
    assert _mrr(loaded, subscription) == [expected]


def test_history_gives_versions_by_status(loaded: Path) -> None:
    # trial [02-01, 02-15); the 02-15 state is the day's last (active, not incomplete);
    # past_due holds (Stripe counts it); unpaid [03-10, 04-01) is no version; the 04-15 state
    # cancels at period end: it holds to 05-01 with canceled_at; the canceled state is none.
    # past_due started 2026-03-01T01:00+02:00 = 2026-02-28 23:00 UTC: its day is 02-28.
    assert _query(
        loaded,
        "select version, is_trial, valid_from, valid_to, canceled_at, mrr "
        "from intermediate.int_cs__subscription_versions where subscription_id = 'sub_life' order by version",
    ) == [
        (1, True, date(2026, 2, 1), date(2026, 2, 15), None, D("0")),
        (2, False, date(2026, 2, 15), date(2026, 2, 28), None, D("20")),
        (3, False, date(2026, 2, 28), date(2026, 3, 10), None, D("20")),
        (4, False, date(2026, 4, 1), date(2026, 4, 15), None, D("20")),
        (5, False, date(2026, 4, 15), date(2026, 5, 1), datetime(2026, 4, 15, 10), D("20")),
    ]


def test_accounts_invoices_and_the_quarantine(loaded: Path) -> None:
    assert _query(
        loaded, "select account_id, account_name, segment, region, created_at from raw.billing_accounts order by 1"
    ) == [
        ("acc_1", "Acme", "smb", "EMEA", datetime(2026, 1, 1)),
        ("acc_2", "Globex", "mid_market", None, datetime(2026, 1, 2)),
        ("acc_4", "Umbrella KK", "enterprise", None, datetime(2026, 1, 4)),
    ]
    # Invoices in major units: USD 120000 cents = 1,200.00; JPY 5000 = 5,000.
    assert _query(
        loaded,
        "select invoice_id, account_id, status, currency, amount_due, amount_paid, paid_at from raw.billing_invoices order by 1",
    ) == [
        ("in_1", "acc_1", "paid", "USD", D("1200"), D("1200"), datetime(2026, 1, 10, 8, 1)),
        ("in_2", "acc_4", "open", "JPY", D("5000"), D("0"), None),
    ]
    assert _query(loaded, "select entity, row_number, reason from raw.load_quarantine order by entity, row_number") == [
        ("billing_accounts", 3, NO_ACCOUNT),
        ("billing_accounts", 5, "missing_required: segment"),
        (
            "billing_invoices",
            3,
            "invalid_amount: amount_due='$19.99' (Stripe amounts are integers in minor units)",
        ),
        ("billing_invoices", 4, "unmapped_account: customer 'cus_9' not in the export"),
        (
            "billing_subscriptions",
            16,
            "invalid_amount: unit_amount='19.99' (Stripe amounts are integers in minor units)",
        ),
        ("billing_subscriptions", 17, "unknown_currency: currency='XYZ'"),
        ("billing_subscriptions", 18, NO_ACCOUNT),
    ]


def test_the_manifest_names_what_each_file_gave(loaded: Path) -> None:
    rows = _query(
        loaded,
        "select entity, regexp_extract(file_path, '[^/]+$'), rows_delivered, rows_loaded, rows_quarantined, reason "
        "from raw.load_manifest order by file_path",
    )
    lookup = "a lookup table, read with the tables it prices"
    assert rows == [
        ("billing_subscriptions", "coupon.csv", 0, 0, 0, f"3 coupon row(s): {lookup}"),
        ("billing_accounts", "customer.csv", 5, 3, 2, None),
        ("billing_invoices", "invoice.csv", 4, 2, 2, None),
        ("billing_subscriptions", "invoice_line_item.csv", 0, 0, 0, f"2 invoice_line_item row(s): {lookup}"),
        ("billing_subscriptions", "plan.csv", 0, 0, 0, f"1 plan row(s): {lookup}"),
        ("billing_subscriptions", "price.parquet", 0, 0, 0, f"8 price row(s): {lookup}"),
        ("billing_subscriptions", "subscription_discount.csv", 0, 0, 0, f"4 subscription_discount row(s): {lookup}"),
        # 20 rows: 9 (superseded the same day), 12 (unpaid), 15 (canceled) are no version;
        # sub_multi's two items are two: 20 - 3 + 1 = 18 delivered, 3 quarantined.
        (
            "billing_subscriptions",
            "subscription_history.csv",
            18,
            15,
            3,
            "3 subscription_history row(s) are no version: a state without MRR "
            "(unpaid, paused, incomplete, canceled) or not the last of its day",
        ),
        ("billing_subscriptions", "subscription_item.csv", 0, 0, 0, f"14 subscription_item row(s): {lookup}"),
    ]


def test_the_demo_format_replaces_the_native_billing_files(tmp_path: Path) -> None:
    from orchestration.demo_data import generate

    out = tmp_path / "landing"
    generate(out=out, formats=("stripe-fivetran",), accounts=3, days=5, seed=5, end_date=date(2026, 6, 30))
    assert not list((out / "billing").rglob("*.csv"))  # nothing native left to load instead
    assert sorted(p.name for p in (out / "stripe" / "demo").iterdir()) == [
        "coupon.csv",
        "customer.csv",
        "invoice.csv",
        "price.csv",
        "subscription_discount.csv",
        "subscription_history.csv",
        "subscription_item.csv",
    ]
    # The account rule, not a map: every customer carries its account id.
    with duckdb.connect() as conn:
        assert conn.execute(
            "select count(*), count(json_extract_string(metadata, '$.account_id')) from read_csv($1, all_varchar = true)",
            [str(out / "stripe" / "demo" / "customer.csv")],
        ).fetchone() == (3, 3)


def test_a_table_without_a_required_column_fails_its_file_and_the_files_it_prices(conn, landing: Path) -> None:
    folder = landing / "stripe" / "2026-06-30"
    folder.mkdir(parents=True)
    (folder / "customer.csv").write_text(CUSTOMERS)
    (folder / "subscription_history.csv").write_text(HISTORY)
    (folder / "subscription_item.csv").write_text(ITEMS)
    (folder / "price.csv").write_text("id,amount_in_cents,currency\nprice_month,2000,usd\n")
    (folder / "charges.csv").write_text("id\nch_1\n")
    summary = load_landing(conn, landing)
    failed = "missing_required_columns: price: unit_amount"
    assert summary.entities["billing_accounts"].files_failed == [
        (
            "stripe/2026-06-30/charges.csv",
            "unknown_stripe_table: a .csv or .parquet file is named after its Fivetran table",
        ),
        ("stripe/2026-06-30/price.csv", failed),
        ("stripe/2026-06-30/subscription_history.csv", failed),
    ]
    # Nothing of a failed file is half-loaded; the customers load (cus_1 and cus_4: without the
    # account map cus_2 is unmapped too, cus_5 lacks a segment).
    assert conn.execute("select count(*) from raw.billing_subscriptions").fetchone()[0] == 0
    assert conn.execute("select account_id from raw.billing_accounts order by 1").fetchall() == [("acc_1",), ("acc_4",)]
