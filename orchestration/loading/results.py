"""What a load reports (``LoadSummary`` per raw table) and the small records the loader passes
between its steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.landing_files import ReadablePaths
from orchestration.plausibility import TimeBounds

Progress = Callable[[str], None]

# The reason prefix of a failure that is the loader's, not the file's: retried on the next run.
LOADER_ERROR = "loader_error:"


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
    unmapped: dict[str, int] = field(default_factory=dict)  # adapter source -> unmapped_account rows this run
    mapping_errors: list[str] = field(default_factory=list)  # account map conflicts, unreadable map

    @property
    def files_failed_count(self) -> int:
        return sum(len(e.files_failed) for e in self.entities.values())

    @property
    def has_failures(self) -> bool:
        return self.files_failed_count > 0 or bool(self.mapping_errors)

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
        for e in self.entities.values():
            lines += [f"  failed {path}: {reason}" for path, reason in e.files_failed]
        if self.unmapped:
            counts = ", ".join(f"{source} {n:,}" for source, n in self.unmapped.items())
            lines.append(f"unmapped_account rows quarantined: {counts}")
        lines += [f"  account map error: {error}" for error in self.mapping_errors]
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


@dataclass(frozen=True)
class Pending:
    """A landing file to load: not loaded before, by path/size/mtime nor by content."""

    path: Path
    rel: str
    sha: str
    size: int
    mtime_ns: int
