"""``python -m orchestration.bench.adapter_load``: the load of the product tables (``product_events``,
``product_users``) of one benchmark scale in the native format and in the adapters' formats
(``cxcs demo-data --format segment|amplitude``), side by side in the same run.

The same demo (scale, seed, ``END_DATE`` as ``cxcs bench``) is generated once per format and
cached under ``<work>/<scale>-<seed>-<format>/landing``.  Each repeat loads every format in turn,
each into a new warehouse file in its own child process (``load_landing`` restricted to the two
product tables, the only ones the formats change), so a busy machine slows all formats alike;
the medians and their ratio to the native format are printed as a markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.bench.data import (
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_WORK_DIR,
    END_DATE,
    SCALES,
    Scale,
    manifest_matches,
    read_manifest,
    wanted_params,
)

TABLES = ["product_events", "product_users"]
CHILD = """
import json, sys, time
from pathlib import Path
import duckdb
from orchestration.loading import load_landing
landing, database = Path(sys.argv[1]), sys.argv[2]
with duckdb.connect(database) as conn:
    started = time.monotonic()
    summary = load_landing(conn, landing, entities={tables!r})
    seconds = time.monotonic() - started
    rows = conn.execute("select count(*) from raw.product_events").fetchone()[0]
print(json.dumps({{"seconds": seconds, "rows": rows, "failed": summary.files_failed_count}}))
"""


def ensure_format(scale: Scale, seed: int, fmt: str, work: Path) -> Path:
    """The demo of ``scale`` in ``fmt`` (``native`` = the contract), generated once."""
    params = wanted_params(scale, seed) | {"formats": None if fmt == "native" else [fmt]}
    landing = work / f"{scale.name}-{seed}-{fmt}" / "landing"
    if manifest_matches(read_manifest(landing), params, landing):
        return landing
    from orchestration.demo_data import generate

    shutil.rmtree(landing, ignore_errors=True)
    print(f"data: generating {scale.name} in {fmt} into {landing}", flush=True)
    formats = () if fmt == "native" else (fmt,)
    generate(out=landing, accounts=scale.accounts, days=scale.days, seed=seed, end_date=END_DATE, formats=formats)
    return landing


def load_once(landing: Path, memory_limit: str) -> dict:
    import json

    with tempfile.TemporaryDirectory(prefix="cxcs_adapter_load_") as folder:
        env = os.environ | {"CXCS_DUCKDB_MEMORY_LIMIT": memory_limit}
        done = subprocess.run(
            [sys.executable, "-c", CHILD.format(tables=TABLES), str(landing), str(Path(folder) / "w.duckdb")],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="medium")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--formats", default="native,segment,amplitude")
    parser.add_argument("--work-dir", default=os.environ.get("CXCS_BENCH_DIR") or str(DEFAULT_WORK_DIR))
    parser.add_argument("--memory-limit", default=DEFAULT_MEMORY_LIMIT)
    args = parser.parse_args(argv)
    scale, formats = SCALES[args.scale], args.formats.split(",")
    landings = {fmt: ensure_format(scale, args.seed, fmt, Path(args.work_dir).resolve()) for fmt in formats}
    if args.repeat < 1:
        return 0  # the data only
    runs: dict[str, list[dict]] = {fmt: [] for fmt in formats}
    for repeat in range(args.repeat):
        for fmt in formats:  # interleaved: a busy spell of the machine slows every format
            runs[fmt].append(load_once(landings[fmt], args.memory_limit))
            print(f"run {repeat + 1} {fmt}: {runs[fmt][-1]}", flush=True)
    base = statistics.median(r["seconds"] for r in runs[formats[0]])
    print(f"\n{scale.name} ({scale.accounts:,} accounts x {scale.days} days), {args.repeat} run(s) each")
    print(f"| format | events loaded | load s (median) | x {formats[0]} | runs (s) |\n|---|---|---|---|---|")
    for fmt in formats:
        median = statistics.median(r["seconds"] for r in runs[fmt])
        each = ", ".join(f"{r['seconds']:.1f}" for r in runs[fmt])
        if any(r["failed"] for r in runs[fmt]):
            raise SystemExit(f"{fmt}: a file failed to load; the times are not comparable")
        print(f"| {fmt} | {runs[fmt][0]['rows']:,} | {median:.1f} | {median / base:.2f} | {each} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
