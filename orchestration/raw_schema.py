"""DDL of schema ``raw``: one table per landing entity, plus the load manifest and quarantine.

Raw tables hold the contract's columns, typed, plus the loader's bookkeeping
columns (see ``contract.LOAD_COLUMNS``).  They are created empty up front, so an
entity with no files yet still has a table with the contract's columns and the
whole pipeline runs.
"""

from __future__ import annotations

import duckdb

from orchestration.contract import ENTITIES, LOAD_COLUMNS, RAW_TYPES, Entity

RAW_SCHEMA = "raw"
MANIFEST_TABLE = f"{RAW_SCHEMA}.load_manifest"
QUARANTINE_TABLE = f"{RAW_SCHEMA}.load_quarantine"

MANIFEST_DDL = f"""
create table if not exists {MANIFEST_TABLE} (
    batch_id bigint primary key,      -- one batch per file content loaded
    entity varchar not null,          -- raw table name, e.g. billing_accounts
    file_path varchar not null,       -- path relative to the landing folder
    sha256 varchar not null,          -- content hash: the same bytes load once
    size_bytes bigint not null,
    mtime_ns bigint not null,         -- lets a re-run skip hashing unchanged files
    status varchar not null,          -- loaded | failed | ignored (not a landing file of the contract)
    rows_delivered bigint,            -- data rows found in the file (null when unreadable)
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    reason varchar,                   -- why a failed file failed; notes for a loaded one
    started_at timestamp not null,
    finished_at timestamp not null
)
"""

QUARANTINE_DDL = f"""
create table if not exists {QUARANTINE_TABLE} (
    batch_id bigint not null,         -- manifest batch of the file
    entity varchar not null,
    file_path varchar not null,
    row_number bigint,                -- 1-based data row / JSON line / Parquet row in the file
    line_number bigint,               -- physical line in the file where known (CSV, JSONL)
    raw_content varchar,              -- the row as delivered
    reason varchar not null,          -- machine-readable code and detail, e.g. 'invalid_timestamp: created_at'
    quarantined_at timestamp not null
)
"""


def raw_table_ddl(entity: Entity) -> str:
    cols = [f"    {c.name} {RAW_TYPES[c.type]}" for c in entity.columns]
    cols += [f"    {name} {typ}" for name, typ in LOAD_COLUMNS]
    body = ",\n".join(cols)
    return f"create table if not exists {RAW_SCHEMA}.{entity.table} (\n{body}\n)"


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw`` with every entity table, the manifest and the quarantine."""
    conn.execute(f"create schema if not exists {RAW_SCHEMA}")
    conn.execute(MANIFEST_DDL)
    conn.execute(QUARANTINE_DDL)
    for entity in ENTITIES:
        conn.execute(raw_table_ddl(entity))
