"""Where the demo files go: the landing folder, the per-file manifest entries and the run summary."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.contract import ENTITIES, ENTITY_BY_TABLE
from orchestration.demo_data.formatting import csv_bytes

MANIFEST_NAME = "_demo_manifest.json"


@dataclass
class DemoSummary:
    out: Path
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    bytes: int = 0

    def format(self) -> str:
        width = max(len(t) for t in [*self.files, "table"])
        lines = [f"Demo data in {self.out}", f"{'table':<{width}}  {'files':>6}  {'rows':>12}"]
        for table in self.files:
            lines.append(f"{table:<{width}}  {self.files[table]:>6,}  {self.rows.get(table, 0):>12,}")
        lines.append(
            f"{'total':<{width}}  {sum(self.files.values()):>6,}  {sum(self.rows.values()):>12,}"
            f"   ({self.bytes / 1e6:,.1f} MB in {self.seconds:,.1f} s)"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class Landing:
    """Writes ``<out>/<source>/<entity>/<file>`` and remembers one manifest entry per file."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.entries: list[dict] = []
        self.bytes = 0

    def path(self, table: str, name: str) -> Path:
        entity = ENTITY_BY_TABLE[table]
        folder = self.out / entity.source / entity.name
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def record(
        self,
        table: str,
        path: Path,
        data_rows: int | None,
        bad_rows: int = 0,
        fails: bool = False,
        cases: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.bytes += path.stat().st_size
        self.entries.append(
            {
                "path": path.relative_to(self.out).as_posix(),
                "entity": table,
                "data_rows": data_rows,
                "bad_rows": bad_rows,
                "fails_whole_file": fails,
                "cases": list(cases),
            }
        )

    def write_bytes(self, table: str, name: str, payload: bytes, data_rows: int | None, **entry: Any) -> None:
        """Write ``payload`` as the file ``name`` of ``table`` and record it; ``entry``: what it
        plants (``record``'s bad_rows, fails, cases)."""
        path = self.path(table, name)
        path.write_bytes(payload)
        self.record(table, path, data_rows, **entry)

    def write_csv(self, table: str, name: str, rows: list[list[str]], **kwargs) -> None:
        header = ENTITY_BY_TABLE[table].column_names
        self.write_bytes(table, name, csv_bytes(header, rows), len(rows), **kwargs)

    def write_split(self, table: str, prefix: str, rows: list[list[str]], keys: list[str]) -> None:
        """One CSV per key (month or quarter label), rows in their given order."""
        groups: dict[str, list[list[str]]] = defaultdict(list)
        for key, row in zip(keys, rows, strict=True):
            groups[key].append(row)
        for key in sorted(groups):
            self.write_csv(table, f"{prefix}_{key}.csv", groups[key])

    def summary(self, seconds: float) -> DemoSummary:
        files = {e.table: 0 for e in ENTITIES}
        rows = {e.table: 0 for e in ENTITIES}
        for entry in self.entries:
            files[entry["entity"]] += 1
            rows[entry["entity"]] += entry["data_rows"] or 0
        return DemoSummary(out=self.out, files=files, rows=rows, seconds=seconds, bytes=self.bytes)
