"""What GX validates for one mart, computed set-based in DuckDB.

The rows frame (the mart's used columns, or its per-``group_by`` profile) and the one-row
structure frame (row count, lag behind the inputs, accounts missing from ``dim_accounts``)
with the structure suite's expectations. Data is read through a read-only DuckDB connection
(GX's SQL datasource on DuckDB is broken upstream, great_expectations#10738).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration.latest_month import publication_as_of
from orchestration.quality.suites import (
    ACCOUNTS_DIMENSION,
    CRITICAL,
    MARTS_SCHEMA,
    WARNING,
    SuiteDeclaration,
    change_expectations,
    default_max_row_drop_share,
)

PREVIOUS = "previous_publication"  # the attached published file


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
    row_expectations: list[dict[str, Any]] = field(default_factory=list)  # generated, added to the rows suite


@dataclass
class _Structure:
    """The structure row being computed and the expectations on it."""

    values: dict[str, Any]
    expectations: list[dict[str, Any]] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    not_evaluated: list[str] = field(default_factory=list)
    setup_errors: list[tuple[str, str]] = field(default_factory=list)


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


def mart_columns(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, list[str]]:
    rows = conn.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = ? and table_catalog = coalesce(?, current_database()) "
        "order by table_name, ordinal_position",
        [MARTS_SCHEMA, catalog],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def attach_previous(conn: duckdb.DuckDBPyConnection, published_path: Path | None) -> dict[str, list[str]]:
    """Attach the published file read-only (when there is one): its marts and their columns."""
    if published_path is None or not published_path.exists():
        return {}
    conn.execute(f"attach '{published_path.as_posix().replace(chr(39), chr(39) * 2)}' as {PREVIOUS} (read_only)")
    return mart_columns(conn, PREVIOUS)


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
    """The latest input date a freshness reference finds, never later than the build's as-of date.

    Capped at the as-of date (the day the marts report as today: the build's own, read from the
    build, else today in UTC) because the marts are built up to it: an input stamped later (a
    client clock ahead, or a rebuild of a past month-end, orchestration.history) is not a stale
    mart. Cached per query for the run (several marts share a reference, e.g. the raw events).
    """
    if sql not in cache:
        found = _as_date(conn.execute(sql).fetchone()[0])
        as_of = publication_as_of(conn, datetime.now(UTC).date())
        cache[sql] = None if found is None else min(found, as_of)
    return cache[sql]


def _change_select(
    decl: SuiteDeclaration, columns: Sequence[str], previous_columns: Sequence[str]
) -> tuple[str, str, list[str]]:
    """(extra select list, join clause, columns missing from either side) comparing the mart
    with its previous publication."""
    wanted = {decl.grain, *(c.unless_changed for c in decl.changes)}
    needed = {col for cols in wanted for col in cols} | {c.column for c in decl.changes}
    missing = sorted(needed - (set(previous_columns) & set(columns)))
    if missing:
        return "", "", missing
    selects = []
    for c in decl.changes:
        same_inputs = " and ".join(f"m.{_quote(i)} is not distinct from p.{_quote(i)}" for i in c.unless_changed)
        selects.append(
            f"case when {same_inputs} then abs(cast(m.{_quote(c.column)} as double) "
            f"- cast(p.{_quote(c.column)} as double)) end as {_quote(c.frame_column)}"
        )
    on = " and ".join(f"m.{_quote(g)} is not distinct from p.{_quote(g)}" for g in decl.grain)
    join = f"left join {PREVIOUS}.{MARTS_SCHEMA}.{_quote(decl.mart)} as p on {on}"
    return ", " + ", ".join(selects), join, []


def _data_frame(
    conn: duckdb.DuckDBPyConnection,
    decl: SuiteDeclaration,
    columns: Sequence[str],
    previous_columns: Sequence[str] | None,
    structure: _Structure,
) -> tuple[Any, list[str]]:
    """The frame the suite file validates and its index columns: the mart's used columns (plus
    the change against the previous publication), or (``profile``) one row per ``group_by``
    value of DuckDB aggregates."""
    import pandas as pd

    table = f"{MARTS_SCHEMA}.{_quote(decl.mart)}"
    if decl.profile is None:
        wanted = [c for c in columns if c in used_columns(decl.expectations) | set(decl.grain)]
        select = ", ".join(f"m.{_quote(c)}" for c in wanted) or "1 as no_columns"
        changes, join = "", ""
        if decl.changes and previous_columns is None:
            structure.not_evaluated.append(
                "change against the previous publication: no previous publication of this mart"
            )
        elif decl.changes:
            changes, join, missing = _change_select(decl, columns, previous_columns or [])
            if missing:
                structure.not_evaluated.append(f"change against the previous publication: columns {missing} missing")
        if decl.changes and not join:  # nothing to compare: the generated expectations see nulls only
            changes = ", " + ", ".join(f"cast(null as double) as {_quote(c.frame_column)}" for c in decl.changes)
        frame = conn.execute(f"select {select}{changes} from {table} as m {join}").df()
        return frame, [c for c in decl.grain if c in columns]
    p = decl.profile
    aggregates = ", ".join(f"{sql} as {_quote(name)}" for name, sql in p.columns.items())
    try:
        frame = conn.execute(
            f'select {_quote(p.group_by)}, count(*) as "rows", {aggregates} from {table} group by 1 order by 1'
        ).df()
    except duckdb.Error as exc:
        # The suite's expectations then fail on the missing profile columns as well.
        structure.setup_errors.append((CRITICAL, f"profile query failed: {exc}"))
        frame = pd.DataFrame({p.group_by: []})
    return frame, [p.group_by]


def _between(
    column: str, min_value: Any = None, max_value: Any = None, *, severity: str = CRITICAL, description: str = ""
) -> dict[str, Any]:
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


def _row_count_checks(s: _Structure, decl: SuiteDeclaration, inputs_empty: bool, previous_count: int | None) -> None:
    if inputs_empty:
        # Nothing delivered yet for this mart (e.g. only billing files so far): empty is right.
        s.not_evaluated.append("minimum rows and freshness: the mart's inputs are empty")
    else:
        s.expectations.append(
            _between("row_count", min_value=decl.min_rows, description=f"the mart has at least {decl.min_rows} row(s)")
        )
    share = decl.max_row_drop_share if decl.max_row_drop_share is not None else default_max_row_drop_share()
    if previous_count is None:
        s.not_evaluated.append("row count against the previous publication: no previous publication of this mart")
        return
    minimum = math.ceil(round(previous_count * (1 - share), 9))  # no float noise at the boundary
    s.parameters["min_row_count"] = minimum
    s.values["previous_row_count"] = previous_count
    s.expectations.append(
        _between(
            "row_count",
            min_value={"$PARAMETER": "min_row_count"},
            description=(
                f"row count dropped by at most {share:.0%} against the previous publication "
                f"({previous_count:,} rows, so at least {minimum:,})"
            ),
        )
    )


def _freshness_check(
    s: _Structure,
    conn: duckdb.DuckDBPyConnection,
    decl: SuiteDeclaration,
    present: set[str],
    references: dict[str, date | None],
) -> None:
    f = decl.freshness
    assert f is not None
    if f.column not in present:
        s.setup_errors.append((f.severity, f"freshness column {f.column!r} is not in the mart"))
        return
    try:
        reference = _reference_date(conn, f.reference, references)
    except duckdb.Error as exc:
        s.setup_errors.append((f.severity, f"freshness reference query failed: {exc}"))
        return
    table = f"{MARTS_SCHEMA}.{_quote(decl.mart)}"
    latest = _as_date(conn.execute(f"select max({_quote(f.column)}) from {table}").fetchone()[0])
    s.values["latest_" + f.period] = None if latest is None else latest.isoformat()
    s.values["reference_" + f.period] = None if reference is None else reference.isoformat()
    if reference is None:
        s.not_evaluated.append(f"freshness: the reference query found no input data ({f.reference})")
        return
    # An empty mart with input data is as stale as it gets.
    lag = _periods_between(latest, reference, f.period) if latest else 10**6
    s.values[f"{f.period}s_behind_inputs"] = lag
    s.expectations.append(
        _between(
            f"{f.period}s_behind_inputs",
            max_value=f.max_lag,
            severity=f.severity,
            description=f"the latest {f.column} reaches the latest input {f.period} (at most {f.max_lag} {f.period}(s) behind)",
        )
    )


def _account_checks(
    s: _Structure,
    conn: duckdb.DuckDBPyConnection,
    decl: SuiteDeclaration,
    present: set[str],
    has_accounts_dimension: bool,
) -> None:
    """Reconciliation across marts: the mart's accounts are known to ``dim_accounts``."""
    column = decl.account_column
    if column not in present:
        s.setup_errors.append((CRITICAL, f"account column {column!r} is not in the mart"))
        return
    if not has_accounts_dimension:
        s.not_evaluated.append(f"referential coverage: {ACCOUNTS_DIMENSION} is not in the build yet")
        return
    if not conn.execute(f"select count(*) from {MARTS_SCHEMA}.{ACCOUNTS_DIMENSION}").fetchone()[0]:
        # No billing delivered yet (e.g. a landing folder with survey files only): there is
        # no account dimension to cover, which is a state the pipeline supports, not an error.
        s.not_evaluated.append(f"referential coverage: {ACCOUNTS_DIMENSION} is empty (no billing accounts loaded yet)")
        return
    col = _quote(str(column))
    total, missing = conn.execute(
        f"""
        select count(*), count(*) filter (where d.account_id is null)
        from (select distinct {col} as account_id from {MARTS_SCHEMA}.{_quote(decl.mart)} where {col} is not null) as m
        left join (select distinct account_id from {MARTS_SCHEMA}.{ACCOUNTS_DIMENSION}) as d
            on m.account_id = d.account_id
        """
    ).fetchone()
    s.values["accounts"] = int(total)
    s.values["accounts_missing_from_dim_accounts"] = int(missing)
    s.values["accounts_missing_share"] = (missing / total) if total else 0.0
    share = decl.max_missing_account_share
    s.expectations.append(
        _between(
            "accounts_missing_share",
            max_value=share,
            description=f"at most {share:.0%} of the mart's accounts are missing from {ACCOUNTS_DIMENSION}",
        )
    )
    s.expectations.append(
        _between(
            "accounts_missing_from_dim_accounts",
            max_value=0,
            severity=WARNING,
            description=f"every account of the mart is in {ACCOUNTS_DIMENSION}",
        )
    )


def read_frames(
    conn: duckdb.DuckDBPyConnection,
    decl: SuiteDeclaration,
    columns: Sequence[str],
    previous_count: int | None,
    has_accounts_dimension: bool,
    references: dict[str, date | None] | None = None,
    previous_columns: Sequence[str] | None = None,
) -> MartFrames:
    """Everything GX needs for one mart, computed set-based in DuckDB.

    ``previous_columns``: the mart's columns in the attached previous publication (``None``
    when it has none). The grain is not checked here: dbt tests it (tests_py/test_rules_once.py).
    """
    import pandas as pd

    references = {} if references is None else references
    present = set(columns)
    row_count = int(conn.execute(f"select count(*) from {MARTS_SCHEMA}.{_quote(decl.mart)}").fetchone()[0])
    s = _Structure(values={"row_count": row_count})
    frame, index_columns = _data_frame(conn, decl, columns, previous_columns, s)
    inputs_empty = False
    if decl.inputs:
        try:
            inputs_empty = not conn.execute(decl.inputs).fetchone()[0]
        except duckdb.Error as exc:
            s.setup_errors.append((CRITICAL, f"inputs query failed: {exc}"))
    _row_count_checks(s, decl, inputs_empty, previous_count)
    if decl.freshness is not None and not inputs_empty:
        _freshness_check(s, conn, decl, present, references)
    if decl.account_column:
        _account_checks(s, conn, decl, present, has_accounts_dimension)
    return MartFrames(
        decl=decl,
        row_count=row_count,
        frame=frame,
        index_columns=index_columns,
        structure=pd.DataFrame([s.values]),
        structure_expectations=s.expectations,
        parameters=s.parameters,
        not_evaluated=s.not_evaluated,
        setup_errors=s.setup_errors,
        row_expectations=change_expectations(decl),
    )
