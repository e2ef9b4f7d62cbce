"""Which rows a failing gate check is about, and which landing file each came from.

A failing blocking check that only names itself ("unique_stg_survey__responses_response_id")
sends the operator hunting through the warehouse.  For each failing blocking dbt test this
module re-runs the test's compiled query (from the run's ``run_results.json``) on the build
file for its first few rows; for a failing GX expectation it takes the index values GX
reports.  Each row's key is then traced to the raw row it came from: raw tables keep
``_batch_id`` and ``_row_number``, and ``raw.load_manifest`` maps the batch to its landing
file.  A key traces when it is the natural key of a raw entity (contract.py), e.g.
``response_id`` to ``raw.survey_responses``; an aggregate row (a month of NPS) has no raw row
and is named by its values only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from orchestration.contract import ENTITIES

SAMPLE_ROWS = 3
# Natural key columns of each raw table (contract.py); a key's first column names the entity
# (``subscription_id`` for the versions of a subscription).
ENTITY_KEYS = {e.table: e.key for e in ENTITIES}
KEY_TABLES = {key[0]: table for table, key in ENTITY_KEYS.items()}


def _value(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _key_of(row: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """(raw table, key columns present in the row) of the most specific natural key in it.

    A response before its account: ``account_id`` names a row only when nothing else does.
    The whole key when the row has it (subscription_id and version), else its first column."""
    candidates = []
    for column, table in KEY_TABLES.items():
        if row.get(column) is None:
            continue
        present = tuple(c for c in ENTITY_KEYS[table] if row.get(c) is not None)
        candidates.append((column == "account_id", -len(present), column, table, present))
    if not candidates:
        return None
    *_, table, present = min(candidates)
    return table, present


def landing_of(conn: duckdb.DuckDBPyConnection, table: str, key: Mapping[str, Any]) -> str | None:
    """``file row N`` of the raw row behind ``key`` in ``raw.<table>`` (the latest delivery, as
    staging takes it), if any."""
    where = " and ".join(f"cast(r.{column} as varchar) = ?" for column in key)
    try:
        row = conn.execute(
            f"select m.file_path, r._row_number from raw.{table} as r "
            f"join raw.load_manifest as m on m.batch_id = r._batch_id "
            f"where {where} order by r._batch_id desc, r._row_number desc limit 1",
            [str(v) for v in key.values()],
        ).fetchone()
    except duckdb.Error:  # a raw table or column this build does not have
        return None
    if row is None:
        return None
    return f"{row[0]} row {row[1]}" if row[1] is not None else str(row[0])


def describe_row(conn: duckdb.DuckDBPyConnection | None, row: Mapping[str, Any]) -> str:
    """``key=value (landing file row N)`` for a row with a natural key, else its first few values."""
    found = _key_of(row)
    if found is None:
        return ", ".join(f"{k}={_value(v)}" for k, v in list(row.items())[:3])
    table, columns = found
    key = {c: row[c] for c in columns}
    where = landing_of(conn, table, key) if conn is not None else None
    return ", ".join(f"{c}={_value(v)}" for c, v in key.items()) + (f" ({where})" if where else "")


def describe_rows(conn: duckdb.DuckDBPyConnection | None, rows: Iterable[Any]) -> list[str]:
    described = []
    for row in list(rows)[:SAMPLE_ROWS]:
        if isinstance(row, Mapping):
            described.append(describe_row(conn, row))
        else:
            described.append(_value(row))
    return described


def compiled_tests(project_dir: Path, run_id: str) -> dict[str, str]:
    """unique_id -> compiled SQL of the tests dbt ran in this Dagster run.

    dagster-dbt gives each dbt invocation its own target folder, named after the step and the
    run id's first characters; run_results.json there holds each test's compiled query."""
    compiled: dict[str, str] = {}
    for path in sorted((project_dir / "target").glob(f"*-{run_id[:7]}-*/run_results.json")):
        try:
            results = json.loads(path.read_text(encoding="utf-8")).get("results", [])
        except (OSError, ValueError):
            continue
        for result in results:
            if result.get("compiled_code") and str(result.get("unique_id", "")).startswith("test."):
                compiled[result["unique_id"]] = result["compiled_code"]
    return compiled


def failing_test_rows(conn: duckdb.DuckDBPyConnection, compiled_sql: str) -> list[dict[str, Any]]:
    """The first rows a dbt test's query returns (a test fails by returning rows)."""
    try:
        cursor = conn.execute(f"select * from ({compiled_sql}) as failing limit {SAMPLE_ROWS}")
    except duckdb.Error:
        return []
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def open_build(build_path: Path) -> duckdb.DuckDBPyConnection | None:
    """The build file, read-only (the failed run released it); None when it cannot be opened."""
    try:
        return duckdb.connect(str(build_path), read_only=True)
    except duckdb.Error:
        return None


def failed_blocking_checks(
    events: Sequence[object], build_path: Path | None = None, run_id: str | None = None
) -> list[str]:
    """Each blocking asset check (dbt test or GX suite) that failed, with the expectations it names.

    With the build file and the run id, each failure also names its first offending rows and
    the landing file (and row) each came from (orchestration.gate_rows)."""
    # The CLI's exit 3 and the deployment's alert (orchestration.defs.alerts) both name the gate's
    # failures with this one function. Dagster imported here: the module serves without it too.
    import dagster as dg

    from orchestration.config import PROJECT_DIR

    failed = []
    for event in events:
        if getattr(event, "event_type", None) != dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        evaluation = event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(evaluation)
    if not failed:
        return []
    conn = open_build(build_path) if build_path is not None and build_path.exists() else None
    compiled = compiled_tests(PROJECT_DIR, run_id) if run_id and conn is not None else {}
    lines = []
    try:
        for evaluation in failed:
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            details = evaluation.metadata.get("failed_expectations")
            if details is not None and details.value:
                results = evaluation.metadata.get("results")
                unexpected = {
                    r["expectation"]: r.get("unexpected") or []
                    for r in (results.value if results is not None else [])
                    if not r.get("success")
                }
                for item in details.value:
                    rows = next((u for label, u in unexpected.items() if item.startswith(label)), [])
                    # Only rows with a natural key add anything to GX's own "e.g." values.
                    traced = (
                        describe_rows(conn, rows)
                        if any(isinstance(r, dict) and set(r) & set(KEY_TABLES) for r in rows)
                        else []
                    )
                    lines.append(f"{name}: {item}" + (f"; rows: {'; '.join(traced)}" if traced else ""))
                continue
            unique_id = evaluation.metadata.get("unique_id")
            sql = compiled.get(unique_id.value) if unique_id is not None else None
            rows = failing_test_rows(conn, sql) if sql and conn is not None else []
            lines.append(name + (f"; rows: {'; '.join(describe_rows(conn, rows))}" if rows else ""))
    finally:
        if conn is not None:
            conn.close()
    return lines
