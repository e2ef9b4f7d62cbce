"""Readers: each landing file format into temp view ``_incoming`` (the contract's columns as
text, ``_row_number``, ``_line_number``, ``_reason``) with DuckDB's own readers, plus the SQL
that looks up the delivered text of a quarantined row.

CSV: ``read_csv`` with reject capture (a header checked in Python first); JSON Lines: lines
read as text and parsed with DuckDB's JSON functions; Parquet: ``read_parquet``.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from pathlib import Path

import duckdb

from orchestration.contract import Entity
from orchestration.jsonl_lines import read_lines_tolerant
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import is_present, sql_str

# Record separator: cannot occur raw inside a JSON document, so each line is one field.
LINE_DELIMITER = "\x1e"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_header(path: Path) -> tuple[list[str], str | None]:
    """The header's field names, and ``'\\r'`` when lines end in a lone CR (old Mac
    style; DuckDB is then told so), else None."""
    with open(path, "rb") as handle:
        first = handle.readline(1 << 20)
    cr = first.find(b"\r")
    new_line = None
    if cr >= 0 and first[cr + 1 : cr + 2] != b"\n" and (cr + 1 < len(first) or b"\n" not in first):
        new_line = "\\r"
        first = first[:cr]
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected("not_csv: the header is not UTF-8 text") from error
    if "\x00" in text:
        raise FileRejected("not_csv: binary content")
    try:
        return next(csv.reader(io.StringIO(text.rstrip("\r\n"))), []), new_line
    except csv.Error as error:
        raise FileRejected(f"not_csv: the header cannot be parsed: {error}") from error


def _map_columns(entity: Entity, names: list[str]) -> tuple[dict[str, str], str | None]:
    """Map delivered column names (case and surrounding spaces ignored) to contract columns."""
    normalised = [n.strip().lower() for n in names]
    seen: set[str] = set()
    for n in normalised:
        if n in seen and n in entity.column_names:
            raise FileRejected(f"duplicate_column: {n}")
        seen.add(n)
    missing = [c for c in entity.required_columns if c not in normalised]
    if missing:
        raise FileRejected(f"missing_required_columns: {', '.join(missing)}")
    mapping = {c: f"c{normalised.index(c)}" for c in entity.column_names if c in normalised}
    extra = [
        names[i] or f"(empty name, column {i + 1})" for i, n in enumerate(normalised) if n not in entity.column_names
    ]
    note = f"ignored unknown columns: {', '.join(extra)}" if extra else None
    return mapping, note


def _unterminated_quote_line(path: Path) -> int | None:
    """First line of a record whose quoted field never closes, or None.

    DuckDB's reader (with a rejects table) silently drops such a record and with it the
    rest of the file, so it is looked for separately: Python's strict CSV reader reports
    it as "unexpected end of data".  Files without a quote character are not scanned."""
    with open(path, "rb") as handle:
        if not any(b'"' in block for block in iter(lambda: handle.read(1 << 20), b"")):
            return None
    previous_limit = csv.field_size_limit(sys.maxsize)
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
            reader = csv.reader(handle, strict=True)
            record_end = 0
            while True:
                try:
                    next(reader)
                except StopIteration:
                    return None
                except csv.Error as error:
                    if "unexpected end of data" in str(error):
                        return record_end + 1
                record_end = reader.line_num
    finally:
        csv.field_size_limit(previous_limit)


def _raw_names(header: list[str]) -> list[str]:
    """Header names usable as JSON keys of the raw content: an empty name becomes
    ``column<n>``, a repeated one ``<name>#<n>`` (struct_pack rejects both)."""
    names: list[str] = []
    for i, name in enumerate(header):
        name = name or f"column{i + 1}"
        names.append(name if name not in names else f"{name}#{i + 1}")
    return names


def read_csv_file(conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> tuple[str | None, str]:
    header, new_line = _read_header(path)
    mapping, note = _map_columns(entity, header)
    unterminated = _unterminated_quote_line(path)
    if unterminated is not None:
        raise FileRejected(f"unterminated_quote: the quoted field opened on line {unterminated} never closes")
    width = len(header)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    conn.execute("drop table if exists _rej_errors")
    conn.execute("drop table if exists _rej_scans")
    conn.execute(
        f"""
        create or replace temp table _csv_rows as
        select row_number() over () as _ord, *
        from read_csv({sql_str(str(path))}, header = true, auto_detect = false, columns = {columns},
                      delim = ',', quote = '"', escape = '"', parallel = false, encoding = 'utf-8',
                      store_rejects = true, rejects_table = '_rej_errors', rejects_scan = '_rej_scans',
                      max_line_size = 10000000{f", new_line = '{new_line}'" if new_line else ""})
        """
    )
    conn.execute(
        f"""
        create or replace temp table _csv_rejects as
        select line - 1 as _row_number,
               min(trim(csv_line, chr(10) || chr(13))) as _raw,
               string_agg(distinct case when error_type in ('TOO MANY COLUMNS', 'MISSING COLUMNS')
                                        then 'wrong_field_count' else 'csv_parse_error' end, '; ') as _reason,
               -- one error per missing column: the first names how many fields the record had;
               -- a record with too many is reported at its first surplus field ("Found: 8" for
               -- 9 fields), so count its fields: the commas outside quoted sections, plus one.
               case when bool_or(error_type = 'TOO MANY COLUMNS')
                    then 'Expected Number of Columns: {width} Found: ' || (
                        length(regexp_replace(min(csv_line), '"[^"]*"', '', 'g'))
                        - length(replace(regexp_replace(min(csv_line), '"[^"]*"', '', 'g'), ',', '')) + 1)
                    else arg_min(error_message, column_idx) end as _detail
        from _rej_errors
        group by line
        """
    )
    good = conn.execute("select count(*) from _csv_rows").fetchone()[0]
    rejected = conn.execute("select count(*) from _csv_rejects").fetchone()[0]
    # A rejected record is not in _csv_rows: the good rows take the record numbers left over.
    select_cols = ",\n".join(
        f"r.{mapping[c]} as {c}" if c in mapping else f"cast(null as varchar) as {c}" for c in entity.column_names
    )
    raw_json = (
        "to_json(struct_pack("
        + ", ".join(f"{quote_ident(h)} := r.c{i}" for i, h in enumerate(_raw_names(header)))
        + "))"
    )
    conn.execute(
        f"""
        create or replace temp table _csv_records as
        with record_numbers as (
            select i as record_number, row_number() over (order by i) as ordinal
            from range(1, {good + rejected + 1}) as t(i)
            where i not in (select _row_number from _csv_rejects)
        )
        select {select_cols},
               n.record_number as _row_number,
               cast(null as bigint) as _line_number,
               cast({raw_json} as varchar) as _raw,
               cast(null as varchar) as _reason
        from _csv_rows as r
        join record_numbers as n on n.ordinal = r._ord
        union all
        select {", ".join(f"cast(null as varchar) as {c}" for c in entity.column_names)},
               _row_number, cast(null as bigint), _raw, _reason || ': ' || _detail
        from _csv_rejects
        """
    )
    if good + rejected == 0:
        note = "header only: no data rows" + (f"; {note}" if note else "")
    conn.execute("create or replace temp view _incoming as select * from _csv_records")
    return note, "select _row_number, _raw from _csv_records where _row_number in (select _row_number from _rejected)"


def read_jsonl_file(conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> tuple[int, str]:
    """Lines into ``_lines``; ``_incoming`` is a view parsing each non-blank line once.

    Returns the number of physical lines and the raw-content query."""
    try:
        conn.execute(
            f"""
            create or replace temp table _lines as
            select row_number() over () as _line_number, line, cast(null as varchar) as _bad
            from read_csv({sql_str(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                          delim = '{LINE_DELIMITER}', quote = '', escape = '', parallel = false,
                          max_line_size = 10000000)
            """
        )
    except duckdb.Error:
        # A line that is not UTF-8, holds the 0x1E delimiter or is over 10 MB fails the
        # scan: read again keeping such lines apart, to quarantine them one by one.  The
        # error aborted the file's transaction, in which nothing was written yet (reading
        # is the file's first step): start it again.
        conn.execute("rollback")
        conn.execute("begin transaction")
        read_lines_tolerant(conn, path, LINE_DELIMITER)
    lines, chars = conn.execute(
        "select count(*), coalesce(sum(coalesce(strlen(line), 0) + 1), 0) from _lines"
    ).fetchone()
    if path.name.lower().endswith(".gz"):
        check_gzip_complete(path, chars)
    conn.execute(
        f"""
        create or replace temp view _incoming as
        select {json_fields(entity)},
               _line_number as _row_number,
               _line_number,
               coalesce(_bad, case when d is null then 'invalid_json: not a JSON object' end) as _reason
        from (
            select _line_number, _bad, case when _bad is null then {json_parse(entity, "line")} end as d
            from _lines
            where _bad is not null or {is_present("line")}
        )
        """
    )
    return lines, (
        "select _line_number as _row_number, line as _raw from _lines "
        "where _line_number in (select _row_number from _rejected)"
    )


def json_parse(entity: Entity, line: str) -> str:
    """One parse per line: from_json into a struct of the contract's fields, every value as
    text except a json column, which keeps any non-null JSON value (a string, number or
    array is then quarantined by validation instead of silently turning into null).
    A line that is not one JSON object (malformed, an array, trailing garbage, a lone
    surrogate) yields null: try() turns the parser's error into null, and only text that
    starts with '{' is parsed at all (from_json would read '[1]' as a struct of nulls)."""
    spec = "{" + ", ".join(f'"{c.name}": "{"JSON" if c.type == "json" else "VARCHAR"}"' for c in entity.columns) + "}"
    return (
        f"case when starts_with({line}, '{{') or ltrim({line})[1] = '{{' "
        f"then try(from_json({line}, {sql_str(spec)})) end"
    )


def json_fields(entity: Entity, struct: str = "d") -> str:
    """The contract's columns, as text, out of the parsed struct ``d``."""
    return ", ".join(
        f"cast({struct}.{c.name} as varchar) as {c.name}" if c.type == "json" else f"{struct}.{c.name} as {c.name}"
        for c in entity.columns
    )


def check_gzip_complete(path: Path, chars_read: int) -> None:
    """DuckDB stops quietly at the end of a truncated gzip: compare the bytes read with the
    size the gzip trailer declares, and on a mismatch verify the stream in full."""
    with open(path, "rb") as handle:
        handle.seek(-4, 2)
        declared = int.from_bytes(handle.read(4), "little")
    if declared in (chars_read % (1 << 32), (chars_read - 1) % (1 << 32)):
        return
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 22):
                pass
    except (EOFError, OSError, gzip.BadGzipFile) as error:
        raise FileRejected(f"corrupt_gzip: {error}") from error


def read_parquet_file(conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> tuple[str | None, str]:
    described = conn.execute(f"describe select * from read_parquet({sql_str(str(path))})").fetchall()
    types = {name.lower(): (name, typ) for name, typ, *_ in described}
    missing = [c for c in entity.required_columns if c not in types]
    if missing:
        raise FileRejected(f"missing_required_columns: {', '.join(missing)}")

    def as_text(column: str) -> str:
        if column not in types:
            return f"cast(null as varchar) as {column}"
        name, typ = types[column]
        ident = quote_ident(name)
        if typ.upper().startswith(("STRUCT", "MAP", "LIST")) or typ.upper().endswith("[]"):
            return f"cast(to_json({ident}) as varchar) as {column}"
        if typ.upper().startswith("TIMESTAMP WITH TIME ZONE"):
            return f"strftime({ident}, '%Y-%m-%dT%H:%M:%S.%f%z') as {column}"
        return f"cast({ident} as varchar) as {column}"

    extra = [name for key, (name, _) in types.items() if key not in entity.column_names and key != "file_row_number"]
    conn.execute(
        f"""
        create or replace temp table _parquet as
        select *, file_row_number + 1 as _parquet_row
        from read_parquet({sql_str(str(path))}, file_row_number = true)
        """
    )
    conn.execute(
        f"""
        create or replace temp view _incoming as
        select {", ".join(as_text(c) for c in entity.column_names)},
               _parquet_row as _row_number,
               cast(null as bigint) as _line_number,
               cast(null as varchar) as _reason
        from _parquet
        """
    )
    # The row as delivered: the file's own columns, not the reader's file_row_number.
    raw_json = (
        "to_json(struct_pack("
        + ", ".join(f"{quote_ident(name)} := p.{quote_ident(name)}" for name, *_ in described)
        + "))"
    )
    raw_sql = (
        f"select p._parquet_row as _row_number, cast({raw_json} as varchar) as _raw from _parquet as p "
        "where p._parquet_row in (select _row_number from _rejected)"
    )
    return (f"ignored unknown columns: {', '.join(extra)}" if extra else None), raw_sql
