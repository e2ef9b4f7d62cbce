"""JSON Lines files with a line DuckDB's line reader cannot take: quarantine the line, load the rest.

The loader reads a JSON Lines file as one text column split on the record separator 0x1E
(which cannot occur raw inside JSON).  A line that is not UTF-8, holds a 0x1E byte or is
longer than 10 MB (the reader's line limit) fails that fast scan.  Only then is the file
read again with DuckDB's reject capture (``store_rejects``): the good lines keep their
physical line numbers (the rejected lines' numbers are left out of the numbering, as the
CSV path does), and each rejected line gets a reason.  Its raw content is taken from the
file itself for those few lines only (DuckDB's copy is cut at 10,000 characters and
replaces bad bytes), with a byte that is not UTF-8 written as ``\\xNN``.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import duckdb

REASONS = {
    "INVALID ENCODING": "invalid_utf8: the line is not UTF-8 text",
    "INVALID UNICODE": "invalid_utf8: the line is not UTF-8 text",
    "TOO MANY COLUMNS": "control_character: the line holds a 0x1E (record separator) byte",
    "LINE SIZE OVER MAXIMUM": "line_too_long: the line is longer than 10,000,000 bytes",
}
MAX_LINE = 10_000_000


def _raw_lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """The physical lines numbered ``wanted`` (1-based), as text, bad bytes escaped."""
    found: dict[int, str] = {}
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if number in wanted:
                    found[number] = line.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                    if len(found) == len(wanted):
                        break
    except (EOFError, OSError, zlib.error):
        pass  # a truncated gzip: the loader's completeness check fails the file with its reason
    return found


def read_lines_tolerant(conn: duckdb.DuckDBPyConnection, path: Path, delimiter: str) -> None:
    """Temp table ``_lines (_line_number, line, _bad)``: every physical line of ``path``;
    ``_bad`` is the reason for a line the reader rejected (its ``line`` is the raw text)."""
    conn.execute("drop table if exists _jl_errors")
    conn.execute("drop table if exists _jl_scans")
    reader = (
        f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', columns = {{'line': 'VARCHAR'}}, header = false, "
        f"auto_detect = false, delim = '{delimiter}', quote = '', escape = '', parallel = false, "
        f"max_line_size = {MAX_LINE}, store_rejects = true, rejects_table = '_jl_errors', rejects_scan = '_jl_scans')"
    )
    conn.execute(f"create or replace temp table _jl_good as select row_number() over () as _ord, line from {reader}")
    rejected = conn.execute("select line, min(error_type) from _jl_errors group by line order by line").fetchall()
    raw = _raw_lines(path, {int(n) for n, _ in rejected})
    conn.execute("create or replace temp table _jl_bad (_line_number bigint, line varchar, _bad varchar)")
    conn.executemany(
        "insert into _jl_bad values (?, ?, ?)",
        [[n, raw.get(int(n)), REASONS.get(kind, f"unreadable_line: {kind.lower()}")] for n, kind in rejected],
    )
    good = conn.execute("select count(*) from _jl_good").fetchone()[0]
    conn.execute(
        f"""
        create or replace temp table _lines as
        with numbers as (
            select i as _line_number, row_number() over (order by i) as _ord
            from range(1, {good + len(rejected) + 1}) as t(i)
            where i not in (select _line_number from _jl_bad)
        )
        select * from (
            select n._line_number, g.line, cast(null as varchar) as _bad
            from _jl_good as g join numbers as n using (_ord)
            union all
            select _line_number, line, _bad from _jl_bad
        )
        order by _line_number
        """
    )
    for temp in ("_jl_good", "_jl_bad", "_jl_errors", "_jl_scans"):
        conn.execute(f"drop table if exists {temp}")
