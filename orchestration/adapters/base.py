"""What a source adapter is, and the JSON Lines reading the adapters share.

An adapter = a landing folder (``landing/<folder>/``, any depth below) + ``read`` (one file into
temp table ``_src``: one row per delivered record with ``_row_number``, ``_line_number``, the
delivered text ``line``, ``_bad`` (a reason the record could not even be read) and ``d``, the
record parsed into a struct of the source's fields) + one ``Target`` per native raw table it
feeds: SQL over ``_src`` giving that table's contract columns as text, ``_row_number``,
``_line_number`` and ``_reason`` (a source-level problem such as ``unmapped_account``).  The
loader then types, checks and inserts those rows exactly like a native file's
(``orchestration.loading.validation``): there is no second validator.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.jsonl_lines import read_lines_tolerant
from orchestration.loading.readers import LINE_DELIMITER, check_gzip_complete
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import is_present, sql_str


@dataclass(frozen=True)
class Target:
    table: str  # native raw table, e.g. product_events
    sql: Callable[[], str]  # contract columns as text, _row_number, _line_number, _reason, from _src
    where: str = "true"  # which rows of _src it takes (a cheap count skips a table the file has nothing for)


@dataclass(frozen=True)
class Adapter:
    folder: str  # landing/<folder>/ and the ``source`` of its account_map rows
    extensions: tuple[str, ...]
    # fills _src from the readable path; the delivered name chooses the format; returns a manifest note
    read: Callable[[duckdb.DuckDBPyConnection, Path, str], str | None]
    targets: tuple[Target, ...]  # the first one also records a file that delivers no rows
    # reads the adapter's own mapping file(s) once per run, before its files (temp tables);
    # returns their errors for the load summary
    prepare: Callable[[duckdb.DuckDBPyConnection, Path, object], list[str]] | None = None
    # failure reasons that depend on a mapping file, not on the bytes: such a failed file is read
    # again on the next run (a fixed map then loads it), as a loader error is
    retry_reasons: tuple[str, ...] = ()
    # Many files in one statement (``adapters.grouped``): fills ``_src`` for a list of readable
    # paths, each row with ``_file`` (its index in the list), and returns each file's manifest
    # note; raises (FileRejected, duckdb.Error) when the group cannot be read as a whole, and the
    # files are then read one by one with ``read``.  ``group_extensions``: the names read so.
    read_group: Callable[[duckdb.DuckDBPyConnection, list[Path]], dict[int, str | None]] | None = None
    group_extensions: tuple[str, ...] = ()

    def accepts(self, name: str) -> bool:
        return name.lower().endswith(self.extensions)

    def groups(self, name: str) -> bool:
        return self.read_group is not None and name.lower().endswith(self.group_extensions)


RAW_SQL = "select _row_number, line as _raw from _src where _row_number in (select _row_number from _rejected)"


def text_lines(conn: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    """Every physical line of a JSON Lines file (plain or .gz) into ``table``
    (``_line_number``, ``line``, ``_bad``), with DuckDB's CSV reader on a delimiter that cannot
    occur in JSON (as the native loader: a malformed line is one quarantined row, where
    ``read_json`` would fail the file or, with ``ignore_errors``, drop the line silently)."""
    try:
        conn.execute(
            f"""
            create or replace temp table {table} as
            select row_number() over () as _line_number, line, cast(null as varchar) as _bad
            from read_csv({sql_str(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                          delim = '{LINE_DELIMITER}', quote = '', escape = '', parallel = false,
                          max_line_size = 10000000)
            """
        )
    except duckdb.Error:
        # Not UTF-8, a 0x1E byte or a 10 MB line: read again keeping such lines apart.  Adapters
        # read before the file's transaction starts (temp tables only), so nothing to undo.
        read_lines_tolerant(conn, path, LINE_DELIMITER)
        if table != "_lines":
            conn.execute(f"create or replace temp table {table} as select * from _lines")
            conn.execute("drop table _lines")
    if path.name.lower().endswith(".gz"):
        chars = conn.execute(f"select coalesce(sum(coalesce(strlen(line), 0) + 1), 0) from {table}").fetchone()[0]
        check_gzip_complete(path, chars)


def group_src(conn: duckdb.DuckDBPyConnection, paths: list[Path], spec: str, owners: list[int] | None = None) -> None:
    """``_src`` (a view, as ``parse_src`` makes it) from several JSON Lines files (plain or .gz)
    with ONE scan of DuckDB's reader that also parses each line once.  ``owners[i]`` is the
    group file that ``paths[i]`` belongs to (a zip's members; default: itself): ``_file`` is that
    index, ``_line_number`` the line in ``paths[i]`` and ``_row_number`` counts the lines over the
    owner's paths in order.  A path it cannot read as a whole (bad UTF-8, a 0x1E byte, a truncated
    gzip, an empty file) raises: the caller then reads the files one by one, where ``text_lines``
    keeps such lines apart and names the bad file."""
    owners = owners if owners is not None else list(range(len(paths)))
    listed = "[" + ", ".join(sql_str(str(p)) for p in paths) + "]"
    # In path order (DuckDB keeps insertion order): a line's number is its rowid minus the first
    # rowid of its path, plus one.  Blank lines are kept (they count) and left out by the view.
    conn.execute(
        f"""
        create or replace temp table _gsrc as
        select file_index as _path, line, {is_present("line")} as _present,
               case when {is_present("line")} then {parse_json(spec, "line")} end as d
        from read_csv({listed}, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                      delim = '{LINE_DELIMITER}', quote = '', escape = '', parallel = false,
                      max_line_size = 10000000)
        """
    )
    found = conn.execute(
        "select _path, min(rowid), max(rowid), count(*), sum(coalesce(strlen(line), 0) + 1) from _gsrc group by _path"
    ).fetchall()
    per_path = {row[0]: row[1:] for row in found}
    conn.execute("create or replace temp table _gpaths (_path integer, _file integer, _first bigint, _offset bigint)")
    offsets: dict[int, int] = {}
    for index, path in enumerate(paths):
        first, last, lines, chars = per_path.get(index, (0, -1, 0, 0))
        if lines == 0 or last - first + 1 != lines:
            raise FileRejected(f"group_unreadable: {path.name}")
        if path.name.lower().endswith(".gz"):
            check_gzip_complete(path, chars)
        conn.execute(
            "insert into _gpaths values (?, ?, ?, ?)", [index, owners[index], first, offsets.get(owners[index], 0)]
        )
        offsets[owners[index]] = offsets.get(owners[index], 0) + lines
    conn.execute(
        """
        create or replace temp view _src as
        select p._file, g.rowid - p._first + 1 + p._offset as _row_number, g.rowid - p._first + 1 as _line_number,
               g.line, g.d, case when g.d is null then 'invalid_json: not a JSON object' end as _bad
        from _gsrc as g join _gpaths as p using (_path)
        where g._present
        """
    )


def drop_group_src(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("drop view if exists _src")
    for temp in ("_gsrc", "_gpaths"):
        conn.execute(f"drop table if exists {temp}")


def parse_json(spec: str, line: str) -> str:
    """``line`` parsed by ``spec`` (a from_json structure), null when it is not one JSON object."""
    return f"case when starts_with({line}, '{{') or ltrim({line})[1] = '{{' then try(from_json({line}, {sql_str(spec)})) end"


def parse_src(conn: duckdb.DuckDBPyConnection, lines: str, spec: str, row_number: str = "_line_number") -> None:
    """``_src`` from the lines table: non-blank lines, each parsed once into ``d`` by ``spec``
    (a from_json structure); a line that is not one JSON object keeps ``d`` null and gets
    ``_bad = 'invalid_json: not a JSON object'``.  ``_file`` is the lines' own (a group of
    files, ``group_lines``), else 0 (one file)."""
    has_file = any(r[0] == "_file" for r in conn.execute(f"describe {lines}").fetchall())
    conn.execute(
        f"""
        create or replace temp table _src as
        select {"_file" if has_file else "0"} as _file, {row_number} as _row_number, _line_number, line, d,
               coalesce(_bad, case when d is null then 'invalid_json: not a JSON object' end) as _bad
        from (
            select *, case when _bad is null then {parse_json(spec, "line")} end as d
            from {lines}
            where _bad is not null or {is_present("line")}
        )
        """
    )


def gunzip_to(source, target: Path, member: str) -> None:
    """Decompress a gzip stream (a zip member) to ``target``; a corrupt one names the member."""
    import zipfile
    import zlib

    try:
        with gzip.GzipFile(fileobj=source) as stream, open(target, "wb") as out:
            for block in iter(lambda: stream.read(1 << 20), b""):
                out.write(block)
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as error:
        raise FileRejected(f"corrupt_member: {member}: {error}") from error


def text(expr: str) -> str:
    """A JSON value as text: a string as is, anything else (number, object) as its JSON."""
    return f"case when json_type({expr}) = 'VARCHAR' then {expr} ->> '$' else cast({expr} as varchar) end"
