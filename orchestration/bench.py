"""``cxcs bench``: how fast the warehouse is where its users feel it, against a DuckDB floor.

One benchmark run, for one scale and seed:

1. **Data** — the demo generator's landing files, generated once and cached under
   ``<work>/<scale>-<seed>/landing`` (the generator's ``_demo_manifest.json`` is the cache
   key: accounts, days, seed and end date must match), or taken read-only from
   ``--data-dir`` (e.g. a large set generated earlier with the same arguments).
   The *next day* is one more received day of product events: the last day's event file
   replayed one day later under new event ids (``next_day_file``), cached beside it.
2. **Floor** — DuckDB alone, in a child process: its own readers (``read_json`` /
   ``read_parquet``) over every event landing file, aggregated to account x UTC day
   (distinct users, events), plus one ``read_csv`` of every other source.  Every result is
   also given as a ratio to this floor, so it holds on a noisy machine.
3. **Full refresh** — ``cxcs refresh`` (the Dagster ``refresh`` job, in a child process)
   into an empty warehouse.  Stage times come from the run itself: Dagster's step
   statistics (load = ``raw_landing_files``, dbt build = ``cxcs_dbt_models``, the quality
   gate's steps when ``orchestration/quality`` exists, publish =
   ``published_warehouse``); the rest of the process (imports, ``dbt parse``, the summary
   printed at the end) is reported as ``startup + summary``.  dbt's own
   ``run_results.json`` gives the slowest nodes.
4. **Incremental refresh** — the next day's file lands; ``cxcs refresh`` again on the same
   warehouse.
5. **Edit-build loop** — in a scratch copy of the dbt project: ``dbt build -s
   <mart>`` once to warm dbt's partial-parse state, then an edit (a comment appended to the
   mart's SQL) and ``dbt build -s <mart>`` again, timed.

Peak memory is the summed RSS of the child's whole process tree (the Dagster process, the
dbt subprocess, ...), sampled from ``/proc`` every 50 ms, and split per stage with the
step's start and end times.  The DuckDB memory limit (``CXCS_DUCKDB_MEMORY_LIMIT``, default
4GB here) is set for every child.  Results go to JSON plus a markdown table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from orchestration.config import PROJECT_DIR, dbt_executable

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


# --------------------------------------------------------------------------- measuring


def _tree_usage(root: int) -> tuple[int, float]:
    """(RSS bytes, CPU seconds) of ``root`` and all its descendants, from /proc.

    CPU counts each live process's user and system time plus that of its children it has
    already reaped, so a finished dbt subprocess still counts (in its parent)."""
    children: dict[int, list[int]] = {}
    usage: dict[int, tuple[int, int]] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
            fields = stat[stat.rfind(")") + 2 :].split()
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            usage[pid] = (int(fields[21]) * page, sum(int(v) for v in fields[11:15]))
        except (OSError, ValueError, IndexError):
            continue
    rss, ticks, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        pid_rss, pid_ticks = usage.get(pid, (0, 0))
        rss += pid_rss
        ticks += pid_ticks
        stack.extend(children.get(pid, []))
    return rss, ticks / os.sysconf("SC_CLK_TCK")


def _tree_rss(root: int) -> int:
    """Summed resident set size (bytes) of ``root`` and all its descendants."""
    return _tree_usage(root)[0]


@dataclass
class ChildRun:
    returncode: int
    seconds: float
    started: float
    peak_rss: int
    cpu_seconds: float
    samples: list[tuple[float, int, float]]
    output: str

    def peak_between(self, start: float, end: float) -> int:
        values = [rss for at, rss, _ in self.samples if start <= at <= end]
        return max(values) if values else 0

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds of the process tree between two moments (from the 50 ms samples)."""
        before = [cpu for at, _, cpu in self.samples if at <= start]
        until = [cpu for at, _, cpu in self.samples if at <= end]
        return max((until[-1] if until else 0.0) - (before[-1] if before else 0.0), 0.0)


def run_child(args: Sequence[str], env: dict[str, str], log: Path) -> ChildRun:
    """Run a command, sampling its process tree's RSS and CPU; stdout and stderr go to ``log``.

    Wall seconds, and CPU seconds of the whole tree (``wait4``): on a shared, busy machine
    wall time stretches with the load while CPU time mostly does not."""
    log.parent.mkdir(parents=True, exist_ok=True)
    samples: list[tuple[float, int, float]] = []
    with open(log, "w", encoding="utf-8") as out:
        started = time.time()
        clock = time.monotonic()
        proc = subprocess.Popen(list(args), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_DIR)
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((time.time(), *_tree_usage(proc.pid)))
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - clock
        stop.set()
        sampler.join()
    return ChildRun(
        returncode=proc.returncode,
        seconds=seconds,
        started=started,
        peak_rss=max((rss for _, rss, _ in samples), default=0),
        cpu_seconds=rusage.ru_utime + rusage.ru_stime,
        samples=samples,
        output=log.read_text(encoding="utf-8", errors="replace"),
    )


def machine_load() -> dict[str, float]:
    one, five, fifteen = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "load_15m": round(fifteen, 2)}


# --------------------------------------------------------------------------- children


def child_env(memory_limit: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "CXCS_DUCKDB_MEMORY_LIMIT": memory_limit, "PYTHONUNBUFFERED": "1"}
    env.update(extra or {})
    return env


def floor_child(landing: Path, report: Path, temp_dir: Path) -> None:
    """The floor, measured inside this (child) process: DuckDB's own readers, nothing else."""
    import duckdb

    from orchestration.contract import ENTITIES

    conn = duckdb.connect(
        config={
            "memory_limit": os.environ.get("CXCS_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
            "temp_directory": str(temp_dir),
        }
    )
    conn.execute("set TimeZone = 'UTC'")
    conn.execute("set enable_progress_bar = false")
    files = event_files(landing)
    jsonl = [str(p) for p in files if p.name.endswith((".jsonl", ".jsonl.gz"))]
    parquet = [str(p) for p in files if p.name.endswith(".parquet")]
    events = next(e for e in ENTITIES if e.table == "product_events")
    columns = (
        "{" + ", ".join(f"'{c.name}': '{'JSON' if c.type == 'json' else 'VARCHAR'}'" for c in events.columns) + "}"
    )
    scans = []
    if jsonl:
        scans.append(
            f"select account_id, user_id, occurred_at from read_json({jsonl}, format = 'newline_delimited', "
            f"columns = {columns})"
        )
    if parquet:
        scans.append(
            f"select account_id, user_id, cast(occurred_at as varchar) as occurred_at from read_parquet({parquet})"
        )
    timings: dict[str, Any] = {}
    started = time.monotonic()
    rows, groups = conn.execute(
        f"""
        select coalesce(sum(events), 0), count(*) from (
            select account_id, cast(cast(occurred_at as timestamptz) as date) as day,
                   count(distinct user_id) as users, count(*) as events
            from ({" union all ".join(scans)})
            group by all
        )
        """
    ).fetchone()
    timings["events"] = {"seconds": time.monotonic() - started, "rows": int(rows), "account_days": int(groups)}
    started = time.monotonic()
    other_rows = 0
    for entity in ENTITIES:
        if entity.table == "product_events":
            continue
        folder = landing / entity.source / entity.name
        csvs = sorted(str(p) for p in folder.glob("*.csv")) if folder.is_dir() else []
        if csvs:
            other_rows += conn.execute(
                f"select count(*) from read_csv({csvs}, header = true, all_varchar = true, delim = ',', quote = '\"', "
                f"escape = '\"')"
            ).fetchone()[0]
    timings["other_sources"] = {"seconds": time.monotonic() - started, "rows": int(other_rows)}
    report.write_text(json.dumps(timings, indent=1))


def refresh_child(landing: Path, warehouse: Path, report: Path) -> int:
    """``cxcs refresh`` itself, in this (child) process, then its Dagster step statistics.

    Besides the steps, it notes when ``cxcs refresh``'s ``dbt parse`` ran (the time before it
    is Python and Dagster imports; between it and the first step, loading the definitions)."""
    marks: dict[str, float] = {"child_started": time.time()}
    import dagster as dg

    from orchestration.refresh import run_refresh

    marks["imported"] = time.time()

    def mark(name: str) -> None:
        marks[name] = time.time()

    instance = dg.DagsterInstance.ephemeral()
    started = time.time()
    code = run_refresh(landing, warehouse, instance=instance, on_mark=mark)
    finished = time.time()
    runs = instance.get_runs()
    steps = []
    run_id = runs[0].run_id if runs else None
    if run_id:
        for stat in instance.get_run_step_stats(run_id):
            steps.append(
                {
                    "step": stat.step_key,
                    "status": stat.status.value if stat.status else None,
                    "start": stat.start_time,
                    "end": stat.end_time,
                }
            )
    report.write_text(
        json.dumps(
            {
                "exit_code": code,
                "started": started,
                "finished": finished,
                "marks": marks,
                "run_id": run_id,
                "steps": steps,
            },
            indent=1,
        )
    )
    return code


# --------------------------------------------------------------------------- stages


def gate_present() -> bool:
    # A module before the split into a package, a package after it (bench compares commits).
    return any((PROJECT_DIR / "orchestration" / name).exists() for name in ("quality.py", "quality"))


def stage_of(step_key: str) -> str:
    """The stage a Dagster step of the refresh job belongs to (other steps, e.g. a report
    rendered after the build, are "other" and listed by name)."""
    for prefix, stage in (
        ("raw_landing_files", "load"),
        ("cxcs_dbt_models", "dbt_build"),
        ("quality_gate", "gate"),
        ("published_warehouse", "publish"),
    ):
        if step_key.startswith(prefix):
            return stage
    return "other"


STAGES = ("load", "dbt_build", "gate", "publish", "other", "startup_and_summary")


def dbt_target_dir(run_id: str | None) -> Path | None:
    """The target folder dagster-dbt used for this run (target/cxcs_dbt_models-<run>-<uuid>/)."""
    if not run_id:
        return None
    found = sorted((PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*/run_results.json"))
    return found[-1].parent if found else None


def dbt_run_results(target: Path | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return summarise_run_results(json.loads((target / "run_results.json").read_text()))


def profile_models(build_file: Path, target: Path, nodes: list[str], out_dir: Path) -> list[dict[str, Any]]:
    """DuckDB's profiler (EXPLAIN ANALYZE, as JSON) on the compiled SELECT of each model in
    ``nodes``, against the finished build file (read-only): the heaviest operators of each."""
    import duckdb

    manifest = json.loads((target / "manifest.json").read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    profiles = []
    for node in nodes:
        info = manifest["nodes"].get(node, {})
        compiled = target / "compiled" / info.get("package_name", "cxcs") / info.get("original_file_path", "")
        if not info or not compiled.is_file():
            continue
        output = out_dir / f"{info['name']}.json"
        with duckdb.connect(str(build_file), read_only=True) as conn:
            conn.execute("set TimeZone = 'UTC'")
            limit = os.environ.get("CXCS_DUCKDB_MEMORY_LIMIT")
            if limit:
                conn.execute(f"set memory_limit = '{limit}'")
            conn.execute("set enable_profiling = 'json'")
            conn.execute(f"set profiling_output = '{output}'")
            started = time.monotonic()
            conn.execute(compiled.read_text()).fetchall()
            seconds = time.monotonic() - started
            conn.execute("set enable_profiling = 'no_output'")
        tree = json.loads(output.read_text())
        operators: list[dict[str, Any]] = []

        # walk() runs within this iteration only, so binding the loop's `operators` is intended.
        def walk(op: dict[str, Any]) -> None:
            if op.get("operator_name") or op.get("operator_type"):
                extra = op.get("extra_info") or {}
                detail = (
                    extra.get("Table") or extra.get("Function") or extra.get("Join Type") or extra.get("Groups") or ""
                )
                operators.append(  # noqa: B023
                    {
                        "operator": op.get("operator_name") or op.get("operator_type"),
                        "seconds": round(float(op.get("operator_timing") or 0.0), 3),
                        "rows": op.get("operator_cardinality"),
                        "detail": str(detail)[:80],
                    }
                )
            for child in op.get("children", []):
                walk(child)

        walk(tree)
        operators.sort(key=lambda o: -o["seconds"])
        profiles.append(
            {
                "node": node,
                "seconds": round(seconds, 2),
                "cpu_seconds": tree.get("cpu_time"),
                "peak_buffer_memory": tree.get("system_peak_buffer_memory"),
                "peak_temp_dir_size": tree.get("system_peak_temp_dir_size"),
                "rows_scanned": tree.get("cumulative_rows_scanned"),
                "top_operators": operators[:5],
                "profile": str(output),
            }
        )
    return profiles


def summarise_run_results(data: dict[str, Any], top: int = 12) -> dict[str, Any]:
    results = data.get("results", [])
    by_type: dict[str, float] = {}
    for result in results:
        kind = result["unique_id"].split(".", 1)[0]
        by_type[kind] = by_type.get(kind, 0.0) + float(result.get("execution_time") or 0.0)
    slowest = sorted(results, key=lambda r: -float(r.get("execution_time") or 0.0))
    models = [r for r in slowest if r["unique_id"].startswith("model.")]
    return {
        "elapsed_seconds": round(float(data.get("elapsed_time") or 0.0), 2),
        "nodes": len(results),
        "node_seconds_by_type": {k: round(v, 2) for k, v in sorted(by_type.items())},
        "slowest": [
            {
                "node": r["unique_id"],
                "seconds": round(float(r.get("execution_time") or 0.0), 2),
                "status": r.get("status"),
            }
            for r in slowest[:top]
        ],
        "slowest_models": [
            {"node": r["unique_id"], "seconds": round(float(r.get("execution_time") or 0.0), 2)} for r in models[:top]
        ],
    }


def measure_refresh(
    landing: Path, warehouse: Path, run_dir: Path, label: str, memory_limit: str, rows: int, profile: int = 0
) -> dict[str, Any]:
    report = run_dir / f"{label}.json"
    child = run_child(
        [sys.executable, "-m", "orchestration.bench", "_refresh", str(landing), str(warehouse), str(report)],
        child_env(memory_limit),
        run_dir / f"{label}.log",
    )
    if child.returncode not in (0, 2) or not report.exists():  # 2: published, some landing file failed
        raise RuntimeError(
            f"{label}: cxcs refresh exited {child.returncode}; see {run_dir / (label + '.log')}:\n"
            + child.output[-4000:]
        )
    info = json.loads(report.read_text())
    stages: dict[str, dict[str, Any]] = {}
    for step in info["steps"]:
        if step["start"] is None or step["end"] is None:
            continue
        stage = stages.setdefault(
            stage_of(step["step"]), {"seconds": 0.0, "cpu_seconds": 0.0, "peak_rss": 0, "steps": []}
        )
        stage["seconds"] += step["end"] - step["start"]
        stage["cpu_seconds"] += child.cpu_between(step["start"], step["end"])
        stage["peak_rss"] = max(stage["peak_rss"], child.peak_between(step["start"], step["end"]))
        stage["steps"].append(step["step"])
    target = dbt_target_dir(info.get("run_id"))
    dbt = dbt_run_results(target)
    profiles = []
    if profile and target is not None and dbt:
        os.environ.setdefault("CXCS_DUCKDB_MEMORY_LIMIT", memory_limit)
        models = [n["node"] for n in dbt["slowest_models"][:profile]]
        profiles = profile_models(warehouse / "build" / "cxcs.duckdb", target, models, run_dir / f"{label}-profiles")
    in_steps = sum(s["seconds"] for s in stages.values())
    cpu_in_steps = sum(s["cpu_seconds"] for s in stages.values())
    stages["startup_and_summary"] = {
        "seconds": max(child.seconds - in_steps, 0.0),
        "cpu_seconds": max(child.cpu_seconds - cpu_in_steps, 0.0),
        "peak_rss": child.peak_rss,
        "steps": ["imports, dbt parse, run setup, printed summary"],
    }
    marks = info.get("marks", {})
    timed = [s for s in info["steps"] if s["start"] and s["end"]]
    if timed and "dbt_parse_end" in marks:
        first_step, last_step = min(s["start"] for s in timed), max(s["end"] for s in timed)
        stages["startup_and_summary"]["parts"] = {
            "process_start_and_imports": round(marks["imported"] - child.started, 2),
            "dbt_parse": round(marks["dbt_parse_end"] - marks["dbt_parse_start"], 2),
            "definitions_and_run_setup": round(first_step - marks["dbt_parse_end"], 2),
            "summary_and_exit": round(child.started + child.seconds - last_step, 2),
        }
    for stage in stages.values():
        stage["seconds"] = round(stage["seconds"], 3)
        stage["cpu_seconds"] = round(stage["cpu_seconds"], 2)
        stage["rows_per_second"] = round(rows / stage["seconds"]) if stage["seconds"] > 0 else None
    return {
        "seconds": round(child.seconds, 3),
        "cpu_seconds": round(child.cpu_seconds, 2),
        "rows": rows,
        "rows_per_second": round(rows / child.seconds) if child.seconds else None,
        "peak_rss": child.peak_rss,
        "exit_code": info["exit_code"],
        "stages": stages,
        "dbt": dbt,
        "profiles": profiles,
        "load": machine_load(),
    }


def measure_floor(landing: Path, run_dir: Path, memory_limit: str, rows: int, label: str = "floor") -> dict[str, Any]:
    report = run_dir / f"{label}.json"
    temp = run_dir / f"{label}.tmp"
    child = run_child(
        [sys.executable, "-m", "orchestration.bench", "_floor", str(landing), str(report), str(temp)],
        child_env(memory_limit),
        run_dir / f"{label}.log",
    )
    shutil.rmtree(temp, ignore_errors=True)
    if child.returncode != 0:
        raise RuntimeError("floor failed:\n" + child.output[-4000:])
    parts = json.loads(report.read_text())
    seconds = sum(p["seconds"] for p in parts.values())
    return {
        "seconds": round(seconds, 3),
        "process_seconds": round(child.seconds, 3),
        # the floor's CPU: its queries' share of the child's CPU (Python start-up excluded)
        "cpu_seconds": round(
            child.cpu_between(child.started + child.seconds - seconds - 0.5, child.started + child.seconds), 2
        ),
        "process_cpu_seconds": round(child.cpu_seconds, 2),
        "rows": rows,
        "rows_per_second": round(rows / seconds) if seconds else None,
        "peak_rss": child.peak_rss,
        "parts": {k: {**v, "seconds": round(v["seconds"], 3)} for k, v in parts.items()},
        "load": machine_load(),
    }


def warm_parse(warehouse: Path, memory_limit: str, run_dir: Path) -> float:
    """``dbt parse`` in the project with the environment a refresh of ``warehouse`` uses."""
    env = child_env(memory_limit, {"CXCS_DUCKDB_PATH": str(warehouse / "build" / "cxcs.duckdb")})
    dbt = dbt_executable()
    child = run_child([dbt, "parse", "--quiet", "--profiles-dir", str(PROJECT_DIR)], env, run_dir / "warm-parse.log")
    if child.returncode != 0:
        raise RuntimeError("dbt parse failed:\n" + child.output[-4000:])
    return child.seconds


def copy_project(target: Path) -> Path:
    """A scratch copy of the dbt project for the edit-build loop (the work tree is never edited)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(PROJECT_DIR / name, target / name)
    for name in ("models", "macros", "seeds", "tests", "analyses", "snapshots"):
        if (PROJECT_DIR / name).is_dir():
            shutil.copytree(PROJECT_DIR / name, target / name)
    return target


def measure_edit_build(build_file: Path, run_dir: Path, memory_limit: str, mart: str = EDIT_MART) -> dict[str, Any]:
    project = copy_project(run_dir / "edit-project")
    dbt = dbt_executable()
    command = [
        dbt,
        "build",
        "-s",
        mart,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(project / "target"),
        "--log-path",
        str(project / "logs"),
    ]
    env = child_env(memory_limit, {"CXCS_DUCKDB_PATH": str(build_file)})
    results = {}
    for label in ("cold", "edited"):
        if label == "edited":
            sql = next(project.joinpath("models").rglob(f"{mart}.sql"))
            with open(sql, "a", encoding="utf-8") as handle:
                handle.write("\n-- edited by cxcs bench\n")
        child = run_child([*command], env, run_dir / f"edit-{label}.log")
        if child.returncode != 0:
            raise RuntimeError(f"edit-build ({label}) failed:\n" + child.output[-4000:])
        run_results = json.loads((project / "target" / "run_results.json").read_text())
        results[label] = {
            "seconds": round(child.seconds, 3),
            "cpu_seconds": round(child.cpu_seconds, 2),
            "dbt_elapsed_seconds": round(float(run_results.get("elapsed_time") or 0.0), 2),
            "nodes": len(run_results.get("results", [])),
            "peak_rss": child.peak_rss,
        }
    return {"command": f"dbt build -s {mart}", **results["edited"], "cold": results["cold"], "load": machine_load()}


# --------------------------------------------------------------------------- the run


def run_once(
    landing: Path,
    next_file: Path,
    run_dir: Path,
    memory_limit: str,
    rows_full: int,
    rows_next: int,
    say: Progress,
    profile: int = 0,
) -> dict[str, Any]:
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    run_landing = run_dir / "landing"
    warehouse = run_dir / "warehouse"
    link_tree(landing, run_landing)
    say("floor: DuckDB alone over the landing files")
    floor = measure_floor(run_landing, run_dir, memory_limit, rows_full)
    say(f"floor: {floor['seconds']:.1f} s")
    # dbt's partial-parse state depends on the profile (the build file's path): a warehouse
    # refreshed before has it; this new one would pay one full parse inside the first refresh.
    # Parse once beforehand (not counted) so the full refresh is measured as a scheduled one runs.
    parse_seconds = warm_parse(warehouse, memory_limit, run_dir)
    say(f"dbt parse for the new warehouse path (not counted): {parse_seconds:.1f} s")
    say("full refresh: cxcs refresh into an empty warehouse")
    full = measure_refresh(run_landing, warehouse, run_dir, "full", memory_limit, rows_full, profile)
    say(f"full refresh: {full['seconds']:.1f} s")
    link = run_landing / EVENTS_FOLDER / next_file.name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(next_file.resolve())
    say(f"incremental refresh: {next_file.name} landed")
    incremental = measure_refresh(run_landing, warehouse, run_dir, "incremental", memory_limit, rows_next, profile)
    say(f"incremental refresh: {incremental['seconds']:.1f} s")
    say(f"edit-build loop: dbt build -s {EDIT_MART}")
    edit = measure_edit_build(warehouse / "build" / "cxcs.duckdb", run_dir, memory_limit)
    say(f"edit-build loop: {edit['seconds']:.1f} s")
    # The floor again, after everything: on a shared machine the load drifts during a long run,
    # so the floor of the run is the mean of the two (both kept in the results).
    say("floor again: DuckDB alone over the landing files")
    floor_after = measure_floor(run_landing, run_dir, memory_limit, rows_full, label="floor-after")
    say(f"floor again: {floor_after['seconds']:.1f} s")
    floor = {
        **floor,
        "before": floor,
        "after": floor_after,
        "seconds": round((floor["seconds"] + floor_after["seconds"]) / 2, 3),
        "cpu_seconds": round((floor["cpu_seconds"] + floor_after["cpu_seconds"]) / 2, 2),
        "peak_rss": max(floor["peak_rss"], floor_after["peak_rss"]),
    }
    floor["rows_per_second"] = round(rows_full / floor["seconds"]) if floor["seconds"] else None
    build_file = warehouse / "build" / "cxcs.duckdb"
    published = warehouse / "cxcs.duckdb"
    return {
        "floor": floor,
        "warm_up_dbt_parse_seconds": round(parse_seconds, 2),
        "full_refresh": full,
        "incremental_refresh": incremental,
        "edit_build": edit,
        "warehouse_bytes": {"build": build_file.stat().st_size, "published": published.stat().st_size},
    }


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else 0.0


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repeats (each repeat is a complete run), and ratios to the floor."""
    floor = _median([r["floor"]["seconds"] for r in runs])
    floor_cpu = _median([r["floor"].get("cpu_seconds", 0.0) for r in runs])
    summary: dict[str, Any] = {"floor_seconds": floor, "floor_cpu_seconds": floor_cpu}

    def cpu_ratio(value: float) -> float | None:
        return round(value / floor_cpu, 3) if floor_cpu else None

    for kind in ("full_refresh", "incremental_refresh"):
        total = _median([r[kind]["seconds"] for r in runs])
        stages = {}
        for stage in STAGES:
            values = [r[kind]["stages"][stage]["seconds"] for r in runs if stage in r[kind]["stages"]]
            if not values:
                continue
            seconds = _median(values)
            rows = runs[0][kind]["rows"]
            cpu = _median(
                [r[kind]["stages"][stage].get("cpu_seconds", 0.0) for r in runs if stage in r[kind]["stages"]]
            )
            stages[stage] = {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "cpu_x_floor": cpu_ratio(cpu),
                "min_seconds": round(min(values), 3),
                "rows_per_second": round(rows / seconds) if seconds else None,
                "x_floor": round(seconds / floor, 3) if floor else None,
                "peak_rss": max(r[kind]["stages"][stage]["peak_rss"] for r in runs if stage in r[kind]["stages"]),
            }
        total_cpu = _median([r[kind].get("cpu_seconds", 0.0) for r in runs])
        summary[kind] = {
            "seconds": total,
            "cpu_seconds": total_cpu,
            "cpu_x_floor": cpu_ratio(total_cpu),
            "min_seconds": round(min(r[kind]["seconds"] for r in runs), 3),
            "rows": runs[0][kind]["rows"],
            "rows_per_second": round(runs[0][kind]["rows"] / total) if total else None,
            "x_floor": round(total / floor, 3) if floor else None,
            "peak_rss": max(r[kind]["peak_rss"] for r in runs),
            "stages": stages,
        }
    edit = _median([r["edit_build"]["seconds"] for r in runs])
    summary["edit_build"] = {
        "seconds": edit,
        "cpu_seconds": _median([r["edit_build"].get("cpu_seconds", 0.0) for r in runs]),
        "cold_seconds": _median([r["edit_build"]["cold"]["seconds"] for r in runs]),
        "x_floor": round(edit / floor, 3) if floor else None,
        "peak_rss": max(r["edit_build"]["peak_rss"] for r in runs),
    }
    summary["floor"] = {
        "seconds": floor,
        "cpu_seconds": floor_cpu,
        "rows_per_second": round(runs[0]["floor"]["rows"] / floor) if floor else None,
        "peak_rss": max(r["floor"]["peak_rss"] for r in runs),
    }
    return summary


def evaluate_targets(scale: str, summary: dict[str, Any], memory_limit: str) -> dict[str, Any]:
    full = summary["full_refresh"]["seconds"]
    incremental = summary["incremental_refresh"]["seconds"]
    floor = summary["floor_seconds"]
    checks = {
        "full_refresh_vs_floor": (
            full <= 3 * floor + 90,
            f"{full:.1f} s vs 3 x {floor:.1f} + 90 = {3 * floor + 90:.1f} s",
        ),
        "incremental_seconds": (incremental < 60, f"{incremental:.1f} s"),
        "incremental_share": (
            incremental < 0.15 * full,
            f"{100 * incremental / full:.1f}% of {full:.1f} s" if full else "n/a",
        ),
        "full_refresh_memory_limit": (
            memory_limit.replace(" ", "").upper() == "4GB",
            f"memory_limit {memory_limit}; peak RSS of the process tree {summary['full_refresh']['peak_rss'] / 2**30:.2f} GiB",
        ),
        "edit_build_seconds": (summary["edit_build"]["seconds"] < 15, f"{summary['edit_build']['seconds']:.1f} s"),
    }
    return {
        name: {
            "target": TARGETS[name]["text"],
            "applies_to_scale": TARGETS[name]["scale"],
            "applies": TARGETS[name]["scale"] == scale,
            "met": bool(ok),
            "measured": detail,
        }
        for name, (ok, detail) in checks.items()
    }


def _mib(value: int) -> str:
    return f"{value / 2**20:,.0f}"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    p = result["params"]
    lines = [
        f"### Scale `{p['scale']}`: {p['accounts']:,} accounts x {p['days']} days, seed {p['seed']} "
        f"({result['data']['rows_total']:,} landing rows, {result['data']['event_rows']:,} events)",
        "",
        f"Measured {result['measured_at']} on {result['machine']['cpus']} CPUs, "
        f"{result['machine']['memory_gib']:.0f} GiB; DuckDB memory_limit {p['memory_limit']}; "
        f"{p['repeat']} repeat(s), medians; load average before/after: "
        f"{result['machine']['load_before']['load_1m']} / {result['machine']['load_after']['load_1m']} (1 min).",
        "",
        "| measurement | stage | seconds | rows/s | x floor | CPU s | CPU x floor | peak RSS (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        f"| floor (DuckDB alone) | read + aggregate (mean of before {_fmt(result['runs'][0]['floor'].get('before', {}).get('seconds'))}"
        f" s and after {_fmt(result['runs'][0]['floor'].get('after', {}).get('seconds'))} s) | {_fmt(s['floor']['seconds'])} | "
        f"{_fmt(s['floor']['rows_per_second'], 0)} | 1.00 | {_fmt(s['floor'].get('cpu_seconds'))} | 1.00 | "
        f"{_mib(s['floor']['peak_rss'])} |",
    ]
    gate = "gate" if result["gate_present"] else None
    for kind, title in (("full_refresh", "full refresh"), ("incremental_refresh", "incremental (+1 day)")):
        k = s[kind]
        for stage in STAGES:
            if stage in k["stages"]:
                st = k["stages"][stage]
                label = stage.replace("_", " ")
                if stage == "other":
                    label += " (" + ", ".join(result["runs"][0][kind]["stages"].get("other", {}).get("steps", [])) + ")"
                lines.append(
                    f"| {title} | {label} | {_fmt(st['seconds'])} | "
                    f"{_fmt(st['rows_per_second'], 0)} | {_fmt(st['x_floor'], 2)} | {_fmt(st.get('cpu_seconds'))} | "
                    f"{_fmt(st.get('cpu_x_floor'), 2)} | {_mib(st['peak_rss'])} |"
                )
            elif stage == "gate" and gate is None:
                lines.append(f"| {title} | gate | not present | | | | | |")
        dbt_elapsed = [r[kind]["dbt"]["elapsed_seconds"] for r in result["runs"] if r[kind].get("dbt")]
        if dbt_elapsed:
            lines.append(
                f"| {title} | (dbt's own elapsed, run_results.json) | ({_fmt(statistics.median(dbt_elapsed))}) "
                "| | | | | |"
            )
        lines.append(
            f"| **{title}** | **total** | **{_fmt(k['seconds'])}** | {_fmt(k['rows_per_second'], 0)} | "
            f"**{_fmt(k['x_floor'], 2)}** | {_fmt(k.get('cpu_seconds'))} | {_fmt(k.get('cpu_x_floor'), 2)} | "
            f"{_mib(k['peak_rss'])} |"
        )
    e = s["edit_build"]
    lines.append(
        f"| edit-build loop | `dbt build -s {EDIT_MART}` after an edit | {_fmt(e['seconds'])} | | "
        f"{_fmt(e['x_floor'], 2)} | {_fmt(e.get('cpu_seconds'))} | | {_mib(e['peak_rss'])} |"
    )
    lines.append(f"| edit-build loop | same, cold (first parse) | {_fmt(e['cold_seconds'])} | | | | | |")
    for kind, title in (("full_refresh", "full refresh"), ("incremental_refresh", "incremental refresh")):
        parts = result["runs"][0][kind]["stages"].get("startup_and_summary", {}).get("parts")
        if parts:
            lines += [
                "",
                f"Startup and summary of the {title} (repeat 1): "
                + ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in parts.items())
                + ".",
            ]
    lines += ["", "| target | applies to | measured | met |", "|---|---|---|---|"]
    for check in result["targets"].values():
        met = ("yes" if check["met"] else "**no**") if check["applies"] else ("(yes)" if check["met"] else "(no)")
        lines.append(f"| {check['target']} | {check['applies_to_scale']} | {check['measured']} | {met} |")
    dbt = result["runs"][0]["full_refresh"].get("dbt")
    if dbt:
        lines += [
            "",
            f"Slowest dbt nodes of the full refresh (run_results.json, repeat 1; "
            f"{dbt['nodes']} nodes, {dbt['elapsed_seconds']} s elapsed; node seconds by type: "
            + ", ".join(f"{k} {v}" for k, v in dbt["node_seconds_by_type"].items())
            + "):",
            "",
        ]
        lines += [f"- {n['node']}: {n['seconds']} s" for n in dbt["slowest"][:8]]
    for kind in ("full_refresh", "incremental_refresh"):
        for prof in result["runs"][0][kind].get("profiles", []):
            ops = "; ".join(
                f"{o['operator']} {o['seconds']} s ({o['rows']:,} rows{', ' + o['detail'] if o['detail'] else ''})"
                for o in prof["top_operators"][:3]
                if o["rows"] is not None
            )
            lines.append(f"- EXPLAIN ANALYZE {kind.replace('_', ' ')} {prof['node']}: {prof['seconds']} s; {ops}")
    return "\n".join(lines) + "\n"


def run_bench(
    scale_name: str,
    repeat: int = 1,
    out: Path | None = None,
    data_dir: Path | None = None,
    seed: int = 42,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    work_dir: Path | None = None,
    progress: Progress | None = None,
    profile: int = 0,
) -> dict[str, Any]:
    say = progress or (lambda message: None)
    scale = SCALES[scale_name]
    work = Path(work_dir or os.environ.get("CXCS_BENCH_DIR") or DEFAULT_WORK_DIR).resolve()
    cache = work / f"{scale.name}-{seed}"
    load_before = machine_load()
    landing = ensure_landing(scale, seed, work, Path(data_dir).resolve() if data_dir else None, say)
    manifest = read_manifest(landing)
    rows = data_rows(manifest)
    next_file, next_rows = next_day_file(landing, cache / "next-day")
    say(f"data: next day {next_file.name} ({next_rows:,} events)")
    runs = []
    for i in range(repeat):
        say(f"repeat {i + 1}/{repeat} (load average {os.getloadavg()[0]:.2f})")
        runs.append(
            run_once(
                landing,
                next_file,
                cache / "run",
                memory_limit,
                sum(rows.values()),
                next_rows,
                say,
                profile if i == 0 else 0,
            )
        )
    summary = summarise(runs)
    result = {
        "params": {
            "scale": scale.name,
            "accounts": scale.accounts,
            "days": scale.days,
            "seed": seed,
            "end_date": END_DATE.isoformat(),
            "repeat": repeat,
            "memory_limit": memory_limit,
        },
        "command": " ".join(
            ["cxcs", "bench", "--scale", scale.name, "--repeat", str(repeat)]
            + (["--data-dir", str(data_dir)] if data_dir else [])
        ),
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": machine_load(),
        },
        "gate_present": gate_present(),
        "data": {
            "landing": str(landing),
            "rows_total": sum(rows.values()),
            "rows_by_entity": rows,
            "event_rows": rows.get("product_events", 0),
            "next_day_file": str(next_file),
            "next_day_rows": next_rows,
        },
        "summary": summary,
        "targets": evaluate_targets(scale.name, summary, memory_limit),
        "runs": runs,
    }
    out_path = Path(out) if out else work / "results" / f"{scale.name}-{seed}.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    out_path.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    result["paths"] = {"json": str(out_path), "markdown": str(out_path.with_suffix(".md"))}
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scale",
        choices=sorted(SCALES, key=lambda s: SCALES[s].accounts),
        default="demo",
        help="ci 30x30, demo 500x365, medium 2,000x365, large 20,000x365 (accounts x days)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="complete runs; medians are reported")
    parser.add_argument(
        "--out",
        help="JSON result file (a .md table is written beside it); default data/bench/results/<scale>-<seed>.json",
    )
    parser.add_argument(
        "--data-dir",
        help="use this landing folder (generated with the same scale, seed and "
        f"end date {END_DATE}) instead of the cache",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help="DuckDB memory_limit for every stage (CXCS_DUCKDB_MEMORY_LIMIT)",
    )
    parser.add_argument("--work-dir", help="cache and scratch folder (default $CXCS_BENCH_DIR or data/bench)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="after each refresh of the first repeat, profile the N slowest dbt models with DuckDB's "
        "EXPLAIN ANALYZE (JSON profiles beside the results; not counted in the timings)",
    )


def run_from_args(args: argparse.Namespace) -> int:
    """``cxcs bench``: run, print the results table and where the files are."""
    result = run_bench(
        args.scale,
        repeat=args.repeat,
        out=Path(args.out) if args.out else None,
        data_dir=Path(args.data_dir) if args.data_dir else None,
        seed=args.seed,
        memory_limit=args.memory_limit,
        work_dir=Path(args.work_dir) if args.work_dir else None,
        profile=args.profile,
        progress=lambda message: print(f"[bench] {message}", flush=True),
    )
    print(Path(result["paths"]["markdown"]).read_text(encoding="utf-8"))
    print(f"[bench] results: {result['paths']['json']} and {result['paths']['markdown']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the child processes (``python -m orchestration.bench _refresh|_floor ...``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "_refresh":
        return refresh_child(Path(args[1]), Path(args[2]), Path(args[3]))
    if args and args[0] == "_floor":
        floor_child(Path(args[1]), Path(args[2]), Path(args[3]))
        return 0
    parser = argparse.ArgumentParser(prog="python -m orchestration.bench")
    add_arguments(parser)
    return run_from_args(parser.parse_args(args))


if __name__ == "__main__":
    sys.exit(main())
