"""Command line: ``cxcs demo-data``, ``cxcs refresh``, ``cxcs gate``, ``cxcs demo``, ``cxcs bench``
and ``cxcs engine-refresh``.

``cxcs refresh`` runs the Dagster ``refresh`` job in this process (the same job
the schedule and sensor start), prints progress per stage and the load
summary, and exits non-zero when anything failed (exit codes: orchestration.refresh).

``cxcs gate`` audits the current build file with the Great Expectations suites only (no
load, no dbt, no publish), prints the report and its time, and exits 0 or 3.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date
from pathlib import Path

from orchestration.config import resolve_settings
from orchestration.refresh import EXIT_GATE_FAILED, EXIT_OK, EXIT_RUN_FAILED, run_refresh


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
        formats=tuple(f for f in args.format.split(",") if f and f != "native"),
    )
    print(summary.format() if hasattr(summary, "format") else summary)
    return EXIT_OK


def cmd_gate(args: argparse.Namespace) -> int:
    """Audit the current build file with the GX suites (read-only); no load, dbt or publish."""
    from datetime import datetime

    from orchestration.quality import quality_dir, run_gate, write_report

    settings = resolve_settings(None, Path(args.warehouse) if args.warehouse else None)
    if not settings.build_path.exists():
        print(f"[gate] no build file at {settings.build_path}", file=sys.stderr)
        return EXIT_RUN_FAILED
    started = time.monotonic()
    run_id = "gate-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
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
        full_refresh=args.full_refresh,
        as_of_date=args.as_of_date,
        full_refresh_select=args.full_refresh_select or "",
    )


def cmd_backfill(args: argparse.Namespace) -> int:
    from orchestration.backfill import run_backfill

    return run_backfill(Path(args.warehouse) if args.warehouse else None, args.months, args.through)


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the default demo into the landing folder (once) and refresh."""
    landing = Path(args.landing) if args.landing else None
    warehouse = Path(args.warehouse) if args.warehouse else None
    settings = resolve_settings(landing, warehouse)
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
    return run_refresh(landing, warehouse)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cxcs", description="CX and CS metrics warehouse.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo_data = sub.add_parser("demo-data", help="Write generated landing files (the raw contract).")
    demo_data.add_argument("--out", required=True, help="landing folder to write")
    demo_data.add_argument("--accounts", type=int, default=500)
    demo_data.add_argument("--days", type=int, default=365)
    demo_data.add_argument("--seed", type=int, default=42)
    demo_data.add_argument(
        "--end-date", type=_parse_date, default=None, help="last day, YYYY-MM-DD (default today, UTC)"
    )
    demo_data.add_argument("--bad-rows", action="store_true", help="also plant every bad-input case of the contract")
    demo_data.add_argument(
        "--format",
        default="native",
        help="native (default), or one export per kind, comma-separated: product segment|amplitude, surveys "
        "qualtrics|delighted, billing stripe-fivetran|stripe-api, support zendesk (e.g. stripe-fivetran,segment,delighted; docs/connect-sources.md)",
    )
    demo_data.set_defaults(func=cmd_demo_data)

    refresh = sub.add_parser("refresh", help="Load new landing files, build, publish (the Dagster refresh job).")
    refresh.add_argument("--landing", help="landing folder (default $CXCS_LANDING_DIR or data/landing)")
    refresh.add_argument("--warehouse", help="warehouse folder (default $CXCS_WAREHOUSE_DIR or data/warehouse)")
    refresh.add_argument(
        "--full-refresh", action="store_true", help="rebuild incremental models from scratch (dbt --full-refresh)"
    )
    refresh.add_argument(
        "--full-refresh-select",
        metavar="SELECTION",
        help="rebuild the incremental models of this dbt selection from scratch (e.g. 'product_usage_daily+'), "
        "every other model as usual",
    )
    refresh.add_argument(
        "--as-of-date",
        type=_parse_date,
        default=None,
        help="the day the marts report as today, YYYY-MM-DD (dbt var as_of_date; default today)",
    )
    refresh.set_defaults(func=cmd_refresh)

    backfill = sub.add_parser(
        "backfill", help="Rebuild every mart as of each of the last N month-ends into <warehouse>/history/."
    )
    backfill.add_argument("--warehouse", help="warehouse folder (default $CXCS_WAREHOUSE_DIR or data/warehouse)")
    backfill.add_argument("--months", type=int, default=12, help="how many month-ends (default 12)")
    backfill.add_argument(
        "--through",
        type=_parse_date,
        default=None,
        help="a day of the last month to build, YYYY-MM-DD (default: the latest month complete at the "
        "publication's as-of date)",
    )
    backfill.set_defaults(func=cmd_backfill)

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
    from orchestration.bench import run_from_args as run_bench

    bench = sub.add_parser(
        "bench",
        help="Benchmark full and incremental refresh and the edit-build loop "
        "against a DuckDB-only floor (BENCHMARKS.md).",
    )
    add_bench_arguments(bench)
    bench.set_defaults(func=run_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A command allocates millions of short-lived objects (Dagster events, dbt nodes, GX
    # metrics); collecting the young generation every 700 allocations cost ~1.4 s of a 20 s
    # 30-account refresh (measured). Every 50,000: the same memory, fewer passes.
    gc.set_threshold(50_000, 20, 20)
    args = build_parser().parse_args(argv)
    code = args.func(args)
    # Everything is written and closed by now; at exit CPython's last garbage collection walks
    # the whole heap of Dagster, dbt and GX objects (1.8 s of a 30-account refresh, measured).
    # Frozen objects are left to the OS: no finalizer of ours depends on that collection.
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
