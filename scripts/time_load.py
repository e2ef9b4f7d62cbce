"""Time ``load_landing`` alone: a landing folder into a new DuckDB file, every raw table.

    .venv/bin/python scripts/time_load.py LANDING NEW.duckdb [raw_table ...]

Prints the wall and CPU seconds (CPU: every thread of this process, DuckDB's included, so
less sensitive than wall time to other work on a shared machine), the load average before and
after, and per raw table: files loaded, rows loaded, rows quarantined, files failed.  To time
another commit's loader with the same script, put its ``orchestration`` first on PYTHONPATH
(``git archive <commit> orchestration | tar -x -C DIR``; ``PYTHONPATH=DIR``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import duckdb

from orchestration.loading import load_landing


def main(landing: str, database: str, tables: list[str]) -> None:
    if Path(database).exists():
        raise SystemExit(f"{database} exists: give a new file")
    conn = duckdb.connect(database)
    load_before = os.getloadavg()[0]
    wall, cpu = time.monotonic(), time.process_time()
    summary = load_landing(conn, Path(landing), entities=tables or None)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    print(f"load {wall:.1f} s wall, {cpu:.1f} s CPU; load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    for table, stats in summary.entities.items():
        print(
            f"{table}: {stats.files_loaded} files, {stats.rows_loaded} rows, {stats.rows_quarantined} quarantined, "
            f"{len(stats.files_failed)} failed"
        )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
