"""Language, sentiment and seed themes of every survey comment, scored once per method version.

Python because the methods are Python libraries that run offline (their lexicon and model ship
in the package): py3langid for the language, vaderSentiment for the sentiment (an English
lexicon: other languages are `unscored`, not guessed). The themes are the CX team's taxonomy
(seed cx_theme_taxonomy): a comment mentions a theme when one of its example phrases starts a
word of the comment. It reads the comment after redaction (stg_survey__responses), so no
personal data reaches this model.

Incremental (issue 17 §2): a refresh scores only comments it has not scored with the current
method version (new responses, or a re-exported response whose comment changed); when the
method or the taxonomy changes, the version changes and every comment is scored again, which
the model says in the dbt log. DuckDB only (dbt_project.yml: dbt-postgres and dbt-spark run
no Python models; DECISIONLOG "Comment scoring runs as a dbt Python model on DuckDB").
"""

import hashlib
import re
from datetime import UTC, datetime

# Bump when the code below changes what it computes (the taxonomy is hashed in by itself).
METHOD = "py3langid-0.4.0|vaderSentiment-3.3.2|thresholds-0.05|phrase-prefix-v1"
# VADER's own thresholds for a positive or negative compound score (Hutto & Gilbert 2014, README).
THRESHOLD = 0.05


def method_version(taxonomy):
    rows = sorted(zip(taxonomy["theme"], taxonomy["example_phrases"], strict=True))
    digest = hashlib.sha256(repr((METHOD, rows)).encode()).hexdigest()
    return digest[:16]


def theme_matchers(taxonomy):
    """Theme -> one regex of its phrases, each anchored at the start of a word."""
    matchers = {}
    for theme, phrases in zip(taxonomy["theme"], taxonomy["example_phrases"], strict=True):
        words = [re.escape(p.strip().lower()) for p in phrases.split(";") if p.strip()]
        matchers[theme] = re.compile(r"(?<![a-z0-9])(?:" + "|".join(words) + ")")
    return matchers


def sentiment_label(compound):
    if compound >= THRESHOLD:
        return "positive"
    if compound <= -THRESHOLD:
        return "negative"
    return "neutral"


def score(comments, matchers, version):
    import pandas as pd
    import py3langid
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    # When this build scored the rows: audit of "scored once per method version" (not a score).
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for response_id, text, digest in zip(
        comments["response_id"], comments["comment"], comments["comment_sha"], strict=True
    ):
        language = py3langid.classify(text)[0]
        lowered = text.lower()
        themes = sorted(t for t, m in matchers.items() if m.search(lowered)) if language == "en" else []
        compound = analyzer.polarity_scores(text)["compound"] if language == "en" else None
        rows.append(
            {
                "response_id": response_id,
                "comment_sha": digest,
                "language": language,
                "sentiment_score": compound,
                "sentiment_label": "unscored" if compound is None else sentiment_label(compound),
                # '|'-delimited with both ends closed, so SQL finds a theme with a portable LIKE
                "themes": "|" + "|".join(themes) + "|" if themes else None,
                "method_version": version,
                "scored_at": scored_at,
            }
        )
    columns = [
        "response_id",
        "comment_sha",
        "language",
        "sentiment_score",
        "sentiment_label",
        "themes",
        "method_version",
        "scored_at",
    ]
    return pd.DataFrame(rows, columns=columns).astype({"sentiment_score": "float64"})


# The table's types, stated: pandas cannot type the columns of an empty frame (a refresh
# without new comments), and DuckDB would then infer INTEGER for them.
TYPES = (
    "cast(response_id as varchar) as response_id, cast(comment_sha as varchar) as comment_sha,"
    " cast(language as varchar) as language, cast(sentiment_score as double) as sentiment_score,"
    " cast(sentiment_label as varchar) as sentiment_label, cast(themes as varchar) as themes,"
    " cast(method_version as varchar) as method_version, cast(scored_at as timestamp) as scored_at"
)


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="response_id", incremental_strategy="delete+insert")
    frame = new_scores(dbt, session)
    return session.from_df(frame).project(TYPES)


def new_scores(dbt, session):
    """The rows this build (re-)scores: new or changed comments, or all on a new method version."""
    taxonomy = dbt.ref("cx_theme_taxonomy").df()
    version = method_version(taxonomy)
    comments = (
        dbt.ref("stg_survey__responses")
        .filter("comment is not null")
        .project("response_id, comment, sha256(comment) as comment_sha")
    )
    if dbt.is_incremental:
        scored = session.sql(f"select response_id, comment_sha, method_version from {dbt.this}").df()
        stale = set(scored["method_version"]) - {version}
        if stale:
            print(
                f"int_cx__comment_scores: method version {version} replaces {sorted(stale)}: re-scoring every comment"
            )
        else:
            done = set(zip(scored["response_id"], scored["comment_sha"], strict=True))
            todo = comments.df()
            # A boolean mask, never a plain list: indexing with an empty list (no comments at all
            # yet) would select no COLUMNS, not no rows.
            keep = todo.apply(lambda row: (row["response_id"], row["comment_sha"]) not in done, axis=1).astype(bool)
            print(f"int_cx__comment_scores: {int(keep.sum())} new or changed comments to score (version {version})")
            return score(todo[keep], theme_matchers(taxonomy), version)
    return score(comments.df(), theme_matchers(taxonomy), version)
