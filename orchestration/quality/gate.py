"""Run the gate: read every mart's frames from DuckDB, validate them with Great Expectations
(an ephemeral context, pandas datasource) and rebuild the Data Docs."""

from __future__ import annotations

import contextlib
import queue
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration.publish import current_publication
from orchestration.quality.frames import MartFrames, attach_previous, mart_columns, read_frames
from orchestration.quality.report import ExpectationOutcome, GateReport, MartResult, _plain_json
from orchestration.quality.suites import (
    ACCOUNTS_DIMENSION,
    CRITICAL,
    MARTS_SCHEMA,
    SUITES_DIR,
    SuiteDeclaration,
    build_expectation_suite,
    load_suites,
)

SAMPLE_SIZE = 5

Progress = Callable[[str], None]


def _gx_context(docs_dir: Path | None) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    if docs_dir is None:
        return context
    context.add_data_docs_site(
        "cxcs_gate",
        {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            # The gate never profiles: the profiling section would only scan the results store.
            "site_section_builders": {"profiling": "None"},
        },
    )
    return context


def _outcomes(suite_name: str, result: Any, values: Mapping[str, Any] | None = None) -> list[ExpectationOutcome]:
    """Outcomes of one validation; ``values``: the one-row structure frame, whose value is the observation."""
    outcomes = []
    for r in result.results:
        config = r.expectation_config
        info = r.result or {}
        observed = info.get("observed_value")
        if values is not None:
            observed = values.get(config.kwargs.get("column"))
            unexpected: list[Any] = []
        else:
            unexpected = info.get("partial_unexpected_index_list") or info.get("partial_unexpected_list") or []
        if observed is None and "unexpected_count" in info and not r.success:
            observed = f"{info['unexpected_count']} unexpected of {info.get('element_count')}"
        error = None
        if r.exception_info and not r.success:
            error = _exception_message(r.exception_info)
        kwargs = {k: v for k, v in dict(config.kwargs).items() if k not in ("batch_id",)}
        outcomes.append(
            ExpectationOutcome(
                suite=suite_name,
                expectation=config.type,
                kwargs=_plain_json(kwargs),
                severity=str(getattr(config.severity, "value", config.severity) or CRITICAL),
                success=bool(r.success),
                observed=_plain_json(observed),
                unexpected=_plain_json(list(unexpected)[:SAMPLE_SIZE]),
                description=config.description or "",
                error=error,
            )
        )
    return outcomes


def _exception_message(info: Mapping[str, Any]) -> str | None:
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, Mapping) and value.get("raised_exception"):
            return str(value.get("exception_message"))
    return None


def _read_all(
    build_path: Path,
    published_path: Path | None,
    declarations: list[SuiteDeclaration],
    results: dict[str, MartResult],
    take: Callable[[MartFrames], None],
) -> None:
    """Hand ``take`` the frames of every declared mart in the build (a mart not built yet is skipped)."""
    # None: no previous publication to compare with (the month-end history, orchestration.history).
    _, previous_counts = (current_publication(published_path) if published_path else None) or (None, {})
    references: dict[str, date | None] = {}
    with duckdb.connect(str(build_path), read_only=True) as conn:
        columns = {m: c for m, c in mart_columns(conn).items() if m != "publication"}
        needs_previous = any(d.changes for d in declarations) and bool(previous_counts)
        previous = attach_previous(conn, published_path) if needs_previous else {}
        for decl in declarations:
            if decl.mart not in columns:
                results[decl.mart] = MartResult(
                    decl.mart, "skipped", reason=f"mart {MARTS_SCHEMA}.{decl.mart} is not in the build yet"
                )
                continue
            t0 = time.monotonic()
            frame = read_frames(
                conn,
                decl,
                columns[decl.mart],
                previous_counts.get(decl.mart),
                ACCOUNTS_DIMENSION in columns,
                references,
                previous.get(decl.mart),
            )
            results[decl.mart] = MartResult(
                decl.mart,
                "passed",
                row_count=frame.row_count,
                not_evaluated=frame.not_evaluated,
                seconds=time.monotonic() - t0,
            )
            take(frame)


def _start_reading(
    build_path: Path,
    published_path: Path | None,
    declarations: list[SuiteDeclaration],
    results: dict[str, MartResult],
    timings: dict[str, float],
) -> Iterator[MartFrames]:
    """Start reading the frames in a thread; they arrive in the iterator as they are read.

    DuckDB releases the GIL while a query runs, so the reads overlap the rest of the Great
    Expectations import and the validation of the marts read before."""
    finished = object()
    frames: queue.Queue[Any] = queue.Queue()

    def read() -> None:
        tick = time.monotonic()
        try:
            _read_all(build_path, published_path, declarations, results, frames.put)
            frames.put(finished)
        except BaseException as exc:  # raised again in the caller's thread
            frames.put(exc)
        finally:
            timings["duckdb"] = time.monotonic() - tick

    reader = threading.Thread(target=read, daemon=True, name="gate-duckdb")
    reader.start()

    def arriving() -> Iterator[MartFrames]:
        while (item := frames.get()) is not finished:
            if isinstance(item, BaseException):
                raise item
            yield item
        reader.join()

    return arriving()


@dataclass(frozen=True)
class _Validation:
    """One GX validation: a suite on a frame (``values``: the one-row structure frame's row)."""

    name: str
    suite: Any
    frame: Any
    index_columns: list[str]
    parameters: dict[str, Any]
    values: dict[str, Any] | None = None


def _validations(frame: MartFrames) -> list[_Validation]:
    """The mart's rows (or profile) suite and its structure suite."""
    import great_expectations as gx

    decl = frame.decl
    structure_name = f"{decl.mart}.structure"
    return [
        _Validation(
            decl.mart, build_expectation_suite(decl, frame.row_expectations), frame.frame, frame.index_columns, {}
        ),
        _Validation(
            structure_name,
            gx.ExpectationSuite(
                name=structure_name,
                expectations=frame.structure_expectations,
                notes=f"Structure of {MARTS_SCHEMA}.{decl.mart}: row count, freshness, accounts.",
            ),
            frame.structure,
            [],
            frame.parameters,
            frame.structure.iloc[0].to_dict(),
        ),
    ]


def _run(batch_definition: Any, v: _Validation) -> Any:
    """Validate one suite: its GX result.

    ``Batch.validate`` rather than a ValidationDefinition, which would be serialised into the
    ephemeral context's store and compared with itself before every run. BASIC first:
    SUMMARY's extra metrics (the failing rows' index values) cost about a third of GX's time
    and matter only for a failure, so a rows suite with a failing expectation runs again with
    SUMMARY; its outcomes then are exactly SUMMARY's (a structure suite reports the structure
    row's own values, which BASIC has as well).
    """
    batch = batch_definition.get_batch(batch_parameters={"dataframe": v.frame})
    result_format: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_SIZE}
    result = batch.validate(v.suite, result_format=result_format, expectation_parameters=v.parameters)
    if v.values is None and not all(r.success for r in result.results):
        result_format = {**result_format, "result_format": "SUMMARY"}
        if v.index_columns:
            result_format["unexpected_index_column_names"] = v.index_columns
        result = batch.validate(v.suite, result_format=result_format, expectation_parameters=v.parameters)
    return result


def _validate(batch_definition: Any, frame: MartFrames, validated: list[tuple[Any, Any]]) -> list[ExpectationOutcome]:
    """Validate one mart: its rows (or profile) suite and its structure suite; each (suite,
    result) is appended to ``validated`` for the Data Docs."""
    outcomes = [
        ExpectationOutcome(
            suite=f"{frame.decl.mart}.structure",
            expectation="gate_setup",
            kwargs={},
            severity=severity,
            success=False,
            description="a check the gate could not compute",
            error=message,
        )
        for severity, message in frame.setup_errors
    ]
    for v in _validations(frame):
        if v.suite.expectations:
            result = _run(batch_definition, v)
            validated.append((v.suite, result))
            outcomes += _outcomes(v.name, result, v.values)
    return outcomes


def run_gate(
    build_path: Path,
    published_path: Path | None,
    docs_dir: Path | None,
    run_id: str,
    marts: Iterable[str] | None = None,
    suites_dir: Path = SUITES_DIR,
    progress: Progress | None = None,
    docs_in_background: bool = False,
) -> GateReport:
    """Validate the build file's marts against their suites; rebuild the Data Docs in ``docs_dir``
    (``None``: no Data Docs, for a caller that would throw them away, as the month-end history does).

    ``docs_in_background``: the Data Docs are a report, not part of the verdict, so a refresh
    writes them in a thread while it publishes (DuckDB and file copies, which release the
    GIL); the process waits for the thread before it exits, and the next gate run waits for
    it before it replaces the folder (``wait_for_data_docs``)."""
    say = progress or (lambda message: None)
    wait_for_data_docs()
    started = time.monotonic()
    timings: dict[str, float] = {}
    declarations = load_suites(suites_dir)
    if marts is not None:
        wanted = set(marts)
        declarations = [d for d in declarations if d.mart in wanted]

    results: dict[str, MartResult] = {}
    timings["duckdb"] = 0.0  # set by the reader when it is done
    frames = _start_reading(build_path, published_path, declarations, results, timings)
    tick = time.monotonic()
    import great_expectations  # noqa: F401  (timed apart: the import alone takes seconds)
    from great_expectations.core.run_identifier import RunIdentifier

    timings["gx import"] = time.monotonic() - tick
    tick = time.monotonic()
    context = _gx_context(docs_dir)
    # One asset and batch definition for every frame (the frame is a batch parameter): each
    # asset added to a context re-serialises the whole context config, a cost that grows
    # with every asset already added.
    batch_definition = (
        context.data_sources.add_pandas("cxcs_build")
        .add_dataframe_asset("marts")
        .add_batch_definition_whole_dataframe("build")
    )
    gx_run = RunIdentifier(run_name=run_id)
    validated: list[tuple[Any, Any]] = []
    for frame in frames:
        t0 = time.monotonic()
        mart = results[frame.decl.mart]
        mart.outcomes = _validate(batch_definition, frame, validated)
        mart.status = "failed" if mart.blocking_failures else "passed"
        mart.seconds += time.monotonic() - t0
        passed, total = mart.counts(CRITICAL)
        say(f"{mart.mart}: {mart.status} ({passed}/{total} critical, {len(mart.warnings)} warning(s))")
    timings["gx validate"] = time.monotonic() - tick

    data_docs: str | None = None
    if docs_dir is not None:
        index = docs_dir / "index.html"
        if docs_in_background:
            global _docs_writer
            _docs_writer = threading.Thread(
                target=_write_data_docs, args=(context, docs_dir, validated, gx_run), name="gx-data-docs"
            )
            _docs_writer.start()  # not a daemon: the interpreter joins it before it exits
            data_docs = str(index)
        else:
            timings["data docs"] = _write_data_docs(context, docs_dir, validated, gx_run)
            data_docs = str(index) if index.exists() else None
    return GateReport(
        run_id=run_id,
        build_path=str(build_path),
        results=results,
        data_docs=data_docs,
        seconds=time.monotonic() - started,
        timings=timings,
    )


_docs_writer: threading.Thread | None = None  # the Data Docs thread of the last background run


def _write_data_docs(context: Any, docs_dir: Path, validated: list[tuple[Any, Any]], gx_run: Any) -> float:
    """Replace ``docs_dir`` with the Data Docs of this run's results; the seconds it took.

    The suites and results enter the context's stores only here: nothing but the Data Docs
    reads them (the index links every result to its suite's page)."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    tick = time.monotonic()
    try:
        for suite, result in validated:
            context.suites.add(suite)
            result.meta["run_id"] = gx_run
            result.meta["validation_time"] = gx_run.run_time
            suite_id = ExpectationSuiteIdentifier(name=suite.name)
            context.validation_results_store.store_validation_results(
                result, ValidationResultIdentifier(suite_id, gx_run, result.batch_id), suite_id
            )
        if docs_dir.exists():
            shutil.rmtree(docs_dir)
        docs_dir.mkdir(parents=True)
        context.build_data_docs(site_names=["cxcs_gate"])
    except Exception as exc:
        if threading.current_thread() is threading.main_thread():
            raise
        # In the background the verdict is out already: say so instead of failing silently.
        print(f"[gate] WARNING Data Docs not written to {docs_dir}: {exc!r}", file=sys.stderr, flush=True)
    return time.monotonic() - tick


def wait_for_data_docs() -> None:
    """Block until the Data Docs a background gate run is writing are written."""
    if _docs_writer is not None:
        _docs_writer.join()


def prewarm() -> None:
    """Import Great Expectations in a background thread (it takes seconds), e.g. while dbt runs.

    setuptools is imported first, in the calling thread (0.2 s), when it is installed. With the
    ``spark`` extra, Great Expectations imports pyspark, which imports ``distutils``; setuptools'
    distutils shim (``_distutils_hack``, installed by a .pth file) answers that import by
    importing setuptools from inside an import-system hook, which holds the interpreter's global
    import lock. A refresh hung for ever that way: that thread held the global lock waiting for
    ``email.headerregistry``, which dbt's import chain in the main thread was executing and which
    needed the global lock for its next import (py-spy of the hung run, DECISIONLOG "The
    background import of Great Expectations no longer deadlocks"). With setuptools already
    imported, the shim's hook finds it loaded and waits on nothing."""
    import importlib
    import threading

    if "distutils" not in sys.modules:
        with contextlib.suppress(ImportError):  # no setuptools: no shim either
            importlib.import_module("setuptools")
    threading.Thread(
        target=importlib.import_module, args=("great_expectations",), daemon=True, name="gx-import"
    ).start()
