"""Reading a Stripe export in Fivetran's schema (``landing/stripe/<export>/``): one CSV or Parquet
file per table, named by the table (``subscription_history.csv``, ``price_2026-06.parquet``, ...),
each read into a temp table of text columns (a column the export lacks is null), so the mapping
(``adapters.stripe_fivetran``) is one SQL over fixed names whatever the warehouse wrote.

Column names as fivetran/dbt_stripe_source reads them (``get_*_columns`` macros); ``plan`` is the
legacy price table (``amount``, ``interval``, ``interval_count``), ``discount`` (Fivetran's current
name) and ``subscription_discount`` are the same table.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.loading.readers import quote_ident
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import sql_str

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
# Longest name first: ``subscription_history`` before ``subscription``, ``invoice_line_item`` before ``invoice``.
_NAMES = sorted([*TABLES, *ALIASES], key=len, reverse=True)
EXTENSIONS = (".csv", ".parquet")


def table_of(name: str) -> str | None:
    lower = name.lower()
    found = next((t for t in _NAMES if lower.startswith(t)), None)
    return ALIASES.get(found, found) if found else None


def _reader(path: Path) -> str:
    if path.name.lower().endswith(".parquet"):
        return f"read_parquet({sql_str(str(path))})"
    # RFC 4180 quoting stated, not sniffed: the sniffer reads a file whose first rows have no
    # quoted field as unquoted, and a later '"Acme ""Holdings"""' would keep its quotes.
    return f"read_csv({sql_str(str(path))}, header = true, all_varchar = true, quote = '\"', escape = '\"')"


def select_table(conn: duckdb.DuckDBPyConnection, path: Path, table: str) -> str:
    """SQL giving the file's rows as the table's text columns plus ``_row_number`` and ``line``
    (the delivered row as JSON, kept in the quarantine); a missing required column rejects the file."""
    reader = _reader(path)
    names = {r[0].lower(): r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()}
    required, optional = TABLES[table]
    missing = [c for c in required if c not in names]
    if table == "subscription_item" and "price_id" not in names and "plan_id" not in names:
        missing.append("price_id")
    if missing:
        raise FileRejected(f"missing_required_columns: {table}: {', '.join(missing)}")
    cols = ", ".join(
        (f"cast(t.{quote_ident(names[c])} as varchar)" if c in names else "cast(null as varchar)")
        + f" as {quote_ident(c)}"
        for c in (*required, *optional)
    )
    return f"select row_number() over () as _row_number, cast(to_json(t) as varchar) as line, {cols} from {reader} as t"


def empty_select(table: str) -> str:
    """No rows, the table's columns (as ``select_table`` gives them)."""
    required, optional = TABLES[table]
    columns = ", ".join(f"cast(null as varchar) as {quote_ident(c)}" for c in (*required, *optional))
    return f"select cast(0 as bigint) as _row_number, '' as line, {columns} where false"


def read_siblings(conn: duckdb.DuckDBPyConnection, folder: Path | None, tables: tuple[str, ...]) -> None:
    """``_st_<table>`` for each of ``tables`` from every file of that table in ``folder`` (the
    export the file being loaded belongs to); a table with no file (or no folder) is an empty one."""
    listed = folder.iterdir() if folder is not None else ()
    files = sorted(p for p in listed if p.is_file() and p.name.lower().endswith(EXTENSIONS))
    for table in tables:
        parts = [select_table(conn, p, table) for p in files if table_of(p.name) == table]
        body = " union all by name ".join(f"({p})" for p in parts) if parts else empty_select(table)
        conn.execute(f"create or replace temp table _st_{table} as {body}")


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
