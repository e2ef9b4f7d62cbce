"""Command line: ``cxcs demo-data``, ``cxcs refresh``, ``cxcs gate``, ``cxcs demo``, ``cxcs bench``
and ``cxcs engine-refresh``.

``cxcs refresh`` runs the Dagster ``refresh`` job in this process (the same job
the schedule and sensor start), prints progress per stage and the load
summary, and exits non-zero when anything failed:

* 0 — everything loaded, built and published;
* 1 — the run failed (a dbt model or blocking test failed, or a loader crashed);
  nothing new was published;
* 2 — the run succeeded and published, but some landing files could not be read
  and were recorded as failed (listed with their reasons);
* 3 — the quality gate failed: a blocking dbt test or Great Expectations expectation did
  not pass (each is named); nothing new was published, the previous publication keeps serving.

``cxcs gate`` audits the current build file with the Great Expectations suites only (no
load, no dbt, no publish), prints the report and its time, and exits 0 or 3.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from orchestration.config import apply_settings

EXIT_OK, EXIT_RUN_FAILED, EXIT_FILES_FAILED, EXIT_GATE_FAILED = 0, 1, 2, 3


def _parse_date(value: str) -> date:
    return date.fromisoformat(value)


def cmd_demo_data(args: argparse.Namespace) -> int:
    from orchestration.demo_data import generate

    summary = generate(
        out=Path(args.out),
        accounts=args.accounts,
        days=args.days,
        seed=args.seed,
        end_date=args.end_date,
        bad_rows=args.bad_rows,
        progress=lambda message: print(f"[demo-data] {message}", flush=True),
    )
    print(summary.format() if hasattr(summary, "format") else summary)
    return EXIT_OK


# What dbt's parse reads besides the project files: the profile's environment.
PARSE_ENV = ("DBT_TARGET", "CXCS_DUCKDB_PATH", "CXCS_WAREHOUSE_DIR", "CXCS_DUCKDB_MEMORY_LIMIT")
# Every path dbt_project.yml names (model, macro, seed, test, analysis, snapshot paths) and
# the package files; a folder that does not exist is skipped.
PARSE_INPUTS = (
    "dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml",
    "models", "macros", "seeds", "tests", "analyses", "snapshots",
)


def _parse_fingerprint(project_dir: Path) -> str:
    """Every file dbt parses (path, size, mtime) and the profile's environment, hashed."""
    import hashlib
    import os

    digest = hashlib.sha256()
    for name in PARSE_INPUTS:
        root = project_dir / name
        for path in sorted(root.rglob("*")) if root.is_dir() else [root]:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(project_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    for name in PARSE_ENV:
        digest.update(f"{name}={os.environ.get(name, '')}\n".encode())
    return digest.hexdigest()


def prepare_dbt_manifest() -> bool:
    """Parse the dbt project so target/manifest.json matches the models on disk.

    Skipped (returns False) when nothing dbt parses has changed since the last parse made
    here: the same files and the same profile environment (a scheduled refresh of unchanged
    code); dbt's own build then reuses its partial-parse state too."""
    import subprocess

    from orchestration.config import PROJECT_DIR

    manifest = PROJECT_DIR / "target" / "manifest.json"
    stamp = PROJECT_DIR / "target" / ".cxcs_parse_fingerprint"
    fingerprint = _parse_fingerprint(PROJECT_DIR)
    if manifest.exists() and stamp.exists() and stamp.read_text() == f"{fingerprint} {manifest.stat().st_mtime_ns}":
        return False
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run([str(dbt), "parse", "--quiet", "--profiles-dir", str(PROJECT_DIR)], cwd=PROJECT_DIR, check=True)
    stamp.write_text(f"{fingerprint} {manifest.stat().st_mtime_ns}")
    return True


def run_refresh(landing: Path | None, warehouse: Path | None, instance: object | None = None) -> int:
    """Run the ``refresh`` job; ``instance`` (a DagsterInstance, default ephemeral) keeps its events.

    A failed run (exit 1) prints one line: the failed step and its cause, and the log file
    under ``<warehouse>/logs/`` that holds the full trace."""
    settings = apply_settings(landing, warehouse)
    if not settings.landing_dir.is_dir():
        # Loading "nothing" from a folder that is not there would publish an empty (or an
        # unchanged) warehouse with exit 0: a wrong path or an unmounted share is an error.
        print(f"[refresh] FAILED: landing folder {settings.landing_dir} does not exist (or is not a folder); "
              "nothing was loaded or published.", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(f"[refresh] landing folder: {settings.landing_dir}")
    print(f"[refresh] build file:     {settings.build_path}")
    started = time.monotonic()
    try:
        return _run_refresh_job(settings, started, instance)
    except Exception:  # anything outside the job's steps (dbt parse, Dagster start-up)
        from orchestration.run_log import exception_line, write_failure_log

        log = write_failure_log(settings.warehouse_dir, None, [("refresh", _trace())])
        print(f"[refresh] FAILED before or around the Dagster job: {exception_line()} (full trace: {log})",
              file=sys.stderr)
        return EXIT_RUN_FAILED


def _trace() -> str:
    import traceback

    return traceback.format_exc()


def _run_refresh_job(settings: object, started: float, instance: object | None) -> int:
    import dagster as dg

    prepare_dbt_manifest()
    from orchestration.definitions import defs
    from orchestration.summary import format_load_report, warehouse_summary

    from orchestration.publish import release_build_lock
    from orchestration.quality import prewarm
    from orchestration.run_log import step_failures, write_failure_log

    prewarm()  # the gate's Great Expectations import overlaps the load and dbt steps
    job = defs.resolve_job_def("refresh")
    try:
        result = job.execute_in_process(
            instance=instance or dg.DagsterInstance.ephemeral(),
            # Dagster's console logger would print each failure's whole trace (~100 lines);
            # the trace goes to the run's log file instead (below).
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            raise_on_error=False,
        )
    finally:
        release_build_lock()
    materialized = {
        event.asset_key.path[-1]: event.step_materialization_data.materialization.metadata
        for event in result.all_events
        if event.is_step_materialization and event.asset_key.path[0] == "raw"
    }
    report = format_load_report(
        {table: {k: v.value for k, v in meta.items()} for table, meta in materialized.items() if meta}
    )
    if materialized or result.success:  # a load that never ran has no summary to show
        print(report.text)
    elapsed = time.monotonic() - started
    gate_failures = failed_blocking_checks(result.all_events, settings.build_path, result.run_id)
    if gate_failures:
        for line in gate_failures:
            print(f"[gate] FAILED {line}", file=sys.stderr)
        print(
            f"[refresh] quality gate failed after {elapsed:.1f}s ({len(gate_failures)} blocking check(s)); nothing was "
            f"published, the previous publication (if any) is still serving: {settings.published_path}",
            file=sys.stderr,
        )
        return EXIT_GATE_FAILED
    if not result.success:
        failures = step_failures(result.all_events)
        log = write_failure_log(settings.warehouse_dir, result.run_id, [(f.step, f.trace) for f in failures],
                                result.all_events)
        if failures:
            first = failures[0]
            more = f"; {len(failures) - 1} more failed step(s) in the log" if len(failures) > 1 else ""
            print(f"[refresh] FAILED in step {first.step}: {first.cause}{more} (after {elapsed:.1f}s; nothing new "
                  f"published; full trace: {log})", file=sys.stderr)
        else:
            print(f"[refresh] FAILED after {elapsed:.1f}s; nothing new published; full log: {log}", file=sys.stderr)
        return EXIT_RUN_FAILED
    print(warehouse_summary(settings.published_path, settings.build_path))
    print(f"[refresh] done in {elapsed:.1f}s; published warehouse: {settings.published_path}")
    from orchestration.scorecard import SCORECARD_FILE_NAME

    scorecard = settings.warehouse_dir / SCORECARD_FILE_NAME
    if scorecard.exists():
        print(f"[refresh] scorecard: {scorecard} (open it in a browser)")
    if report.files_failed:
        print(f"[refresh] {report.files_failed} landing file(s) failed to load (listed above); exit code 2.", file=sys.stderr)
        return EXIT_FILES_FAILED
    return EXIT_OK


def failed_blocking_checks(
    events: Sequence[object], build_path: Path | None = None, run_id: str | None = None
) -> list[str]:
    """Each blocking asset check (dbt test or GX suite) that failed, with the expectations it names.

    With the build file and the run id, each failure also names its first offending rows and
    the landing file (and row) each came from (orchestration.gate_rows)."""
    import dagster as dg

    from orchestration.config import PROJECT_DIR
    from orchestration.gate_rows import KEY_TABLES, compiled_tests, describe_rows, failing_test_rows, open_build

    failed = []
    for event in events:
        if getattr(event, "event_type", None) != dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        evaluation = event.event_specific_data
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            failed.append(evaluation)
    if not failed:
        return []
    conn = open_build(build_path) if build_path is not None and build_path.exists() else None
    compiled = compiled_tests(PROJECT_DIR, run_id) if run_id and conn is not None else {}
    lines = []
    try:
        for evaluation in failed:
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            details = evaluation.metadata.get("failed_expectations")
            if details is not None and details.value:
                results = evaluation.metadata.get("results")
                unexpected = {
                    r["expectation"]: r.get("unexpected") or []
                    for r in (results.value if results is not None else []) if not r.get("success")
                }
                for item in details.value:
                    rows = next((u for label, u in unexpected.items() if item.startswith(label)), [])
                    # Only rows with a natural key add anything to GX's own "e.g." values.
                    traced = describe_rows(conn, rows) if any(
                        isinstance(r, dict) and set(r) & set(KEY_TABLES) for r in rows) else []
                    lines.append(f"{name}: {item}" + (f"; rows: {'; '.join(traced)}" if traced else ""))
                continue
            unique_id = evaluation.metadata.get("unique_id")
            sql = compiled.get(unique_id.value) if unique_id is not None else None
            rows = failing_test_rows(conn, sql) if sql and conn is not None else []
            lines.append(name + (f"; rows: {'; '.join(describe_rows(conn, rows))}" if rows else ""))
    finally:
        if conn is not None:
            conn.close()
    return lines


def cmd_gate(args: argparse.Namespace) -> int:
    """Audit the current build file with the GX suites (read-only); no load, dbt or publish."""
    from datetime import datetime, timezone

    from orchestration.quality import quality_dir, run_gate, write_report

    settings = apply_settings(None, Path(args.warehouse) if args.warehouse else None)
    if not settings.build_path.exists():
        print(f"[gate] no build file at {settings.build_path}", file=sys.stderr)
        return EXIT_RUN_FAILED
    started = time.monotonic()
    run_id = "gate-" + datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    report = run_gate(
        settings.build_path,
        settings.published_path,
        quality_dir(settings.warehouse_dir) / "data_docs",
        run_id,
        marts=args.mart or None,
        progress=lambda message: print(f"[gate] {message}", flush=True),
    )
    write_report(report, settings.warehouse_dir)
    print(report.format())
    print(f"[gate] {'passed' if report.passed else 'FAILED'} in {time.monotonic() - started:.1f}s")
    return EXIT_OK if report.passed else EXIT_GATE_FAILED


def cmd_refresh(args: argparse.Namespace) -> int:
    return run_refresh(
        Path(args.landing) if args.landing else None,
        Path(args.warehouse) if args.warehouse else None,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the default demo into the landing folder (once) and refresh."""
    settings = apply_settings(Path(args.landing) if args.landing else None, Path(args.warehouse) if args.warehouse else None)
    if not (settings.landing_dir / "_demo_manifest.json").exists():
        from orchestration.demo_data import generate

        print(f"[demo] generating demo data ({args.accounts} accounts x {args.days} days) into {settings.landing_dir}")
        generate(
            out=settings.landing_dir,
            accounts=args.accounts,
            days=args.days,
            seed=args.seed,
            progress=lambda message: print(f"[demo-data] {message}", flush=True),
        )
    else:
        print(f"[demo] using the demo data already in {settings.landing_dir}")
    return run_refresh(None, None)


def cmd_bench(args: argparse.Namespace) -> int:
    from orchestration.bench import run_bench

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
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxcs", description="CX and CS metrics warehouse.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo_data = sub.add_parser("demo-data", help="Write generated landing files (the raw contract).")
    demo_data.add_argument("--out", required=True, help="landing folder to write")
    demo_data.add_argument("--accounts", type=int, default=500)
    demo_data.add_argument("--days", type=int, default=365)
    demo_data.add_argument("--seed", type=int, default=42)
    demo_data.add_argument("--end-date", type=_parse_date, default=None, help="last day, YYYY-MM-DD (default today, UTC)")
    demo_data.add_argument("--bad-rows", action="store_true", help="also plant every bad-input case of the contract")
    demo_data.set_defaults(func=cmd_demo_data)

    refresh = sub.add_parser("refresh", help="Load new landing files, build, publish (the Dagster refresh job).")
    refresh.add_argument("--landing", help="landing folder (default $CXCS_LANDING_DIR or data/landing)")
    refresh.add_argument("--warehouse", help="warehouse folder (default $CXCS_WAREHOUSE_DIR or data/warehouse)")
    refresh.set_defaults(func=cmd_refresh)

    gate = sub.add_parser("gate", help="Audit the current build file with the Great Expectations suites (no publish).")
    gate.add_argument("--warehouse", help="warehouse folder (default $CXCS_WAREHOUSE_DIR or data/warehouse)")
    gate.add_argument("--mart", action="append", help="only this mart (repeatable)")
    gate.set_defaults(func=cmd_gate)

    demo = sub.add_parser("demo", help="Generate the demo landing data once, then refresh.")
    demo.add_argument("--landing")
    demo.add_argument("--warehouse")
    demo.add_argument("--accounts", type=int, default=500)
    demo.add_argument("--days", type=int, default=365)
    demo.add_argument("--seed", type=int, default=42)
    demo.set_defaults(func=cmd_demo)

    from orchestration.engines.run import add_arguments, run_from_args

    engine = sub.add_parser(
        "engine-refresh", help="Load, copy raw to PostgreSQL or Spark, dbt build there (README: Other engines)."
    )
    add_arguments(engine)
    engine.set_defaults(func=run_from_args)

    from orchestration.bench import add_arguments as add_bench_arguments

    bench = sub.add_parser("bench", help="Benchmark full and incremental refresh and the edit-build loop "
                                         "against a DuckDB-only floor (BENCHMARKS.md).")
    add_bench_arguments(bench)
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
