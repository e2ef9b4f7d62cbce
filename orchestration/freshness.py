"""Freshness of the raw sources: is the newest landing file of each entity recent enough?

"Last updated" of an entity is the newest ``finished_at`` of a file of that entity the loader
loaded (``status = 'loaded'`` in ``raw.load_manifest``; the publication carries the same rows as
``loader.load_manifest``). Not the raw asset's materialization: the load step materializes every
raw asset on every run, also when nothing new landed, so that time says nothing about the data.
A failed or ignored file does not count (it delivered nothing); an entity never loaded is stale.

The policy is per source (billing, survey, product): a maximum age in hours
(``CXCS_FRESHNESS_HOURS_BILLING`` and so on); every entity of the source is held to it. The ages are
measured against a clock the caller gives (the load step: the run's clock; the scorecard: the
publication's time), so the rule itself is a pure function of manifest rows and a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb

from orchestration.config import setting
from orchestration.contract import ENTITIES, Entity

# The policy of each source of the contract (orchestration/config.py owns the settings).
SETTING_OF_SOURCE = {
    "billing": "CXCS_FRESHNESS_HOURS_BILLING",
    "survey": "CXCS_FRESHNESS_HOURS_SURVEY",
    "product": "CXCS_FRESHNESS_HOURS_PRODUCT",
    "support": "CXCS_FRESHNESS_HOURS_SUPPORT",
}
SOURCES = tuple(dict.fromkeys(e.source for e in ENTITIES))  # billing, survey, product, support
if set(SOURCES) != set(SETTING_OF_SOURCE):  # a new source in the contract needs its policy here
    raise RuntimeError(f"freshness settings {sorted(SETTING_OF_SOURCE)} do not match the sources {sorted(SOURCES)}")


def max_age_hours(source: str) -> float:
    """The source's setting: a positive number of hours."""
    env = SETTING_OF_SOURCE[source]
    value = float(setting(env))
    if not value > 0:
        raise ValueError(f"{env} must be a positive number of hours, not {value}")
    return value


def hours_label(hours: float) -> str:
    """26.0 -> '26', 1.5 -> '1.5' (check names and page text)."""
    return f"{hours:g}"


def check_name(source: str) -> str:
    """The Dagster asset check of every raw entity of ``source``, e.g. ``fresh_within_26h``."""
    return f"fresh_within_{hours_label(max_age_hours(source)).replace('.', '_')}h"


@dataclass(frozen=True)
class EntityFreshness:
    entity: Entity
    last_loaded_at: datetime | None  # newest finished_at of a loaded file; None = never delivered
    age_hours: float | None
    max_age_hours: float

    @property
    def stale(self) -> bool:
        # Strictly older than the limit: a daily file loaded exactly 26 h ago still meets 26 h.
        return self.age_hours is None or self.age_hours > self.max_age_hours


def entity_freshness(
    last_loaded: Mapping[str, datetime], now: datetime, limits: Mapping[str, float] | None = None
) -> list[EntityFreshness]:
    """Every contract entity's freshness at ``now`` from its newest load (raw table name ->
    naive UTC timestamp; an entity missing from the mapping was never loaded)."""
    limits = limits if limits is not None else {s: max_age_hours(s) for s in SOURCES}
    result = []
    for entity in ENTITIES:
        loaded = last_loaded.get(entity.table)
        age = None if loaded is None else (now - loaded).total_seconds() / 3600
        result.append(EntityFreshness(entity, loaded, age, limits[entity.source]))
    return result


LAST_LOADED_SQL = "select entity, max(finished_at) from {table} where status = 'loaded' group by entity"


def last_loaded(conn: duckdb.DuckDBPyConnection, manifest_table: str) -> dict[str, datetime]:
    """Raw table name -> newest ``finished_at`` of a loaded file, from a load manifest table
    (``raw.load_manifest`` in the build, ``loader.load_manifest`` in the publication)."""
    return dict(conn.execute(LAST_LOADED_SQL.format(table=manifest_table)).fetchall())


def _when(item: EntityFreshness) -> str:
    return f"{item.last_loaded_at:%Y-%m-%d %H:%M} UTC, {item.age_hours:.0f} h ago"


def stale_source_lines(items: Iterable[EntityFreshness]) -> list[str]:
    """One line per stale source (in contract order), none when every source is fresh.

    A source is stale when any of its entities is. When all of them are, the line gives the
    source's newest load ("Billing data is stale: last file loaded 2026-12-03 14:02 UTC, 77 h
    ago, limit 26 h"; "Product data never delivered"); when only some are, it names them."""
    by_source: dict[str, list[EntityFreshness]] = {}
    for item in items:
        by_source.setdefault(item.entity.source, []).append(item)
    lines = []
    for source, entities in by_source.items():
        stale = [e for e in entities if e.stale]
        if not stale:
            continue
        name, limit = source.capitalize(), f"limit {hours_label(entities[0].max_age_hours)} h"
        if len(stale) == len(entities):
            loaded = [e for e in entities if e.last_loaded_at is not None]
            if not loaded:
                lines.append(f"{name} data never delivered")
                continue
            newest = max(loaded, key=lambda e: e.last_loaded_at)
            lines.append(f"{name} data is stale: last file loaded {_when(newest)}, {limit}")
            continue
        parts = [
            f"{e.entity.name} " + ("never delivered" if e.last_loaded_at is None else f"last file loaded {_when(e)}")
            for e in stale
        ]
        lines.append(f"{name} data is stale: {'; '.join(parts)}, {limit}")
    return lines
