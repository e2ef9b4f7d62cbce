"""Every setting is owned by orchestration/config.py and documented once; ``cxcs refresh`` hands
its folders to the run as resource config instead of writing the environment."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.config import PROJECT_DIR, SETTINGS, resolve_settings

VARIABLE = re.compile(r"\bCXCS_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_]*\*)")  # not a `CXCS_PG_*` family mention


def _read_by_the_project() -> set[str]:
    files = [
        *PROJECT_DIR.joinpath("orchestration").rglob("*.py"),
        *PROJECT_DIR.joinpath("orchestration").rglob("*.sh"),
        PROJECT_DIR / "profiles.yml",
        PROJECT_DIR / "Makefile",
    ]
    return {name for path in files for name in VARIABLE.findall(path.read_text(encoding="utf-8"))}


def test_every_variable_the_project_reads_is_a_setting() -> None:
    assert _read_by_the_project() <= {s.env for s in SETTINGS}


def test_the_docs_list_each_setting_in_exactly_one_table_row() -> None:
    docs = [PROJECT_DIR / "README.md", *PROJECT_DIR.joinpath("docs").rglob("*.md")]
    rows = [
        line
        for path in docs
        if path.exists()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("|")
    ]
    for setting in SETTINGS:
        listed = [row for row in rows if re.search(rf"`{setting.env}`", row)]
        assert len(listed) == 1, (setting.env, listed)


def test_cli_folders_become_run_config_not_environment(tmp_path: Path) -> None:
    from orchestration.definitions import defs
    from orchestration.defs.dbt import DbtBuildConfig, dbt_build_args
    from orchestration.refresh import run_config

    before = dict(os.environ)
    settings = resolve_settings(tmp_path / "landing", tmp_path / "warehouse")
    assert dict(os.environ) == before
    assert settings.build_path == tmp_path / "warehouse" / "build" / "cxcs.duckdb"
    assert settings.dbt_env()["CXCS_DUCKDB_PATH"] == str(tmp_path / "warehouse" / "build" / "cxcs.duckdb")

    config = run_config(settings, full_refresh=True, as_of_date=date(2026, 11, 30), full_refresh_select="")
    assert config["resources"]["warehouse"]["config"]["landing_dir"] == str(tmp_path / "landing")
    # The refresh job accepts it as it is (Dagster validates resource and op config).
    from dagster._config import validate_config

    job = defs.resolve_job_def("refresh")
    assert validate_config(job.run_config_schema.config_type, config).success
    step = DbtBuildConfig(**config["ops"]["cxcs_dbt_models"]["config"])
    assert dbt_build_args(step) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--full-refresh",
        "--vars",
        '{"as_of_date": "2026-11-30"}',
    ]
    # Without a date the build gets today's UTC date, explicitly: the date its inputs digest records.
    today = datetime.now(UTC).date().isoformat()
    assert dbt_build_args(DbtBuildConfig()) == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps({"as_of_date": today}),
    ]
    # A selection's models are rebuilt from scratch through the var the should_full_refresh macro reads.
    assert dbt_build_args(DbtBuildConfig(as_of_date="2026-11-30"), ["product_usage_daily"])[-1] == json.dumps(
        {"as_of_date": "2026-11-30", "full_refresh_models": ["product_usage_daily"]}
    )


def test_old_dbt_run_folders_are_pruned_but_never_a_recent_one(tmp_path: Path) -> None:
    import os
    import time

    from orchestration.dbt_inprocess import prune_run_folders

    now = time.time()
    # 22 folders two days old (one minute apart) and 3 made in the last minutes; keep 20.
    for i in range(22):
        folder = tmp_path / f"cxcs_dbt_models-old{i:02d}-x"
        folder.mkdir()
        os.utime(folder, (now - 2 * 86_400 - 60 * i,) * 2)
    for i in range(3):
        (tmp_path / f"cxcs_dbt_models-new{i}-x").mkdir()
    (tmp_path / "manifest.json").write_text("{}")  # not a run folder
    removed = prune_run_folders(tmp_path, keep=20)
    # Newest first: the 3 new, then old00 .. old21; beyond the 20th: old17 .. old21.
    assert sorted(p.name for p in removed) == [f"cxcs_dbt_models-old{i}-x" for i in range(17, 22)]
    assert len(list(tmp_path.glob("cxcs_dbt_models-*"))) == 20 and (tmp_path / "manifest.json").exists()
    # A busy hour (tests, a backfill beside the schedule): 25 new folders, none old enough to go.
    busy = tmp_path / "busy"
    for i in range(25):
        (busy / f"cxcs_dbt_models-busy{i:02d}-x").mkdir(parents=True)
    assert prune_run_folders(busy, keep=20) == []
