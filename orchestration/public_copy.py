"""What the published file holds: the build file minus everything that can carry personal data.

The build file (``<warehouse>/build/cxcs.duckdb``) keeps the raw tables (emails, free text,
the raw lines of quarantined rows), the staging views over them and the intermediate models.
BI tools read the published file, so it is not a copy of the build any more but a new
DuckDB file written from it:

* every table and view of the schemas in ``PUBLISHED_SCHEMAS``: ``marts`` (with
  ``marts.publication``), ``semantic`` (MetricFlow's time spine and account dimension) and
  ``seeds`` (reference tables such as plans);
* the loader's bookkeeping in schema ``loader``: ``loader.load_manifest`` (every landing
  file, its status and counts) and ``loader.load_quarantine`` (entity, file, row and line
  number, reason of every rejected row) -- without ``raw_content``, and with anything that
  looks like an email address or a phone number in a reason masked, because a reason can
  quote a delivered value (``unknown_value: segment='...'``, a reader's error line).

Not published: ``raw`` (delivered content), ``staging`` (views over raw: they would not
even resolve without it) and ``intermediate`` (internal building blocks, some of them still
row-level).  Writing a new file rather than dropping tables from a copy matters: DuckDB
leaves the blocks of a dropped table in the file, so deleted personal data could still be
read from the bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.config import apply_duckdb_settings

PUBLISHED_SCHEMAS = ("marts", "semantic", "seeds")
BOOKKEEPING_SCHEMA = "loader"
# Masks for personal data quoted in a reason text (RE2 syntax, DuckDB's regexp_replace).
EMAIL_PATTERN = r"""("[^"]*"|[^\s@'",;<>()]+)@[^\s'",;<>()]+"""
PHONE_PATTERN = (
    r"\+[0-9]{8,15}|(\+[0-9]{1,3}[ .\-]?)?\(?[0-9]{2,4}\)?[ .\-]?[0-9]{2,4}[ .\-][0-9]{3,4}([ .\-]?[0-9]{1,4})?"
)
SOURCE = "build_source"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _masked(column: str) -> str:
    # Phone masking only where a value has 8+ digits, so dates and counts in reasons stay
    # readable ("out_of_range: score=11", "2026-11-19" keep their digits).
    email = f"regexp_replace({column}, {_literal(EMAIL_PATTERN)}, '<email>', 'g')"
    return (
        f"case when length(regexp_replace({column}, '[^0-9]', '', 'g')) >= 8 "
        f"then regexp_replace({email}, {_literal(PHONE_PATTERN)}, '<phone>', 'g') else {email} end"
    )


# Published bookkeeping: (table, select over the build's raw table).
BOOKKEEPING = (
    (
        "load_manifest",
        "select batch_id, entity, file_path, sha256, size_bytes, mtime_ns, status, rows_delivered, rows_loaded, "
        f"rows_quarantined, {_masked('reason')} as reason, started_at, finished_at "
        f"from {SOURCE}.raw.load_manifest",
    ),
    (
        "load_quarantine",
        "select batch_id, entity, file_path, row_number, line_number, "
        f"{_masked('reason')} as reason, quarantined_at from {SOURCE}.raw.load_quarantine",
    ),
)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _source_objects(conn: duckdb.DuckDBPyConnection, kind: str) -> list[tuple[str, str, str]]:
    """(schema, name, create statement) of the build's tables or views in the published schemas."""
    schemas = ", ".join(f"'{s}'" for s in PUBLISHED_SCHEMAS)
    catalog = f"duckdb_{kind}()"
    return conn.execute(
        f"select schema_name, {kind[:-1]}_name, sql from {catalog} "
        f"where database_name = '{SOURCE}' and schema_name in ({schemas}) and not internal order by 1, 2"
    ).fetchall()


def write_public_copy(build_path: Path, target: Path) -> None:
    """Write the publication of ``build_path`` to ``target`` (a new file, fsynced).

    ``target`` must be named like the build file: views name their catalog, which DuckDB takes
    from the file name.
    """
    if target.name != build_path.name:
        raise ValueError(f"the public copy {target.name!r} must be named like the build file {build_path.name!r}")
    for path in (target, target.with_name(target.name + ".wal")):
        path.unlink(missing_ok=True)
    with duckdb.connect(str(target)) as conn:
        apply_duckdb_settings(conn)
        conn.execute(f"attach '{str(build_path).replace(chr(39), chr(39) * 2)}' as {SOURCE} (read_only)")
        for schema in (*PUBLISHED_SCHEMAS, BOOKKEEPING_SCHEMA):
            conn.execute(f"create schema if not exists {_quote(schema)}")
        for schema, name, ddl in _source_objects(conn, "tables"):
            # The build's own DDL keeps types, NOT NULL and keys (marts.publication's primary key).
            conn.execute(ddl)
            conn.execute(
                f"insert into {_quote(schema)}.{_quote(name)} select * from {SOURCE}.{_quote(schema)}.{_quote(name)}"
            )
        has_raw = {
            t
            for (t,) in conn.execute(
                f"select table_name from duckdb_tables() where database_name = '{SOURCE}' and schema_name = 'raw'"
            ).fetchall()
        }
        for table, select in BOOKKEEPING:
            if table in has_raw:
                conn.execute(f"create table {BOOKKEEPING_SCHEMA}.{table} as {select}")
        # Views last (they bind against the tables above); a view over an unpublished schema
        # fails here, loudly, instead of being published broken.
        for _, _, ddl in _source_objects(conn, "views"):
            conn.execute(ddl)
        conn.execute(f"detach {SOURCE}")
        conn.execute("checkpoint")
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())
