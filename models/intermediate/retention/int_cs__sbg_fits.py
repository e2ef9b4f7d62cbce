"""sBG retention model fitted per segment and for `all` (orchestration/retention/sbg.py).

A dbt Python model (DuckDB only, DECISIONLOG "sBG retention model"): the counts come from
int_cs__retention_cohorts (SQL), only the maximum-likelihood fit runs in Python.
"""

import pandas as pd

from orchestration.retention.sbg import Cohort, fit


def _cohorts(frame: pd.DataFrame) -> list[Cohort]:
    ordered = frame.sort_values("period")
    return [Cohort(tuple(int(v) for v in group["survivors"])) for _, group in ordered.groupby("cohort_month")]


def model(dbt, session):
    dbt.config(materialized="table")
    counts = dbt.ref("int_cs__retention_cohorts").df()
    # `all`: every segment's cohorts pooled by acquisition month (survivor counts add up).
    pooled = counts.groupby(["cohort_month", "period"], as_index=False)["survivors"].sum()
    frames = [("all", pooled)] + [(s, f) for s, f in counts.groupby("segment")]
    rows = []
    for segment, frame in frames:
        result = fit(_cohorts(frame))
        rows.append({"segment": segment, **result.__dict__})
    # Explicit dtypes: a segment without a fit has None parameters, and an all-None column would
    # otherwise reach DuckDB untyped.
    return pd.DataFrame(rows).astype(DTYPES)[list(DTYPES)]


DTYPES = {
    "segment": "string",
    "alpha": "float64",
    "beta": "float64",
    "log_likelihood": "float64",
    "converged": "bool",
    "accounts": "int64",
    "cohorts": "int64",
    "periods_observed": "int64",
    "note": "string",
}
