"""End-to-end: the real `cxcs` CLI runs the Dagster `refresh` job (loaders, dbt build, publish)
over generated demo data, into real DuckDB files in a temp folder."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import PublishedDemo, raw_rows_by_batch
from conftest import run_cxcs as run_cli

from orchestration.contract import ENTITIES

END_DATE = date(2026, 6, 30)


def raw_counts(warehouse: Path) -> dict[str, int]:
    """Rows per raw table of the warehouse's build file (raw is private: it is not published)."""
    with duckdb.connect(str(warehouse / "build" / "cxcs.duckdb"), read_only=True) as conn:
        return {e.table: conn.execute(f"select count(*) from raw.{e.table}").fetchone()[0] for e in ENTITIES}


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orchestration.demo_data import generate

    landing = tmp_path_factory.mktemp("landing")
    generate(out=landing, accounts=25, days=45, seed=7, end_date=END_DATE)
    return landing


def test_refresh_twice_loads_once_and_publishes(small_demo: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    first = run_cli("refresh", "--landing", str(small_demo), "--warehouse", str(warehouse))
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    published = warehouse / "cxcs.duckdb"
    assert published.exists()
    assert f"published warehouse: {published}" in first.stdout
    for stage in ("[load]", "[publish]", "Load summary"):
        assert stage in first.stdout
    after_first = raw_counts(warehouse)
    # Every entity of the demo delivered rows, and the published marts read them through dbt.
    assert all(after_first[e.table] > 0 for e in ENTITIES), after_first
    with duckdb.connect(str(published), read_only=True) as conn:
        accounts = conn.execute("select count(*) from marts.dim_accounts").fetchone()[0]
        loaded_files = conn.execute("select count(*) from loader.load_manifest where status = 'loaded'").fetchone()[0]
    delivered_files = sum(1 for p in small_demo.rglob("*") if p.is_file() and p.parent != small_demo)
    assert accounts == 25
    assert loaded_files == delivered_files

    published_bytes = published.read_bytes()
    second = run_cli("refresh", "--landing", str(small_demo), "--warehouse", str(warehouse))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "No new landing files: 0 rows loaded." in second.stdout
    assert raw_counts(warehouse) == after_first
    # Same raw batches, code and as-of day: nothing is rebuilt, re-checked or re-published
    # (orchestration.build_inputs); the file BI tools read is the first run's, byte for byte.
    assert "nothing new since run" in second.stdout
    assert "[publish]" not in second.stdout and "Running with dbt" not in second.stdout
    assert published.read_bytes() == published_bytes


def test_bad_rows_demo_loses_nothing(published_demo: PublishedDemo) -> None:
    # The session's bad-rows demo (conftest.published_demo), refreshed once through the CLI: the
    # same refresh the gate and publish tests start from, read here and not built again.
    landing, warehouse = published_demo.landing, published_demo.warehouse
    planted = json.loads((landing / "_demo_manifest.json").read_text())["files"]
    # Files that cannot be read are reported and make the exit code 2 (the fixture asserts
    # it); the rest is published.
    output = published_demo.stdout + published_demo.stderr

    with duckdb.connect(str(warehouse / "build" / "cxcs.duckdb"), read_only=True) as conn:
        manifest = {
            row[0]: row[1:]
            for row in conn.execute(
                "select file_path, status, rows_delivered, rows_loaded, rows_quarantined, reason from raw.load_manifest"
            ).fetchall()
        }
        in_raw = raw_rows_by_batch(conn)
        quarantined = dict(conn.execute("select file_path, count(*) from raw.load_quarantine group by 1").fetchall())
        batch_of = dict(conn.execute("select file_path, batch_id from raw.load_manifest").fetchall())

    delivered_by_entity: dict[str, int] = defaultdict(int)
    kept_by_entity: dict[str, int] = defaultdict(int)
    for planted_file in planted:
        path, entity = planted_file["path"], planted_file["entity"]
        assert path in manifest, f"{path} was neither loaded nor recorded as failed"
        status, delivered, loaded, n_quarantined, reason = manifest[path]
        if planted_file["fails_whole_file"]:
            assert status == "failed" and reason, (path, manifest[path])
            assert path in output, f"failed file {path} not listed"
            assert in_raw.get((entity, batch_of[path]), 0) == 0
            continue
        assert status == "loaded", (path, manifest[path])
        rows_in_raw = in_raw.get((entity, batch_of[path]), 0)
        assert delivered == planted_file["data_rows"], (path, delivered, planted_file)
        assert rows_in_raw == loaded and quarantined.get(path, 0) == n_quarantined
        assert rows_in_raw + quarantined.get(path, 0) == planted_file["data_rows"], path
        if planted_file["bad_rows"]:
            assert quarantined.get(path, 0) >= planted_file["bad_rows"], (path, planted_file)
        delivered_by_entity[entity] += planted_file["data_rows"]
        kept_by_entity[entity] += rows_in_raw + quarantined.get(path, 0)
    # Nothing lost, entity by entity.
    assert kept_by_entity == delivered_by_entity


def test_definitions_lineage_job_schedule_sensor() -> None:
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for entity in ENTITIES:
        model = f"staging/stg_{entity.source}__{entity.name}"
        assert model in keys
        parents = {p.to_user_string() for p in graph.get(dg.AssetKey(model.split("/"))).parent_keys}
        assert parents == {f"raw/{entity.table}"}
    published_parents = graph.get(dg.AssetKey("published_warehouse")).parent_keys
    assert dg.AssetKey(["staging", "stg_product__events"]) in published_parents
    assert defs.resolve_job_def("refresh") is not None
    assert defs.resolve_schedule_def("daily_refresh").cron_schedule == "0 5 * * *"
    assert defs.resolve_sensor_def("landing_files_sensor") is not None


def test_sensor_requests_a_run_only_when_landing_files_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestration.definitions import landing_files_sensor

    landing = tmp_path / "landing"
    (landing / "billing" / "accounts").mkdir(parents=True)
    monkeypatch.setenv("CXCS_LANDING_DIR", str(landing))
    (landing / "billing" / "accounts" / "a.csv").write_text("account_id\n")

    # The sensor asks the instance whether a refresh is running (none in this empty one).
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(instance=instance) as context:
        first = landing_files_sensor(context)
    assert len(first.run_requests) == 1
    with dg.build_sensor_context(instance=instance, cursor=first.cursor) as context:
        again = landing_files_sensor(context)
    assert not again.run_requests
    (landing / "billing" / "accounts" / "b.csv").write_text("account_id\n")
    with dg.build_sensor_context(instance=instance, cursor=first.cursor) as context:
        changed = landing_files_sensor(context)
    assert len(changed.run_requests) == 1 and changed.cursor != first.cursor


ONE_SOURCE = ("billing", "survey")


@pytest.fixture(scope="module")
def one_source_refreshes(
    small_demo: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """For each source, a landing folder with that source's files only, refreshed through the
    CLI into its own warehouse. Both refreshes run at once (separate files, an ephemeral Dagster
    instance each): they share nothing but the parsed project, parsed here first so that neither
    writes it while the other reads it."""
    from orchestration.dbt_manifest import prepare_dbt_manifest

    prepare_dbt_manifest()
    started = {}
    for source in ONE_SOURCE:
        root = tmp_path_factory.mktemp(f"only_{source}")
        landing, warehouse = root / "landing", root / "warehouse"
        for path in (small_demo / source).rglob("*"):
            if path.is_file():
                target = landing / path.relative_to(small_demo)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
        args = [sys.executable, "-m", "orchestration.cli", "refresh", "--landing", str(landing)]
        # Output to files, not pipes: a full pipe would stall one refresh while the other is awaited.
        out, err = root / "stdout.txt", root / "stderr.txt"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen([*args, "--warehouse", str(warehouse)], stdout=stdout, stderr=stderr)
        started[source] = (warehouse, process, out, err)
    done = {}
    for source, (warehouse, process, out, err) in started.items():
        process.wait(timeout=900)
        result = subprocess.CompletedProcess(process.args, process.returncode, out.read_text(), err.read_text())
        done[source] = (warehouse, result)
    return done


@pytest.mark.parametrize("source", ONE_SOURCE)
def test_a_landing_folder_with_one_source_only_refreshes(
    one_source_refreshes: dict[str, tuple[Path, subprocess.CompletedProcess[str]]], source: str
) -> None:
    # Only one source delivered so far: the other raw tables are empty (with their contract's
    # columns) and the whole pipeline, marts included, still builds and publishes.
    warehouse, result = one_source_refreshes[source]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    counts = raw_counts(warehouse)
    for entity in ENTITIES:
        assert (counts[entity.table] > 0) == (entity.source == source), counts
