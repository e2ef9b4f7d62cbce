"""One benchmark run and ``cxcs bench`` itself (arguments, the child-process entry point)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.bench.data import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_WORK_DIR,
    EDIT_MART,
    END_DATE,
    EVENTS_FOLDER,
    SCALES,
    Progress,
    data_rows,
    ensure_landing,
    link_tree,
    next_day_file,
    read_manifest,
)
from orchestration.bench.measure import floor_child, machine_load, refresh_child
from orchestration.bench.report import evaluate_targets, markdown, summarise
from orchestration.bench.stages import gate_present, measure_edit_build, measure_floor, measure_refresh, warm_parse

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
    # A project edited since its last parse would pay the parse inside the first refresh: parse
    # beforehand (not counted) so the full refresh is measured as a scheduled one runs.
    parse_seconds = warm_parse()
    say(f"dbt parse when the project changed (not counted): {parse_seconds:.1f} s")
    say("full refresh: cxcs refresh into an empty warehouse")
    full = measure_refresh(run_landing, warehouse, run_dir, "full", memory_limit, rows_full, profile)
    say(f"full refresh: {full['seconds']:.1f} s")
    link = run_landing / EVENTS_FOLDER / next_file.name
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(next_file.resolve())
    say(f"incremental refresh: {next_file.name} landed")
    incremental = measure_refresh(run_landing, warehouse, run_dir, "incremental", memory_limit, rows_next, profile)
    say(f"incremental refresh: {incremental['seconds']:.1f} s")
    say("nothing landed: cxcs refresh again")
    nothing_new = measure_refresh(run_landing, warehouse, run_dir, "nothing_new", memory_limit, 0)
    say(f"nothing landed: {nothing_new['seconds']:.1f} s")
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
        "nothing_new_refresh": nothing_new,
        "edit_build": edit,
        "warehouse_bytes": {"build": build_file.stat().st_size, "published": published.stat().st_size},
    }


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
