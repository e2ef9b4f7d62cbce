"""Run the warehouse on another engine than the embedded DuckDB: PostgreSQL or Apache Spark.

One loader, every engine.  The landing files are read, validated and quarantined once, by
the DuckDB loader (``orchestration.loading``) into schema ``raw`` of the build file, with
its manifest (each file content once) and quarantine.  The validated raw tables, the
manifest and the quarantine are then copied to the target engine's schema ``raw``
(``postgres.copy_raw_to_postgres``: COPY FROM STDIN in one transaction;
``spark.copy_raw_to_spark``: Parquet files registered as tables), batch by batch: only
batches the target does not hold yet travel, and a batch arrives with its rows, its
quarantined rows and its manifest row together or not at all.  dbt then builds the same
models on the target (``profiles.yml`` targets ``postgres`` and ``spark``).

Entry point: ``python -m orchestration.engines --target postgres|spark [--landing DIR]
[--warehouse DIR] [--skip-build] [-- dbt build args]`` (``orchestration/engines/__main__.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TARGETS = ("duckdb", "postgres", "spark")


@dataclass
class CopySummary:
    """What one copy of the raw schema to a target moved."""

    target: str
    batches: list[int] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def format(self) -> str:
        if not self.batches:
            return f"[{self.target}] raw is up to date: no new batch to copy ({self.seconds:.1f}s)"
        moved = ", ".join(f"{table} {count:,}" for table, count in self.rows.items() if count)
        return (
            f"[{self.target}] copied batches {min(self.batches)}..{max(self.batches)} "
            f"({len(self.batches)} batches) in {self.seconds:.1f}s: {moved or 'no rows'}"
        )
