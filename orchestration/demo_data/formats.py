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
* ``qualtrics``, ``delighted``: the survey responses instead (``demo_data.survey_formats``).
* ``zendesk``: the support tickets, alongside any other (``demo_data.zendesk_format``).
"""

from __future__ import annotations

import gzip
import tempfile
import zipfile
from pathlib import Path

import duckdb

from orchestration.demo_data.stripe_format import convert_billing
from orchestration.demo_data.survey_formats import SURVEY_FORMATS, convert_surveys
from orchestration.demo_data.zendesk_format import convert_support

FORMATS = ("segment", "amplitude")
STRIPE = "stripe-fivetran"  # the billing entities as a Stripe export (orchestration.demo_data.stripe_format)
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
    """Rewrite the product files of ``out`` (and their manifest ``entries``) in ``formats``
    (``segment`` takes events and users; ``amplitude`` then has no events left to take, so
    both at once are rejected)."""
    if ZENDESK in formats:
        # Support, independent of every other format (the tickets are no other format's input).
        others = tuple(f for f in formats if f != ZENDESK)
        if others:
            convert(out, entries, others)
        convert_support(out, entries)
        entries.sort(key=lambda e: e["path"])
        return
    if STRIPE in formats:
        # Billing, independent of the product formats; converted last, as Segment's account map
        # is read from the native accounts files.
        product = tuple(f for f in formats if f != STRIPE)
        if product:
            convert(out, entries, product)
        convert_billing(out, entries)
        entries.sort(key=lambda e: e["path"])
        return
    unknown = sorted(set(formats) - set(FORMATS) - set(SURVEY_FORMATS))
    if unknown or len(formats) > 1:
        raise ValueError(
            f"--format: one of {', '.join(FORMATS + SURVEY_FORMATS)}, plus {STRIPE} and {ZENDESK} (got {', '.join(formats)})"
        )
    if formats[0] in SURVEY_FORMATS:  # the survey responses, not the product data
        convert_surveys(out, entries, formats[0])
        return
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    tables = {"product_events"} | ({"product_users"} if "segment" in formats else set())
    converted = [e for e in entries if e["entity"] in tables]
    for entry in converted:
        entries.remove(entry)
        source = out / entry["path"]
        if "segment" in formats:
            target, count = _segment(conn, out, source, entry["entity"])
        else:
            target, count = _amplitude(conn, out, source)
        source.unlink()
        entries.append({**entry, "path": target.relative_to(out).as_posix(), "data_rows": count})
    if "segment" in formats:
        _account_map(conn, out)
    entries.sort(key=lambda e: e["path"])
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
