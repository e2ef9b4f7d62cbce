"""Deterministic demo landing data: exactly the raw contract, at any scale.

``generate(out, accounts, days, seed, end_date, bad_rows)`` writes
``<out>/<source>/<entity>/<file>`` as described in ``shared/spec/raw_contract.md``
(column lists and vocabularies come from ``orchestration.contract``; plan, currency,
feature and milestone ids from ``seeds/``) plus ``<out>/_demo_manifest.json``, which
lists every file with its number of data records, the number of rows the loader is
expected to quarantine, whether the file as a whole must fail, and the planted
bad-input cases.

Layout (file names; the loader only cares about the folder and extension):

* ``billing/accounts/accounts_<yyyy>q<n>.csv`` by created quarter, plus
  ``accounts_corrections.csv`` re-delivering some accounts with a later ``updated_at``;
* ``billing/subscriptions/subscriptions_<yyyy>q<n>.csv`` by ``updated_at`` quarter: a version
  first delivered open is re-delivered closed/canceled in a later quarter's file;
* ``billing/invoices/invoices_<yyyy-mm>.csv`` by ``updated_at`` month (issued ``open``, later ``paid``);
* ``survey/invitations|responses/<name>_<yyyy-mm>.csv`` by sent / responded month;
* ``product/users/users_<yyyy>q<n>.csv`` by created quarter;
* ``product/events/events_<yyyy-mm-dd>.jsonl.gz`` per received day (~5% of days ``.parquet``,
  ~5% plain ``.jsonl``);
* with ``bad_rows=True`` also ``bad_<case>.csv|.jsonl|.jsonl.gz`` in the entity folders.

Same arguments give identical bytes: all randomness comes from
``numpy.random.default_rng`` streams derived from ``seed`` and no wall-clock value is
written.  Events are generated and written one received day at a time, so memory
stays bounded at 20,000 accounts x 365 days (about 50 million events).

Planted signals (what the marts and health score should find):

* churn: accounts that cancel use the product less and less over the 90 days before
  the subscription ends (activity ramps down to ~30%) and their survey scores drop
  (more NPS detractors, lower CSAT, higher CES);
* expansion: accounts with high feature adoption are the ones that add seats and
  upgrade plans; low-adoption accounts sometimes downgrade;
* onboarding: milestone events follow the first subscription start with a spread;
  ~15% of new accounts stop before completing them all;
* SDK behaviour: ~0.5% of events are delivered twice (same event_id and content, half
  in the same file, half in the next day's file), ~2% arrive 1-3 days late.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration.contract import ENTITIES, ENTITY_BY_TABLE, SCORE_SCALES, SEGMENTS

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
MANIFEST_NAME = "_demo_manifest.json"

# Every bad-input case of the contract's last section, plus a few more of the same kind;
# ``bad_rows=True`` plants each (in every entity where it applies), named in the manifest.
BAD_CASES: tuple[str, ...] = (
    # every CSV entity
    "wrong_field_count",
    "unparseable_timestamp",
    "missing_required_value",
    "duplicate_key_in_file",
    "duplicate_key_across_files",
    "extra_column",
    "shuffled_columns",
    "header_only",
    "zero_bytes",
    "utf8_bom",
    "crlf_line_endings",
    "quoted_fields",
    "not_csv",
    "missing_required_column",
    "unknown_account",  # every entity with an account_id but accounts
    # values of one entity
    "unparseable_integer",
    "unparseable_decimal",
    "unparseable_boolean",
    "unparseable_date",
    "value_out_of_range",
    "score_out_of_scale",
    "unknown_survey_type",
    "unknown_touchpoint",
    "unknown_segment",
    "unknown_status",
    "unknown_interval",
    "unknown_role",
    # product/events
    "malformed_json",
    "missing_event_id",
    "duplicate_event_id",
    "properties_not_object",
    "truncated_gzip",
    "not_json",
)
# Cases after which the loader must record the whole file as failed.
FAILING_CASES: tuple[str, ...] = ("zero_bytes", "not_csv", "missing_required_column", "truncated_gzip", "not_json")
CSV_TABLES: tuple[str, ...] = tuple(e.table for e in ENTITIES if "csv" in e.formats)
UNKNOWN_ACCOUNT = "acc_999999x"
# Required column left out of the ``missing_required_column`` file of each entity.
MISSING_COLUMN = {
    "billing_accounts": "segment",
    "billing_subscriptions": "plan_id",
    "billing_invoices": "status",
    "survey_invitations": "survey_type",
    "survey_responses": "score",
    "product_users": "user_id",
}
# Free-text column that gets non-ASCII text in the ``utf8_bom`` file.
FREE_TEXT = {"billing_accounts": "account_name", "survey_responses": "comment"}
# First bytes of the binary files delivered under a .csv name (PNG, XLSX/ZIP, gzip, JPEG, PDF, UTF-16).
NOT_CSV_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n\x00\x00",
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00",
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"%PDF-1.7\r%\xe2\xe3\xcf\xd3\x00\n",
    b"\xff\xfea\x00c\x00c\x00,\x00",
)

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_P = (0.45, 0.30, 0.15, 0.10)
# Currency mix per region (only currencies present in seeds/fx_rates.csv are used).
REGION_CURRENCIES = {
    "NA": (("USD", 0.85), ("CAD", 0.15)),
    "EMEA": (("EUR", 0.70), ("GBP", 0.30)),
    "APAC": (("AUD", 0.60), ("USD", 0.40)),
    "LATAM": (("USD", 1.0),),
}
# Typical working hours (UTC) per region: centre of the daily activity.
REGION_HOUR = (15.0, 10.0, 3.0, 14.0)
INDUSTRIES = (
    "Software", "Financial Services", "Healthcare", "Retail", "Manufacturing",
    "Education", "Media", "Logistics", "Public Sector", "Professional Services",
)
NAME_A = (
    "Acme", "Blue", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli",
    "Vandelay", "Soylent", "Tyrell", "Cyberdyne", "Aperture", "Massive", "Pied", "Oceanic", "Gringotts",
    "Monarch", "Nordlicht", "Müller", "Société", "Café", "Zenith", "Quantum", "Silver", "Red", "Green", "Polar",
)
NAME_B = (
    "Analytics", "Labs", "Systems", "Logistics", "Health", "Foods", "Media", "Robotics", "Capital", "Retail",
    "Works", "Dynamics", "Solutions", "Ventures", "Energy", "Software", "Cloud", "Data", "Studios", "Group",
)
NAME_SUFFIX = ("", "", "", " Inc", " GmbH", " Ltd", ", LLC", " & Co", " S.A.", ' "Holdings"')
FIRST_NAMES = (
    "anna", "ben", "carla", "david", "elena", "felix", "grace", "hiro", "ines", "jamal", "kim", "lena",
    "marco", "nina", "omar", "paula", "quinn", "rosa", "sam", "tara", "uwe", "vera", "wei", "yuki", "zoe",
)
LAST_NAMES = (
    "smith", "garcia", "mueller", "rossi", "tanaka", "kowalski", "dubois", "silva", "nguyen", "johnson",
    "brown", "schmidt", "lopez", "novak", "khan", "sato", "jensen", "moreau", "costa", "wright",
)
EVENT_NAMES = ("session_started", "feature_used", "report_exported", "teammate_invited", "integration_connected")
EVENT_P = (0.08, 0.70, 0.15, 0.04, 0.03)  # after the first event of a user-day (always session_started)
EXTRA_FEATURES = ("search", "settings")
PLATFORMS = ("web", "desktop", "mobile")
EXPORT_FORMATS = ("pdf", "csv")
INVITE_ROLES = ("member", "viewer")
INTEGRATIONS = ("salesforce", "hubspot", "zendesk", "slack")

COMMENTS_POSITIVE = (
    "Great product, love the dashboards!",
    'Super easy to use - the "reports" tab is a lifesaver',
    "Très bien, merci! Équipe réactive 🙂",
    "Sehr gut, die Übersicht ist prima.",
    "素晴らしいサービスです。日本語のサポートも良い",
    "Fast support, thanks",
    "Onboarding was smooth,\nthe team answered every question.",
)
COMMENTS_NEUTRAL = (
    "OK overall, but exports are slow",
    "Does the job.\nWould like more integrations.",
    'Fine, though "alerts" are noisy',
    "Ça va. Some pages load slowly, others are fine",
    "Works, mostly; pricing could be clearer",
)
COMMENTS_NEGATIVE = (
    "Too expensive for what we use, considering alternatives",
    "Support took 5 days to answer.\nNot acceptable.",
    'The "automations" keep failing, again',
    "Setup was painful, 使いにくい",
    "We barely use it anymore; renewal is unlikely",
    "Zu kompliziert für unser Team, über 3 Tickets offen 😞",
    'Billing charged us twice, "fixed" after a week',
)

NEVER = np.int64(1 << 40)  # a day number later than any real day
ID_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplication mod 2**48 is a bijection
ID_MASK = np.uint64((1 << 48) - 1)
TZ_SHIFT = np.array([0, 7200, -18000, 0], dtype=np.int64)
TZ_SUFFIX = ("Z", "+02:00", "-05:00", "")
TZ_P = (0.94, 0.025, 0.025, 0.01)

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- results


@dataclass
class DemoSummary:
    out: Path
    files: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    bytes: int = 0

    def format(self) -> str:
        width = max(len(t) for t in [*self.files, "table"])
        lines = [f"Demo data in {self.out}", f"{'table':<{width}}  {'files':>6}  {'rows':>12}"]
        for table in self.files:
            lines.append(f"{table:<{width}}  {self.files[table]:>6,}  {self.rows.get(table, 0):>12,}")
        lines.append(
            f"{'total':<{width}}  {sum(self.files.values()):>6,}  {sum(self.rows.values()):>12,}"
            f"   ({self.bytes / 1e6:,.1f} MB in {self.seconds:,.1f} s)"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


@dataclass
class _Seeds:
    plans: list[dict]
    fx: dict[str, float]
    features: list[str]
    milestones: list[dict]


def _read_seeds() -> _Seeds:
    def rows(name: str) -> list[dict]:
        with open(SEEDS_DIR / name, newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    plans = sorted(rows("plans.csv"), key=lambda r: int(r["tier"]))
    fx = {r["currency"]: float(r["rate_to_usd"]) for r in rows("fx_rates.csv")}
    features = [r["feature"] for r in rows("key_features.csv")]
    milestones = sorted(rows("onboarding_milestones.csv"), key=lambda r: int(r["sort_order"]))
    return _Seeds(plans, fx, features, milestones)


# --------------------------------------------------------------------------- formatting


class _Clock:
    """Epoch-day / epoch-second formatting through lookup tables (fast for millions of values)."""

    def __init__(self, first_day: int, last_day: int) -> None:
        self.base = first_day
        days = np.arange(first_day, last_day + 1, dtype="int64").astype("datetime64[D]")
        self.dates: list[str] = np.datetime_as_string(days).tolist()
        secs = np.arange(86400)
        self.hms: list[str] = [f"{h:02d}:{m:02d}:{s:02d}" for h, m, s in zip(secs // 3600, secs // 60 % 60, secs % 60)]

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
            for x, y, z in zip((local // 86400 - self.base).tolist(), (local % 86400).tolist(), tz.tolist())
        ]


def _dec(values: np.ndarray) -> list[str]:
    return [f"{v:.2f}" for v in np.asarray(values, dtype=float).tolist()]


def _add_months(epoch_days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar month arithmetic on epoch days (the day of month is clipped to the month's length)."""
    d = np.asarray(epoch_days, dtype=np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    nm = m + np.asarray(months, dtype=np.int64)
    length = ((nm + 1).astype("datetime64[D]") - nm.astype("datetime64[D]")).astype(np.int64)
    return (nm.astype("datetime64[D]") + np.minimum(dom, length - 1)).astype(np.int64)


def _anniversary(start: int, step: int, after: int) -> int:
    """First anniversary of day ``start`` (every ``step`` months) strictly after day ``after``."""
    k0 = max(1, (after - start) // (31 * step))
    ks = np.arange(k0, k0 + 12)
    days = _add_months(np.full(len(ks), start), ks * step)
    return int(days[np.argmax(days > after)])


def _csv_bytes(header: list[str], rows: list[list[str]], crlf: bool = False, quote_all: bool = False) -> bytes:
    """RFC 4180: a field is quoted when it holds a comma, quote or line break (or always), quotes doubled."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- landing writer


class _Landing:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.entries: list[dict] = []
        self.bytes = 0

    def path(self, table: str, name: str) -> Path:
        entity = ENTITY_BY_TABLE[table]
        folder = self.out / entity.source / entity.name
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def record(self, table: str, path: Path, data_rows: int | None, bad_rows: int = 0,
               fails: bool = False, cases: tuple[str, ...] | list[str] = ()) -> None:
        self.bytes += path.stat().st_size
        self.entries.append({
            "path": path.relative_to(self.out).as_posix(),
            "entity": table,
            "data_rows": data_rows,
            "bad_rows": bad_rows,
            "fails_whole_file": fails,
            "cases": list(cases),
        })

    def write_bytes(self, table: str, name: str, payload: bytes, data_rows: int | None, bad_rows: int = 0,
                    fails: bool = False, cases: tuple[str, ...] | list[str] = ()) -> None:
        path = self.path(table, name)
        path.write_bytes(payload)
        self.record(table, path, data_rows, bad_rows, fails, cases)

    def write_csv(self, table: str, name: str, rows: list[list[str]], **kwargs) -> None:
        header = ENTITY_BY_TABLE[table].column_names
        self.write_bytes(table, name, _csv_bytes(header, rows), len(rows), **kwargs)

    def write_split(self, table: str, prefix: str, rows: list[list[str]], keys: list[str]) -> None:
        """One CSV per key (month or quarter label), rows in their given order."""
        groups: dict[str, list[list[str]]] = defaultdict(list)
        for key, row in zip(keys, rows):
            groups[key].append(row)
        for key in sorted(groups):
            self.write_csv(table, f"{prefix}_{key}.csv", groups[key])

    def summary(self, seconds: float) -> DemoSummary:
        files = {e.table: 0 for e in ENTITIES}
        rows = {e.table: 0 for e in ENTITIES}
        for entry in self.entries:
            files[entry["entity"]] += 1
            rows[entry["entity"]] += entry["data_rows"] or 0
        return DemoSummary(out=self.out, files=files, rows=rows, seconds=seconds, bytes=self.bytes)


def _quarter(day_str: str) -> str:
    return f"{day_str[:4]}q{(int(day_str[5:7]) - 1) // 3 + 1}"


# --------------------------------------------------------------------------- generation


class _World:
    """All entities except events, as numpy arrays; events are generated day by day from it."""

    def __init__(self, n: int, days: int, seed: int, end: date) -> None:
        self.n = n
        self.seed = seed
        self.seeds = _read_seeds()
        self.D1 = int((end - date(1970, 1, 1)).days)
        self.D0 = self.D1 - days + 1
        self.end_ts = (self.D1 + 1) * 86400 - 1
        self.clock = _Clock(self.D0 - 2000, self.D1 + 800)
        self.rng = np.random.default_rng([seed, 0])
        self.acct_ids = [f"acc_{i + 1:06d}" for i in range(n)]

    # ----------------------------------------------------------------- accounts
    def build_accounts(self) -> None:
        rng, n, D0, D1 = self.rng, self.n, self.D0, self.D1
        self.segment = rng.choice(3, n, p=[0.6, 0.3, 0.1])
        seats = np.empty(n, dtype=np.int64)
        seats[:] = rng.integers(3, 11, n)
        mid = self.segment == 1
        seats[mid] = rng.integers(10, 61, mid.sum())
        ent = self.segment == 2
        seats[ent] = np.round(np.exp(rng.uniform(np.log(50), np.log(500), ent.sum()))).astype(np.int64)
        self.seats = seats
        self.region = rng.choice(4, n, p=REGION_P)
        currencies = []
        u = rng.random(n)
        for r, x in zip(self.region.tolist(), u.tolist()):
            acc = 0.0
            options = [(c, p) for c, p in REGION_CURRENCIES[REGIONS[r]] if c in self.seeds.fx] or [("USD", 1.0)]
            total = sum(p for _, p in options)
            chosen = options[-1][0]
            for c, p in options:
                acc += p / total
                if x < acc:
                    chosen = c
                    break
            currencies.append(chosen)
        self.currency = currencies
        pre = rng.random(n) < 0.25
        created_day = np.where(pre, D0 - rng.integers(1, 541, n), D0 + rng.integers(0, D1 - D0 + 1, n))
        self.created_day = created_day.astype(np.int64)
        self.created_sec = self.created_day * 86400 + rng.integers(6 * 3600, 20 * 3600, n)
        self.adoption = rng.beta(2.0, 2.0, n)
        self.sentiment = rng.normal(0.0, 1.0, n)
        self.industry_idx = rng.integers(0, len(INDUSTRIES), n)
        self.industry_missing = rng.random(n) < 0.05
        self.names = [
            f"{NAME_A[a]} {NAME_B[b]}{NAME_SUFFIX[c]}"
            for a, b, c in zip(
                rng.integers(0, len(NAME_A), n).tolist(),
                rng.integers(0, len(NAME_B), n).tolist(),
                rng.integers(0, len(NAME_SUFFIX), n).tolist(),
            )
        ]
        self.acct_updated_sec = np.minimum(self.created_sec + rng.integers(60, 3 * 86400, n), self.end_ts)
        self.acct_tz = rng.choice(4, n, p=TZ_P).astype(np.int8)

    # ----------------------------------------------------------------- subscriptions
    def build_subscriptions(self) -> None:
        rng, D0, D1 = self.rng, self.D0, self.D1
        plans = self.seeds.plans
        self.plan_min = [int(p["min_seats"]) for p in plans]
        self.plan_max = [int(p["max_seats"]) for p in plans]
        versions: list[dict] = []
        intervals: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        self.churn_day = np.full(self.n, NEVER, dtype=np.int64)  # service end of the first cancellation
        self.first_start = np.full(self.n, NEVER, dtype=np.int64)
        self.renewals: list[tuple[int, int]] = []  # (account, day) of annual renewals
        sub_counter = [0]

        def new_sub() -> str:
            sub_counter[0] += 1
            return f"sub_{sub_counter[0]:07d}"

        def price(plan: int, interval: str, currency: str) -> float:
            usd = float(plans[plan]["list_price_per_seat_year_usd" if interval == "year" else "list_price_per_seat_month_usd"])
            return round(usd / self.seeds.fx[currency], 2)

        def pick_plan(seg: int, seats: int) -> int:
            if seg == 0:
                tier = 0 if rng.random() < 0.6 else 1
            elif seg == 1:
                tier = 1 if (seats <= 50 and rng.random() < 0.6) else 2
            else:
                tier = 2 if (seats <= 250 and rng.random() < 0.5) else 3
            return tier

        def clip_qty(plan: int, qty: int) -> int:
            return int(min(max(qty, self.plan_min[plan]), self.plan_max[plan]))

        def paid_phase(a: int, sid: str, version: int, start: int, plan: int, qty: int, allow_churn: bool) -> int | None:
            """Append the paid versions of one subscription; returns the service end day if it was canceled."""
            annual = rng.random() < 0.25
            interval = "year" if annual else "month"
            step = 12 if annual else 1
            disc = float(rng.choice([0.0, 10.0, 20.0], p=[0.75, 0.15, 0.10]))
            currency = self.currency[a]
            adoption = self.adoption[a]
            # cancellation: request day r, service ends at the next term end after r
            churner = allow_churn and rng.random() < 0.15 + 0.40 * (1.0 - adoption)
            r = C = None
            if churner:
                lo = max(start + 45, D0)
                r = int(lo + rng.integers(0, 365))
                C = _anniversary(start, step, r)
                if self.churn_day[a] == NEVER:
                    self.churn_day[a] = C  # latent: also for cancellations after the window
                if r > D1:
                    r = C = None
            stop = min(r if r is not None else D1 + 1, D1 + 1)
            changes: list[tuple[int, str]] = []
            span = stop - (start + 20)
            if span > 0:
                if adoption > 0.55:
                    n_exp = 1 + int(rng.random() < adoption - 0.3) + int(rng.random() < adoption - 0.6)
                    for _ in range(n_exp):
                        changes.append((int(start + 20 + rng.integers(0, span)), "expand"))
                elif adoption < 0.35 and rng.random() < 0.3:
                    changes.append((int(start + 20 + rng.integers(0, span)), "shrink"))
            if annual:
                k = 1
                while True:
                    day = int(_add_months(np.array([start]), 12 * k)[0])
                    if day >= stop:
                        break
                    changes.append((day, "renew"))
                    k += 1
            changes.sort()
            unit = price(plan, interval, currency)
            cur = {
                "subscription_id": sid, "version": version, "account": a, "plan": plan, "is_trial": False,
                "interval": interval, "qty": qty, "unit": unit, "disc": disc, "valid_from": start,
                "valid_to": None, "contract_end": None, "canceled_sec": None, "term_start": start, "step": step,
            }
            last_day = start
            for day, kind in changes:
                if day <= last_day or day >= stop:
                    continue
                nxt = dict(cur)
                nxt["version"] = cur["version"] + 1
                nxt["valid_from"] = day
                if kind == "expand":
                    new_qty = int(np.ceil(cur["qty"] * (1 + rng.uniform(0.1, 0.5))))
                    new_plan = cur["plan"]
                    if (new_qty > self.plan_max[new_plan] or rng.random() < 0.15) and new_plan < len(plans) - 1:
                        new_plan += 1
                    nxt["plan"], nxt["qty"] = new_plan, clip_qty(new_plan, new_qty)
                    if nxt["qty"] <= cur["qty"] and new_plan == cur["plan"]:
                        nxt["qty"] = cur["qty"] + 1
                    nxt["unit"] = price(nxt["plan"], interval, currency)
                    if annual and cur["unit"] > nxt["unit"]:
                        nxt["unit"] = cur["unit"]
                elif kind == "shrink":
                    new_plan = cur["plan"]
                    if rng.random() < 0.3 and new_plan > 0:
                        new_plan -= 1
                    new_qty = int(np.floor(cur["qty"] * (1 - rng.uniform(0.1, 0.3))))
                    nxt["plan"], nxt["qty"] = new_plan, clip_qty(new_plan, new_qty)
                    nxt["unit"] = price(new_plan, interval, currency)
                else:  # annual renewal: new term, sometimes at a new price
                    if rng.random() < 0.3:
                        nxt["unit"] = round(cur["unit"] * 1.05, 2)
                    self.renewals.append((a, day))
                cur["valid_to"] = day
                versions.append(cur)
                cur = nxt
                last_day = day
            if C is not None:
                cur["valid_to"] = C
                cur["contract_end"] = C
                cur["canceled_sec"] = int(max(r, cur["valid_from"]) * 86400 + rng.integers(7 * 3600, 21 * 3600))
            versions.append(cur)
            intervals[a].append((start, C if C is not None else NEVER))
            return C

        for a in range(self.n):
            s = int(self.created_day[a])
            self.first_start[a] = s
            seg = int(self.segment[a])
            plan = pick_plan(seg, int(self.seats[a]))
            qty = clip_qty(plan, int(self.seats[a]))
            sid = new_sub()
            if s >= D0 and rng.random() < 0.6:
                trial_end = s + 14
                versions.append({
                    "subscription_id": sid, "version": 1, "account": a, "plan": plan, "is_trial": True,
                    "interval": "month", "qty": qty, "unit": 0.0, "disc": 0.0, "valid_from": s,
                    "valid_to": trial_end, "contract_end": trial_end, "canceled_sec": None, "term_start": s, "step": 1,
                })
                converts = rng.random() < 0.45 + 0.5 * self.adoption[a]
                if converts and trial_end <= D1:
                    if rng.random() < 0.8:
                        C = paid_phase(a, sid, 2, trial_end, plan, qty, True)
                    else:
                        C = paid_phase(a, new_sub(), 1, trial_end, plan, qty, True)
                    intervals[a][-1] = (s, intervals[a][-1][1])
                else:
                    intervals[a].append((s, trial_end))
                    continue
            else:
                C = paid_phase(a, sid, 1, s, plan, qty, True)
            # reactivation: a new subscription some months after the cancellation
            if C is not None and C <= D1 - 30 and rng.random() < 0.2:
                again = int(C + rng.integers(30, 121))
                if again <= D1:
                    plan = pick_plan(seg, int(self.seats[a]))
                    paid_phase(a, new_sub(), 1, again, plan, clip_qty(plan, int(self.seats[a])), False)

        self.versions = versions
        width = max(len(iv) for iv in intervals)
        self.iv_from = np.full((self.n, width), NEVER, dtype=np.int64)
        self.iv_to = np.full((self.n, width), NEVER, dtype=np.int64)
        for a, ivs in enumerate(intervals):
            for j, (f, t) in enumerate(ivs):
                self.iv_from[a, j], self.iv_to[a, j] = f, t

    def active(self, acct: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        day = np.asarray(day, dtype=np.int64)
        if day.ndim == 0:
            return ((self.iv_from[acct] <= day) & (day < self.iv_to[acct])).any(axis=1)
        return ((self.iv_from[acct] <= day[:, None]) & (day[:, None] < self.iv_to[acct])).any(axis=1)

    def penalty(self, acct: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        """0 far from a cancellation, ramping to 1 at the service end (over the last 90 days)."""
        left = self.churn_day[acct] - day
        return np.where((left > 0) & (left <= 90), 1.0 - left / 90.0, 0.0)

    def subscription_rows(self) -> tuple[list[list[str]], list[str]]:
        rng, clock, D1 = self.rng, self.clock, self.D1
        plans = self.seeds.plans
        rows: list[list[str]] = []
        keys: list[str] = []
        for v in self.versions:
            a = v["account"]
            vf = v["valid_from"]
            created = vf * 86400 + int(rng.integers(1 * 3600, 6 * 3600))
            created = max(created, int(self.created_sec[a]))
            if v["canceled_sec"] is not None:
                updated = v["canceled_sec"]
            elif v["valid_to"] is not None and not v["is_trial"] and v["valid_to"] <= D1:
                updated = v["valid_to"] * 86400 + int(rng.integers(1 * 3600, 6 * 3600))
            else:
                updated = created
            updated = min(max(updated, created), self.end_ts)
            tz = int(rng.choice(4, p=TZ_P))

            def row(valid_to, canceled, written, final=True) -> list[str]:
                # end of the term current when the row was written (cancellation: the service end)
                if v["contract_end"] is not None and (final or v["is_trial"]):
                    contract_end = v["contract_end"]
                elif not final:
                    contract_end = _anniversary(v["term_start"], v["step"], written // 86400)
                elif valid_to is not None:
                    contract_end = _anniversary(v["term_start"], v["step"], valid_to - 1)
                else:
                    contract_end = _anniversary(v["term_start"], v["step"], D1)
                return [
                    v["subscription_id"], str(v["version"]), self.acct_ids[a], plans[v["plan"]]["plan_id"],
                    "true" if v["is_trial"] else "false", v["interval"], str(v["qty"]), f"{v['unit']:.2f}",
                    "" if v["disc"] == 0 and rng.random() < 0.3 else f"{v['disc']:.2f}", self.currency[a],
                    clock.day(vf), "" if valid_to is None else clock.day(valid_to),
                    clock.day(contract_end),
                    "" if canceled is None else clock.ts(np.array([canceled]), np.array([tz]))[0],
                    clock.ts(np.array([written]), np.array([tz]))[0],
                ]

            final = row(v["valid_to"], v["canceled_sec"], updated)
            key_final = _quarter(clock.day(updated // 86400))
            if updated != created and not v["is_trial"]:
                key_initial = _quarter(clock.day(created // 86400))
                if key_initial != key_final:
                    # first delivered while open, re-delivered closed/canceled in a later file
                    rows.append(row(None, None, created, final=False))
                    keys.append(key_initial)
            rows.append(final)
            keys.append(key_final)
        return rows, keys

    # ----------------------------------------------------------------- invoices
    def invoice_rows(self) -> tuple[list[list[str]], list[str], dict]:
        rng, clock, D1 = self.rng, self.clock, self.D1
        paid = [v for v in self.versions if not v["is_trial"]]
        if not paid:
            return [], [], {}
        vf = np.array([v["valid_from"] for v in paid], dtype=np.int64)
        stop = np.array([min(v["valid_to"] if v["valid_to"] is not None else D1 + 1, D1 + 1) for v in paid], dtype=np.int64)
        step = np.array([12 if v["interval"] == "year" else 1 for v in paid], dtype=np.int64)
        # exact cents, half up: quantity * unit_amount * (1 - discount / 100)
        amount = np.array([
            (v["qty"] * round(v["unit"] * 100) * round(100 - v["disc"]) + 50) // 100 for v in paid
        ], dtype=np.int64) / 100.0
        acct = np.array([v["account"] for v in paid], dtype=np.int64)
        months = np.maximum(0, (stop - vf) // 28) // step + 2
        idx = np.repeat(np.arange(len(paid)), months)
        k = np.arange(len(idx)) - np.repeat(np.cumsum(months) - months, months)
        period = _add_months(vf[idx], k * step[idx])
        keep = period < stop[idx]
        idx, period = idx[keep], period[keep]
        m = len(idx)
        issued = period * 86400 + rng.integers(0, 6 * 3600, m)
        due = issued + 14 * 86400
        churner = self.churn_day[acct[idx]] != NEVER
        late = rng.random(m) < np.where(churner, 0.3, 0.1)
        delay = np.where(late, rng.integers(20, 61, m), rng.integers(0, 11, m)) * 86400 + rng.integers(600, 8 * 3600, m)
        paid_at = issued + delay
        u = rng.random(m)
        status = np.full(m, "paid", dtype=object)
        status[paid_at > self.end_ts] = "open"
        void = u < 0.015
        uncollectible = (u >= 0.015) & (u < 0.035) & (issued + 60 * 86400 < self.end_ts)
        status[void] = "void"
        status[uncollectible] = "uncollectible"
        status[period == D1] = "draft"
        amt = amount[idx]
        is_paid = status == "paid"
        amount_paid = np.where(is_paid, amt, 0.0)
        updated = np.where(is_paid, paid_at, issued)
        updated = np.where(void, issued + rng.integers(1, 6, m) * 86400, updated)
        updated = np.where(uncollectible, issued + rng.integers(60, 91, m) * 86400, updated)
        updated = np.minimum(updated, self.end_ts)
        order = np.lexsort((idx, issued))
        tz = rng.choice(4, m, p=TZ_P).astype(np.int8)
        inv_ids = np.empty(m, dtype=object)
        inv_ids[order] = [f"inv_{i + 1:08d}" for i in range(m)]
        issued_s, due_s, paid_s, upd_s = clock.ts(issued, tz), clock.ts(due, tz), clock.ts(paid_at, tz), clock.ts(updated, tz)
        rows: list[list[str]] = []
        keys: list[str] = []
        sub_ids = [v["subscription_id"] for v in paid]
        curr = self.currency
        amt_s, paid_amt_s = _dec(amt), _dec(amount_paid)
        issued_key = [clock.day(x)[:7] for x in (issued // 86400).tolist()]
        updated_key = [clock.day(x)[:7] for x in (updated // 86400).tolist()]
        for j in order.tolist():
            a = int(acct[idx[j]])
            base = [inv_ids[j], self.acct_ids[a], sub_ids[idx[j]]]
            if status[j] not in ("open", "draft") and issued_key[j] != updated_key[j]:
                rows.append(base + ["open", curr[a], amt_s[j], "0.00", issued_s[j], due_s[j], "", issued_s[j]])
                keys.append(issued_key[j])
            rows.append(base + [status[j], curr[a], amt_s[j], paid_amt_s[j], issued_s[j], due_s[j],
                                paid_s[j] if is_paid[j] else "", upd_s[j]])
            keys.append(updated_key[j])
        # invoices that feed the billing CSAT survey: late payers and uncollectible, a sample of the rest
        billing = (late & is_paid) | uncollectible | (is_paid & (rng.random(m) < 0.03))
        sent = np.where(is_paid, paid_at, issued + 30 * 86400) + 86400
        facts = {"acct": acct[idx][billing], "day": sent[billing] // 86400}
        return rows, keys, facts

    # ----------------------------------------------------------------- users
    def build_users(self) -> None:
        rng, n = self.rng, self.n
        n_users = np.maximum(1, np.round(self.seats * 0.8 * rng.uniform(0.85, 1.1, n))).astype(np.int64)
        self.n_users = n_users
        self.first_user = np.cumsum(n_users) - n_users
        total = int(n_users.sum())
        self.user_acct = np.repeat(np.arange(n), n_users)
        pos = np.arange(total) - np.repeat(self.first_user, n_users)
        start = self.created_sec[self.user_acct]
        lag = np.where(pos == 0, rng.integers(60, 3600, total), (rng.exponential(20.0, total) * 86400).astype(np.int64))
        self.user_created_sec = np.minimum(start + lag, self.end_ts)
        self.user_created_day = self.user_created_sec // 86400
        eng = (0.4 + 1.2 * self.adoption)[self.user_acct] * rng.gamma(2.0, 0.5, total)
        self.user_eng = eng
        self.user_role = np.where(pos == 0, 0, rng.choice(3, total, p=[0.1, 0.7, 0.2]))
        self.user_role_missing = (pos > 0) & (rng.random(total) < 0.03)
        self.user_first = rng.integers(0, len(FIRST_NAMES), total)
        self.user_last = rng.integers(0, len(LAST_NAMES), total)
        self.user_tz = rng.choice(4, total, p=TZ_P).astype(np.int8)

    def user_rows(self) -> tuple[list[list[str]], list[str]]:
        created = self.clock.ts(self.user_created_sec, self.user_tz)
        roles = ("admin", "member", "viewer")
        rows = [
            [f"usr_{u + 1:07d}", self.acct_ids[a], f"{FIRST_NAMES[f]}.{LAST_NAMES[l]}.{u + 1}@example.com",
             "" if miss else roles[r], c]
            for u, (a, f, l, r, miss, c) in enumerate(zip(
                self.user_acct.tolist(), self.user_first.tolist(), self.user_last.tolist(),
                self.user_role.tolist(), self.user_role_missing.tolist(), created))
        ]
        keys = [_quarter(self.clock.day(d)) for d in self.user_created_day.tolist()]
        return rows, keys

    # ----------------------------------------------------------------- accounts rows
    def account_rows(self) -> tuple[list[list[str]], list[str], list[list[str]]]:
        rng, clock = self.rng, self.clock
        created = clock.ts(self.created_sec, self.acct_tz)
        updated = clock.ts(self.acct_updated_sec, self.acct_tz)
        rows, keys = [], []
        for a in range(self.n):
            rows.append([
                self.acct_ids[a], self.names[a], SEGMENTS[self.segment[a]],
                "" if self.industry_missing[a] else INDUSTRIES[self.industry_idx[a]],
                REGIONS[self.region[a]], created[a], updated[a],
            ])
            keys.append(_quarter(clock.day(int(self.created_day[a]))))
        # corrections: later re-delivery of some accounts (industry filled in, segment moved up)
        corrections = []
        eligible = np.flatnonzero((self.created_day <= self.D1 - 7) & (self.industry_missing | (rng.random(self.n) < 0.03)))
        for a in eligible.tolist():
            later = int(rng.integers(int(self.acct_updated_sec[a]) + 86400, self.end_ts + 1))
            seg = int(self.segment[a])
            if not self.industry_missing[a] and seg < 2 and self.adoption[a] > 0.6:
                seg += 1
            corrections.append([
                self.acct_ids[a], self.names[a], SEGMENTS[seg], INDUSTRIES[self.industry_idx[a]],
                REGIONS[self.region[a]], created[a], clock.ts(np.array([later]))[0],
            ])
        return rows, keys, corrections

    # ----------------------------------------------------------------- onboarding milestones
    def build_milestones(self) -> None:
        rng, n = self.rng, self.n
        ms = self.seeds.milestones
        M = len(ms)
        start = self.first_start
        new = start >= self.D0
        # cumulative spread after the first start; ~15% of new accounts stop at some milestone
        gaps = rng.exponential(3.0, (n, M)) * np.linspace(0.5, 2.0, M)[None, :]
        gaps[:, 0] = 0
        day = start[:, None] + np.floor(np.cumsum(gaps, axis=1)).astype(np.int64)
        stops = rng.random(n) < 0.15
        stop_at = rng.integers(1, max(2, M), n)
        never = stops[:, None] & (np.arange(M)[None, :] >= stop_at[:, None])
        day = np.where(never, NEVER, day)
        self.ms_day = np.where(new[:, None], day, -NEVER)
        # explicit milestone events (first occurrence) for new accounts
        a_idx, m_idx = np.nonzero(new[:, None] & ~never)
        d = self.ms_day[a_idx, m_idx]
        order = np.lexsort((m_idx, a_idx, d))
        self.ms_ev_acct, self.ms_ev_m, self.ms_ev_day = a_idx[order], m_idx[order], d[order]
        self.ms_ev_sec = rng.integers(0, 3600, len(order))  # minutes after the user's session start
        name_code = {name: i for i, name in enumerate(EVENT_NAMES)}
        self.ms_code = np.array([name_code[m["event_name"]] for m in ms], dtype=np.int8)
        self.ms_feat = np.array(
            [self.feature_code[m["feature"]] if m["feature"] else -1 for m in ms], dtype=np.int16)

    # ----------------------------------------------------------------- surveys
    def survey_rows(self, billing: dict) -> tuple[list[list[str]], list[str], list[list[str]], list[str]]:
        rng, D0, D1, n = np.random.default_rng([self.seed, 2]), self.D0, self.D1, self.n
        parts: list[tuple[np.ndarray, np.ndarray, str, str, str]] = []  # acct, day, type, touchpoint, survey_id

        # relationship NPS, quarterly per account
        offset = rng.integers(0, 91, n)
        waves = (D1 - D0) // 91 + 2
        acct = np.repeat(np.arange(n), waves)
        day = D0 + offset[acct] + 91 * (np.arange(len(acct)) % waves)
        keep = (day <= D1) & self.active(acct, day)
        parts.append((acct[keep], day[keep], "nps", "relationship", "quarter"))

        active_days = np.zeros(n)
        for j in range(self.iv_from.shape[1]):
            lo = np.maximum(self.iv_from[:, j], D0)
            hi = np.minimum(self.iv_to[:, j], D1 + 1)
            active_days += np.maximum(0, hi - lo)
        hull_lo = np.maximum(self.iv_from.min(axis=1), D0)
        hull_hi = np.minimum(np.where(self.iv_to == NEVER, D1 + 1, self.iv_to).max(axis=1), D1 + 1)

        def random_days(rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            count = rng.poisson(rate * active_days)
            acct = np.repeat(np.arange(n), count)
            width = np.maximum(hull_hi - hull_lo, 1)[acct]
            day = hull_lo[acct] + (rng.random(len(acct)) * width).astype(np.int64)
            ok = self.active(acct, day)
            return acct[ok], day[ok]

        size = np.array([1.0, 2.0, 4.0])[self.segment]
        churny = np.where(self.churn_day != NEVER, 1.5, 1.0)
        t_acct, t_day = random_days(0.012 * size * churny)  # support tickets
        pick = rng.random(len(t_acct))
        parts.append((t_acct[pick < 0.8], t_day[pick < 0.8] + 1, "csat", "support", "csat_support"))
        pick = rng.random(len(t_acct))
        parts.append((t_acct[pick < 0.35], t_day[pick < 0.35] + 1, "ces", "support", "ces_support"))
        p_acct, p_day = random_days(np.full(n, 1 / 60))
        parts.append((p_acct, p_day, "ces", "product", "ces_product"))
        onb = np.flatnonzero(self.first_start >= D0)
        onb_day = self.first_start[onb] + 21
        ok = (onb_day <= D1) & self.active(onb, onb_day)
        parts.append((onb[ok], onb_day[ok], "csat", "onboarding", "csat_onboarding"))
        if billing:
            parts.append((billing["acct"], billing["day"], "csat", "billing", "csat_billing"))
        if self.renewals:
            r = np.array(self.renewals, dtype=np.int64)
            parts.append((r[:, 0], r[:, 1] + 3, "csat", "renewal", "csat_renewal"))

        accts, days_, types, touch, sids = [], [], [], [], []
        for acct, day, typ, tp, sid in parts:
            keep = day <= D1
            acct, day = acct[keep], day[keep]
            if typ == "nps":
                # several contacts per wave, more in bigger accounts
                k = np.minimum(self.n_users[acct], 1 + rng.poisson(np.array([0.3, 1.0, 2.5])[self.segment[acct]]))
                acct, day = np.repeat(acct, k), np.repeat(day, k)
                sid_list = [f"nps_relationship_{_quarter(self.clock.day(d))}" for d in day.tolist()]
            else:
                sid_list = [sid] * len(acct)
            accts.append(acct)
            days_.append(day)
            types += [typ] * len(acct)
            touch += [tp] * len(acct)
            sids += sid_list
        acct = np.concatenate(accts).astype(np.int64)
        day = np.concatenate(days_).astype(np.int64)
        m = len(acct)
        sent = day * 86400 + rng.integers(6 * 3600, 22 * 3600, m)
        contact_user = self.first_user[acct] + (rng.random(m) * self.n_users[acct]).astype(np.int64)
        external = rng.random(m) < 0.15
        order = np.lexsort((np.arange(m), sent))
        types_a, touch_a, sids_a = np.array(types, dtype=object), np.array(touch, dtype=object), np.array(sids, dtype=object)
        acct, day, sent, contact_user, external = acct[order], day[order], sent[order], contact_user[order], external[order]
        types_a, touch_a, sids_a = types_a[order], touch_a[order], sids_a[order]
        contacts = [f"contact_{i + 1:06d}" if e else f"usr_{u + 1:07d}" for i, (u, e) in enumerate(zip(contact_user.tolist(), external.tolist()))]
        inv_ids = [f"sinv_{i + 1:08d}" for i in range(m)]
        tz = rng.choice(4, m, p=TZ_P).astype(np.int8)
        sent_s = self.clock.ts(sent, tz)
        invitations = [
            [inv_ids[i], sids_a[i], types_a[i], touch_a[i], self.acct_ids[acct[i]], contacts[i], sent_s[i]]
            for i in range(m)
        ]
        inv_keys = [self.clock.day(d)[:7] for d in (sent // 86400).tolist()]

        # responses to invitations (~35% within 0-7 days)
        responds = rng.random(m) < 0.35
        delay = np.minimum(rng.exponential(1.2 * 86400, m), 7 * 86400 - 1).astype(np.int64)
        responded = sent + delay
        responds &= responded <= self.end_ts
        r_idx = np.flatnonzero(responds)
        r_acct, r_time = acct[r_idx], responded[r_idx]
        r_type, r_touch, r_sid = types_a[r_idx], touch_a[r_idx], sids_a[r_idx]
        r_inv = [inv_ids[i] for i in r_idx.tolist()]
        r_contact = [contacts[i] for i in r_idx.tolist()]
        # in-app responses without invitation (~10% of all responses)
        k = int(round(len(r_idx) / 9))
        ia_acct = rng.integers(0, n, k * 3)
        ia_day = D0 + rng.integers(0, D1 - D0 + 1, k * 3)
        ok = self.active(ia_acct, ia_day)
        ia_acct, ia_day = ia_acct[ok][:k], ia_day[ok][:k]
        k = len(ia_acct)
        ia_type = np.where(rng.random(k) < 0.5, "nps", "csat").astype(object)
        ia_touch = np.where(ia_type == "nps", "relationship", "product").astype(object)
        ia_sid = np.where(ia_type == "nps", "nps_in_app", "csat_in_app").astype(object)
        ia_user = self.first_user[ia_acct] + (rng.random(k) * self.n_users[ia_acct]).astype(np.int64)
        ia_time = np.minimum(ia_day * 86400 + rng.integers(6 * 3600, 22 * 3600, k), self.end_ts)

        acct_all = np.concatenate([r_acct, ia_acct]).astype(np.int64)
        time_all = np.concatenate([r_time, ia_time]).astype(np.int64)
        type_all = np.concatenate([r_type, ia_type])
        touch_all = np.concatenate([r_touch, ia_touch])
        sid_all = np.concatenate([r_sid, ia_sid])
        inv_all = r_inv + [""] * k
        contact_all = r_contact + [f"usr_{u + 1:07d}" for u in ia_user.tolist()]
        q = len(acct_all)
        pen = self.penalty(acct_all, time_all // 86400)
        z = self.sentiment[acct_all] + 0.8 * (self.adoption[acct_all] - 0.5)
        noise = rng.normal(0.0, 1.0, q)
        score = np.empty(q, dtype=np.int64)
        for typ, (lo, hi) in SCORE_SCALES.items():
            sel = type_all == typ
            if typ == "nps":
                mu = 7.8 + 1.2 * z - 4.5 * pen
                sd = 1.5
            elif typ == "csat":
                mu = 4.1 + 0.5 * z - 2.0 * pen
                sd = 0.7
            else:  # ces: higher = more effort
                mu = 2.8 - 0.6 * z + 3.0 * pen
                sd = 0.9
            score[sel] = np.clip(np.round(mu[sel] + sd * noise[sel]), lo, hi).astype(np.int64)
        # comment: more likely from unhappy respondents; pool by sentiment
        good = np.zeros(q)
        for typ, (lo, hi) in SCORE_SCALES.items():
            sel = type_all == typ
            frac = (score[sel] - lo) / (hi - lo)
            good[sel] = 1 - frac if typ == "ces" else frac
        has_comment = rng.random(q) < np.where(good < 0.5, 0.5, 0.25)
        pick = rng.integers(0, 1000, q)
        comments = [
            "" if not c else (COMMENTS_NEGATIVE if g < 0.45 else COMMENTS_NEUTRAL if g < 0.75 else COMMENTS_POSITIVE)[
                p % len(COMMENTS_NEGATIVE if g < 0.45 else COMMENTS_NEUTRAL if g < 0.75 else COMMENTS_POSITIVE)]
            for c, g, p in zip(has_comment.tolist(), good.tolist(), pick.tolist())
        ]
        order = np.lexsort((np.arange(q), time_all))
        tz = rng.choice(4, q, p=TZ_P).astype(np.int8)
        resp_s = self.clock.ts(time_all, tz)
        responses = []
        resp_keys = []
        for rank, i in enumerate(order.tolist()):
            responses.append([
                f"resp_{rank + 1:08d}", inv_all[i], sid_all[i], type_all[i], touch_all[i],
                self.acct_ids[acct_all[i]], contact_all[i], str(score[i]), comments[i], resp_s[i],
            ])
            resp_keys.append(self.clock.day(int(time_all[i] // 86400))[:7])
        return invitations, inv_keys, responses, resp_keys

    # ----------------------------------------------------------------- events
    def prepare_events(self) -> None:
        rng = self.rng
        K = len(self.seeds.features)
        self.features = list(self.seeds.features) + list(EXTRA_FEATURES)
        self.feature_code = {f: i for i, f in enumerate(self.features)}
        self.feat_order = np.argsort(rng.random((self.n, K)), axis=1).astype(np.int16)
        self.n_feat = 1 + rng.binomial(K - 1, self.adoption)
        # properties JSON per (event, variant) code
        props: list[str] = [json.dumps({"feature": f}) for f in self.features]
        self.prop_base = {}
        self.prop_base[1] = 0
        self.prop_base[0] = len(props)
        props += [json.dumps({"platform": p}) for p in PLATFORMS]
        self.prop_base[2] = len(props)
        props += [json.dumps({"format": f}) for f in EXPORT_FORMATS]
        self.prop_base[3] = len(props)
        props += [json.dumps({"role": r}) for r in INVITE_ROLES]
        self.prop_base[4] = len(props)
        props += [json.dumps({"integration": i}) for i in INTEGRATIONS]
        self.props = props
        self.prop_count = {0: len(PLATFORMS), 2: len(EXPORT_FORMATS), 3: len(INVITE_ROLES), 4: len(INTEGRATIONS)}


class _EventWriter:
    """Formats and writes one received day's events (pyarrow compute: vectorised, off the GIL)."""

    def __init__(self, world: _World, landing: _Landing) -> None:
        self.world = world
        self.landing = landing
        clock = world.clock
        self.base = clock.base
        self.accounts = pa.array(world.acct_ids)
        self.users = pa.array([f"usr_{u + 1:07d}" for u in range(len(world.user_acct))])
        self.dates = pa.array(clock.dates)
        self.hms = pa.array(clock.hms)
        self.hex3 = pa.array([f"{i:03x}" for i in range(4096)])
        self.names = pa.array(EVENT_NAMES)
        self.props = pa.array(world.props)
        self.suffixes = pa.array(TZ_SUFFIX)

    @staticmethod
    def _take(table: pa.Array, idx: np.ndarray) -> pa.Array:
        return pc.take(table, pa.array(np.asarray(idx, dtype=np.int64)))

    def _stamp(self, secs: np.ndarray, suffix: pa.Array | str) -> pa.Array:
        return pc.binary_join_element_wise(
            self._take(self.dates, secs // 86400 - self.base), "T", self._take(self.hms, secs % 86400), suffix, "")

    def write(self, day: int, ext: str, ev: dict[str, np.ndarray]) -> tuple[Path, int, int]:
        take = self._take
        order = np.lexsort((ev["eid"], ev["rec"]))
        ev = {k: v[order] for k, v in ev.items()}
        m = len(order)
        dup_in_file = m - len(np.unique(ev["eid"]))
        eid = ev["eid"]
        event_id = pc.binary_join_element_wise(
            "evt_", *(take(self.hex3, (eid >> np.uint64(shift)) & np.uint64(0xFFF)) for shift in (36, 24, 12, 0)), "")
        columns = {
            "event_id": event_id,
            "account_id": take(self.accounts, ev["acct"]),
            "user_id": take(self.users, ev["user"]),
            "event_name": take(self.names, ev["code"]),
            "occurred_at": self._stamp(ev["occ"] + TZ_SHIFT[ev["tz"]], take(self.suffixes, ev["tz"])),
            "received_at": self._stamp(ev["rec"], "Z"),
            "properties": take(self.props, ev["prop"]),
        }
        path = self.landing.path("product_events", f"events_{self.world.clock.day(day)}.{ext}")
        if ext == "parquet":
            pq.write_table(pa.table(columns), path, compression="zstd")
            return path, m, dup_in_file
        pieces: list = []
        for i, (name, values) in enumerate(columns.items()):
            prefix = "{" if i == 0 else ","
            if name == "properties":
                pieces += [f'{prefix}"{name}":', values]
            else:
                pieces += [f'{prefix}"{name}":"', values, '"']
        lines = pc.binary_join_element_wise(*pieces, "}\n", "")
        buffers = lines.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int32)[lines.offset: lines.offset + len(lines) + 1]
        text = memoryview(buffers[2])[offsets[0]: offsets[-1]]
        if ext == "jsonl.gz":
            text = gzip.compress(text, compresslevel=1, mtime=0)
        path.write_bytes(text)
        return path, m, dup_in_file


def _generate_events(world: _World, landing: _Landing, say: Progress) -> None:
    w = world
    D0, D1 = w.D0, w.D1
    n_days = D1 - D0 + 1
    fmt_rng = np.random.default_rng([w.seed, 3])
    u = fmt_rng.random(n_days)
    exts = np.where(u < 0.05, "parquet", np.where(u < 0.10, "jsonl", "jsonl.gz"))
    writer = _EventWriter(w, landing)
    pending: dict[int, list[dict[str, np.ndarray]]] = defaultdict(list)
    counter = 0
    K = len(w.seeds.features)
    name_p = np.array(EVENT_P)
    region_hour = np.array(REGION_HOUR)[w.region] * 3600
    base_p = 0.105
    wd_factor = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.3])
    futures: list[Future] = []
    results: list[tuple[Path, int, int]] = []
    all_accts = np.arange(w.n)
    u_acct = w.user_acct
    started = time.monotonic()

    def collect(block: bool) -> None:
        while futures and (block or futures[0].done()):
            results.append(futures.pop(0).result())

    with ThreadPoolExecutor(max_workers=2) as pool:
        for i in range(n_days):
            d = D0 + i
            rng = np.random.default_rng([w.seed, 1, i])
            act = w.active(all_accts, d)
            weekday = (d + 3) % 7  # 1970-01-01 was a Thursday
            fa = act * wd_factor[weekday] * (1.0 - 0.7 * w.penalty(all_accts, d))
            pu = np.minimum(base_p * w.user_eng * fa[u_acct], 0.95)
            pu[w.user_created_day > d] = 0.0
            users = np.flatnonzero(rng.random(len(pu)) < pu)
            k = rng.integers(1, 11, len(users))
            m = int(k.sum())
            ev_user = np.repeat(users, k)
            ev_acct = u_acct[ev_user]
            first = np.cumsum(k) - k
            pos = np.arange(m) - np.repeat(first, k)
            code = rng.choice(len(EVENT_NAMES), m, p=name_p).astype(np.int8)
            code[pos == 0] = 0
            j = (rng.random(m) * (w.n_feat[ev_acct] + 2)).astype(np.int64)
            in_key = j < w.n_feat[ev_acct]
            feat = np.where(in_key, w.feat_order[ev_acct, np.minimum(j, K - 1)], K + np.maximum(j - w.n_feat[ev_acct], 0))
            feat = feat.astype(np.int16)
            # onboarding: a milestone action only happens once the account has reached it
            for mi in range(1, len(w.ms_code)):
                match = code == w.ms_code[mi]
                if w.ms_feat[mi] >= 0:
                    match &= feat == w.ms_feat[mi]
                blocked = match & (d < w.ms_day[ev_acct, mi])
                code[blocked] = 1
                feat[blocked] = K  # search
            start = region_hour[w.user_acct[users]] + rng.normal(0, 2.2 * 3600, len(users))
            start = np.clip(start, 0, 86399).astype(np.int64)
            gaps = rng.exponential(150.0, m)
            gaps[first] = 0
            csum = np.cumsum(gaps)
            t = np.repeat(start, k) + (csum - np.repeat(csum[first], k)).astype(np.int64)
            t = np.minimum(t, 86399)
            # explicit milestone events of the day
            lo, hi = np.searchsorted(w.ms_ev_day, [d, d + 1])
            ms_acct = w.ms_ev_acct[lo:hi]
            ms_m = w.ms_ev_m[lo:hi]
            ok = act[ms_acct]
            ms_acct, ms_m = ms_acct[ok], ms_m[ok]
            ms_user = w.first_user[ms_acct]
            ms_t = np.clip(region_hour[ms_acct] + w.ms_ev_sec[lo:hi][ok], 0, 86399).astype(np.int64)
            ms_feat = np.where(w.ms_feat[ms_m] >= 0, w.ms_feat[ms_m], 0).astype(np.int16)
            ev_user = np.concatenate([ev_user, ms_user])
            ev_acct = np.concatenate([ev_acct, ms_acct])
            code = np.concatenate([code, w.ms_code[ms_m]])
            feat = np.concatenate([feat, ms_feat])
            t = np.concatenate([t, ms_t])
            m = len(ev_user)
            occ = d * 86400 + t
            pv = rng.integers(0, 12, m)
            prop = np.where(code == 1, feat, 0).astype(np.int64)
            for c, count in w.prop_count.items():
                sel = code == c
                prop[sel] = w.prop_base[c] + pv[sel] % count
            rec = occ + rng.integers(0, 5, m)
            late = rng.random(m) < 0.02
            nl = int(late.sum())
            rec[late] += rng.integers(1, 4, nl) * 86400 + rng.integers(0, 6 * 3600, nl)
            tz = rng.choice(4, m, p=TZ_P).astype(np.int8)
            seq = np.arange(counter + 1, counter + m + 1, dtype=np.uint64)
            counter += m
            eid = (seq * ID_MULT) & ID_MASK
            ev = {"eid": eid, "acct": ev_acct.astype(np.int32), "user": ev_user.astype(np.int64), "code": code,
                  "prop": prop, "occ": occ, "rec": rec, "tz": tz}
            file_day = rec // 86400
            du = rng.random(m)
            same, nxt = du < 0.0025, (du >= 0.0025) & (du < 0.005)
            parts = [(ev, file_day), ({k2: v[same] for k2, v in ev.items()}, file_day[same]),
                     ({k2: v[nxt] for k2, v in ev.items()}, file_day[nxt] + 1)]
            for part, fday in parts:
                for fd in np.unique(fday).tolist():
                    if fd > D1:
                        continue
                    sel = fday == fd
                    pending[fd].append({k2: v[sel] for k2, v in part.items()})
            chunks = pending.pop(d, [])
            if chunks:
                merged = {k2: np.concatenate([c[k2] for c in chunks]) for k2 in chunks[0]}
                if len(merged["eid"]):
                    collect(False)
                    while len(futures) >= 3:
                        collect(True)
                    futures.append(pool.submit(writer.write, d, str(exts[i]), merged))
            if (i + 1) % 30 == 0 or i == n_days - 1:
                say(f"events: day {i + 1}/{n_days}, {counter:,} generated ({time.monotonic() - started:,.0f} s)")
        collect(True)
    for path, rows, dups in results:
        landing.record("product_events", path, rows, bad_rows=dups)


# --------------------------------------------------------------------------- bad input


class _BadInput:
    """Plants every bad-input case as small ``bad_<case>.<ext>`` files in the entity folders.

    Rows start from real delivered rows (``samples``: distinct keys per entity) and get one
    defect each; the manifest records per file the data records written, how many of them the
    loader must quarantine (``bad_rows``) and whether the whole file must fail."""

    def __init__(self, world: _World, landing: _Landing, samples: dict[str, list[list[str]]]) -> None:
        self.world = world
        self.landing = landing
        self.samples = samples
        self.late_stamp = world.clock.ts(np.array([world.end_ts - 60]))[0]

    # ------------------------------------------------------------- helpers
    @staticmethod
    def header(table: str) -> list[str]:
        return ENTITY_BY_TABLE[table].column_names

    def col(self, table: str, name: str) -> int:
        return self.header(table).index(name)

    def good(self, table: str, count: int, start: int = 0) -> list[list[str]]:
        rows = self.samples[table]
        return [list(rows[(start + i) % len(rows)]) for i in range(count)]

    def csv(self, table: str, case: str, rows: list[list[str]], bad: int, *, cases: tuple[str, ...] | None = None,
            header: list[str] | None = None, crlf: bool = False, bom: bool = False, quote_all: bool = False,
            fails: bool = False) -> None:
        payload = _csv_bytes(header or self.header(table), rows, crlf=crlf, quote_all=quote_all)
        if bom:
            payload = b"\xef\xbb\xbf" + payload
        self.landing.write_bytes(table, f"bad_{case}.csv", payload, len(rows), bad_rows=bad, fails=fails,
                                 cases=cases or (case,))

    def garbage(self, stream: int, size: int) -> bytes:
        return np.random.default_rng([self.world.seed, 9, stream]).integers(0, 256, size, dtype=np.uint8).tobytes()

    def plant(self) -> None:
        for i, table in enumerate(CSV_TABLES):
            self.file_cases(i, table)
            self.row_cases(i, table)
        self.account_cases()
        self.subscription_cases()
        self.invoice_cases()
        self.survey_cases()
        self.user_cases()
        self.event_cases()

    # ------------------------------------------------------------- every CSV entity: file shape
    def file_cases(self, i: int, table: str) -> None:
        hdr = self.header(table)
        self.csv(table, "header_only", [], 0)
        self.landing.write_bytes(table, "bad_zero_bytes.csv", b"", 0, fails=True, cases=("zero_bytes",))
        # a binary file with a .csv name (an image, a spreadsheet, a compressed export ...)
        self.landing.write_bytes(table, "bad_not_csv.csv", NOT_CSV_MAGIC[i % len(NOT_CSV_MAGIC)] + self.garbage(i, 2048),
                                 None, fails=True, cases=("not_csv",))
        dropped = MISSING_COLUMN[table]
        keep = [j for j, c in enumerate(hdr) if c != dropped]
        rows = [[r[j] for j in keep] for r in self.good(table, 2, 10)]
        self.csv(table, "missing_required_column", rows, 0, header=[hdr[j] for j in keep], fails=True)
        # unknown columns, one in the middle and one at the end: ignored, never fatal
        rows = [r[:2] + ["legacy-export"] + r[2:] + [f"note {j}, see CRM"] for j, r in enumerate(self.good(table, 2, 5))]
        self.csv(table, "extra_column", rows, 0, header=hdr[:2] + ["source_system"] + hdr[2:] + ["Notes"])
        order = np.random.default_rng([self.world.seed, 10, i]).permutation(len(hdr)).tolist()
        if order == sorted(order):
            order = order[::-1]
        rows = [[r[j] for j in order] for r in self.good(table, 2, 6)]
        self.csv(table, "shuffled_columns", rows, 0, header=[hdr[j] for j in order])
        self.csv(table, "utf8_bom", self.with_text(table, self.good(table, 2, 7), "Müller Straße Café ☕"), 0, bom=True)
        rows = self.good(table, 2, 8)
        if table == "survey_responses":
            rows[0][self.col(table, "comment")] = "Multi-line comment,\nin a file with CRLF line endings"
        self.csv(table, "crlf_line_endings", rows, 0, crlf=True)
        self.quoted_fields(table)

    @staticmethod
    def with_text(table: str, rows: list[list[str]], text: str) -> list[list[str]]:
        """Put non-ASCII ``text`` in the entity's free-text column, where it has one."""
        column = FREE_TEXT.get(table)
        if column is not None:
            rows[0][ENTITY_BY_TABLE[table].column_names.index(column)] = text
        return rows

    def quoted_fields(self, table: str) -> None:
        rows = self.good(table, 3, 9)
        if table == "billing_accounts":
            rows[0][self.col(table, "account_name")] = 'Smith, Jones & "Partners"\nEMEA branch'
            rows[1][self.col(table, "industry")] = 'Retail, "Luxury"'
        elif table == "survey_invitations":
            rows[0][self.col(table, "survey_id")] = 'pulse "Q3, 2025"\nrelationship'
        elif table == "survey_responses":
            rows[0][self.col(table, "comment")] = 'Love it, truly: "best tool"\nSecond line, with commas, é ü 日本語 🙂'
            rows[1][self.col(table, "comment")] = '"quoted start' + '"' * 3
            rows[2][self.col(table, "comment")] = "a,b,c\r\nwindows newline inside"
        elif table == "product_users":
            rows[0][self.col(table, "email")] = '"smith, anna"@example.com'  # a quoted local part is a valid address
        # billing ids and codes hold no free text: every field is quoted instead
        self.csv(table, "quoted_fields", rows, 0, quote_all=table in ("billing_subscriptions", "billing_invoices"))

    # ------------------------------------------------------------- every CSV entity: bad rows
    def row_cases(self, i: int, table: str) -> None:
        entity = ENTITY_BY_TABLE[table]
        hdr = self.header(table)
        key = self.col(table, entity.key[0])
        rows = self.good(table, 4, 1)
        rows[1] = rows[1] + ["surplus"]
        rows[3] = rows[3][:-2]
        self.csv(table, "wrong_field_count", rows, 2)

        rows = self.good(table, 3, 2)
        other = next(c for c in entity.required_columns if c not in entity.key)
        rows[0][key] = ""
        rows[1][self.col(table, other)] = "  "  # blank after trimming
        self.csv(table, "missing_required_value", rows, 2)

        stamps = [c.name for c in entity.columns if c.type == "timestamp" and c.required]
        rows = self.good(table, 3, 3)
        rows[1][self.col(table, stamps[0])] = "yesterday"
        rows[2][self.col(table, stamps[-1])] = "2024-13-45T25:61:00Z"
        self.csv(table, "unparseable_timestamp", rows, 2)

        rows = self.good(table, 2, 4)
        twin = list(rows[0])
        if entity.updated_at:
            twin[self.col(table, entity.updated_at)] = self.late_stamp  # the later version is kept
        self.csv(table, "duplicate_key_in_file", [rows[0], rows[1], twin], 1)

        # delivered again in another file: the latest updated_at (or the latest batch) wins downstream
        # (in descending key order: never the same bytes as a good file, which the loader would skip)
        rows = self.good(table, 2, 11)[::-1]
        if entity.updated_at:
            for r in rows:
                r[self.col(table, entity.updated_at)] = self.late_stamp
        self.csv(table, "duplicate_key_across_files", rows, 0)

        if "account_id" in hdr and table != "billing_accounts":
            rows = self.good(table, 2, 12)
            rows[1][key] = f"{rows[1][key]}_orphan"
            rows[1][self.col(table, "account_id")] = UNKNOWN_ACCOUNT
            self.csv(table, "unknown_account", rows, 0)

    # ------------------------------------------------------------- entity-specific values
    def account_cases(self) -> None:
        A = "billing_accounts"
        rows = self.good(A, 3, 1)
        rows[1][self.col(A, "segment")] = "startup"
        rows[2][self.col(A, "segment")] = "Enterprise Plus"
        self.csv(A, "unknown_segment", rows, 2)

    def subscription_cases(self) -> None:
        S = "billing_subscriptions"
        col = lambda name: self.col(S, name)  # noqa: E731
        rows = self.good(S, 3)
        rows[1][col("quantity")] = "ten"
        rows[2][col("version")] = "1.5"
        self.csv(S, "unparseable_integer", rows, 2)
        rows = self.good(S, 3, 1)
        rows[1][col("unit_amount")] = "12,50"
        rows[2][col("discount_pct")] = "10%"
        self.csv(S, "unparseable_decimal", rows, 2)
        rows = self.good(S, 2, 2)
        rows[1][col("billing_interval")] = "week"
        self.csv(S, "unknown_interval", rows, 1)
        rows = self.good(S, 2, 3)
        rows[1][col("is_trial")] = "maybe"
        self.csv(S, "unparseable_boolean", rows, 1)
        rows = self.good(S, 3, 4)
        rows[1][col("valid_from")] = "2025-02-30"
        rows[2][col("contract_end")] = "next year"
        self.csv(S, "unparseable_date", rows, 2)
        rows = self.good(S, 4, 5)
        rows[1][col("quantity")] = "-3"
        rows[2][col("discount_pct")] = "150.00"
        rows[3][col("version")] = "0"
        self.csv(S, "value_out_of_range", rows, 3)

    def invoice_cases(self) -> None:
        I = "billing_invoices"  # noqa: E741
        rows = self.good(I, 2)
        rows[1][self.col(I, "status")] = "refunded"
        self.csv(I, "unknown_status", rows, 1)
        rows = self.good(I, 3, 1)
        rows[1][self.col(I, "amount_due")] = "12,50"
        rows[2][self.col(I, "amount_paid")] = "€10.00"
        self.csv(I, "unparseable_decimal", rows, 2)

    def survey_cases(self) -> None:
        INV, R = "survey_invitations", "survey_responses"
        for table in (INV, R):
            rows = self.good(table, 2, 1)
            rows[1][self.col(table, "survey_type")] = "pulse"
            self.csv(table, "unknown_survey_type", rows, 1)
            rows = self.good(table, 2, 2)
            rows[1][self.col(table, "touchpoint")] = "checkout"
            self.csv(table, "unknown_touchpoint", rows, 1)
        rows = self.good(R, 4)
        for r, (typ, score) in zip(rows[1:], (("nps", "11"), ("csat", "0"), ("ces", "8"))):
            r[self.col(R, "survey_type")] = typ
            r[self.col(R, "score")] = score
        self.csv(R, "score_out_of_scale", rows, 3)
        rows = self.good(R, 3, 5)
        rows[1][self.col(R, "score")] = "seven"
        rows[2][self.col(R, "score")] = "8.5"
        self.csv(R, "unparseable_integer", rows, 2)

    def user_cases(self) -> None:
        U = "product_users"
        rows = self.good(U, 2, 1)
        rows[1][self.col(U, "role")] = "owner"
        self.csv(U, "unknown_role", rows, 1)

    # ------------------------------------------------------------- product/events
    def event_cases(self) -> None:
        E = "product_events"
        lines = self.samples[E]

        def write(case: str, body: list[str], bad: int, ext: str = "jsonl", *, fails: bool = False,
                  crlf: bool = False, cases: tuple[str, ...] | None = None) -> None:
            payload = "".join(line + ("\r\n" if crlf else "\n") for line in body).encode("utf-8")
            if ext == "jsonl.gz":
                payload = gzip.compress(payload, compresslevel=6, mtime=0)
            if fails:
                payload = payload[: len(payload) // 2]
            self.landing.write_bytes(E, f"bad_{case}.{ext}", payload, len(body),
                                     bad_rows=bad, fails=fails, cases=cases or (case,))

        def event(i: int, **changes: object) -> dict:
            doc = json.loads(lines[i % len(lines)])
            doc["event_id"] = f"evt_bad_{i:04d}"
            doc.update(changes)
            return doc

        def dump(doc: dict) -> str:
            return json.dumps(doc, ensure_ascii=False)

        write("malformed_json", [dump(event(0)), '{"event_id": "evt_bad_9000", "account_id": "acc_000001", "user_',
                                 dump(event(1)), "this is not json", dump(event(8))], 2)
        no_id, no_user, blank_account = event(2), event(9), event(10, account_id="")
        del no_id["event_id"], no_user["user_id"]
        write("missing_event_id", [dump(event(3)), dump(no_id), dump(no_user), dump(blank_account)], 3,
              cases=("missing_event_id", "missing_required_value"))
        write("unparseable_timestamp", [dump(event(4)), dump(event(5, occurred_at="2024-02-30 25:00")),
                                        dump(event(11, received_at="last tuesday"))], 2)
        twin = dump(event(6))
        write("duplicate_event_id", [twin, dump(event(7)), twin], 1, cases=("duplicate_event_id", "duplicate_key_in_file"))
        # an SDK replay of events already delivered in a daily file
        write("duplicate_key_across_files", lines[:3], 0)
        write("unknown_account", [dump(event(12)), dump(event(13, account_id=UNKNOWN_ACCOUNT))], 0)
        extra = event(14)
        extra["context"] = {"library": {"name": "analytics.js", "version": "4.1.0"}, "locale": "de-DE"}
        extra["anonymous_id"] = "anon_7f3a"
        write("extra_column", [dump(event(15)), dump(extra)], 0)
        write("properties_not_object", [dump(event(16)), dump(event(17, properties="dashboards")),
                                        dump(event(18, properties=[1, 2]))], 2)
        write("crlf_line_endings", [dump(event(19, properties={"feature": "search", "query": "Café, \"ünïcode\" 日本語"})),
                                    dump(event(20))], 0, crlf=True)
        self.landing.write_bytes(E, "bad_zero_bytes.jsonl", b"", 0, fails=True, cases=("zero_bytes",))
        write("truncated_gzip", [dump(event(100 + i)) for i in range(400)], 0, ext="jsonl.gz", fails=True)
        # an HTML error page saved under a .jsonl.gz name: not gzip, not JSON
        page = b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n" + self.garbage(99, 512)
        self.landing.write_bytes(E, "bad_not_json.jsonl.gz", page, None, fails=True, cases=("not_json",))
        # a Parquet export without the user_id column
        docs = [event(21 + i) for i in range(3)]
        table = pa.table({c: [str(d[c]) if c != "properties" else json.dumps(d[c]) for d in docs]
                          for c in ENTITY_BY_TABLE[E].column_names if c != "user_id"})
        path = self.landing.path(E, "bad_missing_required_column.parquet")
        pq.write_table(table, path, compression="zstd")
        self.landing.record(E, path, len(docs), fails=True, cases=("missing_required_column",))


# --------------------------------------------------------------------------- entry point


def generate(
    out: Path,
    accounts: int = 500,
    days: int = 365,
    seed: int = 42,
    end_date: date | None = None,
    bad_rows: bool = False,
    progress: Progress | None = None,
) -> DemoSummary:
    """Write demo landing files for ``accounts`` accounts over the ``days`` days ending ``end_date``."""
    started = time.monotonic()
    say = progress or (lambda message: None)
    if accounts < 1 or days < 1:
        raise ValueError("accounts and days must be >= 1")
    end = end_date or datetime.now(timezone.utc).date()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    landing = _Landing(out)
    w = _World(accounts, days, seed, end)

    say(f"accounts and subscriptions: {accounts:,} accounts, {w.clock.day(w.D0)} .. {w.clock.day(w.D1)}")
    w.build_accounts()
    w.build_subscriptions()
    w.build_users()
    w.prepare_events()
    w.build_milestones()
    samples: dict[str, list[list[str]]] = {}

    stamp = w.clock.ts(np.array([w.end_ts - 7200]))[0]
    fallback = {  # template rows for entities a tiny demo left empty
        "billing_invoices": ["inv_sample", w.acct_ids[0], "", "paid", w.currency[0], "10.00", "10.00",
                             stamp, stamp, stamp, stamp],
        "survey_invitations": ["sinv_sample", "csat_support", "csat", "support", w.acct_ids[0], "usr_0000001", stamp],
        "survey_responses": ["resp_sample", "", "csat_in_app", "csat", "product", w.acct_ids[0], "usr_0000001", "4",
                             "", stamp],
    }

    def sample(table: str, rows: list[list[str]]) -> list[list[str]]:
        """At least 12 rows with distinct keys (the last delivery of each), templates for the bad-input files."""
        names = ENTITY_BY_TABLE[table].column_names
        key_idx = [names.index(k) for k in ENTITY_BY_TABLE[table].key]
        by_key = {tuple(r[i] for i in key_idx): r for r in rows[:200]}
        picked = list(by_key.values())[:20] or [fallback[table]]
        base = len(picked)
        while len(picked) < 12:  # tiny demos: copies under new ids
            row = list(picked[len(picked) % base])
            row[key_idx[0]] = f"{row[key_idx[0]]}_{len(picked)}"
            picked.append(row)
        return picked

    rows, keys, corrections = w.account_rows()
    samples["billing_accounts"] = sample("billing_accounts", rows)
    landing.write_split("billing_accounts", "accounts", rows, keys)
    if corrections:
        landing.write_csv("billing_accounts", "accounts_corrections.csv", corrections)
    rows, keys = w.subscription_rows()
    samples["billing_subscriptions"] = sample("billing_subscriptions", rows)
    landing.write_split("billing_subscriptions", "subscriptions", rows, keys)
    rows, keys, billing = w.invoice_rows()
    samples["billing_invoices"] = sample("billing_invoices", rows)
    landing.write_split("billing_invoices", "invoices", rows, keys)
    say(f"billing: {len(w.versions):,} subscription versions, {len(rows):,} invoice rows")
    rows, keys = w.user_rows()
    samples["product_users"] = sample("product_users", rows)
    landing.write_split("product_users", "users", rows, keys)
    invitations, inv_keys, responses, resp_keys = w.survey_rows(billing)
    samples["survey_invitations"] = sample("survey_invitations", invitations)
    samples["survey_responses"] = sample("survey_responses", responses)
    landing.write_split("survey_invitations", "invitations", invitations, inv_keys)
    landing.write_split("survey_responses", "responses", responses, resp_keys)
    say(f"users and surveys: {len(rows):,} users, {len(invitations):,} invitations, {len(responses):,} responses")

    del rows, keys, invitations, inv_keys, responses, resp_keys, corrections  # free before the event loop
    _generate_events(w, landing, say)
    if bad_rows:
        samples["product_events"] = _sample_event_lines(landing)
        _BadInput(w, landing, samples).plant()
        say("bad input planted: " + ", ".join(BAD_CASES))

    seconds = time.monotonic() - started
    manifest = {
        "files": sorted(landing.entries, key=lambda e: e["path"]),
        "params": {
            "accounts": accounts, "days": days, "seed": seed, "bad_rows": bad_rows,
            "start_date": w.clock.day(w.D0), "end_date": w.clock.day(w.D1),
        },
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = landing.summary(seconds)
    say(f"done in {seconds:,.1f} s")
    return summary


def _sample_event_lines(landing: _Landing) -> list[str]:
    for entry in landing.entries:
        if entry["entity"] == "product_events" and entry["path"].endswith(".jsonl.gz") and entry["data_rows"]:
            with gzip.open(landing.out / entry["path"], "rt", encoding="utf-8") as handle:
                return [handle.readline().rstrip("\n") for _ in range(min(20, entry["data_rows"]))]
    return [json.dumps({
        "event_id": "evt_sample", "account_id": "acc_000001", "user_id": "usr_0000001",
        "event_name": "session_started", "occurred_at": "2024-01-01T10:00:00Z",
        "received_at": "2024-01-01T10:00:01Z", "properties": {"platform": "web"},
    })]
