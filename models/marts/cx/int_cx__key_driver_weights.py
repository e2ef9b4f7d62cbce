"""Johnson's relative weights of the candidate drivers of NPS and of 90-day logo churn, with
bootstrap intervals (orchestration/drivers/relative_weights.py).

A dbt Python model on DuckDB like the comment scoring (DECISIONLOG "Key drivers"): the
observations come from the SQL model int_cx__driver_observations, only the eigen-decomposition
and the bootstrap run here; cx_key_drivers (SQL, enforced contract) ranks and flags them.
The bootstrap uses a fixed seed, so a rebuild on the same data gives the same intervals.
"""

import pandas as pd

from orchestration.drivers.relative_weights import bootstrap, relative_weights

# Resamples of the percentile intervals (rwa's default; Tonidandel et al. 2009 used 10,000 on
# far smaller samples) and the seed of numpy's generator.
RESAMPLES = 1000
SEED = 17
# Fewer observations than this leave an outcome without weights (no rows): a 95% interval
# over 15 drivers needs some hundred observations to say anything.
MIN_OBSERVATIONS = 100


def outcome_weights(outcome: str, frame: pd.DataFrame) -> list[dict]:
    wide = frame.pivot(index="observation_id", columns="driver", values="driver_value").sort_index()
    target = frame.drop_duplicates("observation_id").set_index("observation_id")["outcome_value"]
    target = target.loc[wide.index]
    if len(wide) < MIN_OBSERVATIONS:
        print(f"int_cx__key_driver_weights: {outcome} has {len(wide)} observations: no weights")
        return []
    groups = frame.drop_duplicates("driver").set_index("driver")["driver_group"]
    point = relative_weights(wide, target)
    spread = bootstrap(wide, target, RESAMPLES, SEED)
    return [
        {
            "outcome": outcome,
            "driver": driver,
            "driver_group": groups[driver],
            "observations": len(wide),
            "observations_with_driver": int(wide[driver].notna().sum()),
            "r_squared": point.r_squared,
            "raw_weight": point.raw[i],
            "direction": int(point.signs[i]),
            "ci_low": spread.ci_low[i],
            "ci_high": spread.ci_high[i],
            "vs_random_ci_low": spread.vs_random_low[i],
            "vs_random_ci_high": spread.vs_random_high[i],
            "bootstrap_resamples": RESAMPLES,
            "bootstrap_seed": SEED,
        }
        for i, driver in enumerate(wide.columns)
    ]


def model(dbt, session):
    dbt.config(materialized="table")
    observations = dbt.ref("int_cx__driver_observations").df()
    rows = []
    for outcome, frame in sorted(observations.groupby("outcome"), key=lambda pair: pair[0]):
        rows += outcome_weights(outcome, frame)
    return pd.DataFrame(rows, columns=list(DTYPES)).astype(DTYPES)


# Stated types: a build with no outcome over MIN_OBSERVATIONS returns an empty frame.
DTYPES = {
    "outcome": "string",
    "driver": "string",
    "driver_group": "string",
    "observations": "int64",
    "observations_with_driver": "int64",
    "r_squared": "float64",
    "raw_weight": "float64",
    "direction": "int64",
    "ci_low": "float64",
    "ci_high": "float64",
    "vs_random_ci_low": "float64",
    "vs_random_ci_high": "float64",
    "bootstrap_resamples": "int64",
    "bootstrap_seed": "int64",
}
