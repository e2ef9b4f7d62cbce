"""Voice-of-customer sections of the scorecard (issue 17 §4): comment themes of the latest
complete month and the key drivers of NPS and churn. Every number drawn is a mart value."""

from __future__ import annotations

from html import escape
from typing import Any

import orchestration.scorecard.charts as charts
from orchestration import latest_month
from orchestration.scorecard.warehouse import MARTS_SCHEMA, Card, NotAvailable, Warehouse, data_table, definition

TOP_THEMES = 8
QUOTED_THEMES = 3
THEME_COLUMNS = (
    "theme, comments, mentions, share_of_comments_pct, share_prev_3m_pct, share_change_pts, "
    "nps_responses_mentioning, nps_mentioning, nps_not_mentioning, mean_sentiment, "
    "example_quote_1, example_quote_2, example_quote_3"
)


def trend_arrow(change: float | None) -> str:
    """▲/▼ when the theme's share of comments rose/fell against the 3 months before
    (share_change_pts), ▶ when unchanged, – when there were no comments then to compare with."""
    if change is None:
        return "–"
    return "▲" if change > 0 else "▼" if change < 0 else "▶"


def nps_gap(row: dict[str, Any]) -> float | None:
    """NPS of the respondents mentioning the theme minus the NPS of those not mentioning it
    (both cx_themes_monthly columns): the theme's NPS impact, in points."""
    if row["nps_mentioning"] is None or row["nps_not_mentioning"] is None:
        return None
    return round(row["nps_mentioning"] - row["nps_not_mentioning"], 1)


def themes_section(wh: Warehouse) -> Card:
    months = wh.mart_rows(
        "cx_themes_monthly",
        f"select distinct month from {MARTS_SCHEMA}.cx_themes_monthly where dimension = 'overall' order by month",
        "No scored comments yet.",
    )
    month = latest_month.latest_complete_month((r["month"] for r in months), wh.as_of)
    if month is None:
        raise NotAvailable("No complete month of scored comments yet.")
    rows = wh.rows(
        f"select {THEME_COLUMNS} from {MARTS_SCHEMA}.cx_themes_monthly "
        "where dimension = 'overall' and month = ? order by mentions desc, theme",
        [month],
    )
    mentioned = [r for r in rows if r["mentions"] > 0]
    if not mentioned:
        raise NotAvailable(f"No comment of {month:%B %Y} mentions a theme of the taxonomy.")
    when = latest_month.label(month, long=True)
    top = mentioned[:TOP_THEMES]
    volume = charts.bar_chart(
        "themes_volume",
        f"Comments mentioning each theme, {when}",
        [f"{r['theme']} {trend_arrow(r['share_change_pts'])}" for r in top],
        [float(r["mentions"]) for r in top],
    )
    # NPS impact: themes whose mentioners answered NPS, largest gap either way first
    gaps = sorted(
        ((r, g) for r in mentioned if (g := nps_gap(r)) is not None), key=lambda rg: (-abs(rg[1]), rg[0]["theme"])
    )[:TOP_THEMES]
    parts = [f"<h3>Top themes by volume, {escape(when)}</h3>", volume]
    made = ["themes_volume"]
    parts.append(
        '<p class="caption">Bars: comments mentioning the theme; arrow: its share of comments against the '
        "3 months before (▲ up, ▼ down, ▶ unchanged, – no comments then).</p>"
    )
    if gaps:
        parts.append(f"<h3>Top themes by NPS impact, {escape(when)}</h3>")
        parts.append(
            charts.diverging_bar_chart(
                "themes_nps_impact",
                f"NPS of respondents mentioning the theme minus NPS of those not mentioning it, {when}",
                [f"{r['theme']} {trend_arrow(r['share_change_pts'])}" for r, _ in gaps],
                [g for _, g in gaps],
                decimals=1,
            )
        )
        parts.append(
            '<p class="caption">NPS impact: NPS of the NPS respondents whose comment mentions the theme minus '
            "that of those whose comment does not, in points.</p>"
        )
        made.append("themes_nps_impact")
    parts.append(_quotes(top[:QUOTED_THEMES]))
    table = [{**r, "trend": trend_arrow(r["share_change_pts"]), "nps_impact": nps_gap(r)} for r in mentioned]
    return Card(
        "".join(parts)
        + definition(
            wh,
            "cx_themes_monthly",
            ["mentions", "share_of_comments_pct", "share_change_pts", "nps_mentioning", "nps_not_mentioning"],
        )
        + data_table(
            table,
            [
                "theme",
                "mentions",
                "share_of_comments_pct",
                "share_prev_3m_pct",
                "trend",
                "nps_mentioning",
                "nps_not_mentioning",
                "nps_impact",
                "mean_sentiment",
            ],
        ),
        made,
    )


def _quotes(themes: list[dict[str, Any]]) -> str:
    """Up to 3 example quotes per top theme, as the mart ranks them (redacted in staging)."""
    blocks = []
    for r in themes:
        quotes = [q for q in (r["example_quote_1"], r["example_quote_2"], r["example_quote_3"]) if q]
        if quotes:
            items = "".join(f'<blockquote class="quote">{escape(q)}</blockquote>' for q in quotes)
            blocks.append(
                f'<details class="quotes" data-theme="{escape(r["theme"])}"><summary>What customers wrote about '
                f"{escape(r['theme'])}</summary>{items}</details>"
            )
    return "".join(blocks)


OUTCOMES = (("nps", "NPS (0-10 score)"), ("churn_90d", "logo churn within 90 days"))
NOT_SIGNIFICANT = "#B8B8B8"


def driver_label(row: dict[str, Any]) -> str:
    sign = {"positive": "+", "negative": "−"}.get(row["direction"], "0")
    return f"{row['driver']} ({sign}){' n.s.' if row['is_not_significant'] else ''}"


def key_drivers_section(wh: Warehouse) -> Card:
    rows = wh.mart_rows(
        "cx_key_drivers",
        "select outcome, driver, driver_group, importance_rank, observations, share_of_r2_pct, direction, "
        f"is_not_significant, r_squared from {MARTS_SCHEMA}.cx_key_drivers order by outcome, importance_rank",
        "No key-driver analysis yet (too few observations).",
    )
    parts, made = [], []
    for outcome, name in OUTCOMES:
        drivers = [r for r in rows if r["outcome"] == outcome and r["share_of_r2_pct"] is not None]
        if not drivers:
            parts.append(f'<p class="caption">No drivers of {escape(name)}: R² is 0 or too few observations.</p>')
            continue
        chart = f"drivers_{outcome}"
        parts.append(
            f"<h3>Share of R² per driver: {escape(name)} (R² {drivers[0]['r_squared']:.3f}, "
            f"n = {drivers[0]['observations']})</h3>"
        )
        parts.append(
            charts.bar_chart(
                chart,
                f"Share of R² per driver of {name} (Johnson's relative weights)",
                [driver_label(r) for r in drivers],
                [float(r["share_of_r2_pct"]) for r in drivers],
                [
                    NOT_SIGNIFICANT
                    if r["is_not_significant"]
                    else charts.POSITIVE
                    if r["direction"] == "positive"
                    else charts.NEGATIVE
                    for r in drivers
                ],
                unit="%",
                decimals=1,
                label_w=280,
            )
        )
        made.append(chart)
    parts.append(
        '<p class="caption">(+)/(−): the driver rises/falls with the outcome (green/orange); grey and "n.s.": not '
        "significant (its bootstrap weight is not above a random driver's).</p>"
    )
    return Card(
        "".join(parts)
        + definition(wh, "cx_key_drivers", ["share_of_r2_pct", "direction", "is_not_significant", "r_squared"])
        + data_table(
            rows,
            ["outcome", "driver", "importance_rank", "share_of_r2_pct", "direction", "is_not_significant", "r_squared"],
        ),
        made,
    )
