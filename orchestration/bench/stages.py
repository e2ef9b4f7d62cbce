"""What one benchmark run measures: the floor, a refresh split into stages, the edit-build loop."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from orchestration.bench.data import EDIT_MART
from orchestration.bench.measure import child_env, machine_load, run_child
from orchestration.config import PROJECT_DIR, dbt_executable
from orchestration.dbt_manifest import prepare_dbt_manifest

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


def warm_parse() -> float:
    """``dbt parse`` of the project when its files changed since the last parse (the parse is the
    same for every warehouse: orchestration.dbt_manifest), timed."""
    started = time.monotonic()
    prepare_dbt_manifest()
    return time.monotonic() - started


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
