"""The CX/CS scorecard: one self-contained HTML page built from the published warehouse.

``build_scorecard(published, out)`` opens the published DuckDB file read-only, reads the
marts (no number is computed here: every value drawn is a published mart value), draws
inline SVG charts (``orchestration.scorecard_charts``) and writes one HTML file with inline
CSS and no script, so it opens from disk with no network. Every section carries its
definition one click away (a ``<details>`` holding the dbt descriptions of the mart and
columns it draws, read from the dbt manifest) and the numbers behind the chart. A section
whose mart is not published in this warehouse says so instead of failing.

The Dagster asset ``scorecard`` (orchestration/definitions.py) rebuilds it after every
publication, to ``<warehouse>/scorecard.html``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from orchestration import scorecard_charts as charts

SCORECARD_FILE_NAME = "scorecard.html"
MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class SectionResult:
    key: str
    title: str
    available: bool
    charts: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Scorecard:
    path: Path
    sections: tuple[SectionResult, ...]

    @property
    def charts(self) -> tuple[str, ...]:
        return tuple(c for s in self.sections for c in s.charts)

    @property
    def unavailable(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.sections if not s.available)


class NotAvailable(Exception):
    """A section cannot be drawn from this warehouse (a mart or column is not published)."""


# --------------------------------------------------------------------------- reading
class Warehouse:
    """Read-only access to the published marts, and the dbt docs of what is drawn."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, docs: dict[str, dict[str, Any]], current_month: date) -> None:
        self.conn = conn
        self.docs = docs
        # The month of the publication: still running, so headline numbers use the month before.
        self.current_month = current_month
        self.tables = {
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables where table_schema = ?", [MARTS_SCHEMA]
            ).fetchall()
        }

    def require(self, *marts: str) -> None:
        missing = [m for m in marts if m not in self.tables]
        if missing:
            raise NotAvailable(
                "Not available in this warehouse: "
                + ", ".join(f"{MARTS_SCHEMA}.{m}" for m in missing)
                + (" is" if len(missing) == 1 else " are")
                + " not published."
            )

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            cursor = self.conn.execute(sql, list(params))
        except (duckdb.CatalogException, duckdb.BinderException) as error:
            raise NotAvailable(f"Not available in this warehouse: {error}") from error
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, (plain(v) for v in row))) for row in cursor.fetchall()]


def last_full_month(wh: Warehouse, rows: Sequence[dict[str, Any]], key: str = "month") -> dict[str, Any]:
    """The latest row of a month before the publication's month (else the latest row)."""
    full = [r for r in rows if r[key] < wh.current_month]
    return full[-1] if full else rows[-1]


def plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def load_docs(manifest_path: Path | None) -> dict[str, dict[str, Any]]:
    """Model and column descriptions of the marts, from dbt's manifest.json (empty when absent)."""
    if manifest_path is None or not manifest_path.exists():
        return {}
    manifest = json.loads(manifest_path.read_text())
    docs: dict[str, dict[str, Any]] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model":
            docs[node["name"]] = {
                "description": node.get("description", ""),
                "columns": {name: col.get("description", "") for name, col in node.get("columns", {}).items()},
            }
    return docs


# --------------------------------------------------------------------------- page parts
def month_label(value: date) -> str:
    return value.strftime("%b %y")


def definition(wh: Warehouse, model: str, columns: Sequence[str]) -> str:
    doc = wh.docs.get(model)
    if doc is None:
        body = f"<p>See the dbt docs of <code>{MARTS_SCHEMA}.{escape(model)}</code> (dbt docs generate).</p>"
    else:
        items = "".join(
            f"<dt><code>{escape(c)}</code></dt><dd>{escape(doc['columns'].get(c, ''))}</dd>" for c in columns
        )
        body = f"<p>{escape(doc['description'])}</p><dl>{items}</dl>"
    return (
        f'<details class="definition"><summary>Definition <span class="model">({escape(model)})</span></summary>'
        f"<p class=\"source\">Source: <code>{MARTS_SCHEMA}.{escape(model)}</code></p>{body}</details>"
    )


def data_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], limit: int = 60) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:,.2f}"
        return escape(str(v))

    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows[-limit:])
    return (
        f'<details class="numbers"><summary>Numbers</summary><div class="scroll"><table>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></details>"
    )


@dataclass
class Card:
    html: str
    charts: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- sections
def nps_section(wh: Warehouse) -> Card:
    wh.require("cx_nps_monthly")
    rows = wh.rows(
        f"select month, responses, promoters, passives, detractors, nps, nps_moe_95 "
        f"from {MARTS_SCHEMA}.cx_nps_monthly where dimension = 'overall' order by month"
    )
    if not rows:
        raise NotAvailable("No NPS responses yet.")
    nps = [r["nps"] for r in rows]
    lower = [None if r["nps"] is None else r["nps"] - r["nps_moe_95"] for r in rows]
    upper = [None if r["nps"] is None else r["nps"] + r["nps_moe_95"] for r in rows]
    svg = charts.line_chart(
        "nps",
        "NPS by month with its 95% margin of error",
        [month_label(r["month"]) for r in rows],
        [charts.Series("NPS", nps)],
        band=(lower, upper),
        reference=0.0,
    )
    return Card(
        svg
        + '<p class="caption">Line: NPS of the month (all responses); band: NPS ± its 95% margin of error. '
        "Months without responses are gaps.</p>"
        + definition(wh, "cx_nps_monthly", ["nps", "nps_moe_95", "promoters", "detractors", "responses"])
        + data_table(rows, ["month", "responses", "promoters", "passives", "detractors", "nps", "nps_moe_95"]),
        ["nps"],
    )


def csat_section(wh: Warehouse) -> Card:
    wh.require("cx_csat_monthly")
    rows = wh.rows(
        f"select month, responses, satisfied, csat_pct, csat_mean from {MARTS_SCHEMA}.cx_csat_monthly "
        "where dimension = 'overall' order by month"
    )
    if not rows:
        raise NotAvailable("No CSAT responses yet.")
    svg = charts.line_chart(
        "csat",
        "CSAT % by month",
        [month_label(r["month"]) for r in rows],
        [charts.Series("CSAT %", [r["csat_pct"] for r in rows], charts.PALETTE[2], "%")],
    )
    return Card(
        svg
        + definition(wh, "cx_csat_monthly", ["csat_pct", "csat_mean", "satisfied", "responses"])
        + data_table(rows, ["month", "responses", "satisfied", "csat_pct", "csat_mean"]),
        ["csat"],
    )


def ces_section(wh: Warehouse) -> Card:
    wh.require("cx_ces_monthly")
    rows = wh.rows(
        f"select month, responses, high_effort, ces_mean, high_effort_pct from {MARTS_SCHEMA}.cx_ces_monthly "
        "where dimension = 'overall' order by month"
    )
    if not rows:
        raise NotAvailable("No CES responses yet.")
    svg = charts.line_chart(
        "ces",
        "CES (mean effort, 1-7, lower is better) by month",
        [month_label(r["month"]) for r in rows],
        [charts.Series("CES mean", [r["ces_mean"] for r in rows], charts.PALETTE[1])],
        decimals=2,
    )
    return Card(
        svg
        + '<p class="caption">Lower is better: 1 = very low effort, 7 = very high effort.</p>'
        + definition(wh, "cx_ces_monthly", ["ces_mean", "high_effort_pct", "responses"])
        + data_table(rows, ["month", "responses", "high_effort", "ces_mean", "high_effort_pct"]),
        ["ces"],
    )


def response_rate_section(wh: Warehouse) -> Card:
    wh.require("cx_response_rates_monthly")
    rows = wh.rows(
        f"select month, survey_type, invitations, responses_to_invitations, response_rate_pct "
        f"from {MARTS_SCHEMA}.cx_response_rates_monthly order by month, survey_type"
    )
    if not rows:
        raise NotAvailable("No invitations yet.")
    months = sorted({r["month"] for r in rows})
    types = sorted({r["survey_type"] for r in rows})
    by_key = {(r["month"], r["survey_type"]): r["response_rate_pct"] for r in rows}
    series = [
        charts.Series(t.upper(), [by_key.get((m, t)) for m in months], charts.PALETTE[i % len(charts.PALETTE)], "%")
        for i, t in enumerate(types)
    ]
    svg = charts.line_chart("response_rate", "Survey response rate % by month of sending", [month_label(m) for m in months], series)
    return Card(
        svg
        + definition(wh, "cx_response_rates_monthly", ["response_rate_pct", "invitations", "responses_to_invitations"])
        + data_table(rows, ["month", "survey_type", "invitations", "responses_to_invitations", "response_rate_pct"]),
        ["response_rate"],
    )


REVENUE_COLUMNS = [
    "month", "starting_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr",
    "churned_mrr", "ending_mrr", "ending_arr", "logo_churn_pct", "nrr_1m_pct", "grr_1m_pct",
    "nrr_12m_pct", "grr_12m_pct",
]  # fmt: skip


MOVEMENT_COLUMNS = ("new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")


def revenue_rows(wh: Warehouse) -> list[dict[str, Any]]:
    wh.require("cs_revenue_monthly")
    rows = wh.rows(
        f"select {', '.join(REVENUE_COLUMNS)} from {MARTS_SCHEMA}.cs_revenue_monthly where segment = 'all' order by month"
    )
    if not rows:
        raise NotAvailable("No subscription months yet.")
    return rows


def mrr_section(wh: Warehouse) -> Card:
    rows = revenue_rows(wh)
    latest = last_full_month(wh, rows)
    moved = [r for r in rows if r["month"] <= latest["month"] and any(r[c] for c in MOVEMENT_COLUMNS)]
    note = ""
    if moved and moved[-1] is not latest:
        note = f" {latest['month']:%B %Y} had no MRR movement; the bridge shows the latest month that had."
        latest = moved[-1]
    steps = [
        ("New", latest["new_mrr"]),
        ("Reactivation", latest["reactivation_mrr"]),
        ("Expansion", latest["expansion_mrr"]),
        ("Contraction", latest["contraction_mrr"]),
        ("Churn", latest["churned_mrr"]),
    ]
    month = latest["month"]
    bridge = charts.waterfall_chart(
        "mrr_bridge", f"MRR bridge for {month:%B %Y} (USD)", steps, latest["starting_mrr"]
    )
    trend = charts.line_chart(
        "mrr_trend",
        "MRR at month end (USD)",
        [month_label(r["month"]) for r in rows],
        [charts.Series("MRR", [r["ending_mrr"] for r in rows], charts.PALETTE[0], "$")],
        include_zero=True,
        decimals=0,
    )
    return Card(
        f"<h3>Bridge, {month:%B %Y}</h3>"
        + bridge
        + f'<p class="caption">Starting MRR {charts.fmt(latest["starting_mrr"], unit="$")} → ending MRR '
        f'{charts.fmt(latest["ending_mrr"], unit="$")}.{note} The axis is zoomed on the movements '
        "(it does not start at 0); hover a bar for its amount.</p>"
        + "<h3>MRR trend</h3>"
        + trend
        + definition(
            wh,
            "cs_revenue_monthly",
            ["starting_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "ending_mrr"],
        )
        + data_table(rows, REVENUE_COLUMNS[:9]),
        ["mrr_bridge", "mrr_trend"],
    )


def retention_section(wh: Warehouse) -> Card:
    rows = revenue_rows(wh)
    names = [("NRR 12m", "nrr_12m_pct"), ("GRR 12m", "grr_12m_pct"), ("NRR 1m", "nrr_1m_pct"), ("GRR 1m", "grr_1m_pct")]
    series = [
        charts.Series(name, [r[column] for r in rows], charts.PALETTE[i], "%") for i, (name, column) in enumerate(names)
    ]
    svg = charts.line_chart(
        "retention", "Net and gross revenue retention % by month", [month_label(r["month"]) for r in rows], series, reference=100.0
    )
    return Card(
        svg
        + '<p class="caption">100% = the accounts paying at the start of the window pay as much now. '
        "12-month values start once there is a year of history.</p>"
        + definition(wh, "cs_revenue_monthly", ["nrr_12m_pct", "grr_12m_pct", "nrr_1m_pct", "grr_1m_pct", "logo_churn_pct"])
        + data_table(rows, ["month", "nrr_1m_pct", "grr_1m_pct", "nrr_12m_pct", "grr_12m_pct", "logo_churn_pct"]),
        ["retention"],
    )


def cohort_section(wh: Warehouse) -> Card:
    wh.require("cs_cohort_retention")
    rows = wh.rows(
        f"select cohort_month, months_since_start, cohort_accounts, retained_accounts, logo_retention_pct, "
        f"revenue_retention_pct from {MARTS_SCHEMA}.cs_cohort_retention order by cohort_month, months_since_start"
    )
    if not rows:
        raise NotAvailable("No cohorts yet.")
    cohorts = sorted({r["cohort_month"] for r in rows})
    width = max(r["months_since_start"] for r in rows) + 1
    index = {c: i for i, c in enumerate(cohorts)}
    cells = {
        (index[r["cohort_month"]], r["months_since_start"]): r["logo_retention_pct"]
        for r in rows
        if r["logo_retention_pct"] is not None
    }
    sizes = {index[r["cohort_month"]]: r["cohort_accounts"] for r in rows}
    svg = charts.heatmap_chart(
        "cohorts",
        "Logo retention % by monthly cohort and months since start",
        [f"{c:%Y-%m}" for c in cohorts],
        [str(m) for m in range(width)],
        cells,
        sizes,
    )
    return Card(
        svg
        + '<p class="caption">Rows: cohort (month of first MRR, with its size); columns: months since start; '
        "cell: % of the cohort still paying.</p>"
        + definition(wh, "cs_cohort_retention", ["cohort_month", "months_since_start", "logo_retention_pct", "revenue_retention_pct"])
        + data_table(rows, ["cohort_month", "months_since_start", "cohort_accounts", "retained_accounts", "logo_retention_pct", "revenue_retention_pct"], limit=400),
        ["cohorts"],
    )


BANDS = ("green", "yellow", "red")


def health_section(wh: Warehouse) -> Card:
    wh.require("cs_account_health_daily", "cs_health_backtest")
    latest = wh.rows(f"select max(date) as latest from {MARTS_SCHEMA}.cs_account_health_daily")[0]["latest"]
    if latest is None:
        raise NotAvailable("No health scores yet.")
    counts = wh.rows(
        f"select health_band, count(*) as accounts from {MARTS_SCHEMA}.cs_account_health_daily "
        "where date = ? group by health_band",
        [latest],
    )
    by_band = {r["health_band"]: r["accounts"] for r in counts}
    distribution = charts.bar_chart(
        "health_bands",
        f"Accounts per health band on {latest}",
        [b.capitalize() for b in BANDS],
        [float(by_band.get(b, 0)) for b in BANDS],
        [charts.BAND_COLOURS[b] for b in BANDS],
    )
    backtest = wh.rows(
        f"select month, health_band, accounts, churned_90d, churn_rate_pct, auc from {MARTS_SCHEMA}.cs_health_backtest "
        "order by month, health_band"
    )
    scored = [r for r in backtest if r["health_band"] == "all" and r["auc"] is not None]
    parts = [f"<h3>Band distribution, {latest}</h3>", distribution]
    made = ["health_bands"]
    if scored:
        month = scored[-1]["month"]
        rates = {r["health_band"]: r for r in backtest if r["month"] == month}
        parts.append(f"<h3>Backtest: churn within 90 days of {month:%B %Y}, by band</h3>")
        parts.append(
            charts.bar_chart(
                "health_backtest",
                f"90-day logo churn rate % by health band at {month:%B %Y}",
                [b.capitalize() for b in BANDS],
                [float(rates.get(b, {}).get("churn_rate_pct") or 0.0) for b in BANDS],
                [charts.BAND_COLOURS[b] for b in BANDS],
                unit="%",
                decimals=1,
            )
        )
        parts.append(
            f'<p class="caption">ROC AUC of (100 − score) as a churn predictor: '
            f'<strong>{scored[-1]["auc"]:.3f}</strong> (0.5 = no better than chance).</p>'
        )
        made.append("health_backtest")
    else:
        parts.append('<p class="caption">Backtest: no month has a complete 90-day outcome window yet.</p>')
    return Card(
        "".join(parts)
        + definition(wh, "cs_account_health_daily", ["health_score", "health_band"])
        + definition(wh, "cs_health_backtest", ["churn_rate_pct", "auc"])
        + data_table(backtest, ["month", "health_band", "accounts", "churned_90d", "churn_rate_pct", "auc"]),
        made,
    )


def adoption_section(wh: Warehouse) -> Card:
    wh.require("product_feature_adoption")
    latest = wh.rows(f"select max(date) as latest from {MARTS_SCHEMA}.product_feature_adoption")[0]["latest"]
    if latest is None:
        raise NotAvailable("No feature usage yet.")
    rows = wh.rows(
        f"select feature, accounts_using_30d, active_paying_accounts, adoption_pct "
        f"from {MARTS_SCHEMA}.product_feature_adoption where date = ? order by adoption_pct desc nulls last, feature",
        [latest],
    )
    svg = charts.bar_chart(
        "feature_adoption",
        f"Feature adoption % of paying accounts, trailing 30 days to {latest}",
        [r["feature"] for r in rows],
        [float(r["adoption_pct"] or 0.0) for r in rows],
        unit="%",
        decimals=1,
        max_value=100.0,
    )
    return Card(
        svg
        + definition(wh, "product_feature_adoption", ["adoption_pct", "accounts_using_30d", "active_paying_accounts"])
        + data_table(rows, ["feature", "accounts_using_30d", "active_paying_accounts", "adoption_pct"]),
        ["feature_adoption"],
    )


ALERT_WINDOW_DAYS = 30


def alerts_section(wh: Warehouse) -> Card:
    """Open alerts: still in their 30-day cool-down on the as-of date (customer_360.open_alerts'
    rule, so the bars add up to its total); without customer_360, the alerts of the last 30 days."""
    wh.require("cs_playbook_alerts")
    as_of = None
    if "customer_360" in wh.tables:
        as_of = wh.rows(f"select max(as_of_date) as as_of from {MARTS_SCHEMA}.customer_360")[0]["as_of"]
    columns = "triggered_at, account_id, alert_type, priority, reason"
    try:
        if as_of is None:
            raise NotAvailable("no as-of date")
        where, params = "trigger_date <= ? and cool_down_until >= ?", [as_of, as_of]
        counts = wh.rows(
            f"select alert_type, count(*) as alerts from {MARTS_SCHEMA}.cs_playbook_alerts where {where} "
            "group by alert_type order by alerts desc, alert_type",
            params,
        )
        heading = f"Open playbook alerts on {as_of}, by type"
        caption = "Open = raised within the 30-day cool-down before the as-of date (one per account and type)."
    except NotAvailable:
        latest = wh.rows(f"select max(triggered_at) as latest from {MARTS_SCHEMA}.cs_playbook_alerts")[0]["latest"]
        if latest is None:
            raise NotAvailable("No playbook alerts.") from None
        where = f"triggered_at > cast(? as timestamp) - interval {ALERT_WINDOW_DAYS} day"
        params = [latest]
        counts = wh.rows(
            f"select alert_type, count(*) as alerts from {MARTS_SCHEMA}.cs_playbook_alerts where {where} "
            "group by alert_type order by alerts desc, alert_type",
            params,
        )
        heading = f"Playbook alerts raised in the {ALERT_WINDOW_DAYS} days to {latest:%Y-%m-%d}, by type"
        caption = f"Alerts of the last {ALERT_WINDOW_DAYS} days (the playbook cool-down), one per account and type."
    recent = wh.rows(
        f"select {columns} from {MARTS_SCHEMA}.cs_playbook_alerts where {where} "
        "order by triggered_at desc, alert_id limit 25",
        params,
    )
    svg = charts.bar_chart(
        "alerts",
        heading,
        [r["alert_type"] for r in counts],
        [float(r["alerts"]) for r in counts],
        [charts.NEGATIVE] * len(counts),
    )
    return Card(
        f"<h3>{escape(heading)}</h3>"
        + (svg if counts else '<p class="caption">No open alerts.</p>')
        + f'<p class="caption">{escape(caption)} The table lists the latest 25.</p>'
        + definition(wh, "cs_playbook_alerts", ["alert_type", "priority", "triggered_at", "reason"])
        + data_table(list(reversed(recent)), ["triggered_at", "account_id", "alert_type", "priority", "reason"]),
        ["alerts"] if counts else [],
    )


SECTIONS: tuple[tuple[str, str, Callable[[Warehouse], Card]], ...] = (
    ("nps", "Net Promoter Score", nps_section),
    ("csat", "Customer satisfaction (CSAT)", csat_section),
    ("ces", "Customer effort (CES)", ces_section),
    ("response_rate", "Survey response rates", response_rate_section),
    ("mrr", "MRR bridge and trend", mrr_section),
    ("retention", "Net and gross revenue retention", retention_section),
    ("cohorts", "Cohort retention", cohort_section),
    ("health", "Account health", health_section),
    ("adoption", "Feature adoption", adoption_section),
    ("alerts", "Open playbook alerts", alerts_section),
)


# --------------------------------------------------------------------------- headline numbers
KPIS: tuple[tuple[str, str, str, str, str, int], ...] = (
    # label, mart, column, filter, unit, decimals: the mart's value for the last full month
    ("NPS", "cx_nps_monthly", "nps", "dimension = 'overall'", "", 1),
    ("CSAT", "cx_csat_monthly", "csat_pct", "dimension = 'overall'", "%", 1),
    ("CES", "cx_ces_monthly", "ces_mean", "dimension = 'overall'", "", 2),
    ("MRR", "cs_revenue_monthly", "ending_mrr", "segment = 'all'", "$", 0),
    ("ARR", "cs_revenue_monthly", "ending_arr", "segment = 'all'", "$", 0),
    ("NRR 12m", "cs_revenue_monthly", "nrr_12m_pct", "segment = 'all'", "%", 1),
    ("GRR 12m", "cs_revenue_monthly", "grr_12m_pct", "segment = 'all'", "%", 1),
    ("Logo churn", "cs_revenue_monthly", "logo_churn_pct", "segment = 'all'", "%", 2),
)


def kpi_tiles(wh: Warehouse) -> str:
    tiles = []
    for label, mart, column, where, unit, decimals in KPIS:
        if mart not in wh.tables:
            continue
        try:
            rows = wh.rows(
                f"select month, {column} as value from {MARTS_SCHEMA}.{mart} "
                f"where {where} and {column} is not null order by month"
            )
        except NotAvailable:
            continue
        if not rows:
            continue
        row = last_full_month(wh, rows)
        tiles.append(
            f'<div class="kpi" data-kpi="{escape(column)}"><div class="kpi-label">{escape(label)}</div>'
            f'<div class="kpi-value">{escape(charts.fmt(row["value"], decimals, unit))}</div>'
            f'<div class="kpi-when">{row["month"]:%B %Y}</div></div>'
        )
    return f'<section class="kpis" aria-label="Headline numbers">{"".join(tiles)}</section>' if tiles else ""


def publication_note(wh: Warehouse) -> str:
    """What the quality gate recorded for this publication (marts.publication), when present."""
    if "publication" not in wh.tables:
        return ""
    try:
        rows = wh.rows(
            f"select run_id, max(published_at) as published_at, count(*) as marts, "
            f"sum(dbt_tests_passed) as dbt_tests, sum(gx_expectations_passed) as expectations, "
            f"sum(warnings) as warnings from {MARTS_SCHEMA}.publication "
            f"where run_id = (select run_id from {MARTS_SCHEMA}.publication order by published_at desc limit 1) "
            "group by run_id"
        )
    except NotAvailable:
        return ""
    if not rows:
        return ""
    r = rows[0]
    return (
        f'<p class="publication">Run {escape(str(r["run_id"]))} published {r["marts"]} marts at '
        f'{r["published_at"]:%Y-%m-%d %H:%M} UTC after {r["dbt_tests"]} dbt tests and '
        f'{r["expectations"]} quality-gate expectations passed; warn-only checks not passed: {r["warnings"]}.</p>'
    )


# --------------------------------------------------------------------------- page
CSS = """
:root { --ink:#1b1b1b; --muted:#5b6470; --line:#e3e6ea; --card:#fff; --bg:#f4f6f8; --accent:#0072B2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; color:var(--ink); background:var(--bg); }
header { padding:20px 28px 8px; }
header h1 { margin:0 0 4px; font-size:24px; }
header p { margin:0; color:var(--muted); }
header p.publication { font-size:13px; margin-top:2px; }
main { padding:8px 28px 32px; display:grid; grid-template-columns:repeat(auto-fit,minmax(560px,1fr)); gap:18px; }
.kpis { grid-column:1/-1; display:flex; flex-wrap:wrap; gap:12px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 16px; min-width:130px; }
.kpi-label { color:var(--muted); font-size:13px; }
.kpi-value { font-size:24px; font-weight:650; }
.kpi-when { color:var(--muted); font-size:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 18px; min-width:0; }
.card h2 { margin:0 0 8px; font-size:18px; }
.card h3 { margin:10px 0 2px; font-size:14px; color:var(--muted); font-weight:600; }
.card.unavailable { background:#fafafa; color:var(--muted); }
.card.unavailable .status { font-style:italic; }
svg.chart { width:100%; height:auto; display:block; }
svg .grid { stroke:var(--line); stroke-width:1; }
svg .reference { stroke:#999; stroke-dasharray:4 3; }
svg text { font-size:11px; fill:#444; }
svg .category, svg .value { font-size:12px; }
svg .cell-value { font-size:10px; }
svg circle.point:hover, svg rect:hover { opacity:.75; }
.caption { color:var(--muted); font-size:13px; margin:6px 0; }
details { margin-top:6px; border-top:1px solid var(--line); padding-top:6px; }
summary { cursor:pointer; color:var(--accent); font-weight:600; }
summary .model { color:var(--muted); font-weight:400; font-size:12px; }
details dt { font-weight:600; margin-top:4px; }
details dd { margin:0 0 4px 12px; }
.scroll { max-height:260px; overflow:auto; }
table { border-collapse:collapse; font-size:12px; width:100%; }
th, td { text-align:right; padding:2px 6px; border-bottom:1px solid var(--line); white-space:nowrap; }
th:first-child, td:first-child { text-align:left; }
footer { padding:0 28px 24px; color:var(--muted); font-size:12px; }
"""


def render(wh: Warehouse, title: str, subtitle: str) -> tuple[str, tuple[SectionResult, ...]]:
    cards, results = [], []
    for key, section_title, build in SECTIONS:
        try:
            card = build(wh)
        except NotAvailable as reason:
            cards.append(
                f'<section class="card unavailable" id="{key}" data-section="{key}" data-available="false">'
                f'<h2>{escape(section_title)}</h2><p class="status">{escape(str(reason))}</p></section>'
            )
            results.append(SectionResult(key, section_title, False, note=str(reason)))
            continue
        cards.append(
            f'<section class="card" id="{key}" data-section="{key}" data-available="true">'
            f"<h2>{escape(section_title)}</h2>{card.html}</section>"
        )
        results.append(SectionResult(key, section_title, True, tuple(card.charts)))
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p>{publication_note(wh)}</header>"
        f"<main>{kpi_tiles(wh)}{''.join(cards)}</main>"
        "<footer>Every number is read from the published marts. Headline numbers are those of the last full "
        "month (the month of publication is still running; the charts include it). Open “Definition” under a "
        "chart for its meaning and “Numbers” for the values drawn; hover a point or bar for its value.</footer>"
        "</body></html>\n"
    )
    return page, tuple(results)


def build_scorecard(published_path: Path, out_path: Path, manifest_path: Path | None = None) -> Scorecard:
    """Read the published warehouse (read-only) and write the scorecard atomically."""
    if not published_path.exists():
        raise FileNotFoundError(f"no published warehouse at {published_path}")
    published_at = datetime.fromtimestamp(published_path.stat().st_mtime, tz=timezone.utc)
    docs = load_docs(manifest_path)
    with duckdb.connect(str(published_path), read_only=True) as conn:
        page, sections = render(
            Warehouse(conn, docs, published_at.date().replace(day=1)),
            "CX / CS scorecard",
            f"Published warehouse {published_path.name}, published {published_at:%Y-%m-%d %H:%M} UTC. "
            "Customer Experience (NPS, CSAT, CES) and Customer Success (MRR, retention, health, adoption).",
        )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_path)
    return Scorecard(path=out_path, sections=sections)
