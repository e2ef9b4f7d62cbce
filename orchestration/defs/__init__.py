"""The Dagster definitions, one module per concern; ``orchestration.definitions`` merges them.

raw (loaders) → dbt (models, tests as checks) → quality (GX gate checks) → publish →
scorecard; automation holds the job, the schedule and the sensor; resources what the
assets share (the dbt project and CLI).
"""
