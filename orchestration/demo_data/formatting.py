"""Formatting helpers shared by every entity: seeds, day/timestamp text, month arithmetic, CSV bytes.

Timestamps and days are formatted through lookup tables (``Clock``) because the generator
formats millions of values; calendar arithmetic stays on numpy epoch days.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orchestration.demo_data.vocab import SEEDS_DIR, TZ_SHIFT, TZ_SUFFIX

Progress = Callable[[str], None]


@dataclass
class Seeds:
    """The seed tables the demo data must agree with (plans, currencies, features, milestones)."""

    plans: list[dict]
    fx: dict[str, float]
    features: list[str]
    milestones: list[dict]


def read_seeds() -> Seeds:
    """The seed CSVs in the order the generator indexes them (plans by tier, milestones by sort order)."""

    def rows(name: str) -> list[dict]:
        with open(SEEDS_DIR / name, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    plans = sorted(rows("plans.csv"), key=lambda r: int(r["tier"]))
    fx = {r["currency"]: float(r["rate_to_usd"]) for r in rows("fx_rates.csv")}
    features = [r["feature"] for r in rows("key_features.csv")]
    milestones = sorted(rows("onboarding_milestones.csv"), key=lambda r: int(r["sort_order"]))
    return Seeds(plans, fx, features, milestones)


class Clock:
    """Epoch-day / epoch-second formatting through lookup tables (fast for millions of values)."""

    def __init__(self, first_day: int, last_day: int) -> None:
        self.base = first_day
        days = np.arange(first_day, last_day + 1, dtype="int64").astype("datetime64[D]")
        self.dates: list[str] = np.datetime_as_string(days).tolist()
        secs = np.arange(86400)
        self.hms: list[str] = [
            f"{h:02d}:{m:02d}:{s:02d}" for h, m, s in zip(secs // 3600, secs // 60 % 60, secs % 60, strict=True)
        ]

    def day(self, epoch_day: int) -> str:
        return self.dates[epoch_day - self.base]

    def ts(self, secs: np.ndarray, tz: np.ndarray | None = None) -> list[str]:
        secs = np.asarray(secs, dtype=np.int64)
        if tz is None:
            tz = np.zeros(len(secs), dtype=np.int8)
        local = secs + TZ_SHIFT[tz]
        d, h = self.dates, self.hms
        return [
            f"{d[x]}T{h[y]}{TZ_SUFFIX[z]}"
            for x, y, z in zip(
                (local // 86400 - self.base).tolist(), (local % 86400).tolist(), tz.tolist(), strict=True
            )
        ]


def dec(values: np.ndarray) -> list[str]:
    return [f"{v:.2f}" for v in np.asarray(values, dtype=float).tolist()]


def add_months(epoch_days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar month arithmetic on epoch days (the day of month is clipped to the month's length)."""
    d = np.asarray(epoch_days, dtype=np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    nm = m + np.asarray(months, dtype=np.int64)
    length = ((nm + 1).astype("datetime64[D]") - nm.astype("datetime64[D]")).astype(np.int64)
    return (nm.astype("datetime64[D]") + np.minimum(dom, length - 1)).astype(np.int64)


def anniversary(start: int, step: int, after: int) -> int:
    """First anniversary of day ``start`` (every ``step`` months) strictly after day ``after``."""
    k0 = max(1, (after - start) // (31 * step))
    ks = np.arange(k0, k0 + 12)
    days = add_months(np.full(len(ks), start), ks * step)
    return int(days[np.argmax(days > after)])


def csv_bytes(header: list[str], rows: list[list[str]], crlf: bool = False, quote_all: bool = False) -> bytes:
    """RFC 4180: a field is quoted when it holds a comma, quote or line break (or always), quotes doubled."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, lineterminator="\r\n" if crlf else "\n", quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def quarter(day_str: str) -> str:
    return f"{day_str[:4]}q{(int(day_str[5:7]) - 1) // 3 + 1}"
