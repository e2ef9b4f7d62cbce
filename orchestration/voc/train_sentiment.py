"""Train the comment sentiment weights (orchestration/voc/sentiment_weights.npy) from the sdist.

    python -m orchestration.voc.train_sentiment path/to/vaderSentiment-3.3.2.tar.gz   (or: make sentiment-weights)

Training data: three of Hutto & Gilbert's ICWSM-14 human-rated sets inside the PyPI sdist of
vaderSentiment 3.3.2 (MIT licence; `additional_resources/hutto_ICWSM_2014.tar.gz`): movie review
snippets (Pang & Lee 2004 reviews), tweet-like texts and New York Times editorial snippets,
each sentence rated -4 .. +4 by at least 20 people. NOT the Amazon review snippets: they are the
held-out test set of tests_py/test_sentiment_accuracy.py and never seen here. The label rule is
the test's: positive when the mean rating is >= +1, negative when <= -1, the rest (mixed or
neutral to the raters) left out.

Deterministic: the sdist is checked against its sha256, the data are read in file order, the
solver (liblinear, primal) is seeded, and the weights are written as a plain .npy (no time
stamp), so the same sdist gives the same file byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np

from orchestration.voc.sentiment import N_WEIGHTS, WEIGHTS, featurise, vader_scores

SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
CORPORA = (
    "movieReviewSnippets_GroundTruth.txt",
    "tweets_GroundTruth.txt",
    "nytEditorialSnippets_GroundTruth.txt",
)
# |mean rating| at least this: the polarity most raters agree on (the test set's rule).
MIN_ABS_RATING = 1.0
# scikit-learn's default regularisation, not tuned on the test set (DECISIONLOG).
C = 1.0


def labelled_sentences(sdist: Path) -> tuple[list[str], np.ndarray]:
    """The training sentences and their labels (1 = positive), in file order."""
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise SystemExit(f"{sdist}: sha256 {digest}, expected {SDIST_SHA256} (vaderSentiment-3.3.2.tar.gz)")
    with tarfile.open(sdist) as outer:
        inner_bytes = outer.extractfile(INNER).read()
    texts, labels = [], []
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        for name in CORPORA:
            raw = inner.extractfile(f"hutto_ICWSM_2014/{name}").read().decode("utf-8")
            for row in csv.reader(io.StringIO(raw), delimiter="\t", quoting=csv.QUOTE_NONE):
                rating = float(row[1])
                if abs(rating) >= MIN_ABS_RATING:
                    texts.append(row[2])
                    labels.append(1 if rating > 0 else 0)
    return texts, np.array(labels)


def train(texts: list[str], labels: np.ndarray) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    features = featurise(texts, vader_scores(texts))
    model = LogisticRegression(C=C, solver="liblinear", random_state=0).fit(features, labels)
    weights = np.concatenate([model.coef_[0], model.intercept_]).astype(np.float32)
    assert weights.shape == (N_WEIGHTS,)
    return weights


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdist", type=Path, help="vaderSentiment-3.3.2.tar.gz (pip download --no-binary :all:)")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    texts, labels = labelled_sentences(args.sdist)
    weights = train(texts, labels)
    np.save(args.out, weights)
    print(f"{args.out}: {len(texts)} sentences ({int(labels.sum())} positive), {weights.size} weights")


if __name__ == "__main__":
    main()
