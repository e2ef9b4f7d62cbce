"""A real dbt invocation of part of the project into a test's own DuckDB file (used by the
fixture-based mart tests: hand-made landing data, real loader, real dbt).

dbt runs in the test process through dbtRunner with the project parsed once (the refresh's own
path, orchestration.dbt_inprocess), not as a ``dbt`` subprocess: a subprocess pays dbt's
import (~3 s) on every call and a full parse (~6 s) whenever the build file's path changes
(the profile's path is part of dbt's partial-parse state), and the incremental tests call dbt
a dozen times over several files. DECISIONLOG.md "Mart tests run dbt in the test process".
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "dbt")
# dbt's console lines (e.g. "1 of 3 PASS ..."); debug events are for the log file only.
CONSOLE_LEVELS = frozenset({"info", "warn", "error"})


@dataclass
class Build:
    database: Path
    target_path: Path
    result: subprocess.CompletedProcess[str]
    extra: dict[str, Any] = field(default_factory=dict)

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    def statuses(self) -> dict[str, str]:
        data = json.loads((self.target_path / "run_results.json").read_text())
        return {r["unique_id"]: r["status"] for r in data["results"]}


@functools.cache
def _parsed_once() -> None:
    """target/ in step with the models: parsed first when they changed since the last parse."""
    from orchestration.dbt_manifest import prepare_dbt_manifest

    prepare_dbt_manifest()


def project_manifest_json() -> dict[str, Any]:
    """target/manifest.json of the models on disk: the parse the refresh itself makes (skipped
    when nothing dbt parses changed), not a ``dbt parse`` subprocess of the test's own (~9 s)."""
    _parsed_once()
    return json.loads((PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))


def fresh_manifest(database: Path) -> Any:
    """A Manifest of its own for one dbt invocation (orchestration.dbt_inprocess.project_manifest:
    the project ``dbt parse`` serialised, loaded anew per call)."""
    from orchestration.dbt_inprocess import project_manifest

    # The project is parsed with the canonical profile (orchestration.dbt_manifest): its
    # relations live in catalog "cxcs", which dbt-duckdb names after the file's stem.
    assert database.name == "cxcs.duckdb", f"{database}: a test's build file is called cxcs.duckdb"
    _parsed_once()
    return project_manifest(database.stem)


@contextmanager
def _profile_path(database: Path) -> Iterator[None]:
    """The profile reads the build file's path from CXCS_DUCKDB_PATH: set it for one call."""
    before = os.environ.get("CXCS_DUCKDB_PATH")
    os.environ["CXCS_DUCKDB_PATH"] = str(database)
    try:
        yield
    finally:
        if before is None:
            del os.environ["CXCS_DUCKDB_PATH"]
        else:
            os.environ["CXCS_DUCKDB_PATH"] = before


def run_dbt(
    database: Path, tmp: Path, *args: str, dbt_vars: dict[str, str], expect: int | None = 0
) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` against ``database`` on the DuckDB target, with the test's own target/ and
    logs/ under ``tmp`` (the repo's stay untouched: dagster-dbt reads the repo's manifest).
    Returns what the CLI would have: exit code (0 success, 1 a failed node, 2 dbt could not
    run) and its console lines as stdout. Fails the test unless the code is ``expect``
    (``None``: the caller checks it)."""
    from dbt.cli.main import dbtRunner

    # The same release of DuckDB's file as the refresh's in-process build.
    from orchestration.dbt_inprocess import _close_duckdb

    lines: list[str] = []

    def on_event(msg: Any) -> None:
        if msg.info.level in CONSOLE_LEVELS and msg.info.msg:
            lines.append(msg.info.msg)

    command = [
        *args,
        "--profiles-dir",
        str(PROJECT_DIR),
        "--project-dir",
        str(PROJECT_DIR),
        "--target",
        "duckdb",
        "--vars",
        json.dumps(dbt_vars),
        "--target-path",
        str(tmp / "target"),
        "--log-path",
        str(tmp / "logs"),
        "--no-use-colors",
    ]
    with _profile_path(database):
        try:
            outcome = dbtRunner(manifest=fresh_manifest(database), callbacks=[on_event]).invoke(command)
        finally:
            _close_duckdb()  # dbt-duckdb keeps the file open between invocations of one process
    code = 0 if outcome.success else (2 if outcome.exception is not None else 1)
    stdout = "\n".join(lines) + "\n"
    stderr = "" if outcome.exception is None else repr(outcome.exception)
    result = subprocess.CompletedProcess(["dbt", *command], code, stdout, stderr)
    assert expect is None or result.returncode == expect, result.stdout[-6000:] + result.stderr[-2000:]
    return result


def dbt_build(database: Path, tmp: Path, select: list[str], dbt_vars: dict[str, str]) -> Build:
    """``dbt build --select <select>`` against ``database`` with only the tests whose every
    parent is built (``--indirect-selection cautious``). Fails the test when dbt fails."""
    result = run_dbt(database, tmp, "build", "--select", *select, "--indirect-selection", "cautious", dbt_vars=dbt_vars)
    return Build(database, tmp / "target", result)


def dbt_cli(tmp: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``dbt <args>`` as a user runs it (the CLI in a subprocess: what a test of a user-facing
    command must exercise), with the test's own target/ and logs/ under ``tmp``. Fails the test
    unless dbt succeeds."""
    paths = ["--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    result = subprocess.run(
        [DBT, *args, "--profiles-dir", str(PROJECT_DIR), *paths],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result
