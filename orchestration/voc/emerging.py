"""Emerging themes: clusters of the comments no taxonomy theme matched (issue 17 §2).

TF-IDF over the redacted comments (English stop words, placeholders such as `[email]` removed,
a term counts only when at least MIN_DF comments use it), then k-means with a fixed seed for
every k from 2 to K_MAX (at most the number of distinct comment vectors - 1) and the k of the
highest mean silhouette (cosine), the smallest k on a tie. A cluster is named by its TOP_TERMS
heaviest centroid terms; its comments are ranked by cosine similarity to the centroid, so the
first are the most representative. Same input (in any order) -> same clusters, ids and names.

scikit-learn is imported inside `discover` (about 2 s here, DECISIONLOG "Emerging themes"): only
a build that clusters pays it, not every import of the orchestration package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A term must occur in this many comments: a word one customer used names no theme.
MIN_DF = 2
# Cap on clusters: a person reads each one; more than this is no longer a short list.
K_MAX = 8
TOP_TERMS = 3
# The k-means seed and restarts (deterministic: the same input gives the same clusters).
RANDOM_STATE = 0
N_INIT = 10
# What staging's redaction writes in place of personal data (macros/cx/redact_comment.sql):
# no theme, so not a term.
PLACEHOLDER = re.compile(r"\[(?:url|email|phone|card|iban)\]")


@dataclass(frozen=True)
class Assignment:
    response_id: str
    cluster_id: int  # 1 = the largest cluster (ties by name)
    cluster_name: str  # its top terms, " / "-joined
    representative_rank: int  # 1 = the comment closest to the cluster's centroid
    clusters: int  # k chosen for this build
    silhouette: float


def discover(response_ids: list[str], comments: list[str]) -> list[Assignment]:
    """Cluster the comments; comments without a term of the vocabulary are left out."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    order = sorted(range(len(response_ids)), key=lambda i: response_ids[i])
    ids = [response_ids[i] for i in order]
    texts = [PLACEHOLDER.sub(" ", comments[i].lower()) for i in order]
    if len(texts) < MIN_DF:
        return []
    vectorizer = TfidfVectorizer(stop_words="english", min_df=MIN_DF)
    try:
        matrix = vectorizer.fit_transform(texts).toarray()
    except ValueError:  # no term in MIN_DF comments: nothing to cluster
        return []
    keep = np.flatnonzero(matrix.any(axis=1))
    vectors, ids = matrix[keep], [ids[i] for i in keep]
    labels, k, silhouette = best_clustering(vectors)
    if labels is None:
        return []
    return assignments(ids, vectors, labels, k, silhouette, vectorizer.get_feature_names_out())


def best_clustering(vectors):
    """Labels, k and silhouette of the best k in 2..K_MAX, or (None, 0, nan) when none fits."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    # k-means cannot find more clusters than distinct points; silhouette needs k <= n - 1.
    distinct = len(np.unique(vectors, axis=0))
    best = (None, 0, float("nan"))
    for k in range(2, min(K_MAX, distinct, len(vectors) - 1) + 1):
        labels = KMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=N_INIT).fit_predict(vectors)
        # Rounded: a difference in the last bits of a float must not pick another k.
        score = round(float(silhouette_score(vectors, labels, metric="cosine")), 9)
        if best[0] is None or score > best[2]:
            best = (labels, k, score)
    return best


def assignments(ids, vectors, labels, k, silhouette, terms) -> list[Assignment]:
    import numpy as np

    groups = []
    for label in range(k):
        members = np.flatnonzero(labels == label)
        centroid = vectors[members].mean(axis=0)
        # Heaviest terms first, alphabetical on a tie; only terms the cluster uses.
        top = sorted((i for i in np.flatnonzero(centroid)), key=lambda i: (-centroid[i], terms[i]))[:TOP_TERMS]
        name = " / ".join(terms[i] for i in top)
        norm = np.linalg.norm(centroid)
        similarity = vectors[members] @ centroid / norm  # rows are unit vectors (TF-IDF l2)
        ranked = sorted(zip(members, similarity, strict=True), key=lambda m: (-round(m[1], 9), ids[m[0]]))
        groups.append((name, [ids[m] for m, _ in ranked]))
    # Stable ids: the largest cluster first, then by name (k-means' own label numbers are arbitrary).
    groups.sort(key=lambda g: (-len(g[1]), g[0]))
    return [
        Assignment(response_id, cluster_id, name, rank, k, silhouette)
        for cluster_id, (name, members) in enumerate(groups, start=1)
        for rank, response_id in enumerate(members, start=1)
    ]
