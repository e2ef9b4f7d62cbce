"""Every paying account-day's churn probability from the published model (int_churn__model's
terms: nothing is refitted here) and the three features that raise it most: the largest
positive coefficient x standardised value (orchestration/churn/model.py). The days before
the as-of date are scored by the same model (the risk series the playbook alert reads), not
by the model that was in service then: that one is int_churn__oot_predictions.
"""

import numpy as np
import pandas as pd

from orchestration.churn.model import Fitted

TOP_DRIVERS = 3


def _fitted(terms: pd.DataFrame) -> Fitted:
    features = terms[terms["term"] != "intercept"]
    first = terms.iloc[0]
    return Fitted(
        features=tuple(features["term"]),
        means=features["mean"].to_numpy(dtype=float),
        scales=features["scale"].to_numpy(dtype=float),
        coefficients=features["coefficient"].to_numpy(dtype=float),
        intercept=float(terms.loc[terms["term"] == "intercept", "coefficient"].iloc[0]),
        platt_slope=float(first["platt_slope"]),
        platt_intercept=float(first["platt_intercept"]),
        fit_rows=int(first["fit_rows"]),
        calibration_rows=int(first["calibration_rows"]),
        trained_through=pd.Timestamp(first["trained_through"]).date(),
    )


def model(dbt, session):
    dbt.config(materialized="table")
    frame = dbt.ref("int_churn__features").df()
    terms = dbt.ref("int_churn__model").df()
    columns = ["account_id", "observed_on", "churn_probability_90d", "model_version"]
    columns += [f"driver_{i}" for i in range(1, TOP_DRIVERS + 1)]
    columns += [f"driver_{i}_contribution" for i in range(1, TOP_DRIVERS + 1)]
    fitted_terms = terms[terms["coefficient"].notna()]
    if fitted_terms.empty or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    fitted = _fitted(fitted_terms)
    today = frame.sort_values(["observed_on", "account_id"])
    contributions = fitted.contributions(today)
    # Features ranked by contribution, largest first; a driver must raise the risk (> 0).
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :TOP_DRIVERS]
    result = pd.DataFrame(
        {
            "account_id": today["account_id"].to_numpy(),
            "observed_on": today["observed_on"].to_numpy(),
            "churn_probability_90d": fitted.probability(today),
            "model_version": terms["model_version"].iloc[0],
        }
    )
    names = np.array(fitted.features)
    for rank in range(TOP_DRIVERS):
        value = np.take_along_axis(contributions, order[:, rank : rank + 1], axis=1)[:, 0]
        result[f"driver_{rank + 1}"] = np.where(value > 0, names[order[:, rank]], None)
        result[f"driver_{rank + 1}_contribution"] = np.where(value > 0, value, np.nan)
    return result[columns]
