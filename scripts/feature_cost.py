"""What a feature's dbt nodes cost in one refresh: the summed execution seconds of the nodes
whose model (or, for a test, the model it tests) is in a feature's list, against the refresh's
dbt node time and its wall time.

    .venv/bin/python scripts/feature_cost.py target/cxcs_dbt_models-<run>-<id>/run_results.json 30.4

(the second argument: the refresh's wall seconds, `[refresh] done in ...`). Removing the
feature's nodes from a build cannot save more than their summed time (dbt runs them on its
threads beside the others, so the saving is usually less): the share printed is an upper
bound of what the feature adds to the refresh. Features are the issues' model lists below.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

FEATURES = {
    # Issue #17: comments (scoring, themes, verbatims, emerging themes), key drivers, negative_theme.
    "voice of the customer (#17)": (
        "int_cx__comment_scores",
        "cx_verbatims",
        "cx_comment_themes",
        "cx_themes_monthly",
        "cx_emerging_themes",
        "int_cx__driver_observations",
        "int_cx__key_driver_weights",
        "cx_key_drivers",
        "int_cx__negative_theme_comments",
    ),
    # Issue #18: sBG retention, survival curves, model CLV, learned churn risk, churn_risk_high.
    "predictive CS (#18)": (
        "int_cs__sbg_periods",
        "int_cs__sbg_fits",
        "int_cs__sbg_derl",
        "cs_retention_model",
        "cs_retention_curves",
        "cs_survival_curves",
        "int_churn__features",
        "int_churn__model",
        "int_churn__oot_predictions",
        "int_churn__evaluation",
        "int_churn__scores",
        "cs_churn_risk",
        "cs_churn_model_evaluation",
        "cs_churn_model_coefficients",
        "int_health__churn_risk_high",
    ),
}


def node_model(unique_id: str, manifest: dict) -> str:
    """The model a node is: a model's own name, a test's (first) tested model."""
    kind, _, name = unique_id.split(".", 2)
    if kind == "model":
        return name.split(".")[-1]
    node = manifest.get("nodes", {}).get(unique_id) or manifest.get("unit_tests", {}).get(unique_id) or {}
    refs = node.get("depends_on", {}).get("nodes", [])
    models = [r.split(".")[-1] for r in refs if r.startswith("model.")]
    return models[0] if models else ""


def main(run_results: Path, wall_seconds: float) -> None:
    results = json.loads(run_results.read_text())["results"]
    manifest_path = run_results.parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    total = sum(r["execution_time"] for r in results)
    print(f"dbt nodes {len(results)}, node seconds {total:.1f}, refresh wall {wall_seconds:.1f} s")
    for feature, models in FEATURES.items():
        mine = [r for r in results if node_model(r["unique_id"], manifest) in models]
        seconds = sum(r["execution_time"] for r in mine)
        print(
            f"{feature}: {len(mine)} nodes, {seconds:.1f} s = {seconds / total:.1%} of node time, "
            f"at most {seconds / wall_seconds:.1%} of the refresh"
        )
        for r in sorted(mine, key=lambda r: -r["execution_time"])[:5]:
            print(f"    {r['execution_time']:6.2f} s  {r['unique_id']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]))
