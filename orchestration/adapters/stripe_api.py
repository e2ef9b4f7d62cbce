"""Stripe API objects as JSON Lines snapshots (``landing/stripe_api/<stream>/``) into the native
billing tables: ``customer`` objects -> ``billing_accounts``, ``subscription`` objects (with
``items.data[].price``) -> ``billing_subscriptions`` versions, ``invoice`` objects ->
``billing_invoices``; one object per line, as the API, ``stripe <resource> list | jq -c
'.data[]'`` or dlt's filesystem destination write them, plain or gzipped.

A file is a snapshot: the state at its export time, the timestamp in its name
(``subscriptions_2026-03-01.jsonl``, ``2026-03-01T060000Z.jsonl.gz``; UTC).  Customers and
invoices are current state (the file's own objects, ``updated_at`` = its export time).
Subscription versions need the history, so a file is read with every snapshot of its folder
(the export stream): ``adapters.stripe_api_states`` turns the snapshots, ordered by export time
(never by arrival), into the Fivetran adapter's history tables, and ``adapters.stripe_versions``
prices them: the MRR rules live there once (DECISIONLOG "Stripe (Fivetran schema) as a landing
source"; this format's own rules: "Stripe API JSON Lines snapshots as a landing source").

Both API layouts read: before 2025-03-31 ``current_period_start/end`` on the subscription and
the coupon in ``discount.coupon``; from 2025-03-31.basil the period on each subscription item
and the coupons in ``discounts[]`` (expanded; 2025-09-30.clover: ``discounts[].source.coupon``);
the invoice's subscription in ``subscription`` or ``parent.subscription_details.subscription``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.adapters.base import Adapter, Target, text_lines
from orchestration.adapters.stripe_api_states import build_states, unexpanded_sql
from orchestration.adapters.stripe_fivetran import accounts_sql, invoices_sql
from orchestration.adapters.stripe_versions import subscriptions_sql
from orchestration.landing_files import sha256_file
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import sql_str
from orchestration.raw_schema import MANIFEST_TABLE

FOLDER = "stripe_api"
EXTENSIONS = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
# The export time in a file name, UTC: a dashed date, optionally ``T`` and a time (``060000``,
# ``06:00:00``); dashes required, so no other number in the name (a dlt load id) reads as a date.
EXPORT_TIME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):?(\d{2}):?(\d{2}))?")
SPEC = (
    '{"object": "VARCHAR", "id": "VARCHAR", "deleted": "JSON", "customer": "JSON", "status": "VARCHAR", '
    '"created": "JSON", "start_date": "JSON", "current_period_start": "JSON", "current_period_end": "JSON", '
    '"cancel_at": "JSON", "cancel_at_period_end": "JSON", "canceled_at": "JSON", "ended_at": "JSON", '
    '"items": "JSON", "discount": "JSON", "discounts": "JSON", "metadata": "JSON", "name": "VARCHAR", '
    '"description": "VARCHAR", "currency": "VARCHAR", "amount_due": "JSON", "amount_paid": "JSON", '
    '"due_date": "JSON", "status_transitions": "JSON", "subscription": "JSON", "parent": "JSON"}'
)
KINDS = ("customer", "subscription", "invoice")


def export_time(name: str) -> datetime:
    """The export time in a snapshot's name (UTC); none, or not a calendar date, rejects the file."""
    found = EXPORT_TIME.search(name)
    if found:
        try:
            return datetime(*(int(g) for g in found.groups() if g is not None))
        except ValueError:
            pass
    raise FileRejected(
        "missing_export_time: a Stripe API snapshot is named with its export time in UTC "
        "(e.g. subscriptions_2026-03-01.jsonl or 2026-03-01T060000Z.jsonl.gz)"
    )


def read(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    own = export_time(name)
    others = _siblings(path)
    derive = _derives(conn, own, others)
    conn.execute(
        "create or replace temp table _sa_lines (_self boolean, _export timestamp, _file varchar, "
        "_line_number bigint, line varchar, _bad varchar)"
    )
    _add_lines(conn, path, own, name, True)
    # Invoices resolve their account through the folder's customers; versions need every snapshot.
    invoices = "select count(*) from _sa_lines where try(json_extract_string(line, '$.object')) = 'invoice'"
    if derive or conn.execute(invoices).fetchone()[0]:
        for sibling, when in others:
            try:
                _add_lines(conn, sibling, when, sibling.name, False)
            except (FileRejected, duckdb.Error, OSError):
                # An unreadable snapshot fails in its own load (reported there); the others'
                # versions do not wait for it, and its fixed bytes load later, placed by time.
                conn.execute("drop table if exists _lines")
    _parse(conn)
    build_states(conn, derive)
    note = _note(conn, 1 + len(others) if derive else 0)
    conn.execute("drop table _sa_rec")
    return note


def _siblings(path: Path) -> list[tuple[Path, datetime]]:
    """The other snapshots of the file's folder (a name without an export time is reported by
    its own load, not read here)."""
    found, own = [], path.resolve()
    for sibling in sorted(own.parent.iterdir()):
        if sibling.name != own.name and sibling.name.lower().endswith(EXTENSIONS) and sibling.is_file():
            try:
                found.append((sibling, export_time(sibling.name)))
            except FileRejected:
                continue
    return found


def _derives(conn: duckdb.DuckDBPyConnection, own: datetime, others: list[tuple[Path, datetime]]) -> bool:
    """Whether this load derives the folder's versions: the newest snapshot does, and so does an
    older one arriving after the newest was loaded (it is placed by its export time).  An older
    one loaded before the newest leaves that to the newest's load (one pass per folder per run,
    not one per file)."""
    newest = max([own, *(when for _, when in others)])
    if own == newest:
        return True
    shas = [sha256_file(p) for p, when in others if when == newest]
    return bool(
        conn.execute(
            f"select count(*) from {MANIFEST_TABLE} where status = 'loaded' and list_contains(?, sha256)", [shas]
        ).fetchone()[0]
    )


def _add_lines(conn: duckdb.DuckDBPyConnection, path: Path, when: datetime, name: str, own: bool) -> None:
    text_lines(conn, path, "_lines")
    conn.execute("insert into _sa_lines select ?, ?, ?, _line_number, line, _bad from _lines", [own, when, name])
    conn.execute("drop table _lines")


def _parse(conn: duckdb.DuckDBPyConnection) -> None:
    """``_sa_rec``: every non-blank line of every snapshot parsed once (DuckDB's JSON reader); a
    line that is not a JSON object keeps ``d`` null with its reason, as ``base.parse_src``."""
    conn.execute(
        f"""
        create or replace temp table _sa_rec as
        select _self, _export, _file, _line_number, line, d,
               coalesce(_bad, case when d is null then 'invalid_json: not a JSON object' end) as _bad
        from (
            select *, case when _bad is null and ltrim(line)[1] = '{{'
                           then try(from_json(line, {sql_str(SPEC)})) end as d
            from _sa_lines where _bad is not null or nullif(trim(line), '') is not null
        )
        """
    )
    conn.execute("drop table _sa_lines")


def _note(conn: duckdb.DuckDBPyConnection, snapshots: int) -> str:
    left = conn.execute("select max(n) from _sa_own_subs").fetchone()[0] if not snapshots else 0
    conn.execute("drop table if exists _sa_own_subs")
    counts = dict(
        conn.execute("select coalesce(d.object, 'unreadable'), count(*) from _sa_rec where _self group by 1").fetchall()
    )
    if left:
        counts["subscription"] = left
    objects = ", ".join(f"{counts[k]} {k}" for k in sorted(counts))
    versions = conn.execute("select count(*) from _src where _table = 'subscription_history'").fetchone()[0]
    if not snapshots:
        return f"snapshot of {objects or 'no objects'}; versions left to the folder's newest snapshot"
    return f"snapshot of {objects or 'no objects'}; {versions} subscription state(s) from {snapshots} snapshot(s) of its folder"


def subscriptions_api_sql() -> str:
    """The Fivetran adapter's versions, plus the snapshot's own unreadable lines and objects it
    does not load (each quarantined once, in the load of its own file)."""
    return f"""
        select o.* replace (nullif(concat_ws('; ', o._reason, u._problem), '') as _reason)
        from ({subscriptions_sql()}) as o left join ({unexpanded_sql()}) as u using (_row_number)
        union all by name
        select _row_number, _line_number, _bad as _reason from _src where _table = 'bad'
    """


STRIPE_API = Adapter(
    folder=FOLDER,
    extensions=EXTENSIONS,
    read=read,
    targets=(
        Target("billing_accounts", accounts_sql, where="_table = 'customer'"),
        Target("billing_invoices", invoices_sql, where="_table = 'invoice'"),
        Target("billing_subscriptions", subscriptions_api_sql, where="_table in ('subscription_history', 'bad')"),
    ),
)
