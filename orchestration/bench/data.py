"""Benchmark scales and their landing data: generated once per scale and seed, cached."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestration.config import PROJECT_DIR

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Scale:
    name: str
    accounts: int
    days: int


SCALES: dict[str, Scale] = {
    s.name: s
    for s in (
        Scale("ci", 30, 30),
        Scale("demo", 500, 365),
        Scale("medium", 2_000, 365),
        Scale("large", 20_000, 365),
    )
}
# A fixed last day, so every run of a scale and seed benchmarks the same bytes.
END_DATE = date(2026, 11, 30)
DEFAULT_MEMORY_LIMIT = "4GB"
EDIT_MART = "cx_nps_monthly"
DEFAULT_WORK_DIR = PROJECT_DIR / "data" / "bench"
MANIFEST_NAME = "_demo_manifest.json"
EVENTS_FOLDER = Path("product") / "events"
SAMPLE_SECONDS = 0.05

# Targets of the issue, on this machine (2 cores, 24 GiB).
TARGETS = {
    "full_refresh_vs_floor": {"scale": "large", "text": "full refresh <= 3 x floor + 90 s"},
    "incremental_seconds": {"scale": "large", "text": "incremental refresh < 60 s"},
    "incremental_share": {"scale": "large", "text": "incremental refresh < 15% of the full refresh"},
    "full_refresh_memory_limit": {"scale": "large", "text": "full refresh completes with DuckDB memory_limit 4GB"},
    "edit_build_seconds": {"scale": "demo", "text": f"edit-build loop (dbt build -s {EDIT_MART}) < 15 s"},
}


# --------------------------------------------------------------------------- data


def wanted_params(scale: Scale, seed: int) -> dict[str, Any]:
    return {"accounts": scale.accounts, "days": scale.days, "seed": seed, "end_date": END_DATE.isoformat()}


def read_manifest(landing: Path) -> dict[str, Any] | None:
    path = landing / MANIFEST_NAME
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def manifest_matches(manifest: dict[str, Any] | None, params: dict[str, Any], landing: Path) -> bool:
    """The cache key: the generator's parameters match and every file it wrote is there."""
    if not manifest:
        return False
    have = manifest.get("params", {})
    if any(have.get(k) != v for k, v in params.items()) or have.get("bad_rows"):
        return False
    return all((landing / entry["path"]).is_file() for entry in manifest.get("files", []))


def ensure_landing(scale: Scale, seed: int, work_dir: Path, data_dir: Path | None, say: Progress) -> Path:
    """The landing set of this scale and seed: ``data_dir`` if given (checked), else the cache."""
    params = wanted_params(scale, seed)
    if data_dir is not None:
        if not manifest_matches(read_manifest(data_dir), params, data_dir):
            raise SystemExit(
                f"--data-dir {data_dir}: its {MANIFEST_NAME} does not match {params} (or files are missing)"
            )
        say(f"data: using {data_dir} (manifest matches {params})")
        return data_dir
    landing = work_dir / f"{scale.name}-{seed}" / "landing"
    if manifest_matches(read_manifest(landing), params, landing):
        say(f"data: cached {landing}")
        return landing
    from orchestration.demo_data import generate

    if landing.exists():
        shutil.rmtree(landing)
    say(f"data: generating {scale.accounts:,} accounts x {scale.days} days (seed {seed}) into {landing}")
    generate(
        out=landing,
        accounts=scale.accounts,
        days=scale.days,
        seed=seed,
        end_date=END_DATE,
        progress=lambda message: say(f"data: {message}"),
    )
    return landing


def data_rows(manifest: dict[str, Any]) -> dict[str, int]:
    rows: dict[str, int] = {}
    for entry in manifest["files"]:
        rows[entry["entity"]] = rows.get(entry["entity"], 0) + int(entry.get("data_rows") or 0)
    return rows


def event_files(landing: Path) -> list[Path]:
    folder = landing / EVENTS_FOLDER
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _shift(stamp: str, days: int) -> str:
    """An ISO-8601 timestamp as written by the generator, ``days`` later, same offset and format."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(days=days)
    text = moment.isoformat()
    return text[:-6] + "Z" if stamp.endswith("Z") and text.endswith("+00:00") else text


def next_day_file(landing: Path, cache_dir: Path) -> tuple[Path, int]:
    """One more received day of events: the last day's file, one day later, as ``.jsonl.gz``.

    Every event keeps its account, user, name, properties, time of day and lateness (so the
    day has the real volume, SDK duplicates and late arrivals of this data set); its
    ``event_id`` gets a ``1`` prefix (13 hex digits instead of the generator's 12), so it
    can never collide with an event already loaded, while an SDK duplicate inside the file
    stays a duplicate.  Returns the file and its number of lines."""
    import pyarrow.parquet as pq

    last = event_files(landing)[-1]
    day = date.fromisoformat(last.name.split("_", 1)[1][:10]) + timedelta(days=1)
    target = cache_dir / EVENTS_FOLDER / f"events_{day.isoformat()}.jsonl.gz"
    done = target.with_name(target.name + ".lines")
    if target.exists() and done.exists():
        return target, int(done.read_text())
    if last.name.endswith(".parquet"):
        records = pq.read_table(last).to_pylist()
    else:
        opener = gzip.open if last.name.endswith(".gz") else open
        with opener(last, "rt", encoding="utf-8") as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    lines = []
    for record in records:
        record["event_id"] = "evt_1" + record["event_id"][4:]
        record["occurred_at"] = _shift(record["occurred_at"], 1)
        record["received_at"] = _shift(record["received_at"], 1)
        if isinstance(record.get("properties"), str):
            record["properties"] = json.loads(record["properties"])
        lines.append(json.dumps(record, separators=(",", ":")))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=1, mtime=0))
    done.write_text(str(len(lines)))
    return target, len(lines)


def link_tree(source: Path, target: Path) -> None:
    """A landing folder of symlinks to ``source``'s files (the cache stays read-only)."""
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.name != MANIFEST_NAME:
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
