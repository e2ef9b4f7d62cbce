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
    columns = ["segment", "alpha", "beta", "log_likelihood", "converged", "accounts", "cohorts"]
    return pd.DataFrame(rows, columns=[*columns, "periods_observed", "note"])
