"""The demo's survey responses as Qualtrics or Delighted exports (``cxcs demo-data --format
qualtrics`` / ``delighted``): every native responses file becomes one export file per survey
(``<survey_id>__<file>``: the adapters find the survey by the file name's prefix), and
``mappings/surveys.csv`` lists each survey's question, type, touchpoint and fields.  Same rows,
same order; invitations stay native (neither export carries them).

* ``qualtrics``: ``qualtrics/<survey>__<file>.csv`` with the three header rows; ``QID1`` the score,
  ``QID2_TEXT`` the comment, embedded data ``account_id`` and ``invitation_id``,
  ``ExternalReference`` the contact; ``RecordedDate`` in Asia/Tokyo local time (its ImportId
  says so: the adapter converts back to UTC; a zone without daylight saving, so no local time
  is ambiguous).
* ``delighted``: ``delighted/<survey>__<file>.json``, one API page (a JSON array) with ``id``,
  ``person`` = the contact, Delighted's ``survey_type`` (ces as ``cesv2``: its 1-7 scale),
  ``score``, ``comment``, ``created_at`` in Unix seconds, ``person_properties`` ``account_id``
  and ``invitation_id``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

SURVEY_FORMATS = ("qualtrics", "delighted")
ZONE = "Asia/Tokyo"
DELIGHTED_TYPES = {"nps": "nps", "csat": "csat", "ces": "cesv2"}
MAP_HEADER = ["source", "survey", "question", "survey_type", "touchpoint", "comment_field", "account_field",
              "contact_field", "invitation_field"]  # fmt: skip
QUALTRICS_COLUMNS = [
    # (column id, question text, ImportId JSON)
    ("StartDate", "Start Date", '{"ImportId":"startDate","timeZone":"' + ZONE + '"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timeZone":"' + ZONE + '"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("ExternalReference", "External Data Reference", '{"ImportId":"externalDataReference"}'),
    ("QID1", "How would you rate us?", '{"ImportId":"QID1"}'),
    ("QID2_TEXT", "What is the main reason for your score?", '{"ImportId":"QID2_TEXT"}'),
    ("account_id", "account_id", '{"ImportId":"account_id"}'),
    ("invitation_id", "invitation_id", '{"ImportId":"invitation_id"}'),
]


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def convert_surveys(out: Path, entries: list[dict], fmt: str) -> None:
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    surveys: dict[str, tuple[str, str]] = {}
    for entry in [e for e in entries if e["entity"] == "survey_responses"]:
        entries.remove(entry)
        source = out / entry["path"]
        conn.execute(
            f"create or replace table r as select row_number() over () as n, * "
            f"from read_csv({_q(source)}, header = true, all_varchar = true, parallel = false)"
        )
        for survey, survey_type, touchpoint, count in conn.execute(
            "select survey_id, any_value(survey_type), any_value(touchpoint), count(*) from r group by 1 order by 1"
        ).fetchall():
            surveys[survey] = (survey_type, touchpoint)
            stem = source.name.split(".")[0]
            (out / fmt).mkdir(exist_ok=True)
            target = out / fmt / f"{survey}__{stem}.{'csv' if fmt == 'qualtrics' else 'json'}"
            (_qualtrics if fmt == "qualtrics" else _delighted)(conn, survey, target)
            entries.append({**entry, "path": target.relative_to(out).as_posix(), "data_rows": count})
        source.unlink()
    entries.sort(key=lambda e: e["path"])
    _mapping(out, fmt, surveys)
    conn.close()


def _qualtrics(conn: duckdb.DuckDBPyConnection, survey: str, target: Path) -> None:
    local = f"strftime(timezone({_q(Path(ZONE))}, cast(responded_at as timestamptz)), '%Y-%m-%d %H:%M:%S')"
    rows = conn.execute(
        f"select {local}, 'IP Address', '1', {local}, response_id, contact_id, score, coalesce(comment, ''), "
        f"account_id, coalesce(invitation_id, '') from r where survey_id = ? order by n",
        [survey],
    ).fetchall()
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for index in range(3):
            writer.writerow([column[index] for column in QUALTRICS_COLUMNS])
        writer.writerows(rows)


def _delighted(conn: duckdb.DuckDBPyConnection, survey: str, target: Path) -> None:
    types = " ".join(f"when '{k}' then '{v}'" for k, v in DELIGHTED_TYPES.items())
    select = f"""
        select response_id as id, contact_id as person, case survey_type {types} end as survey_type,
               cast(score as integer) as score, nullif(comment, '') as comment,
               epoch(cast(responded_at as timestamptz))::bigint as created_at,
               {{'account_id': account_id, 'invitation_id': nullif(invitation_id, '')}} as person_properties
        from r where survey_id = '{survey.replace("'", "''")}' order by n
    """
    conn.execute(f"copy ({select}) to {_q(target)} (format json, array true)")


def _mapping(out: Path, fmt: str, surveys: dict[str, tuple[str, str]]) -> None:
    (out / "mappings").mkdir(exist_ok=True)
    with open(out / "mappings" / "surveys.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MAP_HEADER)
        for survey, (survey_type, touchpoint) in sorted(surveys.items()):
            if fmt == "qualtrics":
                fields = [
                    "QID1",
                    survey_type,
                    touchpoint,
                    "QID2_TEXT",
                    "account_id",
                    "ExternalReference",
                    "invitation_id",
                ]
            else:
                fields = [DELIGHTED_TYPES[survey_type], survey_type, touchpoint, "", "account_id", "", "invitation_id"]
            writer.writerow([fmt, survey, *fields])
