"""Publish the build file for BI tools: a checkpointed copy swapped in atomically.

The pipeline writes only the private build file.  Publishing copies it next to
the published file and renames the copy over ``<warehouse>/cxcs.duckdb`` with
``os.replace`` (atomic on POSIX), so a reader opening the published file sees
either the previous publication or the new one, never a half-written file.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.config import apply_duckdb_settings


@dataclass(frozen=True)
class Publication:
    path: Path
    size_bytes: int


def checkpoint(build_path: Path) -> None:
    """Fold the write-ahead log into the database file so a file copy is complete."""
    with duckdb.connect(str(build_path)) as conn:
        apply_duckdb_settings(conn)
        conn.execute("checkpoint")


def publish(build_path: Path, published_path: Path) -> Publication:
    if build_path.name != published_path.name:
        # Views in the file name their catalog, which DuckDB takes from the file name.
        raise ValueError(
            f"build file {build_path.name!r} and published file {published_path.name!r} must share a file name"
        )
    if not build_path.exists():
        raise FileNotFoundError(f"build file {build_path} does not exist: nothing to publish")
    checkpoint(build_path)
    published_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = published_path.with_name(f".{published_path.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(build_path, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, published_path)
    finally:
        tmp.unlink(missing_ok=True)
    return Publication(path=published_path, size_bytes=published_path.stat().st_size)
