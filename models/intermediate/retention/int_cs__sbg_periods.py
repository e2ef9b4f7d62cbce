"""Per fitted segment and month of tenure t (0 .. the longest observed tenure + 24): the sBG
survival S(t) and the discounted expected residual lifetime (months) of an account alive at
the end of month t, DERL (Fader & Hardie 2010; orchestration/retention/sbg.py).

The monthly discount rate is (1 + var clv_annual_discount_rate) ** (1/12) - 1, handed to
this Python model as its config (dbt Python models cannot call var()).
"""

import numpy as np
import pandas as pd

from orchestration.retention.sbg import derl, survival

# How far beyond the longest observed tenure the projection reaches (issue #18: 24 months).
HORIZON_MONTHS = 24


def model(dbt, session):
    dbt.config(materialized="table")
    annual = float(dbt.config.get("annual_discount_rate"))
    monthly = (1.0 + annual) ** (1.0 / 12.0) - 1.0
    fits = dbt.ref("int_cs__sbg_fits").df()
    observed = dbt.ref("int_cs__retention_cohorts").df()["period"]
    last_period = int(observed.max()) if len(observed) else 0
    periods = np.arange(last_period + HORIZON_MONTHS + 1)
    frames = []
    for row in fits.dropna(subset=["alpha", "beta"]).itertuples():
        frames.append(
            pd.DataFrame(
                {
                    "segment": row.segment,
                    "period": periods,
                    "projected_survival": survival(row.alpha, row.beta, periods),
                    "derl_months": derl(row.alpha, row.beta, periods, monthly),
                    "monthly_discount_rate": monthly,
                }
            )
        )
    # Typed also when no segment is fitted (an empty frame would reach DuckDB untyped).
    dtypes = {
        "segment": "string",
        "period": "int64",
        "projected_survival": "float64",
        "derl_months": "float64",
        "monthly_discount_rate": "float64",
    }
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(dtypes))
    return frame.astype(dtypes)
