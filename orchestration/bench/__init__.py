"""``cxcs bench``: how fast the warehouse is where its users feel it, against a DuckDB floor.

One benchmark run, for one scale and seed:

1. **Data** — the demo generator's landing files, generated once and cached under
   ``<work>/<scale>-<seed>/landing`` (the generator's ``_demo_manifest.json`` is the cache
   key: accounts, days, seed and end date must match), or taken read-only from
   ``--data-dir`` (e.g. a large set generated earlier with the same arguments).
   The *next day* is one more received day of product events: the last day's event file
   replayed one day later under new event ids (``next_day_file``), cached beside it.
2. **Floor** — DuckDB alone, in a child process: its own readers (``read_json`` /
   ``read_parquet``) over every event landing file, aggregated to account x UTC day
   (distinct users, events), plus one ``read_csv`` of every other source.  Every result is
   also given as a ratio to this floor, so it holds on a noisy machine.
3. **Full refresh** — ``cxcs refresh`` (the Dagster ``refresh`` job, in a child process)
   into an empty warehouse.  Stage times come from the run itself: Dagster's step
   statistics (load = ``raw_landing_files``, dbt build = ``cxcs_dbt_models``, the quality
   gate's steps when ``orchestration/quality`` exists, publish =
   ``published_warehouse``); the rest of the process (imports, ``dbt parse``, the summary
   printed at the end) is reported as ``startup + summary``.  dbt's own
   ``run_results.json`` gives the slowest nodes.
4. **Incremental refresh** — the next day's file lands; ``cxcs refresh`` again on the same
   warehouse.
5. **Edit-build loop** — in a scratch copy of the dbt project: ``dbt build -s
   <mart>`` once to warm dbt's partial-parse state, then an edit (a comment appended to the
   mart's SQL) and ``dbt build -s <mart>`` again, timed.

Peak memory is the summed RSS of the child's whole process tree (the Dagster process, the
dbt subprocess, ...), sampled from ``/proc`` every 50 ms, and split per stage with the
step's start and end times.  The DuckDB memory limit (``CXCS_DUCKDB_MEMORY_LIMIT``, default
4GB here) is set for every child.  Results go to JSON plus a markdown table.
"""

# The package's modules, in the order a run uses them: data (scales, cached landing data),
# measure (child processes, memory, load), stages (what a run measures), report (medians,
# targets, the table), run (one run; `cxcs bench`).  adapter_load (`python -m
# orchestration.bench.adapter_load`): the product tables' load per landing format, side by side.
from orchestration.bench.data import SCALES, TARGETS, next_day_file
from orchestration.bench.measure import _tree_rss, run_child
from orchestration.bench.run import add_arguments, main, run_bench, run_from_args

__all__ = [
    "SCALES",
    "TARGETS",
    "_tree_rss",
    "add_arguments",
    "main",
    "next_day_file",
    "run_bench",
    "run_child",
    "run_from_args",
]
