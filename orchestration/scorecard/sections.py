"""The scorecard's sections, one function per chart card: each reads its marts and returns a
``Card`` or raises ``NotAvailable`` when a mart it draws is not published. ``SECTIONS`` is the
page order."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import orchestration.scorecard.charts as charts
from orchestration.scorecard.sections_models import churn_model_section, clv_section, survival_section
from orchestration.scorecard.sections_voc import key_drivers_section, themes_section
from orchestration.scorecard.warehouse import (
    MARTS_SCHEMA,
    Card,
    NotAvailable,
    Warehouse,
    data_table,
    definition,
    last_full_month,
    month_label,
)


def nps_section(wh: Warehouse) -> Card:
    rows = wh.mart_rows(
        "cx_nps_monthly",
        f"select month, responses, promoters, passives, detractors, nps, nps_moe_95 "
        f"from {MARTS_SCHEMA}.cx_nps_monthly where dimension = 'overall' order by month",
        "No NPS responses yet.",
    )
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
        svg + '<p class="caption">Line: NPS of the month (all responses); band: NPS ± its 95% margin of error. '
        "Months without responses are gaps.</p>"
        + definition(wh, "cx_nps_monthly", ["nps", "nps_moe_95", "promoters", "detractors", "responses"])
        + data_table(rows, ["month", "responses", "promoters", "passives", "detractors", "nps", "nps_moe_95"]),
        ["nps"],
    )


def _survey_score_card(
    wh: Warehouse,
    mart: str,
    key: str,
    title: str,
    series: tuple[str, str, int, str],
    columns: dict[str, list[str]],
    caption: str = "",
) -> Card:
    """A monthly survey score (CSAT, CES) over every response: one line, its definition, its table.
    ``series``: (label, column, palette index, unit); ``columns``: "table" and "definition"."""
    rows = wh.mart_rows(
        mart,
        f"select {', '.join(columns['table'])} from {MARTS_SCHEMA}.{mart} where dimension = 'overall' order by month",
        f"No {key.upper()} responses yet.",
    )
    label, column, color, unit = series
    svg = charts.line_chart(
        key,
        title,
        [month_label(r["month"]) for r in rows],
        [charts.Series(label, [r[column] for r in rows], charts.PALETTE[color], unit)],
        decimals=1 if unit else 2,
    )
    return Card(svg + caption + definition(wh, mart, columns["definition"]) + data_table(rows, columns["table"]), [key])


def csat_section(wh: Warehouse) -> Card:
    return _survey_score_card(
        wh,
        "cx_csat_monthly",
        "csat",
        "CSAT % by month",
        ("CSAT %", "csat_pct", 2, "%"),
        {
            "table": ["month", "responses", "satisfied", "csat_pct", "csat_mean"],
            "definition": ["csat_pct", "csat_mean", "satisfied", "responses"],
        },
    )


def ces_section(wh: Warehouse) -> Card:
    return _survey_score_card(
        wh,
        "cx_ces_monthly",
        "ces",
        "CES (mean effort, 1-7, lower is better) by month",
        ("CES mean", "ces_mean", 1, ""),
        {
            "table": ["month", "responses", "high_effort", "ces_mean", "high_effort_pct"],
            "definition": ["ces_mean", "high_effort_pct", "responses"],
        },
        caption='<p class="caption">Lower is better: 1 = very low effort, 7 = very high effort.</p>',
    )


def response_rate_section(wh: Warehouse) -> Card:
    rows = wh.mart_rows(
        "cx_response_rates_monthly",
        f"select month, survey_type, invitations, responses_to_invitations, response_rate_pct "
        f"from {MARTS_SCHEMA}.cx_response_rates_monthly order by month, survey_type",
        "No invitations yet.",
    )
    months = sorted({r["month"] for r in rows})
    types = sorted({r["survey_type"] for r in rows})
    by_key = {(r["month"], r["survey_type"]): r["response_rate_pct"] for r in rows}
    series = [
        charts.Series(t.upper(), [by_key.get((m, t)) for m in months], charts.PALETTE[i % len(charts.PALETTE)], "%")
        for i, t in enumerate(types)
    ]
    svg = charts.line_chart(
        "response_rate", "Survey response rate % by month of sending", [month_label(m) for m in months], series
    )
    return Card(
        svg
        + definition(wh, "cx_response_rates_monthly", ["response_rate_pct", "invitations", "responses_to_invitations"])
        + data_table(rows, ["month", "survey_type", "invitations", "responses_to_invitations", "response_rate_pct"]),
        ["response_rate"],
    )


def trial_conversion_section(wh: Warehouse) -> Card:
    """Trial conversion per trial-start month; a month whose trial cohort is still open (a
    trial running or inside its 30-day conversion window) has no rate yet: a gap, named in the
    caption, instead of a provisional rate that could only rise."""
    rows = wh.mart_rows(
        "cx_acquisition_monthly",
        f"select month, new_accounts, trials_started, trials_converted, trial_conversion_pct, is_trial_cohort_closed "
        f"from {MARTS_SCHEMA}.cx_acquisition_monthly order by month",
        "No subscriptions yet.",
    )
    open_months = [month_label(r["month"]) for r in rows if not r["is_trial_cohort_closed"] and r["trials_started"]]
    svg = charts.line_chart(
        "trial_conversion",
        "Trial conversion % by month of trial start (closed cohorts)",
        [month_label(r["month"]) for r in rows],
        [charts.Series("Trial conversion", [r["trial_conversion_pct"] for r in rows], unit="%")],
        include_zero=True,
    )
    still_open = (
        f"Trial cohort still open, rate not final yet: {', '.join(open_months)}."
        if open_months
        else "Every cohort is closed."
    )
    return Card(
        svg + f'<p class="caption">A month\'s rate is published once every trial started in it has converted or '
        f"ended more than 30 days ago. {escape(still_open)} Months without trials are gaps.</p>"
        + definition(
            wh, "cx_acquisition_monthly", ["trial_conversion_pct", "is_trial_cohort_closed", "trials_converted"]
        )
        + data_table(
            rows,
            [
                "month",
                "new_accounts",
                "trials_started",
                "trials_converted",
                "trial_conversion_pct",
                "is_trial_cohort_closed",
            ],
        ),
        ["trial_conversion"],
    )


REVENUE_COLUMNS = [
    "month", "starting_mrr", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr",
    "churned_mrr", "ending_mrr", "ending_arr", "logo_churn_pct", "nrr_1m_pct", "grr_1m_pct",
    "nrr_12m_pct", "grr_12m_pct",
]  # fmt: skip


MOVEMENT_COLUMNS = ("new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")


def revenue_rows(wh: Warehouse) -> list[dict[str, Any]]:
    return wh.mart_rows(
        "cs_revenue_monthly",
        f"select {', '.join(REVENUE_COLUMNS)} from {MARTS_SCHEMA}.cs_revenue_monthly where segment = 'all' order by month",
        "No subscription months yet.",
    )


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
    bridge = charts.waterfall_chart("mrr_bridge", f"MRR bridge for {month:%B %Y} (USD)", steps, latest["starting_mrr"])
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
        f"{charts.fmt(latest['ending_mrr'], unit='$')}.{note} The axis is zoomed on the movements "
        "(it does not start at 0); hover a bar for its amount.</p>"
        + "<h3>MRR trend</h3>"
        + trend
        + definition(
            wh,
            "cs_revenue_monthly",
            [
                "starting_mrr",
                "new_mrr",
                "reactivation_mrr",
                "expansion_mrr",
                "contraction_mrr",
                "churned_mrr",
                "ending_mrr",
            ],
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
        "retention",
        "Net and gross revenue retention % by month",
        [month_label(r["month"]) for r in rows],
        series,
        reference=100.0,
    )
    return Card(
        svg + '<p class="caption">100% = the accounts paying at the start of the window pay as much now. '
        "12-month values start once there is a year of history.</p>"
        + definition(
            wh, "cs_revenue_monthly", ["nrr_12m_pct", "grr_12m_pct", "nrr_1m_pct", "grr_1m_pct", "logo_churn_pct"]
        )
        + data_table(rows, ["month", "nrr_1m_pct", "grr_1m_pct", "nrr_12m_pct", "grr_12m_pct", "logo_churn_pct"]),
        ["retention"],
    )


def cohort_section(wh: Warehouse) -> Card:
    rows = wh.mart_rows(
        "cs_cohort_retention",
        f"select cohort_month, months_since_start, cohort_accounts, retained_accounts, logo_retention_pct, "
        f"revenue_retention_pct from {MARTS_SCHEMA}.cs_cohort_retention order by cohort_month, months_since_start",
        "No cohorts yet.",
    )
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
        svg + '<p class="caption">Rows: cohort (month of first MRR, with its size); columns: months since start; '
        "cell: % of the cohort still paying.</p>"
        + definition(
            wh,
            "cs_cohort_retention",
            ["cohort_month", "months_since_start", "logo_retention_pct", "revenue_retention_pct"],
        )
        + data_table(
            rows,
            [
                "cohort_month",
                "months_since_start",
                "cohort_accounts",
                "retained_accounts",
                "logo_retention_pct",
                "revenue_retention_pct",
            ],
            limit=400,
        ),
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
            f"<strong>{scored[-1]['auc']:.3f}</strong> (0.5 = no better than chance).</p>"
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
    ("themes", "Comment themes", themes_section),
    ("key_drivers", "Key drivers of NPS and churn", key_drivers_section),
    ("trial_conversion", "Trial conversion", trial_conversion_section),
    ("mrr", "MRR bridge and trend", mrr_section),
    ("retention", "Net and gross revenue retention", retention_section),
    ("cohorts", "Cohort retention", cohort_section),
    ("survival", "Retention curves: observed and projected", survival_section),
    ("clv", "Customer lifetime value distribution", clv_section),
    ("health", "Account health", health_section),
    ("churn_model", "Learned churn risk: out-of-time evaluation", churn_model_section),
    ("adoption", "Feature adoption", adoption_section),
    ("alerts", "Open playbook alerts", alerts_section),
)
