"""Run the gate: read every mart's frames from DuckDB, validate them with Great Expectations
(an ephemeral context, pandas datasource) and rebuild the Data Docs."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Mapping
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


def _gx_context(docs_dir: Path) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
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
    build_path: Path, published_path: Path, declarations: list[SuiteDeclaration], results: dict[str, MartResult]
) -> list[MartFrames]:
    """The frames of every declared mart in the build (a mart not built yet is skipped)."""
    _, previous_counts = current_publication(published_path) or (None, {})
    frames: list[MartFrames] = []
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
            frames.append(frame)
            results[decl.mart] = MartResult(
                decl.mart,
                "passed",
                row_count=frame.row_count,
                not_evaluated=frame.not_evaluated,
                seconds=time.monotonic() - t0,
            )
    return frames


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


def _run(context: Any, batch_definition: Any, v: _Validation, gx_run: Any) -> list[ExpectationOutcome]:
    """Validate one suite. BASIC first: SUMMARY's extra metrics (the failing rows' index
    values) cost about a third of GX's time and matter only for a failure, so a suite with a
    failing expectation runs again with SUMMARY; its outcomes then are exactly SUMMARY's."""
    import great_expectations as gx

    suite = context.suites.add(v.suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=v.name, data=batch_definition, suite=suite)
    )

    def run(result_format: dict[str, Any]) -> Any:
        return definition.run(
            batch_parameters={"dataframe": v.frame},
            expectation_parameters=v.parameters,
            result_format=result_format,
            run_id=gx_run,
        )

    result = run({"result_format": "BASIC", "partial_unexpected_count": SAMPLE_SIZE})
    if v.values is None and not all(r.success for r in result.results):
        summary: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
        if v.index_columns:
            summary["unexpected_index_column_names"] = v.index_columns
        result = run(summary)  # same run id, suite and batch: replaces the BASIC result in the store
    return _outcomes(v.name, result, v.values)


def _validate(context: Any, batch_definition: Any, frame: MartFrames, gx_run: Any) -> list[ExpectationOutcome]:
    """Validate one mart: its rows (or profile) suite and its structure suite."""
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
            outcomes += _run(context, batch_definition, v, gx_run)
    return outcomes


def run_gate(
    build_path: Path,
    published_path: Path,
    docs_dir: Path,
    run_id: str,
    marts: Iterable[str] | None = None,
    suites_dir: Path = SUITES_DIR,
    progress: Progress | None = None,
) -> GateReport:
    """Validate the build file's marts against their suites; rebuild the Data Docs."""
    say = progress or (lambda message: None)
    started = time.monotonic()
    timings: dict[str, float] = {}
    declarations = load_suites(suites_dir)
    if marts is not None:
        wanted = set(marts)
        declarations = [d for d in declarations if d.mart in wanted]

    results: dict[str, MartResult] = {}
    tick = time.monotonic()
    frames = _read_all(build_path, published_path, declarations, results)
    timings["duckdb"] = time.monotonic() - tick

    tick = time.monotonic()
    import great_expectations  # noqa: F401  (timed apart: the import alone takes seconds)
    from great_expectations.core.run_identifier import RunIdentifier

    timings["gx import"] = time.monotonic() - tick
    tick = time.monotonic()
    if docs_dir.exists():
        shutil.rmtree(docs_dir)
    docs_dir.mkdir(parents=True)
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
    for frame in frames:
        t0 = time.monotonic()
        mart = results[frame.decl.mart]
        mart.outcomes = _validate(context, batch_definition, frame, gx_run)
        mart.status = "failed" if mart.blocking_failures else "passed"
        mart.seconds += time.monotonic() - t0
        passed, total = mart.counts(CRITICAL)
        say(f"{mart.mart}: {mart.status} ({passed}/{total} critical, {len(mart.warnings)} warning(s))")
    timings["gx validate"] = time.monotonic() - tick

    tick = time.monotonic()
    context.build_data_docs(site_names=["cxcs_gate"])
    index = docs_dir / "index.html"
    timings["data docs"] = time.monotonic() - tick
    return GateReport(
        run_id=run_id,
        build_path=str(build_path),
        results=results,
        data_docs=str(index) if index.exists() else None,
        seconds=time.monotonic() - started,
        timings=timings,
    )


def prewarm() -> None:
    """Import Great Expectations in a background thread (it takes seconds), e.g. while dbt runs."""
    import importlib
    import threading

    threading.Thread(
        target=importlib.import_module, args=("great_expectations",), daemon=True, name="gx-import"
    ).start()
