"""The scorecard page: headline numbers, the publication note, every section's card, the CSS,
and ``build_scorecard`` writing the page atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import duckdb

import orchestration.scorecard.charts as charts
from orchestration import freshness, latest_month
from orchestration.scorecard.sections import SECTIONS
from orchestration.scorecard.warehouse import MARTS_SCHEMA, NotAvailable, Warehouse, last_full_month, load_docs

SCORECARD_FILE_NAME = "scorecard.html"


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
        complete = latest_month.is_complete(row["month"], wh.as_of)
        when = latest_month.label(row["month"], long=True) if complete else f"{row['month']:%B %Y} (month to date)"
        tiles.append(
            f'<div class="kpi" data-kpi="{escape(column)}"><div class="kpi-label">{escape(label)}</div>'
            f'<div class="kpi-value">{escape(charts.fmt(row["value"], decimals, unit))}</div>'
            f'<div class="kpi-when">{escape(when)}</div></div>'
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
        f"{r['published_at']:%Y-%m-%d %H:%M} UTC after {r['dbt_tests']} dbt tests and "
        f"{r['expectations']} quality-gate expectations passed; warn-only checks not passed: {r['warnings']}.</p>"
    )


def freshness_note(wh: Warehouse) -> str:
    """A line per stale raw source (orchestration/freshness.py), from the published load manifest.

    The clock is the latest publication's time, so the page says how old the data was when it
    was published (what its header states) and stays the same when reopened later. A warehouse
    without the manifest (published before the loader's bookkeeping was) says nothing: it
    cannot tell."""
    try:
        last = freshness.last_loaded(wh.conn, "loader.load_manifest")
        published = wh.conn.execute(f"select max(published_at) from {MARTS_SCHEMA}.publication").fetchone()[0]
    except (duckdb.CatalogException, duckdb.BinderException):
        return ""
    now = published or datetime.now(UTC).replace(tzinfo=None)
    lines = freshness.stale_source_lines(freshness.entity_freshness(last, now))
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<ul class="stale" aria-label="Stale sources">{items}</ul>' if lines else ""


# --------------------------------------------------------------------------- page
CSS = """
:root { --ink:#1b1b1b; --muted:#5b6470; --line:#e3e6ea; --card:#fff; --bg:#f4f6f8; --accent:#0072B2; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif; color:var(--ink); background:var(--bg); }
header { padding:20px 28px 8px; }
header h1 { margin:0 0 4px; font-size:24px; }
header p { margin:0; color:var(--muted); }
header p.publication { font-size:13px; margin-top:2px; }
header ul.stale { margin:6px 0 0; padding:6px 12px 6px 28px; background:#fff4e5; border:1px solid #f0b45a; border-radius:8px; color:#7a4100; font-size:13px; }
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
blockquote.quote { margin:4px 0 4px 8px; padding:2px 10px; border-left:3px solid var(--line); font-style:italic; }
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
        f"<header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p>{publication_note(wh)}{freshness_note(wh)}</header>"
        f"<main>{kpi_tiles(wh)}{''.join(cards)}</main>"
        "<footer>Every number is read from the published marts. Headline numbers are those of the latest "
        "complete month by the publication's as-of date (the as-of month is still running; the charts include it). Open “Definition” under a "
        "chart for its meaning and “Numbers” for the values drawn; hover a point or bar for its value.</footer>"
        "</body></html>\n"
    )
    return page, tuple(results)


def build_scorecard(published_path: Path, out_path: Path, manifest_path: Path | None = None) -> Scorecard:
    """Read the published warehouse (read-only) and write the scorecard atomically."""
    if not published_path.exists():
        raise FileNotFoundError(f"no published warehouse at {published_path}")
    published_at = datetime.fromtimestamp(published_path.stat().st_mtime, tz=UTC)
    docs = load_docs(manifest_path)
    with duckdb.connect(str(published_path), read_only=True) as conn:
        page, sections = render(
            Warehouse(conn, docs, latest_month.publication_as_of(conn, published_at.date())),
            "CX / CS scorecard",
            f"Published warehouse {published_path.name}, published {published_at:%Y-%m-%d %H:%M} UTC. "
            "Customer Experience (NPS, CSAT, CES) and Customer Success (MRR, retention, health, adoption).",
        )
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_path)
    return Scorecard(path=out_path, sections=sections)
