"""Row rules beyond a value's type: plausible times, known currencies, non-empty periods.

Each rule is a (condition, reason) pair of SQL over the loader's typed columns ``t_<col>``
and trimmed text ``v_<col>`` (see ``orchestration.loading.validation.row_checks``), so it runs set-based
in the same validation query as the type checks: no per-row Python.

- ``implausible_timestamp: <col>``: a timestamp or date column marked in the contract
  (``Column.plausible``) before the earliest plausible time (default 2000-01-01: a
  1900-01-01 placeholder or an epoch 0 is a default value, not a fact); and, for a column
  recording when something HAPPENED (``"past"``), more than the allowed skew (default 1 day)
  after the load time: a clock-skewed device, not a real event.  Columns that are
  legitimately in the future (``"future_ok"``: due_at, contract_end, valid_from/valid_to)
  only get the lower bound.
- ``unknown_currency: <col>='<value>'``: not an active ISO-4217 code (``Column.codes``).
- ``invalid_period: <to>=<v> is not after <from>=<v>``: a half-open validity [from, to)
  with ``to <= from`` holds on no day (``Entity.period``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from orchestration.contract import Column, Entity
from orchestration.currencies import ISO_4217_ACTIVE


@dataclass(frozen=True)
class TimeBounds:
    """Plausible range of timestamps for one load: ``earliest`` for every marked column,
    ``latest`` (load time + allowed skew) for columns of things that happened.  UTC, naive."""

    earliest: datetime
    latest: datetime

    @classmethod
    def at(cls, load_time: datetime, earliest: datetime, max_future: timedelta) -> TimeBounds:
        return cls(earliest=earliest, latest=load_time + max_future)


def _literal(column: Column, moment: datetime) -> str:
    if column.type == "date":
        return f"date '{moment.date().isoformat()}'"
    return f"timestamp '{moment.isoformat(sep=' ')}'"


def row_rules(entity: Entity, bounds: TimeBounds | None) -> list[tuple[str, str]]:
    """(condition, reason) pairs in SQL: the row has the problem when the condition is true."""
    checks: list[tuple[str, str]] = []
    for c in entity.columns:
        if bounds is not None and c.plausible and c.type in ("timestamp", "date"):
            condition = f"t_{c.name} < {_literal(c, bounds.earliest)}"
            if c.plausible == "past":
                condition += f" or t_{c.name} > {_literal(c, bounds.latest)}"
            checks.append((f"({condition})", f"'implausible_timestamp: {c.name}'"))
        if c.codes == "iso4217":
            codes = ", ".join(f"'{code}'" for code in sorted(ISO_4217_ACTIVE))
            checks.append(
                (
                    f"v_{c.name} is not null and upper(v_{c.name}) not in ({codes})",
                    f"'unknown_currency: {c.name}=' || chr(39) || v_{c.name} || chr(39)",
                )
            )
    if entity.period:
        start, end = entity.period
        checks.append(
            (
                f"t_{end} <= t_{start}",
                f"'invalid_period: {end}=' || t_{end} || ' is not after {start}=' || t_{start}",
            )
        )
    for earlier, later in entity.not_before:
        checks.append(
            (
                f"t_{later} < t_{earlier}",
                f"'invalid_order: {later}=' || t_{later} || ' is before {earlier}=' || t_{earlier}",
            )
        )
    return checks


def needs_trimmed(column: Column) -> bool:
    """A currency column is compared trimmed (``v_<col>``), like a closed vocabulary."""
    return column.codes != ""
