"""Learned churn risk (issue #18 section 4): logistic regression on the warehouse's own history,
validated out of time (orchestration/churn/model.py, orchestration/churn/metrics.py)."""
