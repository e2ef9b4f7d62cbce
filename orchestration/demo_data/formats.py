"""The same demo's product data in the exports of other tools (``cxcs demo-data --format``):
the native files are written first, then converted file by file with DuckDB (same rows, same
order, same duplicates in the same files) and removed, so a load of either landing yields the
same raw rows.  The other entities stay native.

* ``segment``: every events file -> ``segment/tracks_<name>.gz`` (segment-logs: gzipped JSON
  Lines of track calls; ``context.groupId`` = ``grp-<account_id>``, resolved through
  ``mappings/account_map.csv``, which lists every demo account); every users file ->
  ``segment/identifies_<name>.gz`` (identify calls, traits email, role, createdAt).
* ``amplitude``: every events file -> ``amplitude/<name>.zip`` holding one gzipped JSON Lines
  member, as the Export API names them (``<project>/<project>_<day>_0#0.json.gz``);
  ``groups.account`` = the account id.
* ``qualtrics``, ``delighted``: the survey responses (``demo_data.survey_formats``); ``stripe-fivetran``
  or ``stripe-api`` the billing (``demo_data.stripe_format``, ``demo_data.stripe_api_format``). One format per group (``GROUPS``), any groups together.
* ``zendesk``: the support tickets (``demo_data.zendesk_format``).
"""

from __future__ import annotations

import gzip
import tempfile
import zipfile
from pathlib import Path

import duckdb

from orchestration.demo_data.stripe_api_format import convert_billing_api
from orchestration.demo_data.stripe_format import convert_billing
from orchestration.demo_data.survey_formats import SURVEY_FORMATS, convert_surveys
from orchestration.demo_data.zendesk_format import convert_support

FORMATS = ("segment", "amplitude")
STRIPE = "stripe-fivetran"  # the billing entities as a Stripe export (orchestration.demo_data.stripe_format)
STRIPE_API = "stripe-api"  # ... as Stripe API JSON Lines snapshots (orchestration.demo_data.stripe_api_format)
ZENDESK = "zendesk"  # the support tickets as a Zendesk export (orchestration.demo_data.zendesk_format)
PROJECT = "187520"  # an Amplitude project id for the member names
EVENT_COLUMNS = (
    "{'event_id': 'VARCHAR', 'account_id': 'VARCHAR', 'user_id': 'VARCHAR', 'event_name': 'VARCHAR', "
    "'occurred_at': 'VARCHAR', 'received_at': 'VARCHAR', 'properties': 'JSON'}"
)


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _events(path: Path) -> str:
    if path.name.endswith(".parquet"):
        return f"(select * replace (cast(properties as json) as properties) from read_parquet({_q(path)}))"
    return f"read_json({_q(path)}, format = 'newline_delimited', columns = {EVENT_COLUMNS})"


def _stem(path: Path) -> str:
    return path.name.split(".")[0]


def convert(out: Path, entries: list[dict], formats: tuple[str, ...]) -> None:
    """Rewrite the files of ``out`` (and their manifest ``entries``) in ``formats``: at most one
    format per entity group (``GROUPS``: a landing holds one export of each kind, e.g. Stripe +
    Segment + Delighted), each converted by its own function, billing last (Segment's account
    map is read from the native accounts files)."""
    check_formats(formats)
    for members in GROUPS.values():
        for fmt in (f for f in members if f in formats):
            CONVERTERS[fmt](out, entries, fmt)
    entries.sort(key=lambda e: e["path"])


def check_formats(formats: tuple[str, ...]) -> None:
    """Known formats, at most one per group (``GROUPS``)."""
    unknown = sorted(set(formats) - {f for group in GROUPS.values() for f in group})
    clashes = [group for group, members in GROUPS.items() if len(set(formats) & set(members)) > 1]
    if unknown or clashes:
        choices = "; ".join(f"{group}: {' | '.join(members)}" for group, members in GROUPS.items())
        raise ValueError(f"--format: at most one per group ({choices}); got {', '.join(formats)}")


def convert_product(out: Path, entries: list[dict], fmt: str) -> None:
    """The product events (and, for ``segment``, users) as ``fmt``'s export."""
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    tables = {"product_events"} | ({"product_users"} if fmt == "segment" else set())
    converted = [e for e in entries if e["entity"] in tables]
    for entry in converted:
        entries.remove(entry)
        source = out / entry["path"]
        if fmt == "segment":
            target, count = _segment(conn, out, source, entry["entity"])
        else:
            target, count = _amplitude(conn, out, source)
        source.unlink()
        entries.append({**entry, "path": target.relative_to(out).as_posix(), "data_rows": count})
    if fmt == "segment":
        _account_map(conn, out)
    conn.close()


def _segment(conn: duckdb.DuckDBPyConnection, out: Path, source: Path, table: str) -> tuple[Path, int]:
    (out / "segment").mkdir(exist_ok=True)
    if table == "product_events":
        target = out / "segment" / f"tracks_{_stem(source)}.gz"
        select = f"""
            select 'track' as type, event_id as messageId, user_id as userId, event_name as event,
                   occurred_at as timestamp, received_at as receivedAt, properties,
                   {{'groupId': 'grp-' || account_id}} as context
            from {_events(source)}
        """
    else:
        target = out / "segment" / f"identifies_{_stem(source)}.gz"
        select = f"""
            select 'identify' as type, 'identify-' || user_id as messageId, user_id as userId,
                   created_at as timestamp, created_at as receivedAt,
                   {{'email': nullif(email, ''), 'role': nullif(role, ''), 'createdAt': created_at}} as traits,
                   {{'groupId': 'grp-' || account_id}} as context
            from read_csv({_q(source)}, header = true, all_varchar = true)
        """
    count = conn.execute(f"select count(*) from ({select})").fetchone()[0]
    conn.execute(f"copy ({select}) to {_q(target)} (format json, compression gzip)")
    return target, count


def _amplitude(conn: duckdb.DuckDBPyConnection, out: Path, source: Path) -> tuple[Path, int]:
    (out / "amplitude").mkdir(exist_ok=True)
    target = out / "amplitude" / f"{_stem(source)}.zip"
    day = _stem(source).split("_")[-1].replace("-", "")
    select = f"""
        select event_id as "$insert_id", user_id, event_name as event_type,
               strftime(cast(occurred_at as timestamptz), '%Y-%m-%d %H:%M:%S.%f') as event_time,
               strftime(cast(received_at as timestamptz), '%Y-%m-%d %H:%M:%S.%f') as server_received_time,
               {{'account': account_id}} as groups, properties as event_properties
        from {_events(source)}
    """
    count = conn.execute(f"select count(*) from ({select})").fetchone()[0]
    with tempfile.TemporaryDirectory() as folder:
        member = Path(folder) / "member.json"
        conn.execute(f"copy ({select}) to {_q(member)} (format json)")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
            # Amplitude's members are gzip files inside the zip (stored, already compressed).
            # A fixed member date: the same arguments give identical bytes.
            info = zipfile.ZipInfo(f"{PROJECT}/{PROJECT}_{day}_0#0.json.gz", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, gzip.compress(member.read_bytes(), mtime=0))
    return target, count


def _account_map(conn: duckdb.DuckDBPyConnection, out: Path) -> None:
    """``mappings/account_map.csv``: the Segment group of every demo account."""
    (out / "mappings").mkdir(exist_ok=True)
    accounts = out / "billing" / "accounts" / "*.csv"
    conn.execute(
        f"""
        copy (select distinct 'segment' as source, 'grp-' || account_id as source_id, account_id
              from read_csv({_q(accounts)}, header = true, all_varchar = true) order by account_id)
        to {_q(out / "mappings" / "account_map.csv")} (header, delimiter ',')
        """
    )


# One export per kind of data, converted in this order (billing last: see ``convert``; the
# Zendesk organizations and Segment's map read the native accounts files billing replaces).
GROUPS: dict[str, tuple[str, ...]] = {
    "product": FORMATS,
    "surveys": SURVEY_FORMATS,
    "support": (ZENDESK,),
    "billing": (STRIPE, STRIPE_API),
}
CONVERTERS = {
    "segment": convert_product,
    "amplitude": convert_product,
    **{fmt: convert_surveys for fmt in SURVEY_FORMATS},
    STRIPE: lambda out, entries, _fmt: convert_billing(out, entries),
    STRIPE_API: lambda out, entries, _fmt: convert_billing_api(out, entries),
    ZENDESK: lambda out, entries, _fmt: convert_support(out, entries),
}
