"""Qualtrics' response export (CSV, the API's ``format: csv`` or Data & Analysis > Export) into
``survey_responses``.

The file starts with three header rows: the column ids (``ResponseId``, ``RecordedDate``,
``QID1``, embedded data names, ...), the question text, and one ImportId JSON per column
(``{"ImportId":"QID1"}``; the dates carry their ``timeZone``).  Anything else is refused
as a whole (``qualtrics_header: ...``): reading a file with a missing or moved header row
would load a question-text row as a response, or drop the first response as a header.

Which columns are scores (of which survey type), the comment, the account, the contact and the
invitation: ``mappings/surveys.csv`` (``adapters.survey_map``), a field named by its column id
or its ImportId.  One record gives one response per mapped score question it answers (a blank
score = the question was not answered: no response, counted in the manifest note);
``response_id`` = ``ResponseId``, or ``ResponseId:<question>`` when the survey maps several
questions.  ``responded_at`` = ``RecordedDate`` read in its ImportId's ``timeZone`` (UTC when
none), written as UTC.  Invitations are not in a response export (Qualtrics keeps
distributions apart): ``survey/invitations`` stays native; ``invitation_field`` (embedded data)
links a response to one.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from orchestration.adapters.base import Adapter, Target
from orchestration.adapters.survey_map import MAP_FAILURES, SURVEY_MAP, load_survey_map, survey_of
from orchestration.adapters.surveys import SRC_COLUMNS, responses_sql
from orchestration.loading.results import FileRejected
from orchestration.loading.validation import sql_str

HEADER_ROWS = "three header rows (column ids, question text, ImportId JSON)"


def _import_ids(row: tuple) -> list[dict] | None:
    """The row's ImportId objects, or None when it is not the ImportId row."""
    found = []
    for cell in row:
        try:
            value = json.loads(cell) if cell else {}
        except ValueError:
            return None
        if cell and not (isinstance(value, dict) and "ImportId" in value):
            return None
        found.append(value)
    return found if any(found) else None


def check_header(rows: list[tuple]) -> tuple[list[str], list[dict]]:
    """(column ids, ImportId objects) of the three header rows, else the file's failure reason."""
    if len(rows) < 3 and not any(_import_ids(r) for r in rows):
        found = ", ".join(f"row {i + 1}: {'column ids' if 'ResponseId' in r else 'other'}" for i, r in enumerate(rows))
        raise FileRejected(
            f"qualtrics_header: header rows missing: no ImportId JSON row ({found}); expected {HEADER_ROWS}"
        )
    if len(rows) < 3:
        raise FileRejected(f"qualtrics_header: {len(rows)} row(s); expected {HEADER_ROWS}")
    kinds = ["column ids" if "ResponseId" in r else "ImportId JSON" if _import_ids(r) else "other" for r in rows[:3]]
    if kinds == ["column ids", "other", "ImportId JSON"]:
        return list(rows[0]), _import_ids(rows[2]) or []
    if "column ids" not in kinds:
        raise FileRejected(f"qualtrics_header: no ResponseId column in the first three rows; expected {HEADER_ROWS}")
    found = ", ".join(f"row {i + 1}: {k}" for i, k in enumerate(kinds))
    if "ImportId JSON" not in kinds:
        raise FileRejected(
            f"qualtrics_header: header rows missing: no ImportId JSON row ({found}); expected {HEADER_ROWS}"
        )
    raise FileRejected(f"qualtrics_header: header rows missing or reordered ({found}); expected {HEADER_ROWS}")


def read(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    survey, questions = survey_of(conn, "qualtrics", name)
    reader = (
        f"read_csv({sql_str(str(path))}, header = false, all_varchar = true, delim = ',', quote = '\"', "
        "escape = '\"', null_padding = true, parallel = false)"
    )
    cols = [r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()]
    conn.execute(f"create or replace temp table _qrows as select row_number() over () as _rec, * from {reader}")
    ids, imports = check_header(
        conn.execute(f"select {', '.join(cols)} from _qrows where _rec <= 3 order by _rec").fetchall()
    )

    def column(field: str | None, what: str) -> str:
        """The CSV column of a field named by column id or ImportId; null when not mapped."""
        if field is None:
            return "null"
        for names in (ids, [i.get("ImportId") for i in imports]):
            if field in names:
                return cols[names.index(field)]
        raise FileRejected(
            f"unmapped_question: qualtrics survey {survey}: {what} '{field}' ({SURVEY_MAP}) is not a column of the file"
        )

    absent = [c for c in ("ResponseId", "RecordedDate") if c not in ids]
    if absent:
        raise FileRejected(f"qualtrics_header: no {', '.join(absent)} column")
    recorded = cols[ids.index("RecordedDate")]
    zone = (imports[ids.index("RecordedDate")] if len(imports) > ids.index("RecordedDate") else {}).get(
        "timeZone"
    ) or "UTC"
    many = len(questions) > 1
    parts = []
    for index, (question, survey_type, touchpoint, comment, account, contact, invitation) in enumerate(questions):
        score = column(question, "score column")
        response_id = cols[ids.index("ResponseId")] + (f" || ':' || {sql_str(question)}" if many else "")
        parts.append(
            f"""
            select _rec, {index} as _q, {response_id} as s_response_id, {column(invitation, "invitation_field")} as s_invitation_id,
                   {sql_str(survey)} as s_survey_id, {sql_str(survey_type)} as s_survey_type, {sql_str(touchpoint)} as s_touchpoint,
                   {score} as s_score, {column(comment, "comment_field")} as s_comment,
                   nullif(trim({column(account, "account_field")}), '') as _cand,
                   nullif(trim({column(contact, "contact_field")}), '') as _user
            from _qrows where _rec > 3 and nullif(trim({score}), '') is not null
            """
        )
    # The record as delivered (keyed by column id) is what the quarantine keeps of a rejected one.
    line = "json_object(" + ", ".join(f"{sql_str(i)}, r.{c}" for i, c in zip(ids, cols, strict=False)) + ")"
    when = f"try_strptime(r.{recorded}, '%Y-%m-%d %H:%M:%S')"
    conn.execute(f"create or replace temp table _src ({SRC_COLUMNS})")
    conn.execute(
        f"""
        insert into _src
        select row_number() over (order by a._rec, a._q), a._rec, cast({line} as varchar), null,
               a._cand, a._user, a.s_response_id, a.s_invitation_id, a.s_survey_id, a.s_survey_type, a.s_touchpoint,
               a.s_score, a.s_comment,
               coalesce(strftime(timezone('UTC', timezone({sql_str(zone)}, {when})), '%Y-%m-%dT%H:%M:%SZ'), r.{recorded}),
               null
        from ({" union all ".join(parts)}) as a join _qrows as r using (_rec)
        order by a._rec, a._q
        """
    )
    records, loaded = conn.execute("select (select count(*) from _qrows) - 3, (select count(*) from _src)").fetchone()
    conn.execute("drop table _qrows")
    return f"survey {survey}: {records} record(s), {len(questions) * records - loaded} unanswered score question(s) skipped"


QUALTRICS = Adapter(
    folder="qualtrics",
    extensions=(".csv",),
    read=read,
    targets=(Target("survey_responses", lambda: responses_sql("qualtrics", "account_field value")),),
    prepare=load_survey_map,
    retry_reasons=MAP_FAILURES,
)
