"""Retention models the dbt Python models call (models/intermediate/cs/int_cs__sbg_*.py).

Plain numpy/scipy functions on small aggregated inputs (cohort x period counts), so they are
unit-tested without dbt and the dbt models stay thin (DECISIONLOG "sBG retention model").
"""
