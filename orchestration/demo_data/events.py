"""product/events: one JSON Lines (gzip), plain JSON Lines or Parquet file per received day.

Events are simulated one day at a time (each day from its own random stream ``[seed, 1, day]``)
and written by two threads while the next day is simulated, so memory stays bounded at
20,000 accounts x 365 days (about 50 million events).

Planted signals: accounts that cancel use the product less over their last 90 days, onboarding
milestone actions only happen once reached, ~0.5% of events are delivered twice (half in the
same file, half in the next day's) and ~2% arrive 1-3 days late.
"""

from __future__ import annotations

import gzip
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration.demo_data.formatting import Progress
from orchestration.demo_data.vocab import EVENT_NAMES, EVENT_P, ID_MASK, ID_MULT, REGION_HOUR, TZ_P, TZ_SHIFT, TZ_SUFFIX
from orchestration.demo_data.world import World
from orchestration.demo_data.writer import Landing

Events = dict[str, np.ndarray]
WEEKDAY_FACTOR = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.3])  # Monday .. Sunday
BASE_P = 0.105  # daily activity probability of a user of average engagement


class _EventWriter:
    """Formats and writes one received day's events (pyarrow compute: vectorised, off the GIL)."""

    def __init__(self, world: World, landing: Landing) -> None:
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
            self._take(self.dates, secs // 86400 - self.base), "T", self._take(self.hms, secs % 86400), suffix, ""
        )

    def write(self, day: int, ext: str, ev: Events) -> tuple[Path, int, int]:
        take = self._take
        order = np.lexsort((ev["eid"], ev["rec"]))
        ev = {k: v[order] for k, v in ev.items()}
        m = len(order)
        dup_in_file = m - len(np.unique(ev["eid"]))
        eid = ev["eid"]
        event_id = pc.binary_join_element_wise(
            "evt_", *(take(self.hex3, (eid >> np.uint64(shift)) & np.uint64(0xFFF)) for shift in (36, 24, 12, 0)), ""
        )
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
        path.write_bytes(self._jsonl(columns, ext))
        return path, m, dup_in_file

    @staticmethod
    def _jsonl(columns: dict[str, pa.Array], ext: str) -> bytes | memoryview:
        """One JSON object per line, assembled column-wise (the values are already JSON-safe)."""
        pieces: list = []
        for i, (name, values) in enumerate(columns.items()):
            prefix = "{" if i == 0 else ","
            if name == "properties":
                pieces += [f'{prefix}"{name}":', values]
            else:
                pieces += [f'{prefix}"{name}":"', values, '"']
        lines = pc.binary_join_element_wise(*pieces, "}\n", "")
        buffers = lines.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
        text = memoryview(buffers[2])[offsets[0] : offsets[-1]]
        if ext == "jsonl.gz":
            return gzip.compress(text, compresslevel=1, mtime=0)
        return text


class _Simulator:
    """Simulates the events of one day at a time; ``counter`` numbers events across days."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.K = len(w.seeds.features)
        self.name_p = np.array(EVENT_P)
        self.region_hour = np.array(REGION_HOUR)[w.region] * 3600
        self.all_accts = np.arange(w.n)
        self.counter = 0

    def day(self, i: int) -> tuple[Events, np.ndarray]:
        """The day's events and one uniform draw per event (which of them the SDK delivers twice)."""
        w = self.w
        d = w.D0 + i
        rng = np.random.default_rng([w.seed, 1, i])
        act = w.active(self.all_accts, d)
        ev_user, ev_acct, code, feat, t = self._sessions(rng, d, act)
        ms_user, ms_acct, ms_code, ms_feat, ms_t = self._milestones(d, act)
        ev_user = np.concatenate([ev_user, ms_user])
        ev_acct = np.concatenate([ev_acct, ms_acct])
        code = np.concatenate([code, ms_code])
        feat = np.concatenate([feat, ms_feat])
        t = np.concatenate([t, ms_t])
        ev = self._stamped(rng, d, ev_user, ev_acct, code, feat, t)
        return ev, rng.random(len(ev_user))

    def _sessions(self, rng: np.random.Generator, d: int, act: np.ndarray):
        """Active users of the day and their events: kind, feature and second of day."""
        w, K, u_acct = self.w, self.K, self.w.user_acct
        weekday = (d + 3) % 7  # 1970-01-01 was a Thursday
        fa = act * WEEKDAY_FACTOR[weekday] * (1.0 - 0.7 * w.penalty(self.all_accts, d))
        pu = np.minimum(BASE_P * w.user_eng * fa[u_acct], 0.95)
        pu[w.user_created_day > d] = 0.0
        users = np.flatnonzero(rng.random(len(pu)) < pu)
        k = rng.integers(1, 11, len(users))
        m = int(k.sum())
        ev_user = np.repeat(users, k)
        ev_acct = u_acct[ev_user]
        first = np.cumsum(k) - k
        pos = np.arange(m) - np.repeat(first, k)
        code = rng.choice(len(EVENT_NAMES), m, p=self.name_p).astype(np.int8)
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
        start = self.region_hour[u_acct[users]] + rng.normal(0, 2.2 * 3600, len(users))
        start = np.clip(start, 0, 86399).astype(np.int64)
        gaps = rng.exponential(150.0, m)
        gaps[first] = 0
        csum = np.cumsum(gaps)
        t = np.repeat(start, k) + (csum - np.repeat(csum[first], k)).astype(np.int64)
        return ev_user, ev_acct, code, feat, np.minimum(t, 86399)

    def _milestones(self, d: int, act: np.ndarray):
        """The explicit milestone events of the day (no draws: their times were drawn up front)."""
        w = self.w
        lo, hi = np.searchsorted(w.ms_ev_day, [d, d + 1])
        ms_acct = w.ms_ev_acct[lo:hi]
        ms_m = w.ms_ev_m[lo:hi]
        ok = act[ms_acct]
        ms_acct, ms_m = ms_acct[ok], ms_m[ok]
        ms_user = w.first_user[ms_acct]
        ms_t = np.clip(self.region_hour[ms_acct] + w.ms_ev_sec[lo:hi][ok], 0, 86399).astype(np.int64)
        ms_feat = np.where(w.ms_feat[ms_m] >= 0, w.ms_feat[ms_m], 0).astype(np.int16)
        return ms_user, ms_acct, w.ms_code[ms_m], ms_feat, ms_t

    def _stamped(
        self,
        rng: np.random.Generator,
        d: int,
        ev_user: np.ndarray,
        ev_acct: np.ndarray,
        code: np.ndarray,
        feat: np.ndarray,
        t: np.ndarray,
    ) -> Events:
        """Properties, received time (some late), time zone and a unique id per event."""
        w = self.w
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
        seq = np.arange(self.counter + 1, self.counter + m + 1, dtype=np.uint64)
        self.counter += m
        eid = (seq * ID_MULT) & ID_MASK
        return {
            "eid": eid,
            "acct": ev_acct.astype(np.int32),
            "user": ev_user.astype(np.int64),
            "code": code,
            "prop": prop,
            "occ": occ,
            "rec": rec,
            "tz": tz,
        }


def _route(ev: Events, du: np.ndarray, pending: dict[int, list[Events]], last_day: int) -> None:
    """File each event under its received day, plus the SDK's duplicate deliveries (same or next day)."""
    file_day = ev["rec"] // 86400
    same, nxt = du < 0.0025, (du >= 0.0025) & (du < 0.005)
    parts = [
        (ev, file_day),
        ({k: v[same] for k, v in ev.items()}, file_day[same]),
        ({k: v[nxt] for k, v in ev.items()}, file_day[nxt] + 1),
    ]
    for part, fday in parts:
        for fd in np.unique(fday).tolist():
            if fd > last_day:
                continue
            sel = fday == fd
            pending[fd].append({k: v[sel] for k, v in part.items()})


def generate_events(w: World, landing: Landing, say: Progress) -> None:
    n_days = w.D1 - w.D0 + 1
    u = np.random.default_rng([w.seed, 3]).random(n_days)
    exts = np.where(u < 0.05, "parquet", np.where(u < 0.10, "jsonl", "jsonl.gz"))
    writer = _EventWriter(w, landing)
    simulator = _Simulator(w)
    pending: dict[int, list[Events]] = defaultdict(list)
    futures: list[Future] = []
    results: list[tuple[Path, int, int]] = []
    started = time.monotonic()

    def collect(block: bool) -> None:
        while futures and (block or futures[0].done()):
            results.append(futures.pop(0).result())

    with ThreadPoolExecutor(max_workers=2) as pool:
        for i in range(n_days):
            d = w.D0 + i
            _route(*simulator.day(i), pending, w.D1)
            chunks = pending.pop(d, [])
            if chunks:
                merged = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
                if len(merged["eid"]):
                    collect(False)
                    while len(futures) >= 3:  # at most three days in flight: bounded memory
                        collect(True)
                    futures.append(pool.submit(writer.write, d, str(exts[i]), merged))
            if (i + 1) % 30 == 0 or i == n_days - 1:
                say(
                    f"events: day {i + 1}/{n_days}, {simulator.counter:,} generated "
                    f"({time.monotonic() - started:,.0f} s)"
                )
        collect(True)
    for path, rows, dups in results:
        landing.record("product_events", path, rows, bad_rows=dups)
