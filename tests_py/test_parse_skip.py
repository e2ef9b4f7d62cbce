"""``cxcs refresh`` parses the dbt project only when something dbt parses has changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.config import PROJECT_DIR
from orchestration.dbt_manifest import parse_fingerprint as _parse_fingerprint
from orchestration.dbt_manifest import prepare_dbt_manifest


def _project(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.sql").write_text("select 1 as x\n")
    (tmp_path / "dbt_project.yml").write_text("name: p\n")
    return tmp_path


def test_fingerprint_changes_with_a_model_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = _parse_fingerprint(project)
    assert _parse_fingerprint(project) == before
    (project / "models" / "a.sql").write_text("select 2 as x\n")
    assert _parse_fingerprint(project) != before
    (project / "models" / "b.sql").write_text("select 3 as y\n")
    third = _parse_fingerprint(project)
    (project / "models" / "b.sql").unlink()
    assert _parse_fingerprint(project) != third


def test_fingerprint_ignores_the_profile_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The project is parsed once for every warehouse (the build gets the warehouse's profile).
    project = _project(tmp_path)
    monkeypatch.setenv("CXCS_DUCKDB_PATH", str(tmp_path / "one" / "cxcs.duckdb"))
    one = _parse_fingerprint(project)
    monkeypatch.setenv("CXCS_DUCKDB_PATH", str(tmp_path / "two" / "cxcs.duckdb"))
    assert _parse_fingerprint(project) == one


def test_second_prepare_of_unchanged_project_skips_the_parse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXCS_DUCKDB_PATH", str(tmp_path / "build" / "cxcs.duckdb"))
    prepare_dbt_manifest()  # parses unless this exact state was parsed before
    manifest = PROJECT_DIR / "target" / "manifest.json"
    written = manifest.stat().st_mtime_ns
    assert prepare_dbt_manifest() is False
    assert manifest.stat().st_mtime_ns == written
    # Another build path: nothing to parse (the parse does not read the profile's variables).
    monkeypatch.setenv("CXCS_DUCKDB_PATH", str(tmp_path / "other" / "cxcs.duckdb"))
    assert prepare_dbt_manifest() is False
    assert os.path.exists(manifest)
