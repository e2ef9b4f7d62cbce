"""The churn model in service: fitted at the latest observation day (the as-of date) on every
label whose window has ended, published term by term (orchestration/churn/model.py).

Refit only when its inputs changed: the fingerprint hashes the eligible training rows, the
feature set and the settings; when the table already holds a model of the same fingerprint
its rows are returned unchanged (same coefficients, same version), so a rebuild on unchanged
history does not refit. DECISIONLOG "Learned churn risk".
"""

import pandas as pd

from orchestration.churn.model import FEATURES, MODEL_NAME, fingerprint, fit


def _previous(session, relation):
    """The model this table holds, or None on the first build (the table does not exist)."""
    try:
        return session.sql(f"select * from {relation}").df()
    except Exception:  # noqa: BLE001 - duckdb raises CatalogException when the table is absent
        return None


def model(dbt, session):
    dbt.config(materialized="table")
    frame = dbt.ref("int_churn__features").df()
    # The as-of date's rows are the latest observation day (no clock read in Python).
    cutoff = pd.Timestamp(frame["observed_on"].max()).date() if len(frame) else None
    current = fingerprint(frame, cutoff)
    previous = _previous(session, dbt.this)
    if previous is not None and len(previous) and (previous["fingerprint"] == current).all():
        # The same training rows, features and settings: the stored model is the one a fit at
        # this cutoff gives, so it is kept, dated to this cutoff (a build reproduces the rows).
        return previous.assign(cutoff=pd.Timestamp(cutoff) if cutoff else pd.NaT).astype(DTYPES)[list(DTYPES)]
    fitted = fit(frame, cutoff)
    version = f"{MODEL_NAME}-{current[:12]}"
    base = {"model_version": version, "fingerprint": current, "cutoff": cutoff}
    if fitted is None:
        # Too little labelled history (or an empty warehouse): one row saying so, no terms.
        note = {**base, "term": "(no model)", "note": "too little labelled history to fit"}
        return pd.DataFrame([note]).reindex(columns=list(DTYPES)).astype(DTYPES)
    shared = {
        **base,
        "platt_slope": fitted.platt_slope,
        "platt_intercept": fitted.platt_intercept,
        "fit_rows": fitted.fit_rows,
        "calibration_rows": fitted.calibration_rows,
        "trained_through": fitted.trained_through,
        "note": None,
    }
    rows = [{**shared, "term": "intercept", "coefficient": fitted.intercept}]
    for feature, mean, scale, coefficient in zip(
        FEATURES, fitted.means, fitted.scales, fitted.coefficients, strict=True
    ):
        rows.append({**shared, "term": feature, "mean": mean, "scale": scale, "coefficient": coefficient})
    return pd.DataFrame(rows).astype(DTYPES)[list(DTYPES)]


DTYPES = {
    "model_version": "string",
    "fingerprint": "string",
    "cutoff": "datetime64[s]",
    "trained_through": "datetime64[s]",
    "term": "string",
    "mean": "float64",
    "scale": "float64",
    "coefficient": "float64",
    "platt_slope": "float64",
    "platt_intercept": "float64",
    "fit_rows": "Int64",
    "calibration_rows": "Int64",
    "note": "string",
}
