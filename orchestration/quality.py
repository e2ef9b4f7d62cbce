"""The quality gate: Great Expectations 1.x suites validate the build file before it is published.

Write → audit → publish.  dbt writes the private build file; this module audits it;
``orchestration.publish`` swaps its public copy in as the published file only when every blocking
check passed.  Each mart has one suite file, ``gx/expectations/<mart>.json``: a GX
ExpectationSuite document (``expectations`` are GX expectation configurations, with their
GX ``severity``: ``critical`` blocks publishing, ``warning`` only warns) whose
``meta.gate`` section says how the gate reads the mart (``gx/README.md`` documents it):

* ``rows`` (default): the mart's rows, only the columns the suite uses, go to GX's pandas
  datasource.  Marts whose grain is month, account, subscription or alert are small.
* ``profile``: for account × day marts (millions of rows at scale) DuckDB aggregates the
  mart per ``group_by`` value (min, max, null share, invariant violations ...) and GX
  validates that small frame; the suite's expectations name the profile columns.
* ``structure``: for every mart, one row computed in DuckDB: row count, duplicate grain
  rows, how many periods the latest month/day lags its inputs, accounts missing from
  ``dim_accounts``.  Its expectations are generated from ``meta.gate`` (suite
  ``<mart>.structure``); the row count is compared with the previous publication through a
  GX suite parameter.

Data is read through a read-only DuckDB connection (GX's SQL datasource on DuckDB is
broken upstream, great_expectations#10738); the connection is closed before GX runs.
A suite whose mart is not in the build is reported as skipped, never as passed.
GX Data Docs are rebuilt into ``<warehouse>/quality/data_docs`` on every run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from orchestration.config import PROJECT_DIR
from orchestration.publish import current_publication

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
SAMPLE_SIZE = 5

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- declarations


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
class SuiteDeclaration:
    mart: str
    path: Path
    document: Mapping[str, Any]  # the suite file: a GX ExpectationSuite document
    grain: tuple[str, ...]
    account_column: str | None = None
    max_missing_account_share: float = DEFAULT_MAX_MISSING_ACCOUNT_SHARE
    min_rows: int = 1
    inputs: str | None = None  # SQL counting the mart's input rows: an empty input excuses an empty mart
    max_row_drop_share: float | None = None
    freshness: Freshness | None = None
    profile: Profile | None = None

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
    unknown = set(gate) - {
        "grain", "accounts", "max_missing_account_share", "min_rows", "inputs", "max_row_drop_share", "freshness",
        "profile",
    }
    if unknown:
        raise ValueError(f"{path}: unknown meta.gate keys {sorted(unknown)}")
    freshness = None
    if gate.get("freshness"):
        f = gate["freshness"]
        if f.get("period") not in ("day", "month"):
            raise ValueError(f"{path}: meta.gate.freshness.period must be day or month")
        freshness = Freshness(
            column=f["column"], period=f["period"], reference=f["reference"],
            max_lag=int(f.get("max_lag", 0)), severity=f.get("severity", CRITICAL),
        )
    profile = None
    if gate.get("profile"):
        p = gate["profile"]
        profile = Profile(group_by=p["group_by"], columns=dict(p["columns"]))
    for expectation in document.get("expectations", []):
        if expectation.get("severity", CRITICAL) not in (CRITICAL, WARNING):
            raise ValueError(f"{path}: severity must be critical or warning: {expectation}")
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
        freshness=freshness,
        profile=profile,
    )


def default_max_row_drop_share() -> float:
    return float(os.environ.get("CXCS_GATE_MAX_ROW_DROP_SHARE", DEFAULT_MAX_ROW_DROP_SHARE))


def build_expectation_suite(decl: SuiteDeclaration) -> Any:
    """The GX ExpectationSuite of the suite file (validated against the rows or the profile)."""
    import great_expectations as gx

    doc = decl.document
    return gx.ExpectationSuite(
        name=decl.mart,
        expectations=[_with_description(e) for e in decl.expectations],
        meta=dict(doc.get("meta") or {}),
        notes=doc.get("notes"),
    )


def _with_description(expectation: dict[str, Any]) -> dict[str, Any]:
    out = dict(expectation)
    out.setdefault("severity", CRITICAL)
    return out


# --------------------------------------------------------------------------- results


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


# --------------------------------------------------------------------------- frames (DuckDB)


@dataclass
class MartFrames:
    """What GX validates for one mart: the rows (or profile) frame and the structure row."""

    decl: SuiteDeclaration
    row_count: int
    frame: Any  # pandas DataFrame: the mart's used columns, or its profile
    index_columns: list[str]
    structure: Any  # pandas DataFrame with one row
    structure_expectations: list[dict[str, Any]]
    parameters: dict[str, Any]
    not_evaluated: list[str]
    setup_errors: list[tuple[str, str]]  # (severity, message): a check the gate could not compute fails


def used_columns(expectations: Iterable[Mapping[str, Any]]) -> set[str]:
    """Columns named by expectation kwargs (column, column_A/B, column_list)."""
    names: set[str] = set()
    for e in expectations:
        kwargs = e.get("kwargs", {})
        for key in ("column", "column_A", "column_B"):
            if key in kwargs:
                names.add(kwargs[key])
        names.update(kwargs.get("column_list", []) or [])
    return names


def mart_columns(conn: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = conn.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [MARTS_SCHEMA],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _periods_between(earlier: date, later: date, period: str) -> int:
    if period == "day":
        return (later - earlier).days
    return (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _reference_date(conn: duckdb.DuckDBPyConnection, sql: str, cache: dict[str, date | None]) -> date | None:
    """The latest input date a freshness reference finds, never later than today (UTC).

    Capped at today because the marts are built up to the as-of date (today by default): an
    input stamped in the future (a client clock ahead) is not a stale mart. Cached per query
    for the run (several marts share a reference, e.g. the raw events).
    """
    if sql not in cache:
        found = _as_date(conn.execute(sql).fetchone()[0])
        today = datetime.now(timezone.utc).date()
        cache[sql] = None if found is None else min(found, today)
    return cache[sql]


def _data_frame(
    conn: duckdb.DuckDBPyConnection,
    decl: SuiteDeclaration,
    table: str,
    columns: Sequence[str],
    setup_errors: list[tuple[str, str]],
) -> tuple[Any, list[str]]:
    """The frame the suite file validates and its index columns: the mart's used columns, or
    (``profile``) one row per ``group_by`` value of DuckDB aggregates."""
    import pandas as pd

    if decl.profile is None:
        wanted = [c for c in columns if c in used_columns(decl.expectations) | set(decl.grain)]
        select = ", ".join(_quote(c) for c in wanted) or "1 as no_columns"
        return conn.execute(f"select {select} from {table}").df(), [c for c in decl.grain if c in columns]
    p = decl.profile
    aggregates = ", ".join(f"{sql} as {_quote(name)}" for name, sql in p.columns.items())
    try:
        frame = conn.execute(
            f'select {_quote(p.group_by)}, count(*) as "rows", {aggregates} from {table} group by 1 order by 1'
        ).df()
    except duckdb.Error as exc:
        # The suite's expectations then fail on the missing profile columns as well.
        setup_errors.append((CRITICAL, f"profile query failed: {exc}"))
        frame = pd.DataFrame({p.group_by: []})
    return frame, [p.group_by]


def read_frames(
    conn: duckdb.DuckDBPyConnection,
    decl: SuiteDeclaration,
    columns: Sequence[str],
    previous_count: int | None,
    has_accounts_dimension: bool,
    references: dict[str, date | None] | None = None,
) -> MartFrames:
    """Everything GX needs for one mart, computed set-based in DuckDB."""
    table = f"{MARTS_SCHEMA}.{_quote(decl.mart)}"
    references = {} if references is None else references
    not_evaluated: list[str] = []
    setup_errors: list[tuple[str, str]] = []
    present = set(columns)
    row_count = int(conn.execute(f"select count(*) from {table}").fetchone()[0])
    frame, index_columns = _data_frame(conn, decl, table, columns, setup_errors)
    inputs_empty = False
    if decl.inputs:
        try:
            inputs_empty = not conn.execute(decl.inputs).fetchone()[0]
        except duckdb.Error as exc:
            setup_errors.append((CRITICAL, f"inputs query failed: {exc}"))

    # The structure row.
    structure: dict[str, Any] = {"row_count": row_count}
    expectations: list[dict[str, Any]] = []
    parameters: dict[str, Any] = {}

    if inputs_empty:
        # Nothing delivered yet for this mart (e.g. only billing files so far): empty is right.
        not_evaluated.append("minimum rows and freshness: the mart's inputs are empty")
    else:
        expectations.append(
            _between("row_count", min_value=decl.min_rows, description=f"the mart has at least {decl.min_rows} row(s)")
        )
    share = decl.max_row_drop_share if decl.max_row_drop_share is not None else default_max_row_drop_share()
    if previous_count is None:
        not_evaluated.append("row count against the previous publication: no previous publication of this mart")
    else:
        minimum = math.ceil(round(previous_count * (1 - share), 9))  # no float noise at the boundary
        parameters["min_row_count"] = minimum
        structure["previous_row_count"] = previous_count
        expectations.append(
            _between(
                "row_count",
                min_value={"$PARAMETER": "min_row_count"},
                description=(
                    f"row count dropped by at most {share:.0%} against the previous publication "
                    f"({previous_count:,} rows, so at least {minimum:,})"
                ),
            )
        )

    missing_grain = [c for c in decl.grain if c not in present]
    if missing_grain:
        setup_errors.append((CRITICAL, f"grain columns {missing_grain} are not in the mart"))
    else:
        grain = ", ".join(_quote(c) for c in decl.grain)
        distinct = conn.execute(f"select count(*) from (select {grain} from {table} group by {grain})").fetchone()[0]
        structure["duplicate_grain_rows"] = row_count - int(distinct)
        expectations.append(
            _between("duplicate_grain_rows", 0, 0, description=f"one row per ({', '.join(decl.grain)})")
        )

    f = None if inputs_empty else decl.freshness
    if f is not None:
        if f.column not in present:
            setup_errors.append((f.severity, f"freshness column {f.column!r} is not in the mart"))
        else:
            try:
                reference = _reference_date(conn, f.reference, references)
            except duckdb.Error as exc:
                reference = None
                setup_errors.append((f.severity, f"freshness reference query failed: {exc}"))
            else:
                latest = _as_date(conn.execute(f"select max({_quote(f.column)}) from {table}").fetchone()[0])
                structure["latest_" + f.period] = None if latest is None else latest.isoformat()
                structure["reference_" + f.period] = None if reference is None else reference.isoformat()
                if reference is None:
                    not_evaluated.append(f"freshness: the reference query found no input data ({f.reference})")
                else:
                    # An empty mart with input data is as stale as it gets.
                    lag = _periods_between(latest, reference, f.period) if latest else 10**6
                    structure[f"{f.period}s_behind_inputs"] = lag
                    expectations.append(
                        _between(
                            f"{f.period}s_behind_inputs",
                            max_value=f.max_lag,
                            severity=f.severity,
                            description=(
                                f"the latest {f.column} reaches the latest input {f.period} "
                                f"(at most {f.max_lag} {f.period}(s) behind)"
                            ),
                        )
                    )

    if decl.account_column:
        if decl.account_column not in present:
            setup_errors.append((CRITICAL, f"account column {decl.account_column!r} is not in the mart"))
        elif not has_accounts_dimension:
            not_evaluated.append(f"referential coverage: {ACCOUNTS_DIMENSION} is not in the build yet")
        elif not conn.execute(f"select count(*) from {MARTS_SCHEMA}.{ACCOUNTS_DIMENSION}").fetchone()[0]:
            # No billing delivered yet (e.g. a landing folder with survey files only): there is
            # no account dimension to cover, which is a state the pipeline supports, not an error.
            not_evaluated.append(f"referential coverage: {ACCOUNTS_DIMENSION} is empty (no billing accounts loaded yet)")
        else:
            col = _quote(decl.account_column)
            total, missing = conn.execute(
                f"""
                select count(*), count(*) filter (where d.account_id is null)
                from (select distinct {col} as account_id from {table} where {col} is not null) as m
                left join (select distinct account_id from {MARTS_SCHEMA}.{ACCOUNTS_DIMENSION}) as d
                    on m.account_id = d.account_id
                """
            ).fetchone()
            structure["accounts"] = int(total)
            structure["accounts_missing_from_dim_accounts"] = int(missing)
            structure["accounts_missing_share"] = (missing / total) if total else 0.0
            expectations.append(
                _between(
                    "accounts_missing_share",
                    max_value=decl.max_missing_account_share,
                    description=(
                        f"at most {decl.max_missing_account_share:.0%} of the mart's accounts are missing "
                        f"from {ACCOUNTS_DIMENSION}"
                    ),
                )
            )
            expectations.append(
                _between(
                    "accounts_missing_from_dim_accounts",
                    max_value=0,
                    severity=WARNING,
                    description=f"every account of the mart is in {ACCOUNTS_DIMENSION}",
                )
            )

    import pandas as pd

    return MartFrames(
        decl=decl,
        row_count=row_count,
        frame=frame,
        index_columns=index_columns,
        structure=pd.DataFrame([structure]),
        structure_expectations=expectations,
        parameters=parameters,
        not_evaluated=not_evaluated,
        setup_errors=setup_errors,
    )


def _between(column: str, min_value: Any = None, max_value: Any = None, *, severity: str = CRITICAL,
             description: str = "") -> dict[str, Any]:
    kwargs: dict[str, Any] = {"column": column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    return {
        "type": "expect_column_values_to_be_between",
        "kwargs": kwargs,
        "severity": severity,
        "description": description,
    }




# --------------------------------------------------------------------------- GX validation


def _gx_context(docs_dir: Path) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.add_data_docs_site(
        "cxcs_gate",
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def _outcomes(suite_name: str, result: Any, values: Mapping[str, Any] | None = None) -> list[ExpectationOutcome]:
    """Outcomes of one validation; ``values``: the one-row structure frame, whose value is the observation."""
    outcomes = []
    for r in result.results:
        config = r.expectation_config
        info = r.result or {}
        observed = info.get("observed_value")
        if values is not None:
            observed = values.get(config.kwargs.get("column"))
            unexpected: list[Any] = []
        else:
            unexpected = info.get("partial_unexpected_index_list") or info.get("partial_unexpected_list") or []
        if observed is None and "unexpected_count" in info and not r.success:
            observed = f"{info['unexpected_count']} unexpected of {info.get('element_count')}"
        error = None
        if r.exception_info and not r.success:
            error = _exception_message(r.exception_info)
        kwargs = {k: v for k, v in dict(config.kwargs).items() if k not in ("batch_id",)}
        outcomes.append(
            ExpectationOutcome(
                suite=suite_name,
                expectation=config.type,
                kwargs=_plain_json(kwargs),
                severity=str(getattr(config.severity, "value", config.severity) or CRITICAL),
                success=bool(r.success),
                observed=_plain_json(observed),
                unexpected=_plain_json(list(unexpected)[:SAMPLE_SIZE]),
                description=config.description or "",
                error=error,
            )
        )
    return outcomes


def _exception_message(info: Mapping[str, Any]) -> str | None:
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, Mapping) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def run_gate(
    build_path: Path,
    published_path: Path,
    docs_dir: Path,
    run_id: str,
    marts: Iterable[str] | None = None,
    suites_dir: Path = SUITES_DIR,
    progress: Progress | None = None,
) -> GateReport:
    """Validate the build file's marts against their suites; rebuild the Data Docs."""
    say = progress or (lambda message: None)
    started = time.monotonic()
    timings: dict[str, float] = {}
    declarations = load_suites(suites_dir)
    if marts is not None:
        wanted = set(marts)
        declarations = [d for d in declarations if d.mart in wanted]
    _, previous = current_publication(published_path) or (None, {})

    results: dict[str, MartResult] = {}
    frames: list[MartFrames] = []
    tick = time.monotonic()
    references: dict[str, date | None] = {}
    with duckdb.connect(str(build_path), read_only=True) as conn:
        columns = {m: c for m, c in mart_columns(conn).items() if m != "publication"}
        for decl in declarations:
            if decl.mart not in columns:
                results[decl.mart] = MartResult(
                    decl.mart, "skipped", reason=f"mart {MARTS_SCHEMA}.{decl.mart} is not in the build yet"
                )
                continue
            t0 = time.monotonic()
            frame = read_frames(
                conn, decl, columns[decl.mart], previous.get(decl.mart), ACCOUNTS_DIMENSION in columns, references
            )
            frames.append(frame)
            results[decl.mart] = MartResult(
                decl.mart, "passed", row_count=frame.row_count, not_evaluated=frame.not_evaluated,
                seconds=time.monotonic() - t0,
            )
    timings["duckdb"] = time.monotonic() - tick

    tick = time.monotonic()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    timings["gx import"] = time.monotonic() - tick
    tick = time.monotonic()
    if docs_dir.exists():
        shutil.rmtree(docs_dir)
    docs_dir.mkdir(parents=True)
    context = _gx_context(docs_dir)
    datasource = context.data_sources.add_pandas("cxcs_build")
    gx_run = RunIdentifier(run_name=run_id)
    for frame in frames:
        t0 = time.monotonic()
        decl = frame.decl
        validations = [
            (decl.mart, build_expectation_suite(decl), frame.frame, frame.index_columns, {}, None),
            (
                f"{decl.mart}.structure",
                gx.ExpectationSuite(
                    name=f"{decl.mart}.structure",
                    expectations=frame.structure_expectations,
                    notes=f"Structure of {MARTS_SCHEMA}.{decl.mart}: row count, grain, freshness, accounts.",
                ),
                frame.structure,
                [],
                frame.parameters,
                frame.structure.iloc[0].to_dict(),
            ),
        ]
        outcomes = [
            ExpectationOutcome(
                suite=f"{decl.mart}.structure", expectation="gate_setup", kwargs={}, severity=severity,
                success=False, description="a check the gate could not compute", error=message,
            )
            for severity, message in frame.setup_errors
        ]
        for name, suite, df, index_columns, parameters, values in validations:
            if not suite.expectations:
                continue
            asset = datasource.add_dataframe_asset(name)
            batch = asset.add_batch_definition_whole_dataframe("build")
            suite = context.suites.add(suite)
            definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
            result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
            if index_columns:
                result_format["unexpected_index_column_names"] = index_columns
            result = definition.run(
                batch_parameters={"dataframe": df},
                expectation_parameters=parameters,
                result_format=result_format,
                run_id=gx_run,
            )
            outcomes += _outcomes(name, result, values)
        mart = results[decl.mart]
        mart.outcomes = outcomes
        mart.status = "failed" if mart.blocking_failures else "passed"
        mart.seconds += time.monotonic() - t0
        say(f"{decl.mart}: {mart.status} ({mart.counts(CRITICAL)[0]}/{mart.counts(CRITICAL)[1]} critical, "
            f"{len(mart.warnings)} warning(s))")
    timings["gx validate"] = time.monotonic() - tick

    tick = time.monotonic()
    context.build_data_docs(site_names=["cxcs_gate"])
    index = docs_dir / "index.html"
    timings["data docs"] = time.monotonic() - tick
    return GateReport(
        run_id=run_id,
        build_path=str(build_path),
        results=results,
        data_docs=str(index) if index.exists() else None,
        seconds=time.monotonic() - started,
        timings=timings,
    )


def prewarm() -> None:
    """Import Great Expectations in a background thread (it takes seconds), e.g. while dbt runs."""
    import importlib
    import threading

    threading.Thread(target=importlib.import_module, args=("great_expectations",), daemon=True,
                     name="gx-import").start()


# --------------------------------------------------------------------------- report file


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
