"""The quality gate: Great Expectations 1.x suites validate the build file before it is published.

Write → audit → publish. dbt writes the private build file and its tests own every row-level
rule (not null, unique, grain, accepted values, ranges, contracts); this package audits what
dbt cannot see in one build; ``orchestration.publish`` swaps the public copy in only when every
blocking check passed. Each mart has one suite file, ``gx/expectations/<mart>.json``: a GX
ExpectationSuite document whose ``meta.gate`` section says how the gate reads the mart
(``gx/README.md``):

* ``rows`` (default): the mart's used columns go to GX's pandas datasource, with the change
  of declared metrics against the previous publication (``meta.gate.changes``).
* ``profile``: account × day marts are aggregated per ``group_by`` value in DuckDB; GX
  validates that small frame.
* ``structure``: one row computed in DuckDB: row count (also against the previous
  publication, a GX suite parameter), how many periods the mart lags its inputs, accounts
  missing from ``dim_accounts``.

Modules: ``suites`` (the suite files), ``frames`` (DuckDB reads), ``gate`` (GX validation and
Data Docs), ``report`` (results and the report file). A suite whose mart is not in the build
is reported as skipped, never as passed.
"""

from orchestration.quality.gate import prewarm, run_gate, wait_for_data_docs
from orchestration.quality.report import (
    ExpectationOutcome,
    GateReport,
    MartResult,
    quality_dir,
    read_report,
    report_path,
    write_report,
)
from orchestration.quality.suites import (
    CRITICAL,
    SUITES_DIR,
    WARNING,
    SuiteDeclaration,
    build_expectation_suite,
    load_suite,
    load_suites,
)

__all__ = [
    "CRITICAL",
    "SUITES_DIR",
    "WARNING",
    "ExpectationOutcome",
    "GateReport",
    "MartResult",
    "SuiteDeclaration",
    "build_expectation_suite",
    "load_suite",
    "load_suites",
    "prewarm",
    "quality_dir",
    "read_report",
    "report_path",
    "run_gate",
    "wait_for_data_docs",
    "write_report",
]
