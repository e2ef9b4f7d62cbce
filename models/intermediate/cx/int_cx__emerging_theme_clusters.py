"""The English comments no taxonomy theme matched, clustered into candidate themes (issue 17 §2).

The method is orchestration/voc/emerging.py (TF-IDF + k-means with a fixed seed, k by
silhouette, each cluster named by its top terms). A dbt Python model on DuckDB only, like
int_cx__comment_scores it reads: the comments are the redacted ones of stg_survey__responses.
English only: the theme phrases, the stop words and VADER are English, and a non-English
comment is matched to no theme by construction (it would be a "cluster" of its language).
A table, rebuilt each build: the clusters are a property of all unmatched comments together.
"""

import pandas as pd

from orchestration.voc.emerging import discover

DTYPES = {
    "response_id": "string",
    "cluster_id": "int64",
    "cluster_name": "string",
    "representative_rank": "int64",
    "clusters": "int64",
    "silhouette": "float64",
}


def model(dbt, session):
    dbt.config(materialized="table")
    unmatched = (
        dbt.ref("int_cx__comment_scores")
        .filter("language = 'en' and themes is null")
        .project("response_id")
        .join(dbt.ref("stg_survey__responses").project("response_id, comment"), "response_id")
        .df()
    )
    found = discover(list(unmatched["response_id"]), list(unmatched["comment"]))
    # Stated dtypes: with no cluster the frame is empty and DuckDB would otherwise type it INTEGER.
    return pd.DataFrame([a.__dict__ for a in found], columns=list(DTYPES)).astype(DTYPES)
