"""The semantic layer, queried for real with MetricFlow's `mf` CLI against the published file
of a demo warehouse (target `semantic`: read-only), returns the numbers of the marts. The
`mf query` command runs in the test process (its Click command, same arguments and
environment); the reader beside a running refresh and `mf validate-configs` run the `mf`
executable.

The marts are the oracle here (tests_py/test_cx_marts.py and the CS tests check them against
hand-computed values); this file checks that every metric, grouped as the marts are, gives
the same counts and sums exactly, and the same ratio before the marts' rounding: e.g. NPS of
a month = 100 * (P - D) / n from that month's counts, which cx_nps_monthly publishes rounded
half away from zero to 1 decimal. A ratio over a coarser grain (a quarter) is the ratio of the
summed counts, not the average of the monthly values:
    NPS(quarter) = 100 * (P1 + P2 + P3 - D1 - D2 - D3) / (n1 + n2 + n3).

Run alone: ``.venv/bin/python -m pytest tests_py/test_semantic_layer.py``.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import shutil
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests_py.dbt_build import dbt_cli
from tests_py.demo_warehouse import PROJECT_DIR, published_demo

MF = str(Path(sys.executable).with_name("mf"))


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return published_demo(tmp_path_factory)[1]


def mf_query(
    warehouse: Path, metrics: list[str], group_by: list[str], out: Path, *, in_process: bool = True
) -> list[dict[str, str]]:
    """`mf query` as a user runs it (project dir, DBT_TARGET=semantic), its CSV read back.

    In the test process by default: mf's own Click command with the same arguments and
    environment (a query takes ~0.2 s there against ~3 s for the `mf` executable, almost all
    of it imports). ``in_process=False`` runs the executable, for a reader that must be a
    process of its own."""
    env = {"DBT_TARGET": "semantic", "CXCS_WAREHOUSE_DIR": str(warehouse), "CXCS_DUCKDB_PATH": None}
    args = ["query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(out)]
    if in_process:
        from click.testing import CliRunner
        from dbt_metricflow.cli.main import cli

        from orchestration.dbt_inprocess import _close_duckdb

        with contextlib.chdir(PROJECT_DIR):
            invoked = CliRunner().invoke(cli, args, env=env)
        # dbt-duckdb keeps the file open in the process, read-only with the semantic target's
        # settings; the test's own reader could not open it beside that connection.
        _close_duckdb()
        ok, output = invoked.exit_code == 0, f"{invoked.output[-3000:]} {invoked.exception!r}"
    else:
        child_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
        result = subprocess.run(
            [MF, *args], cwd=PROJECT_DIR, env=child_env, capture_output=True, text=True, timeout=300
        )
        ok, output = result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert ok and out.exists(), output
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def mart(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(warehouse / "cxcs.duckdb"), read_only=True) as conn:
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_date(value: str) -> date:
    return date.fromisoformat(value[:10])


def number(value: str) -> Decimal | None:
    return None if value in ("", "None", "NULL", "nan") else Decimal(value)


def rounded(value: Fraction, scale: int) -> Decimal:
    """Round half away from zero, as the marts publish (exact, from a fraction)."""
    quantum = Decimal(1).scaleb(-scale)
    sign = -1 if value < 0 else 1
    exact = Decimal(abs(value.numerator)) / Decimal(value.denominator)
    return sign * exact.quantize(quantum, rounding=ROUND_HALF_UP)


def assert_ratio(mf_value: str, exact: Fraction, published: Decimal | None, scale: int) -> None:
    """mf's value is the exact ratio (to float precision); the mart publishes it rounded."""
    assert published is not None
    got = number(mf_value)
    assert got is not None
    assert math.isclose(float(got), float(exact), rel_tol=1e-9, abs_tol=1e-9), (got, exact)
    assert rounded(exact, scale) == published, (exact, published)


# --------------------------------------------------------------------------- CX
NPS_METRICS = ["nps", "nps_responses", "nps_promoters", "nps_detractors", "nps_passives", "nps_moe_95"]


def check_nps(rows: list[dict[str, str]], published: list[dict[str, Any]], key_of) -> None:
    expected = {key_of(r): r for r in published if r["responses"] > 0}
    got = {}
    for row in rows:
        if number(row["nps_responses"]) in (None, 0):
            continue
        got[
            (
                as_date(row["metric_time__month"]),
                *[row[k] for k in row if k not in NPS_METRICS and k != "metric_time__month"],
            )
        ] = row
    assert set(got) == set(expected)
    for key, row in got.items():
        m = expected[key]
        assert int(number(row["nps_responses"])) == m["responses"]
        assert int(number(row["nps_promoters"])) == m["promoters"]
        assert int(number(row["nps_detractors"])) == m["detractors"]
        assert int(number(row["nps_passives"])) == m["passives"]
        p, d, n = m["promoters"], m["detractors"], m["responses"]
        assert_ratio(row["nps"], Fraction(100 * (p - d), n), m["nps"], 1)
        # margin of error: 196 * sqrt((n (P + D) - (P - D)^2) / n^3)
        moe = 196 * math.sqrt((n * (p + d) - (p - d) ** 2) / n**3)
        assert math.isclose(float(number(row["nps_moe_95"])), moe, rel_tol=1e-9, abs_tol=1e-9)
        assert abs(Decimal(repr(moe)) - m["nps_moe_95"]) <= Decimal("0.05") + Decimal("1e-9")


def test_nps_by_month_equals_cx_nps_monthly_overall(warehouse: Path, tmp_path: Path) -> None:
    rows = mf_query(warehouse, NPS_METRICS, ["metric_time__month"], tmp_path / "nps.csv")
    published = mart(warehouse, "select * from marts.cx_nps_monthly where dimension = 'overall'")
    assert len(published) >= 12
    check_nps(rows, published, lambda r: (r["month"],))


@pytest.mark.parametrize(
    ("group_by", "dimension"),
    [("account__segment", "segment"), ("account__region", "region"), ("response__touchpoint", "touchpoint")],
)
def test_nps_by_month_and_dimension_equals_the_long_mart(
    warehouse: Path, tmp_path: Path, group_by: str, dimension: str
) -> None:
    rows = mf_query(warehouse, NPS_METRICS, ["metric_time__month", group_by], tmp_path / "nps.csv")
    published = mart(warehouse, f"select * from marts.cx_nps_monthly where dimension = '{dimension}'")
    # the demo asks NPS at the relationship touchpoint only; segments and regions vary
    assert len({r["dimension_value"] for r in published}) >= (1 if dimension == "touchpoint" else 2)
    check_nps(rows, published, lambda r: (r["month"], r["dimension_value"]))


def test_nps_by_quarter_is_the_ratio_of_summed_counts(warehouse: Path, tmp_path: Path) -> None:
    rows = mf_query(warehouse, ["nps", "nps_responses"], ["metric_time__quarter"], tmp_path / "q.csv")
    monthly = mart(warehouse, "select * from marts.cx_nps_monthly where dimension = 'overall' and responses > 0")
    sums: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m in monthly:
        quarter = date(m["month"].year, 3 * ((m["month"].month - 1) // 3) + 1, 1)
        sums[quarter][0] += m["promoters"]
        sums[quarter][1] += m["detractors"]
        sums[quarter][2] += m["responses"]
    got = {as_date(r["metric_time__quarter"]): r for r in rows if number(r["nps_responses"])}
    assert set(got) == set(sums)
    differs_from_mean_of_months = False
    for quarter, (p, d, n) in sums.items():
        exact = Fraction(100 * (p - d), n)
        assert math.isclose(float(number(got[quarter]["nps"])), float(exact), rel_tol=1e-9, abs_tol=1e-9)
        months = [
            float(m["nps"])
            for m in monthly
            if m["month"].year == quarter.year and (m["month"].month - 1) // 3 == (quarter.month - 1) // 3
        ]
        differs_from_mean_of_months |= abs(sum(months) / len(months) - float(exact)) > 0.05
    # The demo has a quarter where averaging monthly NPS would have given another number.
    assert differs_from_mean_of_months


def test_csat_and_ces_by_month_and_segment_equal_the_marts(warehouse: Path, tmp_path: Path) -> None:
    metrics = ["csat_pct", "csat_mean", "csat_responses", "csat_satisfied", "csat_score_sum",
               "ces_mean", "ces_high_effort_pct", "ces_responses", "ces_high_effort", "ces_score_sum"]  # fmt: skip
    groupings = (
        (["metric_time__month"], "overall"),
        (["metric_time__month", "account__segment"], "segment"),
        (["metric_time__month", "response__touchpoint"], "touchpoint"),
    )
    for group_by, dimension in groupings:
        rows = mf_query(warehouse, metrics, group_by, tmp_path / f"{dimension}.csv")
        csat = {
            (r["month"], r["dimension_value"]): r
            for r in mart(
                warehouse, f"select * from marts.cx_csat_monthly where dimension = '{dimension}' and responses > 0"
            )
        }
        ces = {
            (r["month"], r["dimension_value"]): r
            for r in mart(
                warehouse, f"select * from marts.cx_ces_monthly where dimension = '{dimension}' and responses > 0"
            )
        }
        checked_csat = checked_ces = 0
        for row in rows:
            key = (as_date(row["metric_time__month"]), row[group_by[1]] if len(group_by) > 1 else "all")
            if number(row["csat_responses"]):
                m = csat.pop(key)
                n, sat, total = m["responses"], m["satisfied"], int(number(row["csat_score_sum"]))
                assert int(number(row["csat_responses"])) == n and int(number(row["csat_satisfied"])) == sat
                assert_ratio(row["csat_pct"], Fraction(100 * sat, n), m["csat_pct"], 1)
                assert_ratio(row["csat_mean"], Fraction(total, n), m["csat_mean"], 2)
                checked_csat += 1
            if number(row["ces_responses"]):
                m = ces.pop(key)
                n, high, total = m["responses"], m["high_effort"], int(number(row["ces_score_sum"]))
                assert int(number(row["ces_responses"])) == n and int(number(row["ces_high_effort"])) == high
                assert_ratio(row["ces_high_effort_pct"], Fraction(100 * high, n), m["high_effort_pct"], 1)
                assert_ratio(row["ces_mean"], Fraction(total, n), m["ces_mean"], 2)
                checked_ces += 1
        # every published month (and segment) with responses came back, and nothing else
        assert not csat and not ces and checked_csat >= 12 and checked_ces >= 12


def test_response_rate_by_month_and_survey_type_equals_the_mart(warehouse: Path, tmp_path: Path) -> None:
    rows = mf_query(
        warehouse,
        ["response_rate_pct", "survey_invitations", "responses_to_invitations"],
        ["metric_time__month", "invitation__survey_type"],
        tmp_path / "rr.csv",
    )
    published = {
        (r["month"], r["survey_type"]): r
        for r in mart(warehouse, "select * from marts.cx_response_rates_monthly where invitations > 0")
    }
    got = {
        (as_date(r["metric_time__month"]), r["invitation__survey_type"]): r
        for r in rows
        if number(r["survey_invitations"])
    }
    assert set(got) == set(published) and len(got) >= 12
    for key, row in got.items():
        m = published[key]
        assert int(number(row["survey_invitations"])) == m["invitations"]
        assert int(number(row["responses_to_invitations"])) == m["responses_to_invitations"]
        assert_ratio(
            row["response_rate_pct"],
            Fraction(100 * m["responses_to_invitations"], m["invitations"]),
            m["response_rate_pct"],
            1,
        )


# --------------------------------------------------------------------------- CS
MONEY = ["mrr", "arr", "starting_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"]
MART_MONEY = {"mrr": "ending_mrr", "arr": "ending_arr"}
COUNTS = {
    "paying_accounts": "ending_accounts",
    "starting_accounts": "starting_accounts",
    "churned_accounts": "churned_accounts",
}
RATES = {
    # metric: (mart column, numerator, denominator) from the mart's own bridge columns
    "logo_churn_rate_pct": ("logo_churn_pct", lambda m: m["churned_accounts"], lambda m: m["starting_accounts"]),
    "gross_mrr_churn_pct": ("gross_mrr_churn_pct", lambda m: -(m["churned_mrr"] + m["contraction_mrr"]), lambda m: m["starting_mrr"]),
    "nrr_pct": ("nrr_1m_pct", lambda m: m["starting_mrr"] + m["expansion_mrr"] + m["contraction_mrr"] + m["churned_mrr"], lambda m: m["starting_mrr"]),
    "grr_pct": ("grr_1m_pct", lambda m: m["starting_mrr"] + m["contraction_mrr"] + m["churned_mrr"], lambda m: m["starting_mrr"]),
}  # fmt: skip


@pytest.mark.parametrize(
    ("group_by", "segment"), [(["metric_time__month"], "all"), (["metric_time__month", "account__segment"], None)]
)
def test_mrr_bridge_and_rates_by_month_equal_cs_revenue_monthly(
    warehouse: Path, tmp_path: Path, group_by: list[str], segment: str | None
) -> None:
    rows = mf_query(warehouse, [*MONEY, *COUNTS, *RATES, "net_new_mrr"], group_by, tmp_path / "mrr.csv")
    where = "segment = 'all'" if segment else "segment <> 'all'"
    published = {
        (r["month"], r["segment"]): r for r in mart(warehouse, f"select * from marts.cs_revenue_monthly where {where}")
    }
    got = {(as_date(r["metric_time__month"]), r.get("account__segment", "all")): r for r in rows}
    # mf has a row for every month with MRR at either end; the mart's other months are all 0
    assert set(got) <= set(published) and len(got) >= 12
    for key, m in published.items():
        if key not in got:
            assert m["starting_mrr"] == 0 and m["ending_mrr"] == 0, key
    nrr_above_100 = False
    for key, row in got.items():
        m = published[key]
        for metric in MONEY:
            assert number(row[metric]) == m[MART_MONEY.get(metric, metric)], (key, metric)
        assert number(row["net_new_mrr"]) == m["ending_mrr"] - m["starting_mrr"]
        for metric, column in COUNTS.items():
            assert int(number(row[metric])) == m[column], (key, metric)
        for metric, (column, numerator, denominator) in RATES.items():
            if denominator(m) == 0:
                assert number(row[metric]) is None and m[column] is None
                continue
            exact = Fraction(numerator(m)) * 100 / Fraction(denominator(m))
            assert_ratio(row[metric], exact, m[column], 2)
        nrr_above_100 |= bool(m["nrr_1m_pct"] and m["nrr_1m_pct"] > 100)
    if segment:
        assert nrr_above_100, "the demo has expansion months (NRR > 100)"


def test_mrr_by_quarter_is_the_last_month_not_a_sum(warehouse: Path, tmp_path: Path) -> None:
    rows = mf_query(warehouse, ["mrr", "starting_mrr", "new_mrr"], ["metric_time__quarter"], tmp_path / "q.csv")
    monthly = mart(warehouse, "select * from marts.cs_revenue_monthly where segment = 'all' order by month")
    by_quarter: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for m in monthly:
        by_quarter[date(m["month"].year, 3 * ((m["month"].month - 1) // 3) + 1, 1)].append(m)
    got = {as_date(r["metric_time__quarter"]): r for r in rows}
    assert len(got) >= 4
    for quarter, row in got.items():
        months = by_quarter[quarter]
        with_rows = [m for m in months if m["starting_mrr"] or m["ending_mrr"]]
        assert number(row["mrr"]) == with_rows[-1]["ending_mrr"]  # MRR at the end of the quarter
        assert number(row["starting_mrr"]) == with_rows[0]["starting_mrr"]  # at the end of the month before
        assert number(row["new_mrr"]) == sum(m["new_mrr"] for m in months)  # movements add up


RETENTION_12M = ["nrr_12m_pct", "grr_12m_pct", "nrr_12m_base_mrr", "nrr_12m_retained_mrr", "grr_12m_retained_mrr"]


def retention_12m_from_movements(warehouse: Path) -> dict[tuple[date, str], list[Decimal]]:
    """[base, retained, retained capped] per (month m, segment and `all`), computed here from
    the published fct_mrr_movements by the metrics spec's definition: the accounts with MRR > 0
    at the end of m - 12 (base = that MRR), followed to the end of m (their MRR then, 0 when
    they have no movement row in m: not paying at either end), GRR capping each at its base.
    Only months of the mart's calendar (up to the as-of month) are measured."""
    months = {r["month"] for r in mart(warehouse, "select distinct month from marts.cs_revenue_monthly")}
    rows = mart(warehouse, "select account_id, month, segment, ending_mrr from marts.fct_mrr_movements")
    ending = {(r["account_id"], r["month"]): r["ending_mrr"] for r in rows}
    sums: dict[tuple[date, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for r in rows:
        if r["ending_mrr"] <= 0:
            continue
        month = date(r["month"].year + 1, r["month"].month, 1)
        if month not in months:
            continue
        now = ending.get((r["account_id"], month), Decimal(0))
        for segment in (r["segment"], "all"):
            total = sums[(month, segment)]
            total[0] += r["ending_mrr"]
            total[1] += now
            total[2] += min(now, r["ending_mrr"])
    return sums


@pytest.mark.parametrize(
    ("group_by", "segment"), [(["metric_time__month"], "all"), (["metric_time__month", "account__segment"], None)]
)
def test_12_month_nrr_and_grr_equal_cs_revenue_monthly(
    warehouse: Path, tmp_path: Path, group_by: list[str], segment: str | None
) -> None:
    """NRR 12m = 100 * retained / base and GRR 12m = 100 * retained capped / base, from the
    bases recomputed from fct_mrr_movements (see above); mf's sums equal them exactly, mf's
    ratios equal the exact fractions, and the mart publishes those fractions rounded."""
    rows = mf_query(warehouse, RETENTION_12M, group_by, tmp_path / "retention.csv")
    where = "segment = 'all'" if segment else "segment <> 'all'"
    published = {
        (r["month"], r["segment"]): r for r in mart(warehouse, f"select * from marts.cs_revenue_monthly where {where}")
    }
    expected = {k: v for k, v in retention_12m_from_movements(warehouse).items() if (k[1] == "all") == bool(segment)}
    got = {(as_date(r["metric_time__month"]), r.get("account__segment", "all")): r for r in rows}
    # mf has a row for every month and segment with a 12-month base; the mart's other rows are null
    assert set(got) == set(expected) and len(got) >= 3
    for key, m in published.items():
        if key not in got:
            assert m["nrr_12m_pct"] is None and m["grr_12m_pct"] is None, key
    nrr_above_100 = grr_below_100 = False
    for key, row in got.items():
        base, retained, capped = expected[key]
        assert number(row["nrr_12m_base_mrr"]) == base, key
        assert number(row["nrr_12m_retained_mrr"]) == retained, key
        assert number(row["grr_12m_retained_mrr"]) == capped, key
        m = published[key]
        assert_ratio(row["nrr_12m_pct"], Fraction(retained) * 100 / Fraction(base), m["nrr_12m_pct"], 2)
        assert_ratio(row["grr_12m_pct"], Fraction(capped) * 100 / Fraction(base), m["grr_12m_pct"], 2)
        nrr_above_100 |= m["nrr_12m_pct"] > 100
        grr_below_100 |= m["grr_12m_pct"] < 100
    # the demo has expanding and shrinking accounts over 12 months
    assert nrr_above_100 and grr_below_100
    if segment:
        # A trailing 12-month rate is a snapshot of its month: a quarter shows its last month
        # that has a base, never a sum or an average of months.
        quarters = mf_query(warehouse, ["nrr_12m_pct", "grr_12m_pct"], ["metric_time__quarter"], tmp_path / "q.csv")
        last: dict[date, tuple[date, str]] = {}
        for month, segment_all in sorted(expected):
            last[date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)] = (month, segment_all)
        got_q = {as_date(r["metric_time__quarter"]): r for r in quarters if number(r["nrr_12m_pct"]) is not None}
        assert set(got_q) == set(last) and len(got_q) >= 2
        for quarter, row in got_q.items():
            base, retained, capped = expected[last[quarter]]
            m = published[last[quarter]]
            assert_ratio(row["nrr_12m_pct"], Fraction(retained) * 100 / Fraction(base), m["nrr_12m_pct"], 2)
            assert_ratio(row["grr_12m_pct"], Fraction(capped) * 100 / Fraction(base), m["grr_12m_pct"], 2)


def test_plan_dimension_partitions_mrr(warehouse: Path, tmp_path: Path) -> None:
    rows = mf_query(warehouse, ["mrr"], ["metric_time__month", "account__plan"], tmp_path / "plan.csv")
    published = {
        r["month"]: r["ending_mrr"]
        for r in mart(warehouse, "select * from marts.cs_revenue_monthly where segment = 'all'")
    }
    totals: dict[date, Decimal] = defaultdict(Decimal)
    plans = set()
    for row in rows:
        totals[as_date(row["metric_time__month"])] += number(row["mrr"]) or Decimal(0)
        plans.add(row["account__plan"])
    assert plans <= {"starter", "growth", "business", "enterprise"} and len(plans) >= 2
    for month, total in totals.items():
        assert total == published[month]


# --------------------------------------------------------------------------- read-only
def test_queries_work_while_a_refresh_runs(
    warehouse: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A refresh holds the build file's write lock while dbt builds; mf and a duckdb reader
    use the published file meanwhile, and the refresh still publishes. (The test never opens
    the build file: even a read-only reader there would make the refresh fail to lock it.)"""
    landing = published_demo(tmp_path_factory)[0]
    copy = tmp_path / "warehouse"
    shutil.copytree(warehouse, copy)
    env = {**os.environ, "CXCS_WAREHOUSE_DIR": str(copy)}
    env.pop("CXCS_DUCKDB_PATH", None)
    # --full-refresh: the landing holds nothing new, and a refresh with nothing new builds nothing.
    command = ["refresh", "--landing", str(landing), "--warehouse", str(copy), "--full-refresh"]
    refresh = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *command],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    building = threading.Event()

    def follow() -> None:
        assert refresh.stdout is not None
        for line in refresh.stdout:
            lines.append(line)
            if " START sql " in line:  # dbt is building models in the build file
                building.set()

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    try:
        assert building.wait(timeout=600), "".join(lines)[-3000:]
        assert refresh.poll() is None
        with duckdb.connect(str(copy / "cxcs.duckdb"), read_only=True) as conn:
            nps = conn.execute("select count(*) from marts.cx_nps_monthly where dimension = 'overall'").fetchone()[0]
        assert nps >= 12
        rows = mf_query(copy, ["nps", "mrr"], ["metric_time__month"], tmp_path / "during.csv", in_process=False)
        assert rows
        assert refresh.poll() is None, "the refresh was still running while both readers read"
    finally:
        refresh.wait(timeout=1200)
        reader.join(timeout=60)
    assert refresh.returncode == 0, "".join(lines)[-4000:]
    assert any(f"published warehouse: {copy / 'cxcs.duckdb'}" in line for line in lines)


def test_mf_validate_configs_runs_every_metric_against_the_published_file(warehouse: Path) -> None:
    """MetricFlow's own checks: the semantic manifest, then every semantic model, dimension,
    entity, measure and metric queried on the published file (read-only)."""
    env = {**os.environ, "DBT_TARGET": "semantic", "CXCS_WAREHOUSE_DIR": str(warehouse)}
    env.pop("CXCS_DUCKDB_PATH", None)
    result = subprocess.run(
        [MF, "validate-configs"], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=900
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    for stage in (
        "semantics of built manifest",
        "semantic models against data warehouse",
        "metrics against data warehouse",
    ):
        assert any(
            "Successfully validated" in line and stage in line and "(ERRORS: 0, FUTURE_ERRORS: 0, WARNINGS: 0)" in line
            for line in output.splitlines()
        ), stage


# --------------------------------------------------------------------------- docs
def test_dbt_docs_generate_reads_the_published_file_and_shows_the_consumers(warehouse: Path, tmp_path: Path) -> None:
    """`dbt docs generate` through the read-only semantic target: the catalog comes from the
    published file, and the exposures put the scorecard and the semantic layer in the lineage."""
    import json

    env = {**os.environ, "DBT_TARGET": "semantic", "CXCS_WAREHOUSE_DIR": str(warehouse)}
    env.pop("CXCS_DUCKDB_PATH", None)
    # As `make docs`: parse, then generate without compiling (the published file has no
    # intermediate tables to compile against).
    for command in (["parse"], ["docs", "generate", "--no-compile"]):
        dbt_cli(tmp_path, *command, env=env)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert (tmp_path / "target" / "index.html").exists()
    marts = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"}
    assert {"cx_nps_monthly", "cs_revenue_monthly", "fct_mrr_movements"} <= marts
    # every mart and semantic-layer table is in the catalog with its columns, read from the published
    # file (ephemeral models, the health marts' steps, are compiled into their marts: no relation)
    for node in manifest["nodes"].values():
        if (
            node["resource_type"] == "model"
            and node["schema"] in ("marts", "semantic")
            and node["config"]["materialized"] != "ephemeral"
        ):
            assert node["unique_id"] in catalog["nodes"], node["name"]
            assert catalog["nodes"][node["unique_id"]]["columns"], node["name"]
    exposures = {e["name"]: set(e["depends_on"]["nodes"]) for e in manifest["exposures"].values()}
    assert {"cx_cs_scorecard", "semantic_layer", "bi_tools"} <= set(exposures)
    assert "model.cxcs.cx_nps_monthly" in exposures["cx_cs_scorecard"]
    assert "model.cxcs.fct_mrr_movements" in exposures["semantic_layer"]
    semantic_models = {s["name"]: s["node_relation"]["relation_name"] for s in manifest["semantic_models"].values()}
    assert semantic_models["survey_responses"].endswith('"marts"."fct_survey_responses"')
    assert {
        "nps",
        "csat_pct",
        "ces_mean",
        "response_rate_pct",
        "mrr",
        "arr",
        "nrr_pct",
        "grr_pct",
        "nrr_12m_pct",
        "grr_12m_pct",
        "logo_churn_rate_pct",
    } <= {m["name"] for m in manifest["metrics"].values()}


# --------------------------------------------------------------------------- adoption and health
def test_health_seat_utilisation_and_open_alerts_equal_the_marts(warehouse: Path, tmp_path: Path) -> None:
    """avg_health_score = sum(health_score) / scored account-days of cs_account_health_daily;
    seat_utilisation_pct = 100 * sum(mau) / sum(licensed_seats) of product_usage_daily (for one
    account and day: the mart's seat_utilisation_pct); open_alerts = sum of customer_360.open_alerts."""
    rows = mf_query(
        warehouse,
        [
            "avg_health_score",
            "health_score_sum",
            "scored_account_days",
            "seat_utilisation_pct",
            "mau_sum",
            "licensed_seats_sum",
            "open_alerts",
        ],
        ["metric_time__month", "account__segment"],
        tmp_path / "health.csv",
    )
    health = {
        (r["month"], r["segment"]): r
        for r in mart(
            warehouse,
            "select cast(date_trunc('month', h.date) as date) as month, a.segment, sum(h.health_score) as total, "
            "count(h.health_score) as days from marts.cs_account_health_daily as h "
            "join semantic.sem_accounts as a using (account_id) group by 1, 2",
        )
    }
    usage = {
        (r["month"], r["segment"]): r
        for r in mart(
            warehouse,
            "select cast(date_trunc('month', u.date) as date) as month, a.segment, "
            "sum(case when u.licensed_seats > 0 then u.mau else 0 end) as mau, "
            "sum(case when u.licensed_seats > 0 then u.licensed_seats else 0 end) as seats "
            "from marts.product_usage_daily as u join semantic.sem_accounts as a using (account_id) group by 1, 2",
        )
    }
    alerts = {
        r["segment"]: r["open_alerts"]
        for r in mart(warehouse, "select segment, sum(open_alerts) as open_alerts from marts.customer_360 group by 1")
    }
    checked = 0
    for row in rows:
        key = (as_date(row["metric_time__month"]), row["account__segment"])
        if number(row["scored_account_days"]):
            m = health.pop(key)
            assert int(number(row["scored_account_days"])) == m["days"]
            assert number(row["health_score_sum"]) == m["total"]
            assert math.isclose(float(number(row["avg_health_score"])), float(m["total"]) / m["days"], rel_tol=1e-9)
            checked += 1
        if number(row["licensed_seats_sum"]):
            m = usage.pop(key)
            assert int(number(row["mau_sum"])) == m["mau"] and int(number(row["licensed_seats_sum"])) == m["seats"]
            assert math.isclose(float(number(row["seat_utilisation_pct"])), 100 * m["mau"] / m["seats"], rel_tol=1e-9)
        if number(row["open_alerts"]) is not None:
            assert int(number(row["open_alerts"])) == alerts[row["account__segment"]]
    assert not health and checked >= 6
    assert not {k: v for k, v in usage.items() if v["seats"]}


def test_feature_adoption_by_day_and_feature_equals_product_feature_adoption(warehouse: Path, tmp_path: Path) -> None:
    rows = mf_query(
        warehouse,
        ["feature_adoption_pct", "accounts_using_feature_30d", "feature_paying_accounts"],
        ["metric_time__day", "feature_day__feature"],
        tmp_path / "features.csv",
    )
    published = {(r["date"], r["feature"]): r for r in mart(warehouse, "select * from marts.product_feature_adoption")}
    got = {(as_date(r["metric_time__day"]), r["feature_day__feature"]): r for r in rows}
    assert set(got) == set(published) and len({k[1] for k in got}) >= 3
    for key, row in got.items():
        m = published[key]
        assert int(number(row["accounts_using_feature_30d"])) == m["accounts_using_30d"]
        assert int(number(row["feature_paying_accounts"])) == m["active_paying_accounts"]
        if m["active_paying_accounts"] == 0:
            assert number(row["feature_adoption_pct"]) is None and m["adoption_pct"] is None
            continue
        assert_ratio(
            row["feature_adoption_pct"],
            Fraction(100 * m["accounts_using_30d"], m["active_paying_accounts"]),
            m["adoption_pct"],
            2,
        )
    # over a month, the adoption of its last day (a snapshot, not a sum of days)
    monthly = mf_query(
        warehouse, ["feature_adoption_pct"], ["metric_time__month", "feature_day__feature"], tmp_path / "fm.csv"
    )
    for row in monthly:
        month, feature = as_date(row["metric_time__month"]), row["feature_day__feature"]
        last_day = max(d for d, f in published if f == feature and (d.year, d.month) == (month.year, month.month))
        assert number(row["feature_adoption_pct"]) == number(got[(last_day, feature)]["feature_adoption_pct"])
