"""Issue 17 §2: emerging themes, the comments no taxonomy theme matched, clustered and named.

* the method (orchestration/voc/emerging.py) on hand-made comments whose answer follows from its
  definition: two groups of comments sharing two words each come out as two clusters named by
  those words; three groups make k = 3 the best silhouette; the order of the input changes nothing;
* the mart cx_emerging_themes on the session's published demo, then rebuilt on a copy of its
  build file: the same clusters, names and examples both times (deterministic), and every
  clustered comment is an English comment without a taxonomy theme.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
from conftest import PublishedDemo
from dbt_build import run_dbt

from orchestration.voc.emerging import discover

# Each comment of a group uses both of the group's words and, besides stop words, one word no
# other comment uses (dropped: a term must occur in MIN_DF = 2 comments). Every comment of a
# group is then the same TF-IDF vector (dark, mode) = (1/sqrt 2, 1/sqrt 2): k-means with k = 2
# separates the groups with a cosine silhouette of exactly 1, the maximum, and each centroid's
# two terms weigh the same, so the name lists them alphabetically. "[email]" in two comments of
# different groups must not become a shared term "email" (placeholders are no theme). They are
# English for py3langid and use no phrase of seeds/cx_theme_taxonomy.csv (checked by the mart test).
DARK_MODE = {
    "r1": "The dark mode is easy on the eyes",
    "r2": "I use the dark mode every evening, my [email] inbox has one too",
    "r3": "Dark mode at night is great for me",
}
CSV_EXPORT = {
    "r4": "The CSV export works for our finance team",
    "r5": "CSV export columns are in the wrong order, mail me at [email]",
    "r6": "We run a CSV export every Monday morning",
}
SSO_LOGIN = {"r7": "sso login fails", "r8": "login with sso", "r9": "okta sso login"}


def clusters_of(comments: dict[str, str]) -> dict[str, set[str]]:
    found = discover(list(comments), list(comments.values()))
    names: dict[str, set[str]] = {}
    for a in found:
        names.setdefault(a.cluster_name, set()).add(a.response_id)
    return names


def test_two_obvious_groups_are_two_clusters_named_by_their_words() -> None:
    comments = DARK_MODE | CSV_EXPORT
    found = discover(list(comments), list(comments.values()))
    assert clusters_of(comments) == {"dark / mode": set(DARK_MODE), "csv / export": set(CSV_EXPORT)}
    assert {(a.clusters, a.silhouette) for a in found} == {(2, 1.0)}
    # Equal sizes: ids by name ("csv / export" first); equal vectors: ranks by response_id.
    assert [(a.response_id, a.cluster_id, a.representative_rank) for a in found] == [
        ("r4", 1, 1),
        ("r5", 1, 2),
        ("r6", 1, 3),
        ("r1", 2, 1),
        ("r2", 2, 2),
        ("r3", 2, 3),
    ]
    # The same comments in another order: the same clusters, ids, names and ranks.
    reordered = dict(reversed(list(comments.items())))
    assert discover(list(reordered), list(reordered.values())) == found


def test_k_is_the_best_silhouette_and_too_little_text_is_no_cluster() -> None:
    comments = DARK_MODE | CSV_EXPORT | SSO_LOGIN
    # k = 3 reaches the maximum silhouette 1 (every comment identical to its cluster's others,
    # orthogonal to the rest); k = 2 would merge two groups, whose members then sit at cosine
    # distance 1 from half their own cluster (silhouette < 1).
    assert clusters_of(comments) == {
        "dark / mode": set(DARK_MODE),
        "csv / export": set(CSV_EXPORT),
        "login / sso": set(SSO_LOGIN),
    }
    # No word shared by two comments: no vocabulary, no cluster (not an error).
    assert discover(["a", "b", "c"], ["pricing", "onboarding", "latency"]) == []
    assert discover([], []) == []


def test_emerging_themes_mart_lists_the_new_groups_deterministically(
    published_demo: PublishedDemo, tmp_path: Path
) -> None:
    database = tmp_path / "build" / "cxcs.duckdb"
    database.parent.mkdir()
    shutil.copy(published_demo.warehouse / "build" / "cxcs.duckdb", database)
    with duckdb.connect(str(database)) as conn:
        # The small demo's comments all mention a taxonomy theme: nothing to cluster.
        assert conn.execute("select count(*) from marts.cx_emerging_themes").fetchone() == (0,)
        # Six new responses (copies of one demo response) commented as above: no taxonomy
        # phrase (seeds/cx_theme_taxonomy.csv) occurs in them.
        for response_id, comment in (DARK_MODE | CSV_EXPORT).items():
            conn.execute(
                "insert into raw.survey_responses by name select ? as response_id, invitation_id, survey_id,"
                " survey_type, touchpoint, account_id, contact_id, score, ? as comment, responded_at, _batch_id,"
                " _row_number, _loaded_at from raw.survey_responses order by response_id limit 1",
                # Personal data in the raw text: the examples show it redacted (staging).
                [f"resp_{response_id}", comment.replace("[email]", "jo.doe@example.com")],
            )
    select = ("run", "--select", "stg_survey__responses", "int_cx__comment_scores", "cx_comment_themes")
    select = (*select, "cx_verbatims", "int_cx__emerging_theme_clusters", "cx_emerging_themes")
    run_dbt(database, tmp_path, *select, dbt_vars={"as_of_date": "2026-12-01"})
    first = mart_rows(database)
    # By hand (the unit test above): two clusters of three, shares 1/2, redacted examples by
    # response_id within a cluster (equal vectors), the largest-then-name order.
    assert [(r[0], r[1], r[2], r[3]) for r in first] == [
        (1, "csv / export", 3, Decimal("0.5")),
        (2, "dark / mode", 3, Decimal("0.5")),
    ]
    assert [r[7:10] for r in first] == [tuple(CSV_EXPORT.values()), tuple(DARK_MODE.values())]
    assert {(r[10], r[11]) for r in first} == {(2, Decimal("1.0000"))}

    # Built again from the same comments: the same clusters, names and examples.
    with duckdb.connect(str(database)) as conn:
        conn.execute("delete from marts.cx_emerging_themes")
    rebuild = ("run", "--select", "int_cx__emerging_theme_clusters", "cx_emerging_themes")
    run_dbt(database, tmp_path, *rebuild, dbt_vars={"as_of_date": "2026-12-01"})
    assert mart_rows(database) == first


def mart_rows(database: Path) -> list[tuple]:
    columns = (
        "cluster_id, cluster_name, comment_count, share_of_clustered, mean_sentiment_score, first_responded_at,"
        " last_responded_at, example_comment_1, example_comment_2, example_comment_3, clusters, silhouette"
    )
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(f"select {columns} from marts.cx_emerging_themes order by cluster_id").fetchall()
