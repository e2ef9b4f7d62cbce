"""What a build is made of, as one digest: a refresh with nothing new builds nothing.

A build's marts, its gate results and its publication are a function of: the raw layer (each
landing file content is one batch of ``raw.load_manifest``, and nothing else writes raw), the
project's code (dbt models, macros, seeds, tests; the GX suites; the Python of the gate, the
publish step and the public copy), the dbt version, and the as-of date (the build's UTC date
unless the run sets one). When a run finds the same digest as the last publication's, dbt,
the gate and the publish step would rebuild, re-check and re-publish the same bytes: the run
skips them and the publication keeps serving (``orchestration.defs.dbt``). A full refresh
always builds. DECISIONLOG.md "A refresh with nothing new builds nothing" has the measurements.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb

from orchestration.config import PROJECT_DIR
from orchestration.dbt_manifest import parse_fingerprint, tree_fingerprint
from orchestration.raw_schema import MANIFEST_TABLE

# Code outside dbt that shapes what is checked and published (relative to the project).
CODE_INPUTS = ("gx", "orchestration")


def raw_fingerprint(build_path: Path) -> str:
    """The load manifest, row by row: which file contents were loaded (or failed) into raw."""
    if not build_path.exists():
        return "no build file"
    schema, table = MANIFEST_TABLE.split(".")
    with duckdb.connect(str(build_path), read_only=True) as conn:
        found = conn.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, table]
        ).fetchone()
        manifest_query = (
            f"select batch_id, entity, sha256, status, rows_loaded, rows_quarantined, reason "
            f"from {MANIFEST_TABLE} order by batch_id, entity, file_path"
        )
        rows = conn.execute(manifest_query).fetchall() if found and found[0] else []
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def inputs_digest(build_path: Path, as_of: date) -> str:
    digest = hashlib.sha256()
    for part in (
        f"as_of={as_of.isoformat()}",
        f"dbt={parse_fingerprint(PROJECT_DIR)}",
        f"code={tree_fingerprint(PROJECT_DIR, CODE_INPUTS, suffixes=('.py', '.json', '.yml'))}",
        f"raw={raw_fingerprint(build_path)}",
    ):
        digest.update(part.encode() + b"\n")
    return digest.hexdigest()
