"""Issue 17 (voice of the customer), sections 1-2: comments redacted, scored once per method version.

* the published file's comment columns hold no personal data of any kind staging redacts,
  although the demo's raw comments carry some (the guard test, extended to comments), and a
  new comment holding every kind reaches cx_verbatims redacted;
* int_cx__comment_scores scores a comment once: a build without new comments scores nothing,
  a new comment is scored alone, a taxonomy change re-scores every comment.

The redaction formats themselves are a dbt unit test (models/staging/survey/_survey__models.yml
``test_stg_survey__responses_comment_redaction``). Every test starts from the session's
published demo (tests_py/conftest.py); the incremental test works on a copy of its build file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
from conftest import PublishedDemo
from dbt_build import run_dbt

# Written independently of macros/cx/redact_comment.sql (Python regexes, word boundaries and
# look-arounds the portable SQL patterns cannot use), so a gap in one is not hidden by the other.
PERSONAL = {
    "email": re.compile(r"[\w.+%-]+@[\w-]+(\.[\w-]+)+"),
    "phone": re.compile(
        r"\+\d[\d ().-]{6,}\d|(?<!\d)\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\d)|(?<!\d)0\d{2,4} \d{3,4} \d{3,4}"
    ),
    "card": re.compile(r"(?<!\d)\d{4}([ -]?\d{4}){3}(?!\d)"),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}( ?[A-Z0-9]{4}){3,7}"),
    "url": re.compile(r"(https?|ftp)://|www\.", re.IGNORECASE),
}


def personal_data(text: str) -> list[str]:
    return [kind for kind, pattern in PERSONAL.items() if pattern.search(text)]


def comment_columns(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    return conn.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and data_type = 'VARCHAR'"
        # Text columns only (cx_themes_monthly.comments is a count); quotes are comments too.
        " and (column_name like '%comment%' or column_name like '%quote%') order by all"
    ).fetchall()


def test_published_comments_hold_no_personal_data(published_demo: PublishedDemo) -> None:
    build = published_demo.warehouse / "build" / "cxcs.duckdb"
    with duckdb.connect(str(build), read_only=True) as conn:
        raw = [c for (c,) in conn.execute("select comment from raw.survey_responses where comment <> ''").fetchall()]
    # The demo plants personal data in raw comments (orchestration/demo_data/vocab.py
    # COMMENTS_PII); this small demo keeps these kinds (the bad-input cases rewrite the others'
    # rows). Every kind and format: the dbt unit test, and the new comment of the next test.
    assert {kind for text in raw for kind in personal_data(text)} >= {"email", "phone", "url"}

    with duckdb.connect(str(published_demo.warehouse / "cxcs.duckdb"), read_only=True) as conn:
        columns = comment_columns(conn)
        assert ("marts", "cx_verbatims", "comment") in columns
        assert ("marts", "cx_themes_monthly", "example_quote_1") in columns
        leaks = []
        for schema, table, column in columns:
            query = f'select "{column}" from "{schema}"."{table}" where "{column}" is not null'
            leaks += [f"{table}.{column}: {t}" for (t,) in conn.execute(query).fetchall() if personal_data(t)]
        placeholders = conn.execute(
            "select count(*) from marts.cx_verbatims where regexp_matches(comment, '\\[(email|phone|card|iban|url)\\]')"
        ).fetchone()[0]
    assert leaks == []
    assert placeholders > 0  # the planted personal data arrived, redacted


NEW_COMMENT = (
    "Way too expensive, email me at a.b@example.com, call +44 20 7946 0958 or (555) 123-4567,"
    " card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, see https://x.example.com/?t=1"
)
# By hand from the patterns of macros/cx/redact_comment.sql.
REDACTED = "Way too expensive, email me at [email], call [phone] or [phone], card [card], IBAN [iban], see [url]"


def scored_at(database: Path) -> dict[str, object]:
    with duckdb.connect(str(database), read_only=True) as conn:
        rows = conn.execute("select response_id, scored_at, method_version from intermediate.int_cx__comment_scores")
        return {r: (at, version) for r, at, version in rows.fetchall()}


def test_each_comment_is_scored_once_per_method_version(published_demo: PublishedDemo, tmp_path: Path) -> None:
    database = tmp_path / "build" / "cxcs.duckdb"
    database.parent.mkdir()
    shutil.copy(published_demo.warehouse / "build" / "cxcs.duckdb", database)
    dbt_vars = {"as_of_date": "2026-12-01"}
    select = ("run", "--select", "stg_survey__responses", "int_cx__comment_scores", "cx_comment_themes", "cx_verbatims")
    before = scored_at(database)
    assert len(before) >= 3  # the small demo's comments, already scored by its refresh

    run_dbt(database, tmp_path, *select, dbt_vars=dbt_vars)
    assert scored_at(database) == before  # no new comment: nothing scored again

    with duckdb.connect(str(database)) as conn:
        conn.execute(
            "insert into raw.survey_responses by name select 'resp_new' as response_id, invitation_id, survey_id,"
            " survey_type, touchpoint, account_id, contact_id, score, ? as comment, responded_at, _batch_id,"
            " _row_number, _loaded_at from raw.survey_responses"
            " order by response_id limit 1",
            [NEW_COMMENT],
        )
    run_dbt(database, tmp_path, *select, dbt_vars=dbt_vars)
    after = scored_at(database)
    assert {r for r in after if after[r] != before.get(r)} == {"resp_new"}
    with duckdb.connect(str(database)) as conn:
        assert conn.execute(
            "select language, themes from intermediate.int_cx__comment_scores where response_id = 'resp_new'"
        ).fetchone() == ("en", "|price|")  # "expensive" is a price phrase (seeds/cx_theme_taxonomy.csv)
        published = conn.execute("select comment from marts.cx_verbatims where response_id = 'resp_new'").fetchone()
        assert published == (REDACTED,) and personal_data(REDACTED) == []
        # An edit of the taxonomy (as `dbt seed` would load it) changes the method version.
        conn.execute("update seeds.cx_theme_taxonomy set example_phrases = example_phrases || ';faq'")

    run_dbt(database, tmp_path, *select, dbt_vars=dbt_vars)
    rescored = scored_at(database)
    assert rescored.keys() == after.keys()
    assert all(rescored[r][0] > after[r][0] for r in after)  # every comment scored again ...
    assert len({version for _, version in rescored.values()}) == 1  # ... with the new version
    assert next(iter(rescored.values()))[1] != after["resp_new"][1]
