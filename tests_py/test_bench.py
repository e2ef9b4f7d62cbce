"""The benchmark works and writes well-formed results (smoke test on the `ci` scale).

Timings are not asserted (they depend on the machine); what is checked is that every stage
really ran through the real pipeline, that the incremental refresh loaded exactly the one
new day, and that the JSON and markdown hold what BENCHMARKS.md quotes.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from dbt_build import dbt_cli

from orchestration import bench
from orchestration.config import PROJECT_DIR


@pytest.fixture(scope="module")
def ci_bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("bench")
    out = work / "out" / "ci.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "bench",
            "--scale",
            "ci",
            "--repeat",
            "1",
            "--work-dir",
            str(work),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=PROJECT_DIR,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert f"[bench] results: {out}" in proc.stdout
    return work, json.loads(out.read_text())


def test_json_has_every_measurement(ci_bench: tuple[Path, dict]) -> None:
    work, result = ci_bench
    assert result["params"] == {
        "scale": "ci",
        "accounts": 30,
        "days": 30,
        "seed": 42,
        "end_date": "2026-11-30",
        "repeat": 1,
        "memory_limit": "4GB",
    }
    summary = result["summary"]
    assert summary["floor_seconds"] > 0
    # The floor read every event of the landing set (the generator's manifest counts them).
    floor = result["runs"][0]["floor"]
    # measured before the refreshes and again at the end; the floor of the run is their mean
    assert floor["seconds"] == pytest.approx((floor["before"]["seconds"] + floor["after"]["seconds"]) / 2, abs=0.002)
    assert summary["floor_seconds"] == pytest.approx(floor["seconds"], abs=0.002)
    floor_parts = floor["parts"]
    assert floor_parts["events"]["rows"] == result["data"]["event_rows"]
    assert floor_parts["other_sources"]["rows"] == result["data"]["rows_total"] - result["data"]["event_rows"]
    expected_stages = {"load", "dbt_build", "publish", "startup_and_summary"} | (
        {"gate"} if result["gate_present"] else set()
    )
    for kind in ("full_refresh", "incremental_refresh"):
        stages = summary[kind]["stages"]
        assert expected_stages <= set(stages), stages
        for stage in stages.values():
            assert stage["seconds"] >= 0 and stage["x_floor"] is not None and stage["peak_rss"] > 0
            assert stage["cpu_seconds"] >= 0
        # Stage times are parts of the measured process: they add up to its wall time.
        total = sum(s["seconds"] for s in stages.values())
        assert total == pytest.approx(summary[kind]["seconds"], rel=0.01, abs=0.05)
        assert summary[kind]["x_floor"] == pytest.approx(summary[kind]["seconds"] / summary["floor_seconds"], rel=0.01)
        assert summary[kind]["peak_rss"] > 50 * 2**20  # a Python process running DuckDB and dbt
        # CPU of the whole process tree (the dbt subprocess included): a Python process that
        # imports Dagster and runs dbt uses seconds of CPU; the stages' CPU is part of it.
        assert summary[kind]["cpu_seconds"] > 1.0
        assert sum(s["cpu_seconds"] for s in stages.values()) == pytest.approx(summary[kind]["cpu_seconds"], rel=0.05)
    # Nothing landed after the incremental refresh: the third refresh loads no row, its dbt step
    # runs no dbt (no run_results) and the gate and publish steps are skipped
    # (orchestration.defs.dbt.nothing_new), and it says so.
    nothing_new = result["runs"][0]["nothing_new_refresh"]
    assert nothing_new["rows"] == 0 and nothing_new.get("dbt") is None
    assert {"gate", "publish"}.isdisjoint(summary["nothing_new_refresh"]["stages"])
    assert {"load", "dbt_build"} <= set(summary["nothing_new_refresh"]["stages"])
    log = (work / "ci-42" / "run" / "nothing_new.log").read_text()
    assert "nothing new since the publication of run" in log, log[-3000:]
    dbt = result["runs"][0]["full_refresh"]["dbt"]
    assert dbt["nodes"] > 100 and dbt["slowest"] and dbt["elapsed_seconds"] > 0
    edit = summary["edit_build"]
    assert edit["seconds"] > 0 and edit["cold_seconds"] > 0
    # dbt build -s cx_nps_monthly: the mart, its unit test and its data tests; nothing upstream.
    assert result["runs"][0]["edit_build"]["nodes"] >= 3
    assert set(result["targets"]) == set(bench.TARGETS)
    assert result["targets"]["edit_build_seconds"]["applies"] is False  # the target is for the demo scale
    assert result["machine"]["cpus"] >= 1 and "load_1m" in result["machine"]["load_before"]


def test_markdown_table(ci_bench: tuple[Path, dict]) -> None:
    work, result = ci_bench
    text = (work / "out" / "ci.md").read_text()
    assert text.startswith("### Scale `ci`: 30 accounts x 30 days, seed 42")
    assert "| measurement | stage | seconds | rows/s | x floor | CPU s | CPU x floor | peak RSS (MiB) |" in text
    assert "| **full refresh** | **total** |" in text and "| **incremental (+1 day)** | **total** |" in text
    assert "| **nothing landed** | **total** |" in text
    # The gate is a stage of its own: measured when orchestration/quality.py exists, else said so.
    assert "| full refresh | gate |" in text
    assert ("| full refresh | gate | not present |" in text) is (not result["gate_present"])
    assert "| target | applies to | measured | met |" in text
    for target in bench.TARGETS.values():
        assert target["text"] in text


def test_incremental_loaded_exactly_the_new_day(ci_bench: tuple[Path, dict]) -> None:
    work, result = ci_bench
    # raw and staging are private: they are in the build file, not in the publication.
    build = work / "ci-42" / "run" / "warehouse" / "build" / "cxcs.duckdb"
    new_file = Path(result["data"]["next_day_file"]).name
    with duckdb.connect(str(build), read_only=True) as conn:
        batches = conn.execute(
            "select file_path, status, rows_delivered from raw.load_manifest where status <> 'ignored' "
            "order by batch_id desc limit 2"
        ).fetchall()
        events_on_new_day = conn.execute(
            "select count(*) from staging.stg_product__events where received_at >= date '2026-12-01'"
        ).fetchone()[0]
    # The last batch is the new day, loaded in the incremental refresh; nothing before it was reloaded.
    assert batches[0] == (f"product/events/{new_file}", "loaded", result["data"]["next_day_rows"])
    assert batches[1][0] != batches[0][0]
    assert result["summary"]["incremental_refresh"]["rows"] == result["data"]["next_day_rows"]
    assert 0 < events_on_new_day <= result["data"]["next_day_rows"]


def test_next_day_file_replays_the_last_day_one_day_later(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    folder = landing / "product" / "events"
    folder.mkdir(parents=True)
    lines = [
        {
            "event_id": "evt_00000000000a",
            "account_id": "acc_000001",
            "user_id": "usr_0000001",
            "event_name": "feature_used",
            "occurred_at": "2026-11-30T23:30:00+02:00",
            "received_at": "2026-11-30T21:30:04Z",
            "properties": {"feature": "dashboards"},
        },
        # late: occurred two days before it was received
        {
            "event_id": "evt_00000000000b",
            "account_id": "acc_000002",
            "user_id": "usr_0000002",
            "event_name": "session_started",
            "occurred_at": "2026-11-28T10:00:00Z",
            "received_at": "2026-11-30T08:00:00Z",
            "properties": {"platform": "web"},
        },
    ]
    (folder / "events_2026-11-29.jsonl").write_text("")
    with gzip.open(folder / "events_2026-11-30.jsonl.gz", "wt") as handle:
        handle.write("".join(json.dumps(line) + "\n" for line in lines))
    path, count = bench.next_day_file(landing, tmp_path / "next")
    assert path.name == "events_2026-12-01.jsonl.gz" and count == 2
    with gzip.open(path, "rt") as handle:
        replayed = [json.loads(line) for line in handle]
    assert [r["event_id"] for r in replayed] == ["evt_100000000000a", "evt_100000000000b"]
    for before, after in zip(lines, replayed, strict=False):
        for column in ("occurred_at", "received_at"):
            shift = datetime.fromisoformat(after[column].replace("Z", "+00:00")) - datetime.fromisoformat(
                before[column].replace("Z", "+00:00")
            )
            assert shift == timedelta(days=1)
        assert after["properties"] == before["properties"]
        assert {k: after[k] for k in ("account_id", "user_id", "event_name")} == {
            k: before[k] for k in ("account_id", "user_id", "event_name")
        }
    assert replayed[0]["occurred_at"] == "2026-12-01T23:30:00+02:00"
    assert replayed[1]["received_at"] == "2026-12-01T08:00:00Z"


def test_process_tree_rss_counts_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(200 * 2**20); time.sleep(3)"])
    try:
        import time

        time.sleep(1.5)
        alone = bench._tree_rss(child.pid)
        with_parent = bench._tree_rss(os.getpid())
    finally:
        child.wait()
    assert alone > 200 * 2**20
    assert with_parent >= alone


def test_child_cpu_counts_grandchildren(tmp_path: Path) -> None:
    # A parent that burns ~0.3 s of CPU, then waits for a child that burns ~0.3 s more: the
    # tree's CPU (wait4) holds both; sampled CPU grows over the run.
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"
    script = burn + f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burn!r}], check=True)\n"
    run = bench.run_child([sys.executable, "-c", script], dict(os.environ), tmp_path / "child.log")
    assert run.returncode == 0
    assert run.cpu_seconds >= 0.6
    assert run.samples[-1][2] >= run.samples[0][2]


def test_memory_limit_reaches_loader_and_dbt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.loading import load_landing

    monkeypatch.setenv("CXCS_DUCKDB_MEMORY_LIMIT", "1GB")
    database = tmp_path / "cxcs.duckdb"
    with duckdb.connect(str(database)) as conn:
        load_landing(conn, tmp_path / "empty-landing")
        # 1GB = 10^9 bytes, shown in binary units: 10^9 / 2^20 = 953.67 MiB
        assert conn.execute("select current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
    env = {**os.environ, "CXCS_DUCKDB_PATH": str(database), "CXCS_DUCKDB_MEMORY_LIMIT": "1GB"}
    query = "select current_setting('memory_limit') as memory_limit"
    shown = dbt_cli(tmp_path, "show", "--inline", query, "--output", "json", "--log-format", "text", env=env)
    assert '"memory_limit": "953.6 MiB"' in shown.stdout
