"""Refresh the warehouse on PostgreSQL or Spark: load, copy raw to the target, dbt build there.

1. load: the landing files into schema ``raw`` of the DuckDB build file, with the one
   loader (``orchestration.loading``: each file once, validation, quarantine, manifest);
2. copy: the batches the target does not hold yet to the target's schema ``raw``
   (``orchestration.engines.postgres`` / ``.spark``);
3. build: ``dbt build --target <target>`` of the whole project (models, seeds, unit tests,
   data tests), extra dbt arguments passed through (``--select``, ``--vars``, ...).

``cxcs engine-refresh --target postgres|spark`` (or ``python -m orchestration.engines``).
Exit codes as ``cxcs refresh``: 0 done; 1 the build (or the copy) failed; 2 built, but some
landing files could not be read.  Each stage prints its time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb

from orchestration.config import PROJECT_DIR, apply_settings, dbt_executable
from orchestration.loading import load_landing

ENGINE_TARGETS = ("postgres", "spark")
EXIT_OK, EXIT_RUN_FAILED, EXIT_FILES_FAILED = 0, 1, 2


def dbt_environment(target: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment of a dbt run on `target`: Spark's folder as an absolute path (the profile
    and the raw copy must agree whatever the working directory) and Spark on loopback."""
    env = dict(os.environ if env is None else env)
    if target == "spark":
        from orchestration.engines.spark import spark_dir

        env["CXCS_SPARK_DIR"] = str(spark_dir(env))
        env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def dbt_build_command(target: str) -> list[str]:
    """``dbt build --target <target>`` of the project, as an argument list."""
    project = str(PROJECT_DIR)
    return [dbt_executable(), "build", "--target", target, "--profiles-dir", project, "--project-dir", project]


def dbt_working_dir(target: str, env: dict[str, str]) -> Path:
    """Where dbt runs: Spark leaves its scratch files in the working directory (its own folder)."""
    if target != "spark":
        return PROJECT_DIR
    from orchestration.engines.spark import spark_dir

    cwd = spark_dir(env)
    cwd.mkdir(parents=True, exist_ok=True)
    return cwd


def dbt_build(target: str, dbt_args: Sequence[str] = (), env: dict[str, str] | None = None) -> int:
    """``dbt build --target <target>`` of the project; its own target folder per engine."""
    env = dbt_environment(target, env)
    env.setdefault("DBT_TARGET_PATH", str(PROJECT_DIR / "target" / target))
    return subprocess.run([*dbt_build_command(target), *dbt_args], cwd=dbt_working_dir(target, env), env=env).returncode


def copy_raw(target: str, build_path: Path, full_refresh: bool = False) -> str:
    """Copy the build file's raw schema to `target`; returns the summary line."""
    with duckdb.connect(str(build_path), read_only=True) as duck:
        duck.execute("set enable_progress_bar = false")
        if target == "postgres":
            from orchestration.engines.postgres import copy_raw_to_postgres

            summary = copy_raw_to_postgres(duck, full_refresh=full_refresh, progress=_say("copy"))
        elif target == "spark":
            from orchestration.engines.spark import copy_raw_to_spark

            summary = copy_raw_to_spark(duck, full_refresh=full_refresh, progress=_say("copy"))
        else:
            raise ValueError(f"unknown target {target!r}; one of {', '.join(ENGINE_TARGETS)}")
    return summary.format()


def _say(stage: str):
    return lambda message: print(f"[{stage}] {message}", flush=True)


def refresh(
    target: str,
    landing: Path | None = None,
    warehouse: Path | None = None,
    dbt_args: Sequence[str] = (),
    full_refresh: bool = False,
) -> int:
    settings = apply_settings(landing, warehouse)
    started = time.monotonic()
    print(f"[engine] target {target}; landing {settings.landing_dir}; build file {settings.build_path}", flush=True)

    stage = time.monotonic()
    settings.build_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.build_path)) as conn:
        conn.execute("set enable_progress_bar = false")
        loaded = load_landing(conn, settings.landing_dir, progress=_say("load"))
    print(loaded.format())
    print(f"[engine] load: {time.monotonic() - stage:.1f}s", flush=True)

    stage = time.monotonic()
    print(copy_raw(target, settings.build_path, full_refresh), flush=True)
    print(f"[engine] copy to {target}: {time.monotonic() - stage:.1f}s", flush=True)

    stage = time.monotonic()
    code = dbt_build(target, dbt_args)
    print(f"[engine] dbt build on {target}: {time.monotonic() - stage:.1f}s (exit code {code})", flush=True)
    print(f"[engine] total: {time.monotonic() - started:.1f}s", flush=True)
    if code != 0:
        return EXIT_RUN_FAILED
    return EXIT_FILES_FAILED if loaded.has_failures else EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", required=True, choices=ENGINE_TARGETS, help="dbt target (profiles.yml)")
    parser.add_argument("--landing", help="landing folder (default $CXCS_LANDING_DIR or data/landing)")
    parser.add_argument(
        "--warehouse", help="warehouse folder of the DuckDB build file holding raw (default $CXCS_WAREHOUSE_DIR)"
    )
    parser.add_argument("--full-refresh", action="store_true", help="replace the target's raw tables with a full copy")
    parser.add_argument("dbt_args", nargs=argparse.REMAINDER, help="after --: extra `dbt build` arguments")


def run_from_args(args: argparse.Namespace) -> int:
    dbt_args = [a for a in args.dbt_args if a != "--"] if args.dbt_args else []
    return refresh(
        args.target,
        Path(args.landing) if args.landing else None,
        Path(args.warehouse) if args.warehouse else None,
        dbt_args,
        args.full_refresh,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.engines", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))
