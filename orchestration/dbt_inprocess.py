"""``dbt build`` inside the refresh process: dbt's programmatic API with the parsed project.

dagster-dbt's ``DbtCliResource.cli`` starts ``dbt --version`` (a whole dbt start-up, ~2.5 s),
builds a dbt adapter in this process that only its column-metadata helpers use (~2 s), then
starts ``dbt build`` in a subprocess that imports dbt again (~2 s) and checks its partial-parse
state, which any other warehouse path invalidates (the profile's ``path`` is part of dbt's
profile hash): a full parse (~6 s) on the first refresh of every warehouse. Here the project
is parsed once per change of its files (``orchestration.dbt_manifest``, with a canonical
profile environment) and the build runs through ``dbtRunner(manifest=...)`` — dbt's documented
way to reuse a parsed manifest (docs.getdbt.com/reference/programmatic-invocations) — in a
thread of this process, with the warehouse's profile environment. dagster-dbt still turns
each result into Dagster events (``DbtCoreCliEventMessage.to_default_asset_events``: the same
conversion its CLI invocation uses), so assets, asset checks and their metadata are unchanged.
DECISIONLOG.md "dbt build runs in the refresh process" has the measurements.
"""

from __future__ import annotations

import queue
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from orchestration.config import PROJECT_DIR, setting
from orchestration.run_log import DBT_ERRORS_MARKER  # run_log reads the cause after it

PARTIAL_PARSE_FILE = PROJECT_DIR / "target" / "partial_parse.msgpack"
# dbt's events that carry a node's result: what dagster-dbt turns into asset events.
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
_DONE = object()
_cache: dict[tuple[int, int], bytes] = {}


class DbtBuildFailed(RuntimeError):
    """dbt reported failure (a model or a blocking test failed, or dbt itself could not run)."""


def project_manifest(database: str) -> Any:
    """The parsed project (a dbt ``Manifest``) whose relations live in catalog ``database``, a
    new object on every call.

    Read from the partial-parse file the last ``dbt parse`` wrote (dbt's own serialisation of
    the Manifest ``dbt parse`` returns; its bytes kept in memory while the file is unchanged). Not
    one object shared by two invocations: an invocation marks the nodes it compiled (ephemeral
    CTEs "already injected"), and the next one on the same object would reference CTEs it never
    writes. When the file is missing, was written by another dbt version, or names another
    catalog (a build file not called ``cxcs.duckdb``), the project is parsed here, in this
    process, with the run's environment."""
    from dbt.contracts.graph.manifest import Manifest
    from dbt.version import __version__

    manifest = None
    data = _parsed_bytes()
    if data is not None:
        manifest = Manifest.from_msgpack(data)
        relations = [n.database for n in manifest.nodes.values() if getattr(n, "relation_name", None)]
        if manifest.metadata.dbt_version != __version__ or any(db != database for db in relations):
            manifest = None
    if manifest is None:
        manifest = _parse_here()
    # Jinja's ``graph`` (e.g. ``graph.sources`` in our macros) reads the flat graph, which a
    # manifest loaded from msgpack does not carry until it is built.
    manifest.build_flat_graph()
    return manifest


def _parsed_bytes() -> bytes | None:
    if not PARTIAL_PARSE_FILE.exists():
        return None
    stat = PARTIAL_PARSE_FILE.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    if key not in _cache:
        _cache.clear()
        _cache[key] = PARTIAL_PARSE_FILE.read_bytes()
    return _cache[key]


def _parse_here() -> Any:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(["parse", "--quiet", *_project_args(None)])
    if not result.success:
        raise DbtBuildFailed(f"dbt parse failed: {result.exception}")
    return result.result


def _project_args(target_path: Path | None) -> list[str]:
    args = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    if target_path is not None:
        # The run's log beside its artifacts, at info level: dbt's default (debug) writes every
        # query it sends, ~7% of the build's CPU on a small warehouse.
        args += ["--target-path", str(target_path), "--log-path", str(target_path), "--log-level-file", "info"]
    return args


def _close_duckdb() -> None:
    """Close the build file dbt-duckdb keeps open between invocations in one process (its
    ``keep_open``, default true, which dbt checks before opening a file: setting it false in the
    profile closes the file after every node, measured 60% slower), so the gate and the publish
    step can open it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
    if environment is not None:
        environment.close()


RUN_FOLDER_PREFIX = "cxcs_dbt_models-"


def run_target_path(run_id: str) -> Path:
    """Where a run's dbt artifacts go: ``target/cxcs_dbt_models-<run>-<uuid>/`` (the layout
    dagster-dbt uses, which orchestration.gate_rows and the benchmark read). The oldest such
    folders beyond ``CXCS_DBT_RUNS_KEPT`` are removed first: a daily schedule would otherwise
    add a few MB a day to ``target/`` for ever."""
    prune_run_folders(PROJECT_DIR / "target", int(setting("CXCS_DBT_RUNS_KEPT")))
    return PROJECT_DIR / "target" / f"{RUN_FOLDER_PREFIX}{run_id[:7]}-{uuid.uuid4().hex[:7]}"


def prune_run_folders(target: Path, keep: int, min_age_seconds: float = 86_400) -> list[Path]:
    """Remove the run folders beyond the ``keep`` newest (by modification time) that are also
    older than ``min_age_seconds``: a run takes minutes, so a day-old folder is no run's in
    progress, whatever else (tests, a backfill) made newer ones meanwhile. Returns what went."""
    folders = sorted(
        (p for p in target.glob(f"{RUN_FOLDER_PREFIX}*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    cutoff = time.time() - min_age_seconds
    stale = [p for p in folders[max(keep, 0) :] if p.stat().st_mtime < cutoff]
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)  # another process may be removing it too
    return stale


def stream_build_events(args: Sequence[str], manifest: Any, target_path: Path) -> Iterator[dict[str, Any]]:
    """Run ``dbt <args>`` in a thread; yield each node result as dbt's structured-log event (the
    dict a JSON log line holds) as it finishes. dbt prints its usual progress to stdout. Raises
    DbtBuildFailed at the end when dbt did not succeed (after every result was yielded)."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    events: queue.Queue[object] = queue.Queue()
    errors: list[str] = []
    outcome: list[Any] = []

    def on_event(msg: Any) -> None:
        if msg.info.name in RESULT_EVENTS:
            events.put(msg_to_dict(msg))
        elif msg.info.level == "error" and msg.info.msg:
            errors.append(msg.info.msg)

    def build() -> None:
        try:
            runner = dbtRunner(manifest=manifest, callbacks=[on_event])
            outcome.append(runner.invoke([*args, *_project_args(target_path)]))
        except BaseException as error:  # reported by the caller's thread
            outcome.append(error)
        finally:
            _close_duckdb()
            events.put(_DONE)

    worker = threading.Thread(target=build, name="dbt-build", daemon=True)
    worker.start()
    while (item := events.get()) is not _DONE:
        yield item  # type: ignore[misc]
    worker.join()
    result = outcome[0] if outcome else None
    if isinstance(result, BaseException):
        raise DbtBuildFailed(f"dbt could not run: {result}") from result
    if result is None or not result.success:
        detail = "\n".join(errors) or str(getattr(result, "exception", "") or "no error message from dbt")
        raise DbtBuildFailed(f"dbt {' '.join(args[:1])} failed.\n\n{DBT_ERRORS_MARKER}\n{detail}")
