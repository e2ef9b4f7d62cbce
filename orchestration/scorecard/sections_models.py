"""Model sections of the scorecard (issue 18): observed Kaplan-Meier retention with the sBG
projection over it, the CLV distribution (model-based beside simple), and the out-of-time
evaluation of the learned churn risk beside the fixed health score. Numbers are mart values;
the page only groups them (deciles of accounts, one series per scorer)."""

from __future__ import annotations

from html import escape
from typing import Any

import orchestration.scorecard.charts as charts
from orchestration.scorecard.warehouse import MARTS_SCHEMA, Card, NotAvailable, Warehouse, data_table, definition


def _projection(wh: Warehouse) -> tuple[dict[str, dict[int, float]], dict[str, dict[str, Any]]]:
    """sBG projected retention by segment and period, and each segment's fit row; empty when
    the retention model is not published (the observed curves still draw)."""
    if not {"cs_retention_curves", "cs_retention_model"} <= wh.tables:
        return {}, {}
    curves: dict[str, dict[int, float]] = {}
    for r in wh.rows(
        f"select segment, period, projected_retention from {MARTS_SCHEMA}.cs_retention_curves "
        "where projected_retention is not null order by segment, period"
    ):
        curves.setdefault(r["segment"], {})[r["period"]] = r["projected_retention"]
    fits = {
        r["segment"]: r
        for r in wh.rows(
            f"select segment, alpha, beta, mean_churn_probability, accounts, converged, fit_note "
            f"from {MARTS_SCHEMA}.cs_retention_model"
        )
    }
    return curves, fits


def fit_caption(segment: str, fit: dict[str, Any] | None) -> str:
    if fit is None:
        return "No sBG fit published (cs_retention_model is not in this warehouse)."
    if fit["alpha"] is None:
        return f"No sBG projection for {segment}: {fit['fit_note'] or 'not fitted'}."
    text = (
        f"sBG fit of {segment}: alpha {fit['alpha']:.3f}, beta {fit['beta']:.3f}, "
        f"mean monthly churn probability {100 * fit['mean_churn_probability']:.2f}% over {fit['accounts']} accounts."
    )
    # the fit note also says when the optimiser stopped at its parameter bound: the fit's limit
    return text + (f" Fit at its limit: {fit['fit_note']}." if fit["fit_note"] else "")


def survival_section(wh: Warehouse) -> Card:
    rows = wh.mart_rows(
        "cs_survival_curves",
        "select breakdown_value as segment, period, accounts_at_risk, accounts_lost, survival, ci_lower_95, "
        f"ci_upper_95 from {MARTS_SCHEMA}.cs_survival_curves where breakdown in ('all', 'segment') "
        "order by breakdown, breakdown_value, period",
        "No account has completed a month of tenure yet.",
    )
    projected, fits = _projection(wh)
    segments = list(dict.fromkeys(r["segment"] for r in rows))
    parts, made = [], []
    for segment in segments:
        observed = {r["period"]: r for r in rows if r["segment"] == segment}
        # period 0 is the acquisition month: everyone retained (KM starts at 1)
        last = max([*observed, *projected.get(segment, {})])
        periods = range(last + 1)
        km = [1.0 if t == 0 else observed[t]["survival"] if t in observed else None for t in periods]
        lower = [1.0 if t == 0 else observed[t]["ci_lower_95"] if t in observed else None for t in periods]
        upper = [1.0 if t == 0 else observed[t]["ci_upper_95"] if t in observed else None for t in periods]
        series = [charts.Series("Observed (Kaplan-Meier)", km, charts.PALETTE[0])]
        if segment in projected:
            series.append(
                charts.Series("sBG projection", [projected[segment].get(t) for t in periods], charts.PALETTE[1])
            )
        chart = f"survival_{segment}"
        parts.append(f"<h3>Retention by month of tenure: {escape(segment)}</h3>")
        parts.append(
            charts.line_chart(
                chart,
                f"Share of accounts still paying by month of tenure, {segment}: Kaplan-Meier with 95% interval"
                + (" and the sBG projection" if segment in projected else ""),
                [str(t) for t in periods],
                series,
                band=(lower, upper),
                decimals=2,
                include_zero=True,
            )
        )
        parts.append(
            f'<p class="caption" data-fit="{escape(segment)}">{escape(fit_caption(segment, fits.get(segment) if fits else None))}</p>'
        )
        made.append(chart)
    parts.append(
        '<p class="caption">Blue: observed Kaplan-Meier survival of the first paying spell, band: its 95% '
        "interval (Greenwood, log-log); orange: the shifted-beta-geometric projection, 24 months past the data.</p>"
    )
    return Card(
        "".join(parts)
        + definition(wh, "cs_survival_curves", ["survival", "ci_lower_95", "ci_upper_95", "accounts_at_risk"])
        + definition(wh, "cs_retention_model", ["alpha", "beta", "fit_note"])
        + data_table(
            rows, ["segment", "period", "accounts_at_risk", "accounts_lost", "survival", "ci_lower_95", "ci_upper_95"]
        ),
        made,
    )


CLV_DECILES = f"""
with paying as (
    select account_id, model_clv, predicted_clv from {MARTS_SCHEMA}.cs_clv where current_mrr > 0
), ranked as (
    select 'model_clv' as measure, model_clv as value, ntile(10) over (order by model_clv) as decile
    from paying where model_clv is not null
    union all
    select 'predicted_clv', predicted_clv, ntile(10) over (order by predicted_clv)
    from paying where predicted_clv is not null
)
select measure, decile, count(*) as accounts, avg(value) as mean_clv, min(value) as min_clv, max(value) as max_clv
from ranked group by measure, decile order by measure, decile
"""


def clv_section(wh: Warehouse) -> Card:
    wh.require("cs_clv")
    summary = wh.rows(
        "select count(*) as accounts, count(model_clv) as modelled, median(model_clv) as median_model_clv, "
        "median(predicted_clv) as median_predicted_clv, sum(model_clv) as total_model_clv "
        f"from {MARTS_SCHEMA}.cs_clv where current_mrr > 0"
    )[0]
    if not summary["accounts"]:
        raise NotAvailable("No paying account at the as-of date.")
    deciles = wh.rows(CLV_DECILES)
    by = {m: {r["decile"]: r["mean_clv"] for r in deciles if r["measure"] == m} for m in ("model_clv", "predicted_clv")}
    labels = [f"D{d}" for d in range(1, 11)]
    svg = charts.line_chart(
        "clv_deciles",
        "Mean CLV per decile of paying accounts: model-based (sBG DERL) beside simple (segment)",
        labels,
        [
            charts.Series(
                "Model CLV (sBG DERL)", [by["model_clv"].get(d) for d in range(1, 11)], charts.PALETTE[0], "$"
            ),
            charts.Series(
                "Simple CLV (segment)", [by["predicted_clv"].get(d) for d in range(1, 11)], charts.PALETTE[1], "$"
            ),
        ],
        include_zero=True,
    )
    caption = (
        f'<p class="caption" data-clv="median">{summary["accounts"]} paying accounts. Median model CLV '
        f"<strong>{escape(charts.fmt(summary['median_model_clv'], unit='$'))}</strong>, median simple CLV "
        f"<strong>{escape(charts.fmt(summary['median_predicted_clv'], unit='$'))}</strong>. Deciles: D1 the lowest "
        "tenth of each measure. The model CLV is the residual value given each account's tenure; the simple one "
        "is the same for every account of a segment (every account equally likely to leave each month).</p>"
    )
    return Card(
        svg
        + caption
        + definition(wh, "cs_clv", ["model_clv", "derl_months", "predicted_clv", "current_mrr"])
        + data_table(deciles, ["measure", "decile", "accounts", "mean_clv", "min_clv", "max_clv"]),
        ["clv_deciles"],
    )


SCORERS = (("learned", "Learned model", charts.PALETTE[0]), ("health_score", "Fixed health score", charts.PALETTE[1]))


def churn_model_section(wh: Warehouse) -> Card:
    rows = wh.mart_rows(
        "cs_churn_model_evaluation",
        "select scope, evaluation_month, scorer, decile, accounts, churned, auc, brier, top_decile_lift, "
        f"mean_predicted, observed_rate from {MARTS_SCHEMA}.cs_churn_model_evaluation "
        "order by scope, evaluation_month, scorer, decile",
        "No evaluation month yet: the learned churn model needs a 90-day outcome window after its training cutoff.",
    )
    summaries = [r for r in rows if r["scope"] == "month" and r["decile"] == 0]
    months = sorted({r["evaluation_month"] for r in summaries})
    auc = {(r["evaluation_month"], r["scorer"]): r["auc"] for r in summaries}
    parts, made = [], []
    if months:
        parts.append("<h3>Out-of-time ROC AUC per evaluation month</h3>")
        parts.append(
            charts.line_chart(
                "churn_auc",
                "ROC AUC of 90-day logo churn per evaluation month: learned model vs fixed health score",
                [f"{m:%b %y}" for m in months],
                [charts.Series(name, [auc.get((m, key)) for m in months], colour) for key, name, colour in SCORERS],
                decimals=2,
                reference=0.5,
            )
        )
        made.append("churn_auc")
    pooled = {r["scorer"]: r for r in rows if r["scope"] == "all_months" and r["decile"] == 0}
    calibration = [r for r in rows if r["scope"] == "all_months" and r["scorer"] == "learned" and r["decile"] > 0]
    if calibration:
        parts.append("<h3>Calibration of the learned model by decile, every evaluation month pooled</h3>")
        parts.append(
            charts.line_chart(
                "churn_calibration",
                "Mean predicted vs observed 90-day churn rate % by decile of predicted risk (1 = highest)",
                [str(r["decile"]) for r in calibration],
                [
                    charts.Series(
                        "Predicted", [100 * r["mean_predicted"] for r in calibration], charts.PALETTE[0], "%"
                    ),
                    charts.Series("Observed", [100 * r["observed_rate"] for r in calibration], charts.PALETTE[2], "%"),
                ],
                include_zero=True,
            )
        )
        made.append("churn_calibration")
    if pooled:
        parts.append(
            '<p class="caption" data-auc="pooled">Pooled over the evaluation months: '
            + "; ".join(
                f"{escape(name)} AUC <strong>{pooled[key]['auc']:.3f}</strong>, Brier {pooled[key]['brier']:.4f}, "
                f"top-decile lift {pooled[key]['top_decile_lift']:.2f}"
                for key, name, _ in SCORERS
                if key in pooled and pooled[key]["auc"] is not None
            )
            + ". Each month is scored by a model fitted only on earlier outcomes (never a random split).</p>"
        )
    return Card(
        "".join(parts)
        + definition(
            wh, "cs_churn_model_evaluation", ["auc", "brier", "top_decile_lift", "mean_predicted", "observed_rate"]
        )
        + data_table(
            [r for r in rows if r["decile"] == 0 or r["scope"] == "all_months"],
            [
                "scope",
                "evaluation_month",
                "scorer",
                "decile",
                "accounts",
                "churned",
                "auc",
                "brier",
                "mean_predicted",
                "observed_rate",
            ],
            limit=200,
        ),
        made,
    )
