"""Reading the published warehouse for the scorecard: read-only mart rows, the dbt docs of what
is drawn, and the page parts every section shares (definition, numbers table, card)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from orchestration import latest_month

MARTS_SCHEMA = "marts"


class NotAvailable(Exception):
    """A section cannot be drawn from this warehouse (a mart or column is not published)."""


# --------------------------------------------------------------------------- reading
class Warehouse:
    """Read-only access to the published marts, and the dbt docs of what is drawn."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, docs: dict[str, dict[str, Any]], as_of: date) -> None:
        self.conn = conn
        self.docs = docs
        # The publication's as-of date: headline numbers are those of the latest month complete
        # by then (orchestration/latest_month.py, the run summary's rule too).
        self.as_of = as_of
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
        return [dict(zip(names, (plain(v) for v in row), strict=True)) for row in cursor.fetchall()]

    def mart_rows(self, mart: str, sql: str, when_empty: str) -> list[dict[str, Any]]:
        """The rows of ``sql`` over ``mart``: a card with nothing to draw says ``when_empty``
        (a published but empty mart) instead of an empty chart."""
        self.require(mart)
        rows = self.rows(sql)
        if not rows:
            raise NotAvailable(when_empty)
        return rows


def last_full_month(wh: Warehouse, rows: Sequence[dict[str, Any]], key: str = "month") -> dict[str, Any]:
    """The row of the latest complete month (latest_month.latest_complete_month; rows in month
    order), else the latest row (a history shorter than one complete month)."""
    month = latest_month.latest_complete_month((r[key] for r in rows), wh.as_of)
    return next((r for r in rows if r[key] == month), rows[-1])


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
        f'<p class="source">Source: <code>{MARTS_SCHEMA}.{escape(model)}</code></p>{body}</details>'
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
