"""Delighted survey responses into ``survey_responses``: the API's JSON (``GET
/v1/survey_responses.json``, a JSON array per page, or one response per line as dlt and other
loaders write it) or the dashboard's CSV export.

A response: ``id``, ``person`` (the person id), ``survey_type`` (Delighted's: nps, csat, ces,
cesv2, ...), ``score``, ``comment``, ``created_at`` (Unix seconds in the API; an ISO or
``YYYY-MM-DD HH:MM:SS`` UTC time in a CSV) and ``person_properties`` (the properties sent with
the survey, e.g. an account id).  A CSV's columns are matched by name in any case (``Response
ID``, ``Person``, ``Score``, ``Comment``, ``Survey Type``, ``Created At`` or ``Date``); every
other CSV column is a person property.

``mappings/surveys.csv`` (``adapters.survey_map``) decides, per survey (the file name starts with
its id) and Delighted survey_type (``question``), the native survey_type and touchpoint and
which field is the comment (default ``comment``), the account, the contact (default
``person``) and the invitation: a top-level field by name, else a person property.  A response
of a survey_type the survey does not map is quarantined ``unmapped_question``.  Delighted
exports carry no invitations (Delighted sends them itself): ``survey/invitations`` stays native.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.adapters.base import Adapter, Target, parse_src, text_lines
from orchestration.adapters.survey_map import MAP_FAILURES, SURVEY_MAP, load_survey_map, survey_of
from orchestration.adapters.surveys import SRC_COLUMNS, responses_sql
from orchestration.loading.validation import sql_str

SPEC = (
    '{"id": "VARCHAR", "person": "VARCHAR", "survey_type": "VARCHAR", "score": "VARCHAR", "comment": "VARCHAR", '
    '"created_at": "VARCHAR", "person_properties": "JSON"}'
)
# CSV header (lower-cased, spaces as underscores) -> API field.
CSV_NAMES = {
    "id": "id",
    "response_id": "id",
    "person": "person",
    "person_id": "person",
    "score": "score",
    "comment": "comment",
    "survey_type": "survey_type",
    "created_at": "created_at",
    "date": "created_at",
    "response_timestamp": "created_at",
}


def _field(name: str | None) -> str:
    if name is None:
        return "null"
    # A response field named as the API or as the CSV export names it ("Person", "Comment").
    api = CSV_NAMES.get(name.strip().lower().replace(" ", "_"))
    if api:
        return f"d.{api}"
    return f"(d.person_properties ->> {sql_str('$.' + chr(34) + name + chr(34))})"


def _lines(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> None:
    """``_lines`` (one JSON object text per response) from any of the three shapes."""
    if name.lower().endswith(".csv"):
        reader = f"read_csv({sql_str(str(path))}, header = true, all_varchar = true, parallel = false)"
        headers = [r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()]
        pairs, props = [], []
        for header in headers:
            quoted = '"' + header.replace('"', '""') + '"'
            api = CSV_NAMES.get(header.strip().lower().replace(" ", "_"))
            (pairs if api else props).append(f"{sql_str(api or header.strip())}, nullif({quoted}, '')")
        properties = f"json_object({', '.join(props)})" if props else "null"
        obj = f"json_object({', '.join(pairs)}, 'person_properties', {properties})"
        source = f"select cast({obj} as varchar) as line from {reader}"
    else:
        with open(path, "rb") as handle:
            start = handle.read(1 << 10).lstrip()[:1]
        if start != b"[":
            text_lines(conn, path, "_lines")
            return
        # The API's page: one JSON array; a page that is not valid JSON fails the file (DuckDB's message).
        # Each element keeps its position (json_each's key); an element that is not an object is
        # quarantined by parse_src like a bad line.
        conn.execute(
            "create or replace temp table _lines as select cast(key as bigint) + 1 as _line_number, "
            "cast(value as varchar) as line, cast(null as varchar) as _bad "
            f"from json_each((select content from read_text({sql_str(str(path))})))"
        )
        return
    conn.execute(
        f"create or replace temp table _lines as select row_number() over () as _line_number, line, "
        f"cast(null as varchar) as _bad from ({source})"
    )


def read(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    survey, questions = survey_of(conn, "delighted", name)
    _lines(conn, path, name)
    parse_src(conn, "_lines", SPEC)
    conn.execute("drop table _lines")
    conn.execute("alter table _src rename to _parsed")
    # Without a survey_type (a one-survey CSV export), a survey mapping one question means it.
    only = sql_str(questions[0][0]) if len(questions) == 1 else "null"
    question = f"coalesce(lower(trim(d.survey_type)), {only})"
    parts = [
        f"""
        select _row_number, {sql_str(q)} as _q, {sql_str(survey_type)} as s_survey_type, {sql_str(touch)} as s_touchpoint,
               {_field(comment or "comment")} as s_comment, nullif(trim({_field(account)}), '') as _cand,
               nullif(trim({_field(contact or "person")}), '') as _user, {_field(invitation)} as s_invitation_id,
               cast(null as varchar) as s_problem
        from _parsed where _bad is null and {question} = {sql_str(q)}
        """
        for q, survey_type, touch, comment, account, contact, invitation in questions
    ]
    parts.append(
        f"""
        select _row_number, null, null, null, null, null, nullif(trim(d.person), ''), null,
               case when _bad is null then 'unmapped_question: delighted survey_type ' || chr(39) ||
                    coalesce(d.survey_type, '') || chr(39) || ' of survey {survey} not in {SURVEY_MAP}' end
        from _parsed where _bad is not null or {question} is null
            or {question} not in ({", ".join(sql_str(q[0]) for q in questions)})
        """
    )
    when = "d.created_at"
    conn.execute(f"create or replace temp table _src ({SRC_COLUMNS})")
    conn.execute(
        f"""
        insert into _src
        select p._row_number, p._line_number, p.line, p._bad, m._cand, m._user, p.d.id, m.s_invitation_id,
               {sql_str(survey)}, m.s_survey_type, m.s_touchpoint, p.d.score, m.s_comment,
               case when regexp_full_match(trim({when}), '[0-9]+')
                    then strftime(timezone('UTC', to_timestamp(cast(trim({when}) as bigint))), '%Y-%m-%dT%H:%M:%SZ')
                    else {when} end,
               m.s_problem
        from _parsed as p join ({" union all ".join(parts)}) as m using (_row_number)
        order by p._row_number
        """
    )
    conn.execute("drop table _parsed")
    return f"survey {survey}"


DELIGHTED = Adapter(
    folder="delighted",
    extensions=(".json", ".jsonl", ".csv"),
    read=read,
    targets=(Target("survey_responses", lambda: responses_sql("delighted", "account_field value")),),
    prepare=load_survey_map,
    retry_reasons=MAP_FAILURES,
)
