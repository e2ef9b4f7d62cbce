"""``landing/mappings/surveys.csv``: which survey export field is the score of which survey type,
which is the comment, the account, the contact and the invitation (a mapping file, not code:
a CX team changes it without a release).

Columns (header required, names in any case): ``source`` (``qualtrics`` or ``delighted``),
``survey`` (the survey id; an export file belongs to the survey whose id its file name starts
with, the longest such id), ``question`` (Qualtrics: the score column, by column id or ImportId
such as ``QID1``; Delighted: its ``survey_type`` value such as ``nps`` or ``cesv2``),
``survey_type`` (nps, csat, ces), ``touchpoint``, and the fields ``comment_field``,
``account_field``, ``contact_field``, ``invitation_field`` (optional: empty = none).

The map is read on every run (small, decides, is not data).  A file of no listed survey fails
``unmapped_survey``; an unreadable map fails every survey file of the run (none is guessed);
such a failed file is read again on the next run, so a fixed map loads it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.landing_files import SURVEY_MAP, ReadablePaths
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import sql_str

COLUMNS = (
    "source",
    "survey",
    "question",
    "survey_type",
    "touchpoint",
    "comment_field",
    "account_field",
    "contact_field",
    "invitation_field",
)
# File failures caused by the map, not by the file: retried on every run until the map is fixed.
MAP_FAILURES = ("unmapped_survey", "survey_map_unreadable", "unmapped_question")
REQUIRED = ("source", "survey", "question", "survey_type", "touchpoint")


def load_survey_map(conn: duckdb.DuckDBPyConnection, landing_dir: Path, readable: ReadablePaths) -> list[str]:
    """Temp tables ``_survey_map`` (the usable rows) and ``_survey_map_error`` (why the map
    cannot be used at all, else empty); returns the map's errors for the load summary."""
    conn.execute("create or replace temp table _survey_map_error (reason varchar)")
    conn.execute(f"create or replace temp table _survey_map ({', '.join(f'{c} varchar' for c in COLUMNS)})")
    path = landing_dir / SURVEY_MAP
    if not path.is_file():
        conn.execute("insert into _survey_map_error values (?)", [f"unmapped_survey: no {SURVEY_MAP}"])
        return []
    reader = f"read_csv({sql_str(str(readable(path)))}, header = true, all_varchar = true)"
    try:
        names = {r[0].strip().lower(): r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()}
        missing = [c for c in REQUIRED if c not in names]
        if missing:
            raise FileRejected(f"missing_required_columns: {', '.join(missing)}")
        # Field names keep their case (a Qualtrics column id is case-sensitive); ids are trimmed.
        cols = [f"nullif(trim({_ident(names[c])}), '')" if c in names else "null" for c in COLUMNS]
        cols[0], cols[3] = f"lower({cols[0]})", f"lower({cols[3]})"
        conn.execute(f"insert into _survey_map select {', '.join(cols)} from {reader}")
    except (duckdb.Error, FileRejected) as error:
        why = str(error).strip().splitlines()[0][:300]
        conn.execute("insert into _survey_map_error values (?)", [f"survey_map_unreadable: {SURVEY_MAP}: {why}"])
        return [f"{SURVEY_MAP}: survey_map_unreadable: {why}; no survey file was loaded"]
    # contact_id and account_id reach the marts, where personal data must never be: a map that
    # names an email field for them is refused row by row (Qualtrics' RecipientEmail, an email
    # column or property), not loaded and hashed later.
    emails = "lower({}) in ('recipientemail', 'email', 'email_address', 'person_email')"
    personal = " or ".join(emails.format(c) for c in ("contact_field", "account_field", "invitation_field"))
    refused = conn.execute(
        f"select source, survey, question from _survey_map where {personal} order by 1, 2, 3"
    ).fetchall()
    conn.execute(f"delete from _survey_map where {personal}")
    errors = [
        f"{SURVEY_MAP}: personal_data_field: {source} {survey} {question} maps an email field to an id column "
        "(contact, account or invitation); map an id instead (e.g. ExternalReference, person)"
        for source, survey, question in refused
    ]
    incomplete = conn.execute(
        f"select count(*) from _survey_map where {' or '.join(f'{c} is null' for c in REQUIRED)}"
    ).fetchone()[0]
    conn.execute(f"delete from _survey_map where {' or '.join(f'{c} is null' for c in REQUIRED)}")
    return errors + (
        [f"{SURVEY_MAP}: {incomplete} row(s) without {', '.join(REQUIRED)} not used"] if incomplete else []
    )


def survey_of(conn: duckdb.DuckDBPyConnection, source: str, name: str) -> tuple[str, list[tuple]]:
    """The survey a file belongs to (the longest mapped id its file name starts with) and its
    mapping rows; a file of no mapped survey is rejected (nothing of it is guessed)."""
    error = conn.execute("select reason from _survey_map_error").fetchone()
    if error:
        raise FileRejected(error[0])
    survey = conn.execute(
        "select survey from _survey_map where source = ? and starts_with(?, survey) "
        "order by length(survey) desc limit 1",
        [source, name],
    ).fetchone()
    if survey is None:
        raise FileRejected(
            f"unmapped_survey: the file name starts with no {source} survey of {SURVEY_MAP} "
            "(name the file <survey>..., list the survey there)"
        )
    rows = conn.execute(
        f"select {', '.join(COLUMNS[2:])} from _survey_map where source = ? and survey = ? order by question",
        [source, survey[0]],
    ).fetchall()
    return survey[0], rows


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
