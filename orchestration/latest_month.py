"""The one rule for "latest month" in what people read after a run: the run summary
(``orchestration.summary``) and the scorecard headline (``orchestration.scorecard``).

The latest month is the latest COMPLETE month relative to the publication's as-of date (the
day the marts report as today, ``macros/as_of_date.sql``): a month whose last day is on or
before the as-of date, the same rule as ``cs_clv_segments``' window. The as-of month itself is
usually partial (6 days of a December): its NPS, MRR or churn are not comparable with a whole
month's, so neither the summary nor the headline shows it as "latest".
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

import duckdb

LATEST_LABEL = "latest complete month"


def publication_as_of(conn: duckdb.DuckDBPyConnection, fallback: date) -> date:
    """The as-of date the published marts were built for (``customer_360.as_of_date``, one
    value per build); ``fallback`` (the publication's date) when that mart is absent or empty."""
    try:
        row = conn.execute("select max(as_of_date) from marts.customer_360").fetchone()
    except (duckdb.CatalogException, duckdb.BinderException):
        return fallback
    return row[0] if row and row[0] is not None else fallback


def is_complete(month: date, as_of: date) -> bool:
    """True when the month (its first day) has ended by the as-of date (its last day included)."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1]) <= as_of


def latest_complete_month(months: Iterable[date], as_of: date) -> date | None:
    """The latest of ``months`` that is complete as of ``as_of``; None when none is."""
    return max((m for m in months if is_complete(m, as_of)), default=None)


def label(month: date, long: bool = False) -> str:
    """``Nov 2026 (latest complete month)``; ``November 2026 (...)`` with ``long``."""
    return f"{month:{'%B' if long else '%b'} %Y} ({LATEST_LABEL})"
