"""Amplitude's Export API archive (a zip of gzipped JSON Lines, one event per line) into
``product_events``.

``$insert_id`` is the event id (Amplitude's own dedupe key), ``user_id`` the user,
``event_type`` the name, ``event_time`` when it happened and ``server_received_time`` when
Amplitude received it (both UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``), ``event_properties`` the
properties.  Account: the ``account`` group (``groups.account``, a string or the first of a
list), else ``user_properties.account_id``, through ``landing/mappings/account_map.csv``.

The members are decompressed one by one with Python's zipfile and gzip (streaming, 1 MB at a
time) to a private temp folder and read there with DuckDB's reader.  A corrupt member (a bad
CRC, a truncated gzip) fails the whole file with the member named: the archive is one export,
and loading the other members would leave a day half-loaded with no row to say so; a new
export (new bytes) loads.  ``row_number`` counts records over the whole archive in member
order, ``line_number`` is the line inside its member.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import duckdb

from orchestration.adapters.accounts import resolved_sql
from orchestration.adapters.base import Adapter, Target, group_src, gunzip_to, parse_src, text_lines
from orchestration.loading.results import FileRejected

SPEC = (
    '{"event_type": "VARCHAR", "user_id": "VARCHAR", "device_id": "VARCHAR", "event_time": "VARCHAR", '
    '"server_received_time": "VARCHAR", "$insert_id": "VARCHAR", "groups": "JSON", '
    '"event_properties": "JSON", "user_properties": "JSON"}'
)
ACCOUNT_GROUP = "account"  # the Amplitude group type whose value is the account


def read(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    folder = Path(tempfile.mkdtemp(prefix="cxcs_amplitude_"))
    try:
        conn.execute(
            "create or replace temp table _zlines (_row_number bigint, _line_number bigint, line varchar, _bad varchar)"
        )
        members = _extract(path, folder, "m")
        for target in members:
            text_lines(conn, target, "_lines")
            conn.execute(
                "insert into _zlines select (select count(*) from _zlines) + _line_number, _line_number, line, _bad "
                "from _lines order by _line_number"
            )
        parse_src(conn, "_zlines", SPEC, row_number="_row_number")
        conn.execute("drop table if exists _lines")
        conn.execute("drop table _zlines")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return f"{len(members)} member(s)"


def read_group(conn: duckdb.DuckDBPyConnection, paths: list[Path]) -> dict[int, str | None]:
    """Several archives in one scan (``adapters.grouped``): every member of every archive
    decompressed, then all read by one statement, each line owned by its archive."""
    folder = Path(tempfile.mkdtemp(prefix="cxcs_amplitude_"))
    try:
        members = [_extract(path, folder, f"a{index}_") for index, path in enumerate(paths)]
        owners = [index for index, found in enumerate(members) for _ in found]
        group_src(conn, [m for found in members for m in found], SPEC, owners)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {index: f"{len(found)} member(s)" for index, found in enumerate(members)}


def _extract(path: Path, folder: Path, prefix: str) -> list[Path]:
    """Every member of the archive decompressed into ``folder``, in archive order."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise FileRejected(f"not_zip: {error}") from error
    targets: list[Path] = []
    with archive:
        for index, member in enumerate(m for m in archive.infolist() if not m.is_dir()):
            target = folder / f"{prefix}{index}.jsonl"
            with archive.open(member) as stream:
                if member.filename.lower().endswith(".gz"):
                    gunzip_to(stream, target, member.filename)
                else:
                    _copy(stream, target, member.filename)
            targets.append(target)
    return targets


def _copy(stream, target: Path, member: str) -> None:
    try:
        with open(target, "wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise FileRejected(f"corrupt_member: {member}: {error}") from error


def events_sql() -> str:
    group = f"d.groups -> '$.{ACCOUNT_GROUP}'"
    inner = f"""
        select *, nullif(trim(d.user_id), '') as _user,
               nullif(trim(coalesce(case when json_type({group}) = 'ARRAY' then {group} ->> '$[0]' else {group} ->> '$' end,
                                    d.user_properties ->> '$.account_id')), '') as _cand
        from _src
    """
    insert_id = 'd."$insert_id"'
    return f"""
        select {insert_id} as event_id, _account as account_id, d.user_id as user_id, d.event_type as event_name,
               d.event_time as occurred_at, d.server_received_time as received_at,
               cast(d.event_properties as varchar) as properties, _file, _row_number, _line_number,
               nullif(case when _bad is not null then _bad
                           else concat_ws('; ', case when nullif(trim({insert_id}), '') is null
                                                     then 'missing_required: $insert_id' end, _account_problem) end, '')
                   as _reason
        from ({resolved_sql("amplitude", inner, f"groups.{ACCOUNT_GROUP} or user_properties.account_id")})
    """


AMPLITUDE = Adapter(
    folder="amplitude",
    extensions=(".zip",),
    read=read,
    targets=(Target("product_events", events_sql),),
    read_group=read_group,
    group_extensions=(".zip",),
)
