"""The same project on PostgreSQL and on Apache Spark: same raw data, same checks, same numbers.

Opt-in, since each engine needs its own packages and a server or a JVM:
``CXCS_TEST_ENGINES=postgres`` (``make test-postgres``: installs the extra, starts a local
PostgreSQL) and/or ``spark`` (``make test-spark``).  Without the variable every test here
is skipped.

The scenario, built once per module:

1. A generated landing set (40 accounts x 120 days up to 2025-03-31, with every bad-input
   case of the contract, so quarantined rows and failed files exist).
2. The DuckDB loader loads it into a build file in two deliveries: billing and survey
   first (a copy of the file is kept: the "partial" build file), then product users and
   events (the "full" build file).
3. The reference: ``dbt build --target duckdb`` of a copy of the full build file (in the test
   process: tests_py/dbt_build.run_dbt).
4. For each engine, in a database (PostgreSQL) or metastore and folder (Spark) of its own:
   copy raw from the partial build file, from the full one, from the full one again, and
   from a build file whose history differs (refused); then ``dbt build --target <engine>``
   of the whole project with the same variables (as-of date fixed).

What must hold on every engine:
* a copy moves exactly the batches the target does not hold (the partial file's, then the
  rest, then nothing), and refuses a build file with another history, changing nothing;
* every raw table, the load manifest and the quarantine are row for row the build file's;
* every node of the project (seeds, models, unit tests, data tests) ends with the status
  it has on DuckDB (pass, or warn where DuckDB warns too);
* every published mart (schema ``marts``, as listed by dbt's manifest) holds the same rows
  as on DuckDB.  Tolerance: none for integers, decimals, text, dates, timestamps and
  booleans (compared exactly; decimals as numbers, 3.50 = 3.5), with two floating-point
  exceptions: a float column would be compared to a relative 1e-9 (none is published
  today), and a published decimal computed through floating point (``FLOAT_DERIVED``: the
  NPS margin of error, a square root) may differ by one unit of its last decimal, since a
  value a rounding error away from a rounding tie may round either way on another engine
  (every engine computes it in 8-byte IEEE floats, so in practice they agree exactly).

Run alone: ``CXCS_TEST_ENGINES=postgres .venv/bin/python -m pytest tests_py/test_engines.py``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_build import project_manifest_json, run_dbt

from orchestration.engines import CopySummary
from orchestration.engines.query import Result, fetch
from orchestration.engines.raw_copy import RawMismatch, raw_tables
from orchestration.engines.run import dbt_build_command, dbt_environment, dbt_working_dir
from orchestration.loading import load_landing

PROJECT_DIR = Path(__file__).resolve().parent.parent
END_DATE = date(2025, 3, 31)
DBT_VARS = {"as_of_date": END_DATE.isoformat()}
FIRST_DELIVERY = (
    "billing_accounts",
    "billing_subscriptions",
    "billing_invoices",
    "survey_invitations",
    "survey_responses",
    "support_tickets",  # issue 16: the second delivery stays product files only
)
FLOAT_RELATIVE_TOLERANCE = 1e-9
# Published decimals computed through floating point: (mart, column) -> largest difference.
FLOAT_DERIVED: dict[tuple[str, str], Decimal] = {
    ("cx_nps_monthly", "nps_moe_95"): Decimal("0.1"),
    # Kaplan-Meier products as exp(sum(ln)) and their log(-log) intervals, rounded to 6 decimals.
    ("cs_survival_curves", "survival"): Decimal("0.000001"),
    ("cs_survival_curves", "ci_lower_95"): Decimal("0.000001"),
    ("cs_survival_curves", "ci_upper_95"): Decimal("0.000001"),
    # Support hours: seconds / 3600 and their percentiles in floating point, rounded to 2 decimals.
    ("cx_support_monthly", "first_reply_hours_median"): Decimal("0.01"),
    ("cx_support_monthly", "first_reply_hours_p90"): Decimal("0.01"),
    ("cx_support_monthly", "resolution_hours_median"): Decimal("0.01"),
    ("cx_support_monthly", "resolution_hours_p90"): Decimal("0.01"),
}
# The sBG retention model runs as dbt Python models, on DuckDB only (dbt_project.yml tag
# duckdb_only, DECISIONLOG "sBG retention model"): those nodes are left out of the comparison,
# and so are the columns a portable mart takes from them (null on the other engines).
DUCKDB_ONLY_TAG = "duckdb_only"
DUCKDB_ONLY_COLUMNS = {
    "cs_clv": ("retention_model_segment", "tenure_months", "derl_months", "model_clv"),
    # The learned churn risk and the comment scoring (DuckDB only) open churn_risk_high and
    # negative_theme alerts, which customer_360 counts among its open alerts.
    "customer_360": ("open_alerts",),
}
# Rows a portable mart has on DuckDB only: the alerts of the DuckDB-only models, churn_risk_high
# (the learned churn model) and negative_theme (the comment scoring).
DUCKDB_ONLY_ROWS = {"cs_playbook_alerts": "alert_type not in ('churn_risk_high', 'negative_theme')"}

ENGINES = [name.strip() for name in os.environ.get("CXCS_TEST_ENGINES", "").split(",") if name.strip()]
pytestmark = pytest.mark.skipif(
    not ENGINES, reason="engine tests are opt-in: CXCS_TEST_ENGINES=postgres,spark (make test-postgres / test-spark)"
)


@dataclass
class DbtBuild:
    target_path: Path
    result: subprocess.CompletedProcess[str]

    def statuses(self) -> dict[str, str]:
        data = json.loads((self.target_path / "run_results.json").read_text())
        return {r["unique_id"]: r["status"] for r in data["results"]}

    def manifest(self) -> dict[str, Any]:
        written = self.target_path / "manifest.json"  # an in-process build reuses the project's parse
        return json.loads(written.read_text()) if written.exists() else project_manifest_json()

    def marts(self) -> list[str]:
        return sorted(
            node["alias"]
            for node in self.manifest()["nodes"].values()
            # ephemeral models (the health marts' steps) are compiled into their marts: no relation
            if node["resource_type"] == "model"
            and node["schema"] == "marts"
            and node["config"]["enabled"]
            and node["config"]["materialized"] != "ephemeral"
            and DUCKDB_ONLY_TAG not in node["config"].get("tags", [])
        )

    def duckdb_only_nodes(self) -> set[str]:
        """The dbt Python models (the sBG retention model, the comment scoring) and the marts over
        them (tag duckdb_only, enabled on DuckDB only: dbt-postgres and dbt-spark's session method
        run no Python models) and the data and unit tests of them."""
        manifest = self.manifest()
        tagged = {uid for uid, node in manifest["nodes"].items() if DUCKDB_ONLY_TAG in node["config"].get("tags", [])}
        tests = {**manifest["nodes"], **manifest.get("unit_tests", {})}
        return tagged | {
            uid
            for uid, node in tests.items()
            if uid.startswith(("test.", "unit_test.")) and tagged & set(node.get("depends_on", {}).get("nodes", []))
        }

    def mart_query(self, mart: str) -> str:
        """``select`` of the mart's columns but its DUCKDB_ONLY_COLUMNS (contracts declare them all)
        and of its rows but its DUCKDB_ONLY_ROWS."""
        if mart in DUCKDB_ONLY_ROWS:
            return f"select * from marts.{mart} where {DUCKDB_ONLY_ROWS[mart]}"
        if mart not in DUCKDB_ONLY_COLUMNS:
            return f"select * from marts.{mart}"
        node = next(
            n for n in self.manifest()["nodes"].values() if n["resource_type"] == "model" and n["alias"] == mart
        )
        columns = [c for c in node["columns"] if c not in DUCKDB_ONLY_COLUMNS[mart]]
        return f"select {', '.join(columns)} from marts.{mart}"


def run_dbt_build(target: str, env: dict[str, str], tmp: Path) -> DbtBuild:
    target_path = tmp / f"target_{target}"
    env = {
        **dbt_environment(target, env),
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(tmp / f"logs_{target}"),
    }
    result = subprocess.run(
        [*dbt_build_command(target), "--vars", json.dumps(DBT_VARS)],
        cwd=dbt_working_dir(target, env),
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return DbtBuild(target_path, result)


# --------------------------------------------------------------------------- shared fixtures


@dataclass
class BuildFiles:
    partial: Path  # after the first delivery (billing, survey)
    full: Path  # after every delivery
    tampered: Path  # the full file with another history: batch 1 has other bytes


@pytest.fixture(scope="module")
def build_files(tmp_path_factory: pytest.TempPathFactory) -> BuildFiles:
    from orchestration.demo_data import generate

    tmp = tmp_path_factory.mktemp("engines")
    landing = tmp / "landing"
    generate(out=landing, accounts=40, days=120, seed=5, end_date=END_DATE, bad_rows=True)
    full = tmp / "full" / "cxcs.duckdb"
    full.parent.mkdir()
    with duckdb.connect(str(full)) as conn:
        first = load_landing(conn, landing, entities=FIRST_DELIVERY)
        assert first.rows_loaded > 0
    partial = tmp / "partial" / "cxcs.duckdb"
    partial.parent.mkdir()
    shutil.copyfile(full, partial)
    with duckdb.connect(str(full)) as conn:
        second = load_landing(conn, landing)
        # The bad-input cases are there: quarantined rows and files that failed as a whole.
        assert second.entities["product_events"].rows_quarantined > 0
        assert conn.execute("select count(*) from raw.load_manifest where status = 'failed'").fetchone()[0] > 0
    tampered = tmp / "tampered" / "cxcs.duckdb"
    tampered.parent.mkdir()
    shutil.copyfile(full, tampered)
    with duckdb.connect(str(tampered)) as conn:
        conn.execute("update raw.load_manifest set sha256 = repeat('0', 64) where batch_id = 1")
    return BuildFiles(partial, full, tampered)


@dataclass
class Reference:
    database: Path
    build: DbtBuild


@pytest.fixture(scope="module")
def reference(build_files: BuildFiles, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """``dbt build`` on DuckDB of a copy of the full build file: in this process, on the project
    as the refresh parses it (tests_py/dbt_build.run_dbt), not a ``dbt`` process of its own."""

    tmp = tmp_path_factory.mktemp("reference")
    database = tmp / "cxcs.duckdb"
    shutil.copyfile(build_files.full, database)
    result = run_dbt(database, tmp, "build", dbt_vars=DBT_VARS, expect=None)
    assert result.returncode == 0, result.stdout[-5000:]
    return Reference(database, DbtBuild(tmp / "target", result))


def raw_queries(build_file: Path) -> dict[str, str]:
    with duckdb.connect(str(build_file), read_only=True) as conn:
        return {f"raw.{t.name}": f"select * from raw.{t.name}" for t in raw_tables(conn)}


# --------------------------------------------------------------------------- per engine


@dataclass
class EngineRun:
    target: str
    env: dict[str, str]
    copies: list[CopySummary] = field(default_factory=list)
    refused: str = ""
    after_refusal: dict[str, Result] = field(default_factory=dict)
    build: DbtBuild | None = None
    results: dict[str, Result] = field(default_factory=dict)


def copy_raw(target: str, build_file: Path, env: dict[str, str]) -> CopySummary:
    with duckdb.connect(str(build_file), read_only=True) as duck:
        if target == "postgres":
            from orchestration.engines.postgres import copy_raw_to_postgres

            return copy_raw_to_postgres(duck, env=env)
        from orchestration.engines.spark import copy_raw_to_spark

        return copy_raw_to_spark(duck, env=env)


def _pg_admin(sql: str) -> None:
    """Run a statement outside a transaction on the server of the postgres target."""
    from orchestration.engines.postgres import connect

    conn = connect()
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="module", params=ENGINES)
def engine(
    request: pytest.FixtureRequest,
    build_files: BuildFiles,
    reference: Reference,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EngineRun]:
    target = request.param
    tmp = tmp_path_factory.mktemp(target)
    env = dict(os.environ)
    database = None
    if target == "postgres":
        # A database of this run's own on the target's server, dropped afterwards.
        database = f"cxcs_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'create database "{database}"')
        env["CXCS_PG_DBNAME"] = database
    elif target == "spark":
        env["CXCS_SPARK_DIR"] = str(tmp / "spark")
    else:
        raise ValueError(f"unknown engine {target!r} in CXCS_TEST_ENGINES")
    run = EngineRun(target, env)
    try:
        run.copies.append(copy_raw(target, build_files.partial, env))
        run.copies.append(copy_raw(target, build_files.full, env))
        run.copies.append(copy_raw(target, build_files.full, env))
        try:
            copy_raw(target, build_files.tampered, env)
        except RawMismatch as refused:
            run.refused = str(refused)
        run.build = run_dbt_build(target, env, tmp)
        queries = raw_queries(build_files.full)
        queries.update({f"marts.{mart}": reference.build.mart_query(mart) for mart in reference.build.marts()})
        if run.build.result.returncode == 0:
            run.results = fetch(target, queries, env=env)
        yield run
    finally:
        if database is not None:
            _pg_admin(f'drop database if exists "{database}" with (force)')


def manifest_batches(build_file: Path) -> set[int]:
    with duckdb.connect(str(build_file), read_only=True) as conn:
        return {batch for (batch,) in conn.execute("select batch_id from raw.load_manifest").fetchall()}


def differences(expected: Result, actual: Result, mart: str = "") -> list[str]:
    """Row-for-row differences: exact, but for floats (relative FLOAT_RELATIVE_TOLERANCE) and
    the FLOAT_DERIVED columns of `mart` (rows are paired in order of their exact columns)."""
    if expected.columns != actual.columns:
        return [f"columns {expected.columns} != {actual.columns}"]
    if len(expected.rows) != len(actual.rows):
        return [f"{len(expected.rows)} rows != {len(actual.rows)} rows"]
    tolerances = {
        column: FLOAT_DERIVED[(mart, column)] for column in expected.columns if (mart, column) in FLOAT_DERIVED
    }
    exact = [i for i, column in enumerate(expected.columns) if column not in tolerances]

    def order(result: Result) -> list[tuple[Any, ...]]:
        return sorted(result.rows, key=lambda row: tuple((row[i] is not None, str(row[i])) for i in exact))

    found = []
    for want, got in zip(order(expected), order(actual), strict=False):
        for column, a, b in zip(expected.columns, want, got, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                same = math.isclose(a, b, rel_tol=FLOAT_RELATIVE_TOLERANCE)
            elif column in tolerances and isinstance(a, Decimal) and isinstance(b, Decimal):
                same = abs(a - b) <= tolerances[column]
            else:
                same = a == b and type(a) is type(b)
            if not same:
                found.append(f"{column}: {a!r} != {b!r} in row {want}")
    return found[:10]


# --------------------------------------------------------------------------- tests


def test_copies_move_exactly_the_missing_batches(engine: EngineRun, build_files: BuildFiles) -> None:
    partial = manifest_batches(build_files.partial)
    full = manifest_batches(build_files.full)
    first, second, third = engine.copies
    assert first.batches == sorted(partial)
    assert second.batches == sorted(full - partial)
    assert third.batches == []
    # The second delivery brought product files only: no billing or survey row moves again.
    assert {table for table, rows in second.rows.items() if rows} <= {
        "product_users",
        "product_events",
        "load_quarantine",
        "load_manifest",
    }
    assert second.rows["product_events"] > 0
    assert not any(third.rows.values())


def test_copy_refuses_a_build_file_with_another_history(engine: EngineRun) -> None:
    assert "does not match the build file's" in engine.refused


def test_raw_tables_are_the_build_files_row_for_row(engine: EngineRun, build_files: BuildFiles) -> None:
    assert engine.build is not None and engine.build.result.returncode == 0, engine.build.result.stdout[-5000:]
    expected = fetch("duckdb", raw_queries(build_files.full), duckdb_path=build_files.full)
    assert {"raw.load_manifest", "raw.load_quarantine", "raw.product_events"} <= set(expected)
    for name, result in expected.items():
        assert len(result.rows) > 0, name
        assert differences(result, engine.results[name]) == [], name


def test_every_node_ends_as_on_duckdb(engine: EngineRun, reference: Reference) -> None:
    assert engine.build is not None
    assert engine.build.result.returncode == 0, engine.build.result.stdout[-5000:]
    statuses = engine.build.statuses()
    duckdb_only = reference.build.duckdb_only_nodes()
    assert duckdb_only, "the retention model's nodes are tagged duckdb_only"
    expected = {uid: status for uid, status in reference.build.statuses().items() if uid not in duckdb_only}
    assert statuses == expected
    # no-op: nodes dbt build has nothing to run for (e.g. saved queries of the semantic layer).
    assert set(expected.values()) <= {"success", "pass", "warn", "no-op"}
    kinds = {uid.split(".")[0] for uid in statuses}
    assert {"seed", "model", "test", "unit_test"} <= kinds
    assert sum(uid.startswith("unit_test.") for uid in statuses) >= 6


def test_published_marts_agree_with_duckdb(engine: EngineRun, reference: Reference) -> None:
    assert engine.build is not None and engine.build.result.returncode == 0, engine.build.result.stdout[-5000:]
    marts = reference.build.marts()
    assert len(marts) >= 12, marts
    expected = fetch("duckdb", {m: reference.build.mart_query(m) for m in marts}, duckdb_path=reference.database)
    # The fixture is large enough to fill the marts (a mart could be empty only by design).
    assert sum(1 for m in marts if expected[m].rows) >= len(marts) - 1, {m: len(expected[m].rows) for m in marts}
    mismatches = {m: d for m in marts if (d := differences(expected[m], engine.results[f"marts.{m}"], m))}
    assert mismatches == {}
