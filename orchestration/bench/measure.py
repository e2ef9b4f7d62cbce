"""Measuring a child process: wall time, the whole process tree's peak memory, machine load;
the child processes themselves (the DuckDB floor and the refresh)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.bench.data import DEFAULT_MEMORY_LIMIT, SAMPLE_SECONDS, event_files
from orchestration.config import PROJECT_DIR

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
