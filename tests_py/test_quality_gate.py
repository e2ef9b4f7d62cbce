"""The quality gate: real Great Expectations 1.x validations of real DuckDB files.

The first tests build a tiny build file by hand (marts with known rows) and run the shipped
suites (gx/expectations/*.json) on it, one planted defect at a time. The last test runs the
real refresh (loaders, dbt, Dagster asset checks) with a mart made wrong on purpose between
dbt and the gate, and proves that nothing is published.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import SPEC_MARTS, PublishedDemo, run_cxcs

from orchestration.quality import (
    CRITICAL,
    SUITES_DIR,
    WARNING,
    GateReport,
    build_expectation_suite,
    load_suites,
    run_gate,
    wait_for_data_docs,
)
from orchestration.quality.report import _plain_json

PROJECT_DIR = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- suite files


def test_every_mart_has_a_suite_that_builds_a_gx_suite() -> None:
    import great_expectations as gx

    suites = {s.mart: s for s in load_suites()}
    assert set(suites) == SPEC_MARTS
    # Ephemeral models of the marts folder (a mart's own steps) publish no relation.
    dbt_marts = {
        p.stem
        for p in (PROJECT_DIR / "models" / "marts").rglob("*.sql")
        if "materialized='ephemeral'" not in p.read_text()
    }
    assert dbt_marts <= set(suites), f"marts without a suite: {sorted(dbt_marts - set(suites))}"
    for name, decl in suites.items():
        suite = build_expectation_suite(decl)
        assert isinstance(suite, gx.ExpectationSuite) and suite.name == name
        assert len(suite.expectations) == len(decl.expectations), name
        assert {str(e.severity.value) for e in suite.expectations} <= {CRITICAL, WARNING}
        # Row-level rules are dbt's (tests_py/test_rules_once.py); every suite still has the
        # gate's structure checks (row count, also against the previous publication).
        assert decl.grain and decl.min_rows >= 0, name
    # Account × day marts are validated on DuckDB aggregates, never row by row in pandas.
    assert suites["product_usage_daily"].profile is not None
    assert suites["cs_account_health_daily"].profile is not None


# --------------------------------------------------------------------------- hand-made build file

# cx_nps_monthly, overall rows (NPS = 100 * (promoters - detractors) / responses;
# margin = 1.96 * 100 * sqrt((p + d - (p - d)^2) / n) with shares p, d):
#   2026-04: 4 responses, 2 promoters, 1 passive, 1 detractor -> NPS 100 * (2 - 1) / 4 = 25.0;
#            p = .5, d = .25: sqrt((.75 - .0625) / 4) = .41458 -> margin 81.3
#   2026-05: 2 responses, 2 promoters -> NPS 100.0; p = 1, d = 0: sqrt((1 - 1) / 2) = 0 -> 0.0
#   2026-06: 5 responses, 1 promoter, 2 passives, 2 detractors -> NPS 100 * (1 - 2) / 5 = -20.0;
#            p = .2, d = .4: sqrt((.6 - .04) / 5) = .33466 -> margin 65.6
NPS_ROWS = [
    ("2026-04-01", "overall", "all", 4, 2, 1, 1, 25.0, 81.3),
    ("2026-05-01", "overall", "all", 2, 2, 0, 0, 100.0, 0.0),
    ("2026-06-01", "overall", "all", 5, 1, 2, 2, -20.0, 65.6),
]
# Responses (staging and the fact): the latest is 2026-06-20; the latest NPS one is in 2026-06.
RESPONSES = [
    ("r1", "nps", "relationship", "a1", 10, "promoter", "2026-04-03 10:00:00", "smb"),
    ("r2", "nps", "relationship", "a2", 3, "detractor", "2026-05-03 10:00:00", "smb"),
    ("r3", "csat", "support", "a3", 4, None, "2026-06-01 09:00:00", "enterprise"),
    ("r4", "ces", "support", "x9", 2, None, "2026-06-20 12:00:00", None),
    ("r5", "nps", "product", "a1", 9, "promoter", "2026-06-15 08:30:00", "smb"),
]


def make_build(
    path: Path,
    nps_rows: list[tuple] = NPS_ROWS,
    responses: list[tuple] = RESPONSES,
    dim_accounts: list[str] | None = None,
    usage_rows: list[tuple] | None = None,
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        for schema in ("raw", "staging", "marts"):
            conn.execute(f"create schema {schema}")
        conn.execute(
            "create table marts.cx_nps_monthly (month date, dimension varchar, dimension_value varchar, "
            "responses bigint, promoters bigint, passives bigint, detractors bigint, "
            "nps decimal(5, 1), nps_moe_95 decimal(5, 1))"
        )
        if nps_rows:
            conn.executemany("insert into marts.cx_nps_monthly values (?, ?, ?, ?, ?, ?, ?, ?, ?)", nps_rows)
        conn.execute(
            "create table staging.stg_survey__responses (response_id varchar, survey_type varchar, "
            "responded_at timestamp)"
        )
        if responses:
            conn.executemany(
                "insert into staging.stg_survey__responses values (?, ?, ?)", [(r[0], r[1], r[6]) for r in responses]
            )
        conn.execute(
            "create table marts.fct_survey_responses (response_id varchar, survey_type varchar, touchpoint varchar, "
            "account_id varchar, score integer, nps_class varchar, responded_at timestamp, segment varchar, "
            "response_date date)"
        )
        if responses:
            conn.executemany(
                "insert into marts.fct_survey_responses values (?, ?, ?, ?, ?, ?, ?, ?, cast(? as date))",
                [(*r, r[6][:10] if r[6] else None) for r in responses],
            )
        if dim_accounts is not None:
            conn.execute("create table marts.dim_accounts (account_id varchar)")
            conn.executemany("insert into marts.dim_accounts values (?)", [(a,) for a in dim_accounts])
        if usage_rows is not None:
            conn.execute("create table raw.product_events (occurred_at timestamp)")
            conn.execute("insert into raw.product_events values ('2026-06-02 08:00:00')")
            conn.execute(
                "create table marts.product_usage_daily (account_id varchar, date date, dau integer, wau integer, "
                "mau integer, events integer, licensed_seats integer, seat_utilisation_pct decimal(18, 2), "
                "stickiness decimal(5, 4))"
            )
            conn.executemany("insert into marts.product_usage_daily values (?, ?, ?, ?, ?, ?, ?, ?, ?)", usage_rows)
    return path


def gate(
    tmp_path: Path, build: Path, marts: list[str], published: Path | None = None, docs: bool = False
) -> GateReport:
    """The gate on ``build``; Data Docs only when the test reads them (they take a second or two)."""
    return run_gate(
        build,
        published or tmp_path / "nothing-published" / "cxcs.duckdb",
        tmp_path / "quality" / "data_docs" if docs else None,
        "test-run",
        marts=marts,
    )


def failures(report: GateReport, mart: str, severity: str = CRITICAL) -> list[str]:
    return [o.explain() for o in report.results[mart].outcomes if not o.success and o.severity == severity]


def test_clean_build_passes_and_missing_marts_are_skipped_not_passed(tmp_path: Path) -> None:
    build = make_build(tmp_path / "build" / "cxcs.duckdb")
    report = gate(tmp_path, build, ["cx_nps_monthly", "fct_survey_responses", "customer_360"], docs=True)
    assert report.passed, report.format()
    nps = report.results["cx_nps_monthly"]
    assert nps.status == "passed" and nps.row_count == 3
    passed, evaluated = nps.counts(CRITICAL)
    # The suite file's critical expectations, one per declared change against the previous
    # publication (nps, nps_moe_95: nothing to compare yet, so no row fails), plus the structure
    # suite: rows >= 1 and freshness.
    document = json.loads((SUITES_DIR / "cx_nps_monthly.json").read_text())
    suite_critical = sum(1 for e in document["expectations"] if e.get("severity", CRITICAL) == CRITICAL)
    assert len(document["meta"]["gate"]["changes"]) == 2
    assert passed == evaluated == suite_critical + 2 + 2
    # A suite whose mart is not built is reported as skipped, never as passed.
    assert report.results["customer_360"].status == "skipped"
    assert "SKIPPED customer_360: mart marts.customer_360 is not in the build yet" in report.format()
    # Checks that cannot apply are named, not silently passed.
    assert "row count against the previous publication: no previous publication of this mart" in nps.not_evaluated
    assert "change against the previous publication: no previous publication of this mart" in nps.not_evaluated
    fact = report.results["fct_survey_responses"]
    assert any("dim_accounts is not in the build yet" in n for n in fact.not_evaluated)
    # Data Docs (HTML) are rebuilt.
    assert report.data_docs and Path(report.data_docs).name == "index.html" and Path(report.data_docs).exists()
    assert list((tmp_path / "quality" / "data_docs" / "validations").rglob("*.html"))
    assert GateReport.from_json(report.to_json()).format() == report.format()


def test_data_docs_written_in_the_background(tmp_path: Path) -> None:
    # A refresh gets the verdict before the Data Docs are rendered; the docs follow in a thread.
    build = make_build(tmp_path / "build" / "cxcs.duckdb")
    docs = tmp_path / "quality" / "data_docs"
    stale = docs / "validations" / "stale.html"  # a previous run's page: replaced, not kept
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    report = run_gate(
        build, tmp_path / "none.duckdb", docs, "bg-run", marts=["cx_nps_monthly"], docs_in_background=True
    )
    assert report.passed and "data docs" not in report.timings
    assert report.data_docs == str(docs / "index.html")
    wait_for_data_docs()
    assert (docs / "index.html").exists() and not stale.exists()
    pages = {p.relative_to(docs / "validations").parts[:2] for p in (docs / "validations").rglob("*.html")}
    assert pages == {("cx_nps_monthly", "bg-run"), ("cx_nps_monthly", "structure")}
    # Each validation page's suite has its page too (the index links it).
    assert (docs / "expectations" / "cx_nps_monthly.html").exists()


def test_an_empty_mart_passes_only_while_its_inputs_are_empty(tmp_path: Path) -> None:
    # No survey responses delivered yet (e.g. only billing files so far): an empty mart is right.
    report = gate(tmp_path, make_build(tmp_path / "a" / "cxcs.duckdb", nps_rows=[], responses=[]), ["cx_nps_monthly"])
    assert report.passed and report.results["cx_nps_monthly"].row_count == 0
    assert "minimum rows and freshness: the mart's inputs are empty" in report.results["cx_nps_monthly"].not_evaluated
    # Responses delivered but the mart is empty: it lost its rows.
    report = gate(tmp_path, make_build(tmp_path / "b" / "cxcs.duckdb", nps_rows=[]), ["cx_nps_monthly"])
    found = failures(report, "cx_nps_monthly")
    assert any("column=row_count, min_value=1)" in f and f.endswith("observed 0") for f in found), found
    assert any("column=months_behind_inputs" in f for f in found), found


def make_publication(path: Path, nps_rows: list[tuple] = NPS_ROWS) -> Path:
    """A previous publication: cx_nps_monthly with ``nps_rows`` and its marts.publication row."""
    path.parent.mkdir(parents=True, exist_ok=True)
    make_build(path, nps_rows=nps_rows)
    with duckdb.connect(str(path)) as conn:
        conn.execute(
            "create table marts.publication (run_id varchar, published_at timestamp, mart varchar, row_count bigint)"
        )
        conn.execute(
            "insert into marts.publication values ('prev', '2026-06-02 00:00:00', 'cx_nps_monthly', ?)", [len(nps_rows)]
        )
    return path


def test_planted_nps_of_150_fails_naming_the_expectation_and_the_row(tmp_path: Path) -> None:
    # dbt's accepted_range (-100..100) stops an out-of-range NPS that dbt builds; an NPS that
    # changed after dbt, or against the previous publication while its counts did not, is the
    # gate's: 2026-05 has the same 2 responses, 2 promoters, 0 detractors as published, so its
    # NPS must stay 100.0; it moved by 150 - 100 = 50.
    published = make_publication(tmp_path / "published" / "cxcs.duckdb")
    rows = [r if r[0] != "2026-05-01" else (*r[:7], 150.0, 0.0) for r in NPS_ROWS]
    report = gate(tmp_path, make_build(tmp_path / "b" / "cxcs.duckdb", nps_rows=rows), ["cx_nps_monthly"], published)
    assert not report.passed
    [failure] = failures(report, "cx_nps_monthly")
    assert failure.startswith(
        "cx_nps_monthly: expect_column_values_to_be_between(column=nps_change_since_previous, max_value=0.1) — nps "
        "moved at most 0.1 against the previous publication where responses, promoters, detractors did not change"
    )
    assert '"month": "2026-05-01"' in failure and '"nps_change_since_previous": 50' in failure
    assert report.results["cx_nps_monthly"].status == "failed"
    # New responses in 2026-06 (5 -> 6, one more promoter) move its NPS from -20.0 to 0.0: allowed.
    # NPS 100 * (2 - 2) / 6 = 0.0; margin 1.96 * 100 * sqrt((2/6 + 2/6 - 0) / 6) = 65.3.
    rows = [r if r[0] != "2026-06-01" else ("2026-06-01", "overall", "all", 6, 2, 2, 2, 0.0, 65.3) for r in NPS_ROWS]
    assert gate(
        tmp_path, make_build(tmp_path / "c" / "cxcs.duckdb", nps_rows=rows), ["cx_nps_monthly"], published
    ).passed


def test_stale_month_fails(tmp_path: Path) -> None:
    # The 2026-06 row is missing while responses reach 2026-06-20: one month behind its input.
    # (A duplicate grain row is dbt's: unique_combination_of_columns fails the build.)
    rows = [NPS_ROWS[0], NPS_ROWS[1]]
    report = gate(tmp_path, make_build(tmp_path / "b" / "cxcs.duckdb", nps_rows=rows), ["cx_nps_monthly"])
    [found] = failures(report, "cx_nps_monthly")
    assert "column=months_behind_inputs, max_value=0)" in found and found.endswith("observed 1"), found


def test_row_count_drop_against_the_previous_publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = make_build(tmp_path / "b" / "cxcs.duckdb")  # 3 rows of cx_nps_monthly
    published = tmp_path / "published" / "cxcs.duckdb"
    published.parent.mkdir()
    with duckdb.connect(str(published)) as conn:
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.publication (run_id varchar, published_at timestamp, mart varchar, row_count bigint)"
        )
        conn.execute(
            "insert into marts.publication values ('old', '2026-06-01 00:00:00', 'cx_nps_monthly', 100), "
            "('prev', '2026-06-02 00:00:00', 'cx_nps_monthly', 4)"
        )
    # The latest publication ('prev') had 4 rows. Drop 1/4 = 25%.
    # Allowed share 0.2: at least ceil(4 * 0.8) = ceil(3.2) = 4 rows -> 3 fails.
    monkeypatch.setenv("CXCS_GATE_MAX_ROW_DROP_SHARE", "0.2")
    report = gate(tmp_path, build, ["cx_nps_monthly"], published)
    [failure] = failures(report, "cx_nps_monthly")
    assert "column=row_count" in failure and "dropped by at most 20%" in failure
    assert failure.endswith("(4 rows, so at least 4) observed 3")
    # Allowed share 0.25: at least ceil(4 * 0.75) = 3 rows -> 3 passes.
    monkeypatch.setenv("CXCS_GATE_MAX_ROW_DROP_SHARE", "0.25")
    assert gate(tmp_path, build, ["cx_nps_monthly"], published).passed


def test_accounts_missing_from_dim_accounts(tmp_path: Path) -> None:
    # The fact has accounts a1, a2, a3, x9; dim_accounts lacks x9: 1 of 4 = 25% missing (> 10%): blocking.
    report = gate(
        tmp_path, make_build(tmp_path / "b" / "cxcs.duckdb", dim_accounts=["a1", "a2", "a3"]), ["fct_survey_responses"]
    )
    [critical] = failures(report, "fct_survey_responses")
    assert "column=accounts_missing_share, max_value=0.1)" in critical and critical.endswith("observed 0.25")
    assert any(
        "accounts_missing_from_dim_accounts" in w and w.endswith("observed 1")
        for w in failures(report, "fct_survey_responses", WARNING)
    )
    # With x9 known too: 0 missing, neither the blocking check nor the warning fails.
    report = gate(
        tmp_path,
        make_build(tmp_path / "c" / "cxcs.duckdb", dim_accounts=["a1", "a2", "a3", "x9"]),
        ["fct_survey_responses"],
    )
    assert report.passed
    assert not [w for w in failures(report, "fct_survey_responses", WARNING) if "accounts_missing" in w]


def test_failing_rows_are_reported_by_their_grain(tmp_path: Path) -> None:
    # r3 is a CSAT response scored 9 on the 1-5 scale: the range expectation fails and names r3.
    # (A missing responded_at is dbt's: the contract's not_null constraint fails the build.)
    responses = [r if r[0] != "r3" else (*r[:4], 9, *r[5:]) for r in RESPONSES]
    build = make_build(tmp_path / "b" / "cxcs.duckdb", responses=responses)
    report = gate(tmp_path, build, ["fct_survey_responses"])
    [failure] = failures(report, "fct_survey_responses")
    assert failure.startswith("fct_survey_responses: expect_column_values_to_be_between(column=score, row_condition=")
    assert "— CSAT scores are 1-5 observed 1 unexpected of 1" in failure
    assert '"response_id": "r3"' in failure and '"score": 9' in failure
    assert GateReport.from_json(report.to_json()).blocking_failures[0].unexpected[0]["response_id"] == "r3"
    # Values pandas hands over become plain JSON: a missing timestamp (NaT) is null, a midnight a date.
    import pandas as pd

    assert _plain_json([pd.NaT, pd.Timestamp("2026-06-01"), float("nan")]) == [None, "2026-06-01", None]


def test_large_mart_is_validated_on_per_day_aggregates(tmp_path: Path) -> None:
    usage = [
        ("a1", "2026-06-01", 2, 3, 4, 10, 5, 80.0, 0.5),
        ("a2", "2026-06-01", 1, 1, 2, 3, 2, 100.0, 0.5),
        ("a1", "2026-06-02", 3, 2, 4, 9, 5, 80.0, 0.75),  # DAU 3 > WAU 2: impossible
        ("a2", "2026-06-02", 1, 1, 2, 2, 2, 100.0, 0.5),
    ]
    report = gate(tmp_path, make_build(tmp_path / "b" / "cxcs.duckdb", usage_rows=usage), ["product_usage_daily"])
    [failure] = failures(report, "product_usage_daily")
    assert failure.startswith("product_usage_daily: expect_column_values_to_be_between(column=rows_dau_above_wau")
    # The profile has one row per date; the failing date is named.
    assert '"date": "2026-06-02"' in failure and '"rows_dau_above_wau": 1' in failure
    assert report.results["product_usage_daily"].row_count == 4


# --------------------------------------------------------------------------- the real refresh


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# What the project copy leaves out: environment, build output and history, not code.
NOT_PROJECT = shutil.ignore_patterns(".venv", ".git", "target", "logs", "data", ".pytest_cache", "*.egg-info")


def refresh_with_sql_after_dbt(tmp_path: Path, sql: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`cxcs refresh` from a temporary copy of the project whose dbt_project.yml gains an
    on-run-end hook running ``sql``: dbt's own hook, after every model and dbt test of the
    invocation and before the quality gate, so the shipped project carries no test hook.

    The copy is made once per test: its hook reads the SQL from the environment, which dbt
    renders when the hook runs (dbt_project.yml's hooks are not rendered at parse time), so
    the copy is parsed once for every planted change."""
    project = tmp_path / "project"
    if not project.exists():
        shutil.copytree(PROJECT_DIR, project, ignore=NOT_PROJECT)
        with (project / "dbt_project.yml").open("a") as f:
            f.write("\non-run-end:\n  - \"{{ env_var('CXCS_TEST_SQL_AFTER_DBT') }}\"\n")
    # `-m` from the copy imports the copy's orchestration package, whose PROJECT_DIR is the copy.
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "CXCS_TEST_SQL_AFTER_DBT": sql},
        timeout=1200,
    )


def test_refresh_with_a_wrong_mart_fails_the_gate_and_keeps_the_publication(
    published_demo: PublishedDemo, tmp_path: Path
) -> None:
    landing, warehouse = published_demo.copy(tmp_path)
    published = warehouse / "cxcs.duckdb"
    before = sha256(published)
    with duckdb.connect(str(published), read_only=True) as conn:
        [(run_before,)] = conn.execute("select distinct run_id from marts.publication").fetchall()
        movements_before = conn.execute("select count(*) from marts.fct_mrr_movements").fetchone()[0]
    args = ("refresh", "--landing", str(landing), "--warehouse", str(warehouse))

    # 1. Two wrong marts in one run, written after dbt (and its tests) and before the gate: a
    # planted NPS of 150, and half of the MRR movements gone (the row count drops against the
    # previous publication). The gate names both.
    planted = refresh_with_sql_after_dbt(
        tmp_path,
        (
            "update marts.cx_nps_monthly set nps = 150 where dimension = 'overall' "
            "and month = (select max(month) from marts.cx_nps_monthly where dimension = 'overall'); "
            "delete from marts.fct_mrr_movements where hash(account_id, month) % 2 = 0"
        ),
        *args,
    )
    assert planted.returncode == 3, planted.stdout[-3000:] + planted.stderr[-3000:]
    assert re.search(
        r"FAILED marts/cx_nps_monthly:gx_expectations: cx_nps_monthly: expect_column_values_to_be_between"
        r"\(column=nps_change_since_previous, max_value=0.1\)",
        planted.stderr,
    )
    minimum = -(-movements_before * 9 // 10)  # ceil(0.9 * rows of the previous publication)
    # The suite parameter min_row_count is resolved in the result: ceil(0.9 * previous rows).
    assert (
        f"FAILED marts/fct_mrr_movements:gx_expectations: fct_mrr_movements.structure: "
        f"expect_column_values_to_be_between(column=row_count, min_value={minimum}) — row count dropped by "
        f"at most 10% against the previous publication ({movements_before:,} rows, so at least {minimum:,}) "
        f"observed "
    ) in planted.stderr
    assert "nothing was published, the previous publication (if any) is still serving" in planted.stderr
    assert sha256(published) == before

    # 2. The next plain refresh restores the last publication first (not the failed run's build
    # file, which still holds both plants) and publishes.
    clean = run_cxcs(*args)
    # 2: published; the demo's unreadable landing files are reported again on every run
    # (DECISIONLOG "A failed file is reported on every run"), as in the published_demo fixture.
    assert clean.returncode == 2, clean.stdout[-3000:] + clean.stderr[-3000:]
    assert "landing file(s) failed to load" in clean.stderr
    assert "[build] the previous run" in clean.stdout and "starting again from the last publication" in clean.stdout
    assert "Gate PASSED" in clean.stdout and "Data Docs: " in clean.stdout
    with duckdb.connect(str(published), read_only=True) as conn:
        runs = conn.execute(
            "select run_id, count(*) from marts.publication group by 1 order by min(published_at)"
        ).fetchall()
        nps_max = conn.execute("select max(nps) from marts.cx_nps_monthly").fetchone()[0]
        latest = dict(
            conn.execute("select mart, row_count from marts.publication where run_id = ?", [runs[-1][0]]).fetchall()
        )
        movements = conn.execute("select count(*) from marts.fct_mrr_movements").fetchone()[0]
    assert [r[0] for r in runs][0] == run_before and len(runs) == 2  # the failed run never published
    assert nps_max <= 100 and movements == movements_before == latest["fct_mrr_movements"]
