"""Comment sentiment: VADER's scores and the comment's words in one logistic model (issue 17 §2).

VADER alone leaves a fifth of real review sentences at compound 0 (none of its lexicon's words:
"the zoom broke after a week") and so says nothing about them. The model here reads, side by
side, VADER's four scores (neg, neu, pos, compound) and the comment's words and characters:
word 1-2-grams and character 2-5-grams (within words, so "unreliable" shares "reliab" with
"reliability"), each hashed into N_FEATURES buckets (no vocabulary to ship), counted with
sublinear tf (1 + log n) and scaled to unit length. Its weights are trained by
`python -m orchestration.voc.train_sentiment` (`make sentiment-weights`) on labelled sentences
of OTHER corpora than the test set (DECISIONLOG "Sentiment: VADER plus a linear model") and
shipped as WEIGHTS; nothing is downloaded or trained at run time.

score = 2 * P(positive) - 1, in [-1, 1]. scikit-learn is imported inside `featurise` (seconds
to import): only a build that scores comments pays it.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

WEIGHTS = Path(__file__).with_name("sentiment_weights.npy")
# Buckets per feature family; 2**15 keeps the weights file at 256 KB (2**14 and 2**16 measured
# within 0.01 accuracy of it, DECISIONLOG).
N_FEATURES = 2**15
# Words, plus "!" and "?" as tokens of their own (emphasis carries sentiment).
TOKEN_PATTERN = r"(?u)\b\w+\b|[!?]"
VADER_KEYS = ("neg", "neu", "pos", "compound")
# Layout of WEIGHTS: word buckets, character buckets, the four VADER scores, the intercept.
N_WEIGHTS = 2 * N_FEATURES + len(VADER_KEYS) + 1


def weights_digest(path: Path = WEIGHTS) -> str:
    """sha256 of the shipped weights: part of the scoring method's version."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_weights(path: Path = WEIGHTS) -> np.ndarray:
    weights = np.load(path)
    if weights.shape != (N_WEIGHTS,):
        raise ValueError(f"{path}: expected {N_WEIGHTS} weights, found shape {weights.shape}")
    return weights.astype(np.float64)


def vader_scores(texts, analyzer=None) -> np.ndarray:
    """VADER's neg, neu, pos and compound of each text (rows in input order)."""
    if analyzer is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        analyzer = SentimentIntensityAnalyzer()
    scores = [analyzer.polarity_scores(text) for text in texts]
    return np.array([[s[k] for k in VADER_KEYS] for s in scores], dtype=np.float64).reshape(len(scores), 4)


def featurise(texts, vader: np.ndarray):
    """The model's input rows: hashed words, hashed characters, VADER's scores (sparse)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.preprocessing import normalize

    families = [
        HashingVectorizer(
            n_features=N_FEATURES, ngram_range=(1, 2), token_pattern=TOKEN_PATTERN, alternate_sign=False, norm=None
        ),
        HashingVectorizer(
            n_features=N_FEATURES, analyzer="char_wb", ngram_range=(2, 5), alternate_sign=False, norm=None
        ),
    ]
    blocks = []
    for vectorizer in families:
        counts = vectorizer.transform(texts).astype(np.float64)
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf: the fifth "great" adds little
        blocks.append(normalize(counts))
    blocks.append(sp.csr_matrix(vader))
    return sp.hstack(blocks, format="csr")


def sentiment_scores(texts, weights: np.ndarray, analyzer=None) -> np.ndarray:
    """2 * P(positive) - 1 for each text, from the logistic model with these weights."""
    texts = list(texts)
    if not texts:
        return np.empty(0)
    features = featurise(texts, vader_scores(texts, analyzer))
    logit = features @ weights[:-1] + weights[-1]
    return 2.0 / (1.0 + np.exp(-logit)) - 1.0


# The languages the detector may answer (langid.py's `set_languages`, which its authors advise
# when the candidates are known): the EU's 24 official languages and the other large languages
# of business customers. Among all of py3langid's 97, a short English comment ("wow!", "audio is
# excellent.") is often read as Latin, Pidgin or Sotho and left unscored (DECISIONLOG).
LANGUAGES = (
    # EU official languages
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it", "lt", "lv",
    "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
    # other large languages of customers
    "ar", "he", "hi", "id", "ja", "ko", "no", "ru", "th", "tr", "uk", "vi", "zh",
)  # fmt: skip


@functools.cache
def language_identifier():
    """py3langid's own model, restricted to LANGUAGES: its own instance (py3langid's module-level
    one is shared), loaded once per process (seconds: the model is xz-compressed)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier
