"""What a run prints at the end: the load report and a few key numbers of the published warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration import latest_month

LOAD_COLUMNS = ("files_loaded", "files_skipped", "files_failed", "rows_loaded", "rows_quarantined")


@dataclass(frozen=True)
class LoadReport:
    text: str
    files_failed: int


def format_load_report(per_table: dict[str, dict[str, Any]]) -> LoadReport:
    """Table of the raw assets' materialization metadata, plus every failed file with its reason."""
    header = f"{'raw table':<24}" + "".join(f"{c:>18}" for c in LOAD_COLUMNS)
    lines = ["Load summary", header, "-" * len(header)]
    totals = dict.fromkeys(LOAD_COLUMNS, 0)
    failures: list[str] = []
    for table in sorted(per_table):
        meta = per_table[table]
        lines.append(f"{table:<24}" + "".join(f"{int(meta.get(c, 0)):>18,}" for c in LOAD_COLUMNS))
        for column in LOAD_COLUMNS:
            totals[column] += int(meta.get(column, 0))
        failures += [f"  {path}: {reason}" for path, reason in meta.get("failed_files") or []]
    lines.append("-" * len(header))
    lines.append(f"{'total':<24}" + "".join(f"{totals[c]:>18,}" for c in LOAD_COLUMNS))
    if totals["files_loaded"] == 0 and totals["files_failed"] == 0:
        lines.append("No new landing files: 0 rows loaded.")
    unmapped = next((meta["unmapped_account"] for meta in per_table.values() if meta.get("unmapped_account")), None)
    if unmapped:
        counts = ", ".join(f"{source} {int(n):,}" for source, n in unmapped.items())
        lines.append(f"unmapped_account rows quarantined: {counts} (docs/connect-sources.md)")
    if failures:
        lines.append("Failed files (none of their rows loaded):")
        lines += failures
    return LoadReport(text="\n".join(lines), files_failed=totals["files_failed"])


# Key numbers shown after a run; a query whose relation does not exist yet is left out.
KEY_NUMBERS: tuple[tuple[str, str], ...] = (
    ("accounts", "select count(*) from staging.stg_billing__accounts"),
    ("subscription versions", "select count(*) from staging.stg_billing__subscriptions"),
    ("invoices", "select count(*) from staging.stg_billing__invoices"),
    ("survey responses", "select count(*) from staging.stg_survey__responses"),
    ("product users", "select count(*) from staging.stg_product__users"),
    # From the events rollup (events per user and day, SDK retries already collapsed): the same
    # number as counting stg_product__events, without re-running its dedupe over every raw event
    # (over two minutes at 43 M events on 2 cores, at the end of every refresh).
    (
        "product events (distinct)",
        "select coalesce(sum(events), 0) from intermediate.int_product__activity_daily where rollup_level = 'user'",
    ),
    ("accounts in red health", "select count(*) from marts.customer_360 where health_band = 'red'"),
    (
        "90d churn %, red band",
        "select 100.0 * sum(churned_90d) / nullif(sum(accounts), 0) from marts.cs_health_backtest where health_band = 'red'",
    ),
    (
        "90d churn %, green band",
        "select 100.0 * sum(churned_90d) / nullif(sum(accounts), 0) from marts.cs_health_backtest where health_band = 'green'",
    ),
    ("health AUC, mean of months", "select avg(auc) from marts.cs_health_backtest where health_band = 'all'"),
    ("open playbook alerts", "select sum(open_alerts) from marts.customer_360"),
    ("rows in quarantine", "select count(*) from raw.load_quarantine"),
    ("failed files", "select count(*) from raw.load_manifest where status = 'failed'"),
)


# Monthly key numbers: label, mart, column, filter. Each is shown for the latest complete month
# with a value (orchestration/latest_month.py: the scorecard headline's rule and label).
MONTHLY_NUMBERS: tuple[tuple[str, str, str, str], ...] = (
    ("NPS", "cx_nps_monthly", "nps", "dimension = 'overall'"),
    ("CSAT %", "cx_csat_monthly", "csat_pct", "dimension = 'overall'"),
    ("CES mean", "cx_ces_monthly", "ces_mean", "dimension = 'overall'"),
    ("MRR (USD)", "cs_revenue_monthly", "ending_mrr", "segment = 'all'"),
    ("NRR 12m %", "cs_revenue_monthly", "nrr_12m_pct", "segment = 'all'"),
)
LABEL_WIDTH = 46


def _monthly_lines(conn: duckdb.DuckDBPyConnection, as_of: Any) -> list[str]:
    lines = []
    for name, mart, column, where in MONTHLY_NUMBERS:
        try:
            values = dict(
                conn.execute(
                    f"select month, {column} from marts.{mart} where {where} and {column} is not null"
                ).fetchall()
            )
        except (duckdb.CatalogException, duckdb.BinderException):
            continue  # that model is not built in this project version
        month = latest_month.latest_complete_month(values, as_of)
        label = f"{name}, {latest_month.label(month) if month else latest_month.LATEST_LABEL}"
        lines.append(_line(label, values[month] if month else None))
    return lines


def _line(label: str, value: Any) -> str:
    shown = "n/a" if value is None else f"{value:,}" if isinstance(value, int) else f"{float(value):,.2f}"
    return f"  {label:<{LABEL_WIDTH}}{shown:>14}"


def _open_for_summary(published_path: Path, build_path: Path | None) -> duckdb.DuckDBPyConnection:
    """The build file right after its publication (it holds staging and raw, which the
    published file does not); the published file when the build is gone or already locked by
    the next refresh (the numbers it lacks are then left out)."""
    if build_path is not None and build_path.exists():
        try:
            return duckdb.connect(str(build_path), read_only=True)
        except duckdb.IOException:
            pass
    return duckdb.connect(str(published_path), read_only=True)


def warehouse_summary(published_path: Path, build_path: Path | None = None) -> str:
    if not published_path.exists():
        return f"No published warehouse at {published_path} yet."
    lines = [f"Published warehouse {published_path}"]
    published_on = datetime.fromtimestamp(published_path.stat().st_mtime, tz=UTC).date()
    with _open_for_summary(published_path, build_path) as conn:
        for label, sql in KEY_NUMBERS:
            try:
                row = conn.execute(sql).fetchone()
            except (duckdb.CatalogException, duckdb.BinderException):
                continue  # that model is not built in this project version
            lines.append(_line(label, row[0] if row else None))
        lines += _monthly_lines(conn, latest_month.publication_as_of(conn, published_on))
    return "\n".join(lines)
