"""What the gate found: outcomes per expectation, results per mart, the report and its file."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from orchestration.quality.suites import CRITICAL


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    expectation: str
    kwargs: dict[str, Any]
    severity: str
    success: bool
    observed: Any = None
    unexpected: list[Any] = field(default_factory=list)
    description: str = ""
    error: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == CRITICAL

    def label(self) -> str:
        args = ", ".join(f"{k}={_short(_plain(v))}" for k, v in self.kwargs.items() if k not in ("result_format",))
        return f"{self.suite}: {self.expectation}({args})"

    def explain(self) -> str:
        parts = [self.label()]
        if self.description:
            parts.append(f"— {self.description}")
        if self.error:
            parts.append(f"error: {self.error}")
        if self.observed is not None:
            parts.append(f"observed {_short(self.observed)}")
        if self.unexpected:
            parts.append(f"e.g. {_short(self.unexpected)}")
        return " ".join(parts)


@dataclass
class MartResult:
    mart: str
    status: str  # passed | failed | skipped
    row_count: int | None = None
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    not_evaluated: list[str] = field(default_factory=list)  # checks that could not apply, and why
    reason: str | None = None  # why the whole suite was skipped
    seconds: float = 0.0

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.blocking and not o.success]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.blocking and not o.success]

    def counts(self, severity: str) -> tuple[int, int]:
        """(passed, evaluated) expectations of one severity."""
        chosen = [o for o in self.outcomes if o.severity == severity]
        return sum(o.success for o in chosen), len(chosen)


@dataclass
class GateReport:
    run_id: str
    build_path: str
    results: dict[str, MartResult]
    data_docs: str | None
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(r.blocking_failures for r in self.results.values())

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for r in self.results.values() for o in r.blocking_failures]

    @property
    def skipped(self) -> list[MartResult]:
        return [r for r in self.results.values() if r.status == "skipped"]

    def format(self) -> str:
        lines = [f"Quality gate (run {self.run_id}) on {self.build_path}"]
        lines.append(f"{'mart':<28}{'status':>9}{'rows':>12}{'critical':>11}{'warnings':>10}")
        for name in sorted(self.results):
            r = self.results[name]
            passed, total = r.counts(CRITICAL)
            warned = len(r.warnings)
            rows = "" if r.row_count is None else f"{r.row_count:,}"
            crit = "" if r.status == "skipped" else f"{passed}/{total}"
            warned_text = "" if r.status == "skipped" else str(warned)
            lines.append(f"{name:<28}{r.status.upper():>9}{rows:>12}{crit:>11}{warned_text:>10}")
        for r in self.skipped:
            lines.append(f"SKIPPED {r.mart}: {r.reason}")
        notes: dict[str, list[str]] = {}
        for r in self.results.values():
            for note in r.not_evaluated:
                notes.setdefault(note.replace(r.mart, "<mart>"), []).append(r.mart)
        for note, names in notes.items():
            lines.append(f"not evaluated: {note} ({', '.join(sorted(names))})")
        for o in (o for r in self.results.values() for o in r.warnings):
            lines.append(f"WARNING {o.explain()}")
        for o in self.blocking_failures:
            lines.append(f"FAILED {o.explain()}")
        verdict = "PASSED" if self.passed else f"FAILED ({len(self.blocking_failures)} blocking expectation(s))"
        lines.append(f"Gate {verdict} in {self.seconds:.1f}s ({_format_timings(self.timings)})")
        if self.data_docs:
            lines.append(f"Data Docs: {self.data_docs}")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_json_default, indent=1)

    @classmethod
    def from_json(cls, text: str) -> GateReport:
        raw = json.loads(text)
        results = {
            name: MartResult(**{**r, "outcomes": [ExpectationOutcome(**o) for o in r["outcomes"]]})
            for name, r in raw["results"].items()
        }
        return cls(**{**raw, "results": results})


def _format_timings(timings: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())


def _plain(value: Any) -> Any:
    """GX stores bounds as floats: show 100.0 as 100."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, default=_json_default) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain_json(value: Any) -> Any:
    """``value`` as plain JSON data: numpy and pandas scalars converted, NaN and NaT as null."""
    return json.loads(json.dumps(_nan_to_none(value), default=_json_default))


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    if type(value).__name__ == "NaTType":  # pandas' missing timestamp
        return None
    if hasattr(value, "item") and not isinstance(value, (date, datetime)):  # numpy scalars
        item = value.item()
        return None if isinstance(item, float) and math.isnan(item) else item
    if isinstance(value, datetime):
        # DuckDB dates arrive in pandas as midnight timestamps: show them as dates.
        midnight = value.time() == datetime.min.time() and value.tzinfo is None
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def quality_dir(warehouse_dir: Path) -> Path:
    """Where the gate writes its report and the Data Docs: ``<warehouse>/quality``."""
    return warehouse_dir / "quality"


def report_path(warehouse_dir: Path) -> Path:
    return quality_dir(warehouse_dir) / "gate_report.json"


def write_report(report: GateReport, warehouse_dir: Path) -> Path:
    path = report_path(warehouse_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(report.to_json(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_report(warehouse_dir: Path) -> GateReport | None:
    path = report_path(warehouse_dir)
    if not path.exists():
        return None
    return GateReport.from_json(path.read_text(encoding="utf-8"))
