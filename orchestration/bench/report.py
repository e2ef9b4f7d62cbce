"""Medians over repeats, the targets they meet, and the markdown table."""

from __future__ import annotations

import statistics
from typing import Any

from orchestration.bench.data import EDIT_MART, TARGETS
from orchestration.bench.stages import STAGES

# The refreshes of a run, in order: into an empty warehouse, after one more day of events landed,
# and again with nothing new landed (issue 20: it should notice there is nothing to do).
REFRESHES = (
    ("full_refresh", "full refresh"),
    ("incremental_refresh", "incremental (+1 day)"),
    ("nothing_new_refresh", "nothing landed"),
)


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else 0.0


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the repeats (each repeat is a complete run), and ratios to the floor."""
    floor = _median([r["floor"]["seconds"] for r in runs])
    floor_cpu = _median([r["floor"].get("cpu_seconds", 0.0) for r in runs])
    summary: dict[str, Any] = {"floor_seconds": floor, "floor_cpu_seconds": floor_cpu}

    def cpu_ratio(value: float) -> float | None:
        return round(value / floor_cpu, 3) if floor_cpu else None

    for kind, _ in REFRESHES:
        if not all(kind in r for r in runs):  # results of a version without that refresh
            continue
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
            "rows_per_second": round(runs[0][kind]["rows"] / total) if total and runs[0][kind]["rows"] else None,
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
    for kind, title in REFRESHES:
        if kind not in s:
            continue
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
    for kind, title in REFRESHES:
        if kind not in result["runs"][0]:
            continue
        parts = result["runs"][0][kind]["stages"].get("startup_and_summary", {}).get("parts")
        if parts:
            lines += [
                "",
                f"Startup and summary of the {title} (repeat 1): "
                + ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in parts.items())
                + ".",
            ]
    return "\n".join(lines + _targets_and_slowest(result)) + "\n"


def _targets_and_slowest(result: dict[str, Any]) -> list[str]:
    """The targets table, then the slowest dbt nodes and the EXPLAIN ANALYZE profiles."""
    lines = ["", "| target | applies to | measured | met |", "|---|---|---|---|"]
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
    for kind, _ in REFRESHES:
        for prof in result["runs"][0].get(kind, {}).get("profiles", []):
            ops = "; ".join(
                f"{o['operator']} {o['seconds']} s ({o['rows']:,} rows{', ' + o['detail'] if o['detail'] else ''})"
                for o in prof["top_operators"][:3]
                if o["rows"] is not None
            )
            lines.append(f"- EXPLAIN ANALYZE {kind.replace('_', ' ')} {prof['node']}: {prof['seconds']} s; {ops}")
    return lines
