"""Out-of-time predictions: for every evaluation month start m, the learned model and the
fixed health score (Platt-calibrated the same way, so both give probabilities) are fitted
at cutoff m (labels whose 90-day window ended by m only, orchestration/churn/model.py) and
score the accounts paying on m. The window expands month by month; m's own outcomes are never
seen by the models that predict them. DECISIONLOG "Learned churn risk".
"""

import pandas as pd

from orchestration.churn.model import evaluation_cutoffs, fit

SCORERS = {"learned": None, "health_score": ("health_score",)}


def model(dbt, session):
    dbt.config(materialized="table")
    frame = dbt.ref("int_churn__features").df()
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    as_of = frame["observed_on"].max().date()
    parts = []
    for cutoff in evaluation_cutoffs(frame, as_of):
        scored = frame[(frame["observed_on"] == pd.Timestamp(cutoff)) & frame["churned_90d"].notna()]
        for scorer, features in SCORERS.items():
            fitted = fit(frame, cutoff) if features is None else fit(frame, cutoff, features)
            if fitted is None or scored.empty:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "evaluation_month": scored["observed_on"].to_numpy(),
                        "scorer": scorer,
                        "account_id": scored["account_id"].to_numpy(),
                        "probability": fitted.probability(scored),
                        "churned": scored["churned_90d"].astype(bool).to_numpy(),
                        "trained_through": pd.Timestamp(fitted.trained_through),
                        "fit_rows": fitted.fit_rows,
                    }
                )
            )
    columns = {
        "evaluation_month": "datetime64[s]",
        "scorer": "string",
        "account_id": "string",
        "probability": "float64",
        "churned": "bool",
        "trained_through": "datetime64[s]",
        "fit_rows": "int64",
    }
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    return pd.concat(parts, ignore_index=True).astype(columns)
