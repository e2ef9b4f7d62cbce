"""The session's published demo warehouses, built for real (generated landing files and the
`cxcs refresh` CLI: loaders, dbt build, gate, publish, scorecard) and built once per test
session, whichever pytest-xdist worker asks first: the others wait for it and reuse it.

* ``published_demo``: 60 accounts over 430 days (12-month retention values, churn,
  reactivations, several cohorts), read by the semantic-layer and scorecard tests.
* ``bad_rows_demo`` (conftest's ``published_demo`` fixture): 20 accounts over 40 days with every
  bad-input case of the contract, copied by the gate, publish and trust tests.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
END_DATE = date(2026, 6, 30)


class _Zygote:
    """This test process's pre-imported CLI parent (tests_py/cli_zygote.py), started on first use."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()

    def run(self, argv: list[str], env: dict[str, str], timeout: float, cwd: Path) -> tuple[int, str, str]:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "tests_py.cli_zygote"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=PROJECT_DIR,
                    env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
                )
            assert self.process.stdin is not None and self.process.stdout is not None
            with tempfile.TemporaryDirectory() as folder:
                out, err = Path(folder, "stdout"), Path(folder, "stderr")
                request = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(out), "stderr": str(err)}
                self.process.stdin.write(json.dumps(request) + "\n")
                self.process.stdin.flush()
                pid = json.loads(self.process.stdout.readline())["pid"]
                ready, _, _ = select.select([self.process.stdout], [], [], timeout)
                if not ready:
                    os.killpg(pid, signal.SIGKILL)
                    self.process.stdout.readline()
                    raise subprocess.TimeoutExpired(argv, timeout, out.read_text(), err.read_text())
                code = json.loads(self.process.stdout.readline())["returncode"]
                return code, out.read_text(), err.read_text()


_zygote = _Zygote()


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: int = 1200, cwd: Path = PROJECT_DIR
) -> subprocess.CompletedProcess[str]:
    """The real `cxcs` CLI in a new process of its own (its own DuckDB, dbt and Dagster): forked
    from a parent that imported the third-party libraries once (tests_py/cli_zygote.py says why
    the run is the same as ``python -m orchestration.cli``), started in ``cwd``."""
    argv = list(args)
    code, out, err = _zygote.run(argv, {**os.environ, **(env or {})}, timeout, cwd)
    return subprocess.CompletedProcess([sys.executable, "-m", "orchestration.cli", *argv], code, out, err)


def build_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], dict[str, Any]]
) -> tuple[Path, dict[str, Any]]:
    """``build(folder)`` once per test session: the first caller builds under a file lock in the
    session's temp folder (shared by the xdist workers), the others wait, then read what it
    returned (kept as JSON beside the folder). A failed build is tried again by the next caller."""
    root = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        root = root.parent  # each worker's basetemp is a folder of the session's
    folder, record = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            record.write_text(json.dumps(build(folder)))
    return folder, json.loads(record.read_text())


def _refreshed(folder: Path, expect: int, cwd: Path = PROJECT_DIR, **generate_args: Any) -> dict[str, Any]:
    from orchestration.demo_data import generate

    landing, warehouse = folder / "landing", folder / "warehouse"
    generate(out=landing, **generate_args)
    result = run_cli("refresh", "--landing", str(landing), "--warehouse", str(warehouse), cwd=cwd)
    assert result.returncode == expect, result.stdout[-4000:] + result.stderr[-4000:]
    return {"stdout": result.stdout, "stderr": result.stderr}


def loaded_demo(folder: Path, **generate_args: Any) -> tuple[Path, Path]:
    """(landing folder, DuckDB file): a demo landing set generated under ``folder`` and loaded by
    the real loader into schema ``raw`` of a new file ``folder/wh/cxcs.duckdb``, for a test
    that runs dbt on it itself."""
    from orchestration.demo_data import generate
    from orchestration.loading import load_landing

    landing, database = folder / "landing", folder / "wh" / "cxcs.duckdb"
    generate(out=landing, **generate_args)
    database.parent.mkdir()
    with duckdb.connect(str(database)) as conn:
        load_landing(conn, landing)
    return landing, database


def published_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(landing folder, warehouse folder) of the session's 60-account demo."""

    def build(folder: Path) -> dict[str, Any]:
        # Started in its own folder, not the project's, as from a user's shell elsewhere (dbt's
        # seeds are then found by the project's absolute path, orchestration.dbt_manifest).
        outcome = _refreshed(folder, 0, folder, accounts=60, days=430, seed=23, end_date=END_DATE)
        published = folder / "warehouse" / "cxcs.duckdb"
        assert f"published warehouse: {published}" in outcome["stdout"]
        assert f"scorecard: {folder / 'warehouse' / 'scorecard.html'}" in outcome["stdout"]
        return outcome

    folder, _ = build_once(tmp_path_factory, "published_demo", build)
    return folder / "landing", folder / "warehouse"


def bad_rows_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    """(landing, warehouse, the refresh's stdout and stderr) of the session's bad-rows demo:
    exit 2, published, and the demo's unreadable files listed as failed."""

    def build(folder: Path) -> dict[str, Any]:
        outcome = _refreshed(folder, 2, accounts=20, days=40, seed=11, end_date=END_DATE, bad_rows=True)
        assert (folder / "warehouse" / "cxcs.duckdb").exists()
        return outcome

    folder, outcome = build_once(tmp_path_factory, "bad_rows_demo", build)
    return folder / "landing", folder / "warehouse", outcome


def demos_in_formats(
    tmp_path_factory: pytest.TempPathFactory, formats: tuple[str, ...], **generate_args: Any
) -> dict[str, Path]:
    """The same demo landing set in each of ``formats`` (``native`` = the contract's own files;
    the others through ``cxcs demo-data --format``, e.g. ``segment,qualtrics``), each loaded by the real loader into a new
    DuckDB file and built by real dbt (seeds and models, as of the demo's end date)."""
    from dbt_build import run_dbt  # the path every test module imports it by (one parse)

    from orchestration.demo_data import generate
    from orchestration.loading import load_landing

    as_of = {"as_of_date": generate_args["end_date"].isoformat()}
    built = {}
    for fmt in formats:
        folder = tmp_path_factory.mktemp(fmt.replace(",", "+"))
        generate(out=folder / "landing", formats=tuple(f for f in fmt.split(",") if f != "native"), **generate_args)
        database = folder / "cxcs.duckdb"
        with duckdb.connect(str(database)) as conn:
            summary = load_landing(conn, folder / "landing")
        assert not summary.has_failures, summary.format()
        run_dbt(database, folder, "seed", dbt_vars=as_of)
        run_dbt(database, folder, "run", dbt_vars=as_of)
        built[fmt] = database
    return built
