"""Load landing files into schema ``raw``: each file content exactly once, nothing lost.

For every file under ``<landing>/<source>/<entity>/`` the loader

1. skips it when its bytes were loaded before (same ``sha256``; a re-run does not
   even hash a file whose path, size and mtime match the manifest);
2. reads it with DuckDB's own reader (``read_csv`` with reject capture, JSON Lines
   read as text lines and parsed with DuckDB's JSON functions, ``read_parquet``);
3. validates and casts every row set-based in SQL against the contract
   (``orchestration.contract``): a row that cannot be used goes to
   ``raw.load_quarantine`` with its row number, raw content and every reason;
4. commits the good rows, the quarantined rows and the manifest row in ONE
   transaction, so a crash mid-file leaves nothing of that file behind.

A file that cannot be read as a whole (zero bytes, not text, missing a required
column, a CSV quoted field that never closes, truncated gzip, unreadable Parquet,
unsupported extension) is recorded in the manifest as ``failed`` with a reason and
loads none of its rows; the next file still loads.  Any other error while handling one
file (a bug, a database error) makes that file ``failed`` with ``loader_error: ...``
too, instead of stopping the load.  A failed file still in the landing (same path and
bytes) is reported as failed again on every run, without a new manifest row; a
``loader_error`` failure is retried, a corrected file (new bytes) loads.

Files outside the contract's entity folders, hidden ones and non-regular ones are
``ignored`` with a reason (``orchestration.landing_files``): one manifest row per
path/size/mtime, and a line in every run summary.  JSON Lines lines that are not UTF-8,
hold a 0x1E byte or are longer than 10 MB are quarantined one by one
(``invalid_utf8``, ``control_character``, ``line_too_long``), like a bad CSV record.

Numbering: ``row_number`` is the 1-based data record of the file (CSV: records
after the header, a quoted newline does not start a new record; JSON Lines:
physical lines, blank ones included; Parquet: rows).  ``line_number`` is the
physical line for JSON Lines and null for CSV and Parquet.

Reason codes (several may be joined with ``; ``): ``wrong_field_count``,
``csv_parse_error``, ``invalid_json``, ``missing_required: <col>``,
``invalid_integer|invalid_decimal|invalid_boolean|invalid_date|invalid_timestamp: <col>``,
``invalid_json_object: <col>``, ``unknown_value: <col>='<value>'``,
``out_of_range: <col>=<value>``, ``score_out_of_scale: <type> <score>``,
``duplicate_key_in_file: kept row <n>``, ``implausible_timestamp: <col>``,
``unknown_currency: <col>='<value>'``, ``invalid_period: ...`` (``orchestration.plausibility``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import sys
import time
from datetime import datetime, timedelta, timezone
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.config import apply_duckdb_settings, earliest_plausible, max_future_skew
from orchestration.contract import ENTITIES, RAW_TYPES, SCORE_SCALES, Column, Entity
from orchestration.jsonl_lines import read_lines_tolerant
from orchestration.landing_files import Ignored, ReadablePaths, discover, display
from orchestration.plausibility import TimeBounds, needs_trimmed, row_rules
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE, RAW_SCHEMA, ensure_raw_schema

Progress = Callable[[str], None]

CSV_EXTENSIONS = (".csv",)
EVENT_EXTENSIONS = (".jsonl", ".jsonl.gz", ".parquet")
# Record separator: cannot occur raw inside a JSON document, so each line is one field.
LINE_DELIMITER = "\x1e"
# JSON Lines event files are read, validated and committed in groups of about this many lines
# (one scan and one transaction per group instead of per file: per-statement and per-commit
# costs stop mattering, both cores read, and a group's rows are written straight to the
# database file instead of through the write-ahead log).  Sizes estimate the lines.
GROUP_ROWS = 1_000_000
GZ_BYTES_PER_LINE = 30
JSONL_BYTES_PER_LINE = 230


class FileRejected(Exception):
    """The file cannot be read as a whole; none of its rows load."""


@dataclass
class EntityLoad:
    files_loaded: int = 0
    files_skipped: int = 0
    files_failed: list[tuple[str, str]] = field(default_factory=list)
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass
class LoadSummary:
    entities: dict[str, EntityLoad]
    seconds: float = 0.0
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, reason), every run

    @property
    def files_failed_count(self) -> int:
        return sum(len(e.files_failed) for e in self.entities.values())

    @property
    def has_failures(self) -> bool:
        return self.files_failed_count > 0

    @property
    def rows_loaded(self) -> int:
        return sum(e.rows_loaded for e in self.entities.values())

    def format(self) -> str:
        lines = [f"{'raw table':<24}{'loaded':>8}{'skipped':>9}{'failed':>8}{'rows':>14}{'quarantined':>13}"]
        for table, e in self.entities.items():
            lines.append(
                f"{table:<24}{e.files_loaded:>8}{e.files_skipped:>9}{len(e.files_failed):>8}"
                f"{e.rows_loaded:>14,}{e.rows_quarantined:>13,}"
            )
        for table, e in self.entities.items():
            lines += [f"  failed {path}: {reason}" for path, reason in e.files_failed]
        if self.ignored:
            lines.append(f"ignored {len(self.ignored)} file(s) that are not landing files of the contract:")
            lines += [f"  ignored {path}: {reason}" for path, reason in self.ignored]
        return "\n".join(lines)


@dataclass(frozen=True)
class FileOutcome:
    rows_delivered: int
    rows_loaded: int
    rows_quarantined: int
    note: str | None


@dataclass(frozen=True)
class Staged:
    """A file read and validated into temp table ``_staged``.

    ``raw_sql`` selects ``(_row_number, _raw)``, the row as delivered, for the rows listed
    in temp table ``_rejected``: the raw text is only looked up for quarantined rows."""

    note: str | None
    raw_sql: str


@dataclass(frozen=True)
class Run:
    """What every file of one ``load_landing`` call shares: the plausible time range and
    the paths DuckDB's readers are given."""

    bounds: TimeBounds
    readable: ReadablePaths


# --------------------------------------------------------------------------- public


def load_landing(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    entities: Iterable[str] | None = None,
    progress: Progress | None = None,
    earliest: datetime | None = None,
    max_future: timedelta | None = None,
) -> LoadSummary:
    """Load every new landing file of the selected raw tables (default: all).

    ``earliest`` and ``max_future`` bound plausible timestamps (default: the settings
    ``CXCS_EARLIEST_PLAUSIBLE`` and ``CXCS_MAX_FUTURE_HOURS``); the load time is now."""
    started = time.monotonic()
    say = progress or (lambda _message: None)
    wanted = set(entities) if entities is not None else None
    unknown = sorted(wanted - {e.table for e in ENTITIES}) if wanted is not None else []
    if unknown:
        raise ValueError(f"unknown raw tables: {', '.join(unknown)}; known: {', '.join(e.table for e in ENTITIES)}")
    conn.execute("set TimeZone = 'UTC'")
    apply_duckdb_settings(conn)
    ensure_raw_schema(conn)
    summary = LoadSummary(entities={})
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    bounds = TimeBounds.at(
        now,
        earliest if earliest is not None else earliest_plausible(),
        max_future if max_future is not None else max_future_skew(),
    )
    run = Run(bounds=bounds, readable=ReadablePaths())
    landing = discover(Path(landing_dir))
    try:
        _record_ignored(conn, landing.ignored, summary, say)
        for entity in ENTITIES:
            if wanted is not None and entity.table not in wanted:
                continue
            stats = summary.entities[entity.table] = EntityLoad()
            _load_entity(conn, Path(landing_dir), landing.files[entity.table], entity, stats, say, run)
    finally:
        run.readable.close()
    summary.seconds = time.monotonic() - started
    return summary


def _record_ignored(conn: duckdb.DuckDBPyConnection, ignored: list[Ignored], summary: LoadSummary, say: Progress) -> None:
    """List every ignored entry in the summary; record it in the manifest once per
    path/size/mtime (like a loaded file), not again on every run."""
    known = set(conn.execute(
        f"select file_path, size_bytes, mtime_ns from {MANIFEST_TABLE} where status = 'ignored'"
    ).fetchall())
    for item in ignored:
        summary.ignored.append((item.rel, item.reason))
        say(f"ignored {item.rel}: {item.reason}")
        if (item.rel, item.size, item.mtime_ns) in known:
            continue
        batch_id = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
        conn.execute(
            f"insert into {MANIFEST_TABLE} values (?, ?, ?, '', ?, ?, 'ignored', null, 0, 0, ?, "
            "cast(current_timestamp as timestamp), cast(current_timestamp as timestamp))",
            [batch_id, item.entity, item.rel, item.size, item.mtime_ns, item.reason],
        )


# --------------------------------------------------------------------------- per entity


@dataclass(frozen=True)
class Pending:
    """A landing file to load: not loaded before, by path/size/mtime nor by content."""

    path: Path
    rel: str
    sha: str
    size: int
    mtime_ns: int


def _failed_again(stats: EntityLoad, say: Progress, entity: Entity, rel: str, reason: str) -> None:
    """A failed file still in the landing: reported on every run, not recorded again."""
    stats.files_failed.append((rel, reason))
    say(f"{entity.table}: FAILED (still in the landing, same bytes) {rel}: {reason}")


def _load_entity(
    conn: duckdb.DuckDBPyConnection, landing_dir: Path, files: list[Path], entity: Entity,
    stats: EntityLoad, say: Progress, run: Run,
) -> None:
    known = conn.execute(
        f"select file_path, size_bytes, mtime_ns, sha256, status, reason from {MANIFEST_TABLE} "
        "where entity = ? and status in ('loaded', 'failed') order by batch_id",
        [entity.table],
    ).fetchall()
    # The latest record of a path/size/mtime or path/content decides (a retried loader_error
    # that then loaded is loaded).
    by_stats = {(path, size, mtime): (status, reason) for path, size, mtime, _, status, reason in known}
    by_content = {(path, sha): (status, reason) for path, _, _, sha, status, reason in known}
    loaded_hashes = {sha for _, _, _, sha, status, _ in known if status == "loaded"}
    pending: list[Pending] = []
    for path in files:
        rel = display(path.relative_to(landing_dir).as_posix())
        try:
            info = path.stat()
            status, reason = by_stats.get((rel, info.st_size, info.st_mtime_ns), (None, None))
            if status == "loaded":
                stats.files_skipped += 1
                continue
            if status == "failed" and not reason.startswith(LOADER_ERROR):
                _failed_again(stats, say, entity, rel, reason)
                continue
            sha = _sha256(path)
        except OSError as error:  # vanished or unreadable between listing and reading
            reason = f"unreadable: {type(error).__name__}: {error.strerror or error}"
            stats.files_failed.append((rel, reason))
            say(f"{entity.table}: FAILED {rel}: {reason}")
            continue
        if sha in loaded_hashes:
            stats.files_skipped += 1
            continue
        status, reason = by_content.get((rel, sha), (None, None))
        if status == "failed" and not reason.startswith(LOADER_ERROR):
            _failed_again(stats, say, entity, rel, reason)
            continue
        loaded_hashes.add(sha)
        pending.append(Pending(path, rel, sha, info.st_size, info.st_mtime_ns))
    for group in _groups(entity, pending):
        outcomes = _load_jsonl_group(conn, entity, group, run) if len(group) > 1 else None
        if outcomes is None:  # one file, or a group that needs the per-file path to tell which file is bad
            outcomes = [_load_file(conn, entity, p.path, p.rel, p.sha, p.size, p.mtime_ns, run) for p in group]
        for file, (outcome, reason) in zip(group, outcomes):
            if outcome is None:
                stats.files_failed.append((file.rel, reason or "failed"))
                say(f"{entity.table}: FAILED {file.rel}: {reason}")
                continue
            stats.files_loaded += 1
            stats.rows_loaded += outcome.rows_loaded
            stats.rows_quarantined += outcome.rows_quarantined
            say(f"{entity.table}: {file.rel}: {outcome.rows_loaded:,} rows loaded, {outcome.rows_quarantined:,} quarantined")
    if not files:
        say(f"{entity.table}: no landing files yet")


LOADER_ERROR = "loader_error:"


def _groups(entity: Entity, pending: list[Pending]) -> list[list[Pending]]:
    """Consecutive non-empty JSON Lines event files, up to about ``GROUP_ROWS`` lines a group
    (estimated from file sizes); every other file is a group of its own."""
    groups: list[list[Pending]] = []
    current: list[Pending] = []
    estimate = 0
    for file in pending:
        name = file.path.name.lower()
        if entity.table != "product_events" or file.size == 0 or not name.endswith((".jsonl", ".jsonl.gz")):
            if current:
                groups.append(current)
                current, estimate = [], 0
            groups.append([file])
            continue
        lines = file.size // (GZ_BYTES_PER_LINE if name.endswith(".gz") else JSONL_BYTES_PER_LINE)
        if current and estimate + lines > GROUP_ROWS:
            groups.append(current)
            current, estimate = [], 0
        current.append(file)
        estimate += lines
    if current:
        groups.append(current)
    return groups


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_file(
    conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path, rel: str, sha: str, size: int, mtime_ns: int, run: Run
) -> tuple[FileOutcome | None, str | None]:
    """Load one file in one transaction. Returns (outcome, None) or (None, reason) for a failed file.

    A file that cannot be read is failed with its reason; any other exception (a bug, a
    database error) rolls the file back and fails it with ``loader_error: <type>: <message>``,
    so one file never stops the rest of the landing.  Only an interrupt, or an error while
    recording the failure itself, propagates."""
    started = _utcnow(conn)
    batch_id = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
    conn.execute("begin transaction")
    try:
        staged = _stage_file(conn, entity, path, run)
        outcome = _commit_staged(conn, entity, batch_id, rel, staged)
        _record_manifest(
            conn, batch_id, entity, rel, sha, size, mtime_ns, "loaded",
            outcome.rows_delivered, outcome.rows_loaded, outcome.rows_quarantined, outcome.note, started,
        )
        conn.execute("commit")
        return outcome, None
    except FileRejected as rejected:
        reason = str(rejected)
    except Exception as error:  # noqa: BLE001 - any error of one file is that file's failure
        reason = f"{LOADER_ERROR} {type(error).__name__}: {_first_line(str(error))}"
    except BaseException:
        conn.execute("rollback")
        raise
    conn.execute("rollback")
    _drop_temps(conn)
    repeated = conn.execute(
        f"select count(*) from {MANIFEST_TABLE} where entity = ? and file_path = ? and sha256 = ? "
        "and status = 'failed' and reason = ?",
        [entity.table, rel, sha, reason],
    ).fetchone()[0]
    if not repeated:  # a retried loader_error that fails the same way is not recorded again
        conn.execute("begin transaction")
        try:
            _record_manifest(conn, batch_id, entity, rel, sha, size, mtime_ns, "failed", None, 0, 0, reason, started)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise
    return None, reason


def _utcnow(conn: duckdb.DuckDBPyConnection):
    return conn.execute("select cast(current_timestamp as timestamp)").fetchone()[0]


def _record_manifest(conn, batch_id, entity, rel, sha, size, mtime_ns, status, delivered, loaded, quarantined, reason, started) -> None:
    conn.execute(
        f"insert into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, cast(current_timestamp as timestamp))",
        [batch_id, entity.table, rel, sha, size, mtime_ns, status, delivered, loaded, quarantined, reason, started],
    )


# --------------------------------------------------------------------------- reading


def _stage_file(conn: duckdb.DuckDBPyConnection, entity: Entity, original: Path, run: Run) -> Staged:
    """Read a file into ``_incoming`` (all varchar contract columns, _row_number, _line_number,
    _reason; a temp table or view), then validate it into ``_staged`` and ``_rejected``."""
    name = original.name.lower()
    path = run.readable(original)
    if path.stat().st_size == 0:
        raise FileRejected("empty_file: zero bytes")
    physical_lines = None
    try:
        if entity.table == "product_events":
            if name.endswith(".jsonl") or name.endswith(".jsonl.gz"):
                physical_lines, raw_sql = _read_jsonl(conn, entity, path)
                note = None
            elif name.endswith(".parquet"):
                note, raw_sql = _read_parquet(conn, entity, path)
            else:
                raise FileRejected(f"unsupported_file_type: expected one of {', '.join(EVENT_EXTENSIONS)}")
        elif name.endswith(CSV_EXTENSIONS):
            note, raw_sql = _read_csv(conn, entity, path)
        else:
            raise FileRejected("unsupported_file_type: expected .csv")
    except duckdb.Error as error:
        raise FileRejected(f"unreadable: {_first_line(str(error))}") from error
    _validate(conn, entity, run.bounds)
    if physical_lines is not None:
        blank = physical_lines - conn.execute("select count(*) from _staged").fetchone()[0]
        note = f"{blank} blank line(s) skipped" if blank else None
    return Staged(note=note, raw_sql=raw_sql)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:300] if message.strip() else "unknown error"


def _read_header(path: Path) -> tuple[list[str], str | None]:
    """The header's field names, and ``'\\r'`` when lines end in a lone CR (old Mac
    style; DuckDB is then told so), else None."""
    with open(path, "rb") as handle:
        first = handle.readline(1 << 20)
    cr = first.find(b"\r")
    new_line = None
    if cr >= 0 and first[cr + 1:cr + 2] != b"\n" and (cr + 1 < len(first) or b"\n" not in first):
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
    extra = [names[i] or f"(empty name, column {i + 1})" for i, n in enumerate(normalised) if n not in entity.column_names]
    note = f"ignored unknown columns: {', '.join(extra)}" if extra else None
    return mapping, note


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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


def _read_csv(conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> tuple[str | None, str]:
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
        from read_csv({_sql_str(str(path))}, header = true, auto_detect = false, columns = {columns},
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
    raw_json = "to_json(struct_pack(" + ", ".join(f"{_quote_ident(h)} := r.c{i}" for i, h in enumerate(_raw_names(header))) + "))"
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


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_jsonl(conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> tuple[int, str]:
    """Lines into ``_lines``; ``_incoming`` is a view parsing each non-blank line once.

    Returns the number of physical lines and the raw-content query."""
    try:
        conn.execute(
            f"""
            create or replace temp table _lines as
            select row_number() over () as _line_number, line, cast(null as varchar) as _bad
            from read_csv({_sql_str(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
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
        _check_gzip_complete(path, chars)
    conn.execute(
        f"""
        create or replace temp view _incoming as
        select {_json_fields(entity)},
               _line_number as _row_number,
               _line_number,
               coalesce(_bad, case when d is null then 'invalid_json: not a JSON object' end) as _reason
        from (
            select _line_number, _bad, case when _bad is null then {_json_parse(entity, "line")} end as d
            from _lines
            where _bad is not null or {_present("line")}
        )
        """
    )
    return lines, (
        "select _line_number as _row_number, line as _raw from _lines "
        "where _line_number in (select _row_number from _rejected)"
    )


def _json_parse(entity: Entity, line: str) -> str:
    """One parse per line: from_json into a struct of the contract's fields, every value as
    text except a json column, which keeps any non-null JSON value (a string, number or
    array is then quarantined by validation instead of silently turning into null).
    A line that is not one JSON object (malformed, an array, trailing garbage, a lone
    surrogate) yields null: try() turns the parser's error into null, and only text that
    starts with '{' is parsed at all (from_json would read '[1]' as a struct of nulls)."""
    spec = "{" + ", ".join(f'"{c.name}": "{"JSON" if c.type == "json" else "VARCHAR"}"' for c in entity.columns) + "}"
    return (f"case when starts_with({line}, '{{') or ltrim({line})[1] = '{{' "
            f"then try(from_json({line}, {_sql_str(spec)})) end")


def _json_fields(entity: Entity, struct: str = "d") -> str:
    """The contract's columns, as text, out of the parsed struct ``d``."""
    return ", ".join(
        f"cast({struct}.{c.name} as varchar) as {c.name}" if c.type == "json" else f"{struct}.{c.name} as {c.name}"
        for c in entity.columns
    )


def _check_gzip_complete(path: Path, chars_read: int) -> None:
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


def _read_parquet(conn: duckdb.DuckDBPyConnection, entity: Entity, path: Path) -> tuple[str | None, str]:
    described = conn.execute(f"describe select * from read_parquet({_sql_str(str(path))})").fetchall()
    types = {name.lower(): (name, typ) for name, typ, *_ in described}
    missing = [c for c in entity.required_columns if c not in types]
    if missing:
        raise FileRejected(f"missing_required_columns: {', '.join(missing)}")

    def as_text(column: str) -> str:
        if column not in types:
            return f"cast(null as varchar) as {column}"
        name, typ = types[column]
        ident = _quote_ident(name)
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
        from read_parquet({_sql_str(str(path))}, file_row_number = true)
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
    raw_json = "to_json(struct_pack(" + ", ".join(
        f"{_quote_ident(name)} := p.{_quote_ident(name)}" for name, *_ in described
    ) + "))"
    raw_sql = (
        f"select p._parquet_row as _row_number, cast({raw_json} as varchar) as _raw from _parquet as p "
        "where p._parquet_row in (select _row_number from _rejected)"
    )
    return (f"ignored unknown columns: {', '.join(extra)}" if extra else None), raw_sql


# --------------------------------------------------------------------------- validation


def _trimmed(column: str) -> str:
    """``nullif(trim(column), '')``, without trimming (a copy of the text) when the first and
    last characters are printable ASCII other than space, so trim() would change nothing."""
    return (
        f"case when ascii({column}) between 33 and 126 and ascii({column}[-1]) between 33 and 126 "
        f"then {column} else nullif(trim({column}), '') end"
    )


def _present(column: str) -> str:
    """``nullif(trim(column), '') is not null``: text that starts with printable ASCII is."""
    return f"case when ascii({column}) between 33 and 126 then true else coalesce(trim({column}) <> '', false) end"


def _needs_trimmed(column: Column) -> bool:
    """Whether checks or typing read the trimmed text ``v_<column>``; a free-text column
    is stored as delivered and only tested for presence."""
    return column.type != "text" or bool(column.allowed) or needs_trimmed(column)


def _typed_expr(column: str, typ: str) -> str:
    """The typed value of ``column``; ``v_<column>`` is its text trimmed, null when empty."""
    value = f"v_{column}"
    if typ == "text":
        return f"nullif({column}, '')"
    if typ == "int":
        # DuckDB's own cast rounds '7.5' to 8 and accepts '1e3', '0x10' and '1_000': only a
        # plain integer (an integral '7.0' included) is an integer here.
        return f"case when regexp_full_match({value}, '[+-]?[0-9]+([.]0*)?') then try_cast({value} as bigint) end"
    if typ == "decimal":
        # Decimal major units only: DuckDB's cast also takes '1e3', '1_0' and 'inf'.
        return (
            f"case when regexp_full_match({value}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)') "
            f"then try_cast({value} as {RAW_TYPES['decimal']}) end"
        )
    if typ == "boolean":
        # true/false (any case) or 1/0; DuckDB's cast also takes yes/no, y/n, t/f, on/off.
        return f"case lower({value}) when 'true' then true when '1' then true when 'false' then false when '0' then false end"
    if typ == "date":
        # A calendar date YYYY-MM-DD; DuckDB's cast also takes a timestamp and drops its time.
        return f"case when regexp_full_match({value}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') then try_cast({value} as date) end"
    if typ == "timestamp":
        # ISO-8601 (YYYY-MM-DD first; DuckDB's cast also takes 'epoch', 'infinity', 'now').
        # With TimeZone = UTC, an input without offset is read as UTC; stored as UTC wall
        # time.  make_timestamp(epoch_us(..)) is that wall time without a time zone lookup
        # per value (a cast to timestamp converts through the session time zone).  The
        # shape test is character checks, not a regex: this runs on every event.
        return (
            f"case when {value}[5] = '-' and {value}[8] = '-' and {value}[1] between '0' and '9' "
            f"then make_timestamp(epoch_us(try_cast({value} as timestamptz))) end"
        )
    if typ == "json":
        # Valid JSON that starts with '{' is an object.
        return f"case when starts_with({value}, '{{') and json_valid({value}) then {value} end"
    raise ValueError(f"unknown contract type {typ}")


TYPE_ERROR_CODES = {
    "int": "invalid_integer",
    "decimal": "invalid_decimal",
    "boolean": "invalid_boolean",
    "date": "invalid_date",
    "timestamp": "invalid_timestamp",
    "json": "invalid_json_object",
}


def _checks(entity: Entity, bounds: TimeBounds | None) -> list[tuple[str, str]]:
    """(condition, reason) pairs in SQL over the delivered text ``<col>``, ``v_<col>`` (trimmed
    text, null when empty; see ``_needs_trimmed``) and ``t_<col>`` (typed): the row has the
    problem when the condition is true."""
    checks: list[tuple[str, str]] = []
    for c in entity.columns:
        present = f"v_{c.name} is not null" if _needs_trimmed(c) else _present(c.name)
        if c.required:
            checks.append((f"not ({present})", f"'missing_required: {c.name}'"))
        if c.type not in ("text",):
            code = TYPE_ERROR_CODES[c.type]
            checks.append((f"{present} and t_{c.name} is null", f"'{code}: {c.name}'"))
        if c.allowed:
            values = ", ".join(_sql_str(v) for v in c.allowed)
            checks.append((
                f"{present} and lower(v_{c.name}) not in ({values})",
                f"'unknown_value: {c.name}=' || chr(39) || v_{c.name} || chr(39)",
            ))
        if c.min_value is not None:
            checks.append((f"t_{c.name} < {c.min_value}", f"'out_of_range: {c.name}=' || t_{c.name}"))
        if c.max_value is not None:
            checks.append((f"t_{c.name} > {c.max_value}", f"'out_of_range: {c.name}=' || t_{c.name}"))
    if entity.scale_by:
        scales = " ".join(f"when '{kind}' then t_score between {lo} and {hi}" for kind, (lo, hi) in SCORE_SCALES.items())
        checks.append((
            f"t_score is not null and not coalesce(case lower(v_survey_type) {scales} end, true)",
            "'score_out_of_scale: ' || lower(v_survey_type) || ' ' || t_score",
        ))
    return checks + row_rules(entity, bounds)


def _staged_sql(entity: Entity, source: str, passthrough: list[str], bounds: TimeBounds | None) -> str:
    """Typed columns ``t_<col>`` and ``_problem`` (null for a good row) of every row of ``source``
    (the contract's columns as text, ``_reason`` and the ``passthrough`` columns)."""
    trimmed = "".join(f", {_trimmed(c.name)} as v_{c.name}" for c in entity.columns if _needs_trimmed(c))
    typed = ", ".join(f"{_typed_expr(c.name, c.type)} as t_{c.name}" for c in entity.columns)
    checks = _checks(entity, bounds)
    failing = " or ".join(f"coalesce({condition}, false)" for condition, _ in checks)
    reasons = ", ".join(f"case when {condition} then {reason} end" for condition, reason in checks)
    passed = ", ".join(passthrough)
    return f"""
        with trimmed as (
            select {", ".join(entity.column_names)}, {passed}, _reason{trimmed}
            from {source}
        ),
        typed as (
            select *, {typed} from trimmed
        )
        select {passed}, {", ".join(f"t_{c}" for c in entity.column_names)},
               case when _reason is not null then _reason
                    when {failing} then concat_ws('; ', {reasons}) end as _problem
        from typed
        """


def _validate(conn: duckdb.DuckDBPyConnection, entity: Entity, bounds: TimeBounds) -> None:
    """Type and check ``_incoming`` into ``_staged`` (typed columns and ``_problem``), then list
    every row that does not load in ``_rejected`` (``_row_number``, ``_line_number``, ``_reason``).

    The reason text is only built for a row that fails a check.  Only rows without a
    problem compete for their key: duplicated keys are found by grouping, and only the
    rows of a duplicated key are ranked."""
    conn.execute(f"create or replace temp table _staged as {_staged_sql(entity, '_incoming', ['_row_number', '_line_number'], bounds)}")
    key = ", ".join(f"t_{k}" for k in entity.key)
    order = (f"t_{entity.updated_at} desc nulls last, " if entity.updated_at else "") + "_row_number desc"
    version = f", t_{entity.updated_at}" if entity.updated_at else ""
    conn.execute(
        f"""
        create or replace temp table _rejected as
        with duplicated as (
            select {key} from _staged where _problem is null group by {key} having count(*) > 1
        ),
        contenders as (
            select _row_number, _line_number, {key}{version}
            from _staged semi join duplicated using ({key})
            where _problem is null
        ),
        ranked as (
            select _row_number, _line_number,
                   first_value(_row_number) over (partition by {key} order by {order}) as _kept_row
            from contenders
        )
        select _row_number, _line_number, _problem as _reason from _staged where _problem is not null
        union all
        select _row_number, _line_number, 'duplicate_key_in_file: kept row ' || _kept_row
        from ranked where _row_number <> _kept_row
        """
    )


# --------------------------------------------------------------------------- groups of JSON Lines files


def _load_jsonl_group(
    conn: duckdb.DuckDBPyConnection, entity: Entity, group: list[Pending], run: Run
) -> list[tuple[FileOutcome | None, str | None]] | None:
    """Load several JSON Lines files with one scan and one transaction; the same rows,
    numbers, reasons and manifest records as loading them one by one.

    Returns None, with nothing written, when the group cannot be read as a whole or a gzip
    member is truncated: the caller then loads the files one by one, which records the bad
    file as failed and loads the others.  ``_g`` keeps one row per physical line in file
    order (DuckDB keeps insertion order), so a line's number is its ``rowid`` minus the
    first ``rowid`` of its file, plus one."""
    started = _utcnow(conn)
    first_batch = conn.execute(f"select coalesce(max(batch_id), 0) + 1 from {MANIFEST_TABLE}").fetchone()[0]
    paths = "[" + ", ".join(_sql_str(str(run.readable(f.path))) for f in group) + "]"
    source = f"""(
        select {_json_fields(entity)}, _file, _raw, _blank,
               case when not _blank and d is null then 'invalid_json: not a JSON object' end as _reason
        from (
            select file_index as _file, line as _raw, not ({_present("line")}) as _blank,
                   case when {_present("line")} then {_json_parse(entity, "line")} end as d
            from read_csv({paths}, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false,
                          delim = '{LINE_DELIMITER}', quote = '', escape = '', parallel = false,
                          max_line_size = 10000000)
        )
    )"""
    conn.execute("begin transaction")
    try:
        try:
            conn.execute(f"create or replace temp table _g as {_staged_sql(entity, source, ['_file', '_raw', '_blank'], run.bounds)}")
        except duckdb.Error:
            conn.execute("rollback")
            return None
        per_file = conn.execute(
            """
            select _file, min(rowid), max(rowid), count(*), count(*) filter (where not _blank),
                   sum(coalesce(strlen(_raw), 0) + 1)
            from _g group by _file order by _file
            """
        ).fetchall()
        found = {row[0]: row[1:] for row in per_file}
        for index, file in enumerate(group):
            first, last, lines, _, chars = found.get(index, (None, None, 0, 0, 0))
            complete = lines > 0 and last - first + 1 == lines
            if complete and file.path.name.lower().endswith(".gz"):
                try:
                    _check_gzip_complete(file.path, chars)
                except FileRejected:
                    complete = False
            if not complete:
                conn.execute("rollback")
                return None
        conn.execute("create or replace temp table _gfiles (_file integer, _first bigint, _batch_id bigint)")
        conn.executemany("insert into _gfiles values (?, ?, ?)",
                         [[i, found[i][0], first_batch + i] for i in range(len(group))])
        key = ", ".join(f"t_{k}" for k in entity.key)
        order = (f"t_{entity.updated_at} desc nulls last, " if entity.updated_at else "") + "_rid desc"
        version = f", t_{entity.updated_at}" if entity.updated_at else ""
        conn.execute(
            f"""
            create or replace temp table _grejected as
            with duplicated as (
                select _file, {key} from _g where _problem is null and not _blank
                group by _file, {key} having count(*) > 1
            ),
            contenders as (
                select rowid as _rid, _file, _raw, {key}{version}
                from _g semi join duplicated using (_file, {key})
                where _problem is null and not _blank
            ),
            ranked as (
                select _rid, _file, _raw,
                       first_value(_rid) over (partition by _file, {key} order by {order}) as _kept
                from contenders
            )
            select rowid as _rid, _file, _raw, _problem as _reason from _g where _problem is not null and not _blank
            union all
            select r._rid, r._file, r._raw, 'duplicate_key_in_file: kept row ' || (r._kept - f._first + 1)
            from ranked as r join _gfiles as f using (_file) where r._rid <> r._kept
            """
        )
        columns = ", ".join(entity.column_names)
        typed = ", ".join(f"g.t_{c}" for c in entity.column_names)
        conn.execute(
            f"""
            insert into {RAW_SCHEMA}.{entity.table} ({columns}, _batch_id, _row_number, _loaded_at)
            select {typed}, f._batch_id, g.rowid - f._first + 1, cast(current_timestamp as timestamp)
            from _g as g join _gfiles as f using (_file)
            where g._problem is null and not g._blank and g.rowid not in (select _rid from _grejected)
            """
        )
        paths_list = [[i, f.rel] for i, f in enumerate(group)]
        conn.execute("create or replace temp table _gpaths (_file integer, _rel varchar)")
        conn.executemany("insert into _gpaths values (?, ?)", paths_list)
        conn.execute(
            f"""
            insert into {QUARANTINE_TABLE}
            select f._batch_id, ?, p._rel, q._rid - f._first + 1, q._rid - f._first + 1, q._raw, q._reason,
                   cast(current_timestamp as timestamp)
            from _grejected as q join _gfiles as f using (_file) join _gpaths as p using (_file)
            order by f._batch_id, q._rid
            """,
            [entity.table],
        )
        rejected = dict(conn.execute("select _file, count(*) from _grejected group by _file").fetchall())
        outcomes: list[tuple[FileOutcome | None, str | None]] = []
        for index, file in enumerate(group):
            _, _, lines, delivered, _ = found[index]
            quarantined = int(rejected.get(index, 0))
            blank = lines - delivered
            note = f"{blank} blank line(s) skipped" if blank else None
            outcome = FileOutcome(rows_delivered=delivered, rows_loaded=delivered - quarantined,
                                  rows_quarantined=quarantined, note=note)
            _record_manifest(conn, first_batch + index, entity, file.rel, file.sha, file.size, file.mtime_ns, "loaded",
                             outcome.rows_delivered, outcome.rows_loaded, outcome.rows_quarantined, note, started)
            outcomes.append((outcome, None))
        conn.execute("commit")
    except Exception:  # noqa: BLE001 - the files are loaded one by one, each failing alone
        conn.execute("rollback")
        return None
    except BaseException:
        conn.execute("rollback")
        raise
    for temp in ("_g", "_gfiles", "_grejected", "_gpaths"):
        conn.execute(f"drop table if exists {temp}")
    return outcomes


def _commit_staged(conn: duckdb.DuckDBPyConnection, entity: Entity, batch_id: int, rel: str, staged: Staged) -> FileOutcome:
    columns = ", ".join(entity.column_names)
    typed = ", ".join(f"t_{c}" for c in entity.column_names)
    loaded = conn.execute(
        f"""
        insert into {RAW_SCHEMA}.{entity.table} ({columns}, _batch_id, _row_number, _loaded_at)
        select {typed}, {batch_id}, _row_number, cast(current_timestamp as timestamp)
        from _staged anti join _rejected using (_row_number)
        """
    ).fetchone()[0]
    quarantined = conn.execute(
        f"""
        insert into {QUARANTINE_TABLE}
        select {batch_id}, ?, ?, q._row_number, q._line_number, r._raw, q._reason, cast(current_timestamp as timestamp)
        from _rejected as q left join ({staged.raw_sql}) as r using (_row_number)
        order by q._row_number
        """,
        [entity.table, rel],
    ).fetchone()[0]
    delivered = conn.execute("select count(*) from _staged").fetchone()[0]
    _drop_temps(conn)
    return FileOutcome(rows_delivered=delivered, rows_loaded=loaded, rows_quarantined=quarantined, note=staged.note)


def _drop_temps(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("drop view if exists _incoming")
    for temp in ("_rejected", "_staged", "_csv_records", "_csv_rows", "_csv_rejects", "_lines", "_parquet"):
        conn.execute(f"drop table if exists {temp}")
