"""The suite files ``gx/expectations/<mart>.json``: parsed and checked declarations.

Each file is a GX ExpectationSuite document (``expectations`` with GX's ``severity``:
``critical`` blocks publishing, ``warning`` only warns); its ``meta.gate`` section says how
the gate reads the mart (``gx/README.md`` documents every key).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.config import PROJECT_DIR

SUITES_DIR = PROJECT_DIR / "gx" / "expectations"
MARTS_SCHEMA = "marts"
ACCOUNTS_DIMENSION = "dim_accounts"
CRITICAL, WARNING = "critical", "warning"
# A mart may lose at most this share of its rows against the previous publication
# (per suite: meta.gate.max_row_drop_share; for all: CXCS_GATE_MAX_ROW_DROP_SHARE).
DEFAULT_MAX_ROW_DROP_SHARE = 0.1
# Share of a mart's distinct accounts that may be missing from dim_accounts before the gate
# blocks; any missing account is a warning (the loader keeps rows of unknown accounts).
DEFAULT_MAX_MISSING_ACCOUNT_SHARE = 0.1
GATE_KEYS = {
    "grain",
    "accounts",
    "max_missing_account_share",
    "min_rows",
    "inputs",
    "max_row_drop_share",
    "freshness",
    "profile",
    "changes",
}


@dataclass(frozen=True)
class Freshness:
    """The mart's latest ``column`` value must be within ``max_lag`` periods of ``reference``."""

    column: str
    period: str  # day | month
    reference: str  # SQL returning one date or timestamp: the latest input the mart should cover
    max_lag: int = 0
    severity: str = CRITICAL


@dataclass(frozen=True)
class Profile:
    """Aggregate the mart per ``group_by`` in DuckDB; GX validates the aggregates."""

    group_by: str
    columns: Mapping[str, str]  # profile column -> SQL aggregate over the mart's rows


@dataclass(frozen=True)
class Change:
    """A published number may change against the previous publication only when its inputs did.

    Rows are matched on the grain; where every ``unless_changed`` column is equal in both
    publications, ``column`` may move by at most ``max_change`` (rounding). dbt cannot see
    this: it only ever sees one build.
    """

    column: str
    unless_changed: tuple[str, ...]
    max_change: float = 0.0
    severity: str = CRITICAL

    @property
    def frame_column(self) -> str:
        return f"{self.column}_change_since_previous"


@dataclass(frozen=True)
class SuiteDeclaration:
    mart: str
    path: Path
    document: Mapping[str, Any]  # the suite file: a GX ExpectationSuite document
    grain: tuple[str, ...]  # names failing rows and matches rows across publications (dbt tests it)
    account_column: str | None = None
    max_missing_account_share: float = DEFAULT_MAX_MISSING_ACCOUNT_SHARE
    min_rows: int = 1
    inputs: str | None = None  # SQL counting the mart's input rows: an empty input excuses an empty mart
    max_row_drop_share: float | None = None
    freshness: Freshness | None = None
    profile: Profile | None = None
    changes: tuple[Change, ...] = ()

    @property
    def expectations(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.document.get("expectations", [])]

    @property
    def description(self) -> str:
        return str(self.document.get("notes") or "")


def load_suites(directory: Path = SUITES_DIR) -> list[SuiteDeclaration]:
    """Every ``<mart>.json`` in ``directory``, parsed and checked (a malformed file raises)."""
    suites = [load_suite(path) for path in sorted(directory.glob("*.json"))]
    if not suites:
        raise FileNotFoundError(f"no expectation suites in {directory}")
    return suites


def load_suite(path: Path) -> SuiteDeclaration:
    document = json.loads(path.read_text(encoding="utf-8"))
    name = document.get("name")
    if name != path.stem:
        raise ValueError(f"{path}: suite name {name!r} must equal the file name {path.stem!r}")
    gate = (document.get("meta") or {}).get("gate")
    if not isinstance(gate, dict) or not gate.get("grain"):
        raise ValueError(f"{path}: meta.gate.grain (the mart's grain columns) is required")
    unknown = set(gate) - GATE_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown meta.gate keys {sorted(unknown)}")
    for expectation in document.get("expectations", []):
        _check_severity(path, expectation.get("severity", CRITICAL), expectation)
    profile = None
    if gate.get("profile"):
        profile = Profile(group_by=gate["profile"]["group_by"], columns=dict(gate["profile"]["columns"]))
    changes = tuple(_change(path, c) for c in gate.get("changes", []))
    if changes and profile is not None:
        raise ValueError(f"{path}: meta.gate.changes needs the mart's rows, not a profile")
    return SuiteDeclaration(
        mart=name,
        path=path,
        document=document,
        grain=tuple(gate["grain"]),
        account_column=gate.get("accounts"),
        max_missing_account_share=float(gate.get("max_missing_account_share", DEFAULT_MAX_MISSING_ACCOUNT_SHARE)),
        min_rows=int(gate.get("min_rows", 1)),
        inputs=gate.get("inputs"),
        max_row_drop_share=None if gate.get("max_row_drop_share") is None else float(gate["max_row_drop_share"]),
        freshness=_freshness(path, gate.get("freshness")),
        profile=profile,
        changes=changes,
    )


def _check_severity(path: Path, severity: Any, what: Any) -> None:
    if severity not in (CRITICAL, WARNING):
        raise ValueError(f"{path}: severity must be critical or warning: {what}")


def _freshness(path: Path, f: Mapping[str, Any] | None) -> Freshness | None:
    if not f:
        return None
    if f.get("period") not in ("day", "month"):
        raise ValueError(f"{path}: meta.gate.freshness.period must be day or month")
    return Freshness(
        column=f["column"],
        period=f["period"],
        reference=f["reference"],
        max_lag=int(f.get("max_lag", 0)),
        severity=f.get("severity", CRITICAL),
    )


def _change(path: Path, c: Mapping[str, Any]) -> Change:
    if not c.get("column") or not c.get("unless_changed"):
        raise ValueError(f"{path}: meta.gate.changes entries need column and unless_changed: {c}")
    _check_severity(path, c.get("severity", CRITICAL), c)
    return Change(
        column=c["column"],
        unless_changed=tuple(c["unless_changed"]),
        max_change=float(c.get("max_change", 0.0)),
        severity=c.get("severity", CRITICAL),
    )


def default_max_row_drop_share() -> float:
    return float(os.environ.get("CXCS_GATE_MAX_ROW_DROP_SHARE", DEFAULT_MAX_ROW_DROP_SHARE))


def change_expectations(decl: SuiteDeclaration) -> list[dict[str, Any]]:
    """The rows-suite expectations the gate adds for ``meta.gate.changes``."""
    return [
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": c.frame_column, "max_value": c.max_change},
            "severity": c.severity,
            "description": (
                f"{c.column} moved at most {c.max_change:g} against the previous publication where "
                f"{', '.join(c.unless_changed)} did not change"
            ),
        }
        for c in decl.changes
    ]


def build_expectation_suite(decl: SuiteDeclaration, extra: list[dict[str, Any]] | None = None) -> Any:
    """The GX ExpectationSuite of the suite file (validated against the rows or the profile)."""
    import great_expectations as gx

    doc = decl.document
    expectations = [{"severity": CRITICAL, **e} for e in decl.expectations] + list(extra or [])
    return gx.ExpectationSuite(
        name=decl.mart,
        expectations=expectations,
        meta=dict(doc.get("meta") or {}),
        notes=doc.get("notes"),
    )
