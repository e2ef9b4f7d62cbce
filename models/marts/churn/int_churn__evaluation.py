"""Out-of-time evaluation of the learned model and the fixed health score, per evaluation
month and pooled over all of them (orchestration/churn/metrics.py): a summary row (decile 0:
n, churners, AUC, Brier, top-decile lift) and a calibration row per decile (mean predicted
probability against the observed churn rate)."""

import pandas as pd

from orchestration.churn.metrics import evaluate


def _rows(scope, month, scorer, frame):
    summary, by_decile = evaluate(frame)
    base = {"scope": scope, "evaluation_month": month, "scorer": scorer}
    rows = [
        {
            **base,
            "decile": 0,
            **summary,
            "mean_predicted": frame["probability"].mean(),
            "observed_rate": frame["churned"].mean(),
        }
    ]
    for decile in by_decile.itertuples():
        rows.append(
            {
                **base,
                "decile": decile.decile,
                "accounts": decile.accounts,
                "churned": int(decile.churned),
                "mean_predicted": decile.mean_predicted,
                "observed_rate": decile.observed_rate,
                "observed_rate_standard_error": decile.observed_rate_standard_error,
            }
        )
    return rows


def model(dbt, session):
    dbt.config(materialized="table")
    predictions = dbt.ref("int_churn__oot_predictions").df()
    rows = []
    for (month, scorer), frame in predictions.groupby(["evaluation_month", "scorer"]):
        rows += _rows("month", month, scorer, frame)
    # Pooled: every evaluation month's accounts together (deciles over the pooled scores), the
    # sample the calibration acceptance (at least 30 accounts a decile) can be read on.
    for scorer, frame in predictions.groupby("scorer"):
        rows += _rows("all_months", None, scorer, frame)
    return pd.DataFrame(rows, columns=list(DTYPES)).astype(DTYPES)


DTYPES = {
    "scope": "string",
    "evaluation_month": "datetime64[s]",
    "scorer": "string",
    "decile": "int64",
    "accounts": "int64",
    "churned": "int64",
    "auc": "float64",
    "brier": "float64",
    "top_decile_lift": "float64",
    "mean_predicted": "float64",
    "observed_rate": "float64",
    "observed_rate_standard_error": "float64",
}
