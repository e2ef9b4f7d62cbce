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
# different groups must not become a shared term "email" (placeholders are no theme).
DARK_MODE = {
    "r1": "Dark mode please",
    "r2": "I need DARK MODE, my [email] inbox has it",
    "r3": "dark mode at night",
}
CSV_EXPORT = {
    "r4": "export to csv",
    "r5": "The CSV export is broken, mail me at [email]",
    "r6": "csv export file",
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


def mart_rows(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return conn.execute(
            "select * exclude (as_of_date) from marts.cx_emerging_themes order by cluster_id"
        ).fetchall()


def test_emerging_themes_mart_is_deterministic(published_demo: PublishedDemo, tmp_path: Path) -> None:
    published = published_demo.warehouse / "build" / "cxcs.duckdb"
    first = mart_rows(published)
    assert len(first) >= 2  # the small demo has unmatched English comments that share words
    with duckdb.connect(str(published), read_only=True) as conn:
        # Every clustered comment is English and matched no taxonomy theme.
        assert conn.execute(
            "select count(*) from intermediate.int_cx__emerging_theme_clusters c"
            " join intermediate.int_cx__comment_scores s using (response_id)"
            " where s.language <> 'en' or s.themes is not null"
        ).fetchone() == (0,)
        # The examples are the cluster's three best-ranked comments, as cx_verbatims shows them.
        assert conn.execute(
            "select count(*) from marts.cx_emerging_themes e"
            " join intermediate.int_cx__emerging_theme_clusters c"
            "   on c.cluster_id = e.cluster_id and c.representative_rank = 1"
            " join marts.cx_verbatims v on v.response_id = c.response_id"
            " where v.comment = e.example_comment_1"
        ).fetchone() == (len(first),)
        sizes = conn.execute(
            "select sum(comment_count), (select count(*) from intermediate.int_cx__emerging_theme_clusters)"
            " from marts.cx_emerging_themes"
        ).fetchone()
        assert sizes[0] == sizes[1]

    database = tmp_path / "build" / "cxcs.duckdb"
    database.parent.mkdir()
    shutil.copy(published, database)
    select = ("run", "--select", "int_cx__emerging_theme_clusters", "cx_emerging_themes")
    with duckdb.connect(str(database)) as conn:
        conn.execute("delete from marts.cx_emerging_themes")  # so the rebuild must make every row
    run_dbt(database, tmp_path, *select, dbt_vars={"as_of_date": "2026-12-01"})
    assert mart_rows(database) == first
