"""Reading a Stripe export in Fivetran's schema (``landing/stripe/<export>/``): one CSV or Parquet
file per table, named by the table (``subscription_history.csv``, ``price_2026-06.parquet``, ...),
each read into a temp table of text columns (a column the export lacks is null), so the mapping
(``adapters.stripe_fivetran``) is one SQL over fixed names whatever the warehouse wrote.

Column names as fivetran/dbt_stripe_source reads them (``get_*_columns`` macros); ``plan`` is the
legacy price table (``amount``, ``interval``, ``interval_count``), ``discount`` (Fivetran's current
name) and ``subscription_discount`` are the same table.
"""

from __future__ import annotations

from orchestration.adapters.export_tables import EXTENSIONS, ExportSchema

# table -> (required columns, optional columns); all read as text.
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer": (("id",), ("name", "description", "metadata", "created", "is_deleted", "_fivetran_synced")),
    "subscription_history": (
        ("id", "customer_id", "status", "_fivetran_start"),
        (
            "_fivetran_end",
            "_fivetran_active",
            "start_date",
            "created",
            "cancel_at_period_end",
            "cancel_at",
            "canceled_at",
            "ended_at",
            "current_period_end",
            "trial_start",
            "trial_end",
            "_fivetran_synced",
        ),
    ),  # fmt: skip
    # _fivetran_start/_end: the table synced with Fivetran's history mode (seats and price per time)
    "subscription_item": (
        ("id", "subscription_id"),
        ("price_id", "plan_id", "quantity", "_fivetran_start", "_fivetran_end"),
    ),
    "price": (
        ("id", "unit_amount", "currency"),
        ("recurring_interval", "recurring_interval_count", "product_id", "nickname"),
    ),
    "plan": (("id", "amount", "currency", "interval"), ("interval_count", "product_id", "nickname")),
    "coupon": (("id",), ("percent_off", "amount_off", "currency", "duration", "duration_in_months")),
    "subscription_discount": (("coupon_id", "subscription_id"), ("start", "end", "id")),
    "invoice": (
        ("id", "customer_id", "status", "currency", "amount_due", "amount_paid", "created"),
        ("subscription_id", "due_date", "status_transitions_paid_at", "paid_at", "_fivetran_synced"),
    ),
    "invoice_line_item": (("id", "invoice_id"), ("amount", "proration", "type", "subscription_id")),
}
ALIASES = {"discount": "subscription_discount"}


def _price_or_plan(table: str, names: set[str]) -> list[str]:
    # An item names its price (``price_id``) or, in older exports, its plan (``plan_id``).
    return ["price_id"] if table == "subscription_item" and not {"price_id", "plan_id"} & names else []


SCHEMA = ExportSchema(TABLES, prefix="_st_", aliases=ALIASES, also_missing=_price_or_plan)
table_of, select_table, empty_select = SCHEMA.table_of, SCHEMA.select_table, SCHEMA.empty_select
read_siblings = SCHEMA.read_siblings
__all__ = ["EXTENSIONS", "SCHEMA", "TABLES", "empty_select", "read_siblings", "select_table", "table_of"]


SOURCE = "stripe"  # the adapter folder, and ``source`` in mappings/account_map.csv
ACCOUNT_LABEL = "customer metadata.account_id"
# https://docs.stripe.com/currencies: zero-decimal currencies (amounts as is) and three-decimal ones.
ZERO_DECIMAL = (
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
)
THREE_DECIMAL = ("BHD", "JOD", "KWD", "OMR", "TND")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def major(amount: str, currency: str) -> str:
    """Minor units (text) -> an exact decimal in major units; null unless an integer.  Multiplying
    by a decimal literal keeps DuckDB in decimals (a division would give a double)."""
    unit = (
        f"case when upper(trim({currency})) in ({_in(ZERO_DECIMAL)}) then 1.000 "
        f"when upper(trim({currency})) in ({_in(THREE_DECIMAL)}) then 0.001 else 0.010 end"
    )
    return f"(case when regexp_full_match(trim({amount}), '-?[0-9]+') then cast(trim({amount}) as decimal(38, 0)) * ({unit}) end)"


def bad_amount(amount: str, label: str) -> str:
    """The quarantine reason of an amount that is not an integer number of minor units."""
    return (
        f"case when nullif(trim({amount}), '') is not null and not regexp_full_match(trim({amount}), '-?[0-9]+') "
        f"then 'invalid_amount: {label}=' || chr(39) || {amount} || chr(39) "
        "|| ' (Stripe amounts are integers in minor units)' end"
    )


def customers_sql(source: str) -> str:
    """Customers with the account candidate (``_cand``: metadata.account_id) and ``_user`` (the id)."""
    return (
        "select *, nullif(trim(json_extract_string(metadata, '$.account_id')), '') as _cand, "
        f"nullif(trim(id), '') as _user from {source}"
    )
