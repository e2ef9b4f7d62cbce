"""Survey adapters (orchestration.adapters.qualtrics / delighted): Qualtrics response exports and
Delighted responses load into raw.survey_responses through mappings/surveys.csv, with the
loader's guarantees; bad input has exact reasons; the demo in each format builds the native marts."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import load_landing

MAP_HEADER = "source,survey,question,survey_type,touchpoint,comment_field,account_field,contact_field,invitation_field"
QUALTRICS_IDS = ["StartDate", "Status", "RecordedDate", "ResponseId", "ExternalReference", "QID1", "QID2_TEXT"]
QUALTRICS_TEXT = ["Start Date", "Response Type", "Recorded Date", "Response ID", "External Data Reference",
                  "How likely are you to recommend us?", "Why?"]  # fmt: skip
DENVER = ',"timeZone":"America/Denver"}'
QUALTRICS_IMPORT = ['{"ImportId":"startDate"' + DENVER, '{"ImportId":"status"}', '{"ImportId":"recordedDate"' + DENVER,
                    '{"ImportId":"_recordId"}', '{"ImportId":"externalDataReference"}', '{"ImportId":"QID1"}',
                    '{"ImportId":"QID2_TEXT"}']  # fmt: skip
HEADER_ROWS = "expected three header rows (column ids, question text, ImportId JSON)"


def _maps(landing: Path, surveys: list[str], accounts: list[str] = ()) -> None:
    (landing / "mappings").mkdir(exist_ok=True)
    (landing / "mappings" / "surveys.csv").write_text(MAP_HEADER + "\n" + "".join(r + "\n" for r in surveys))
    (landing / "mappings" / "account_map.csv").write_text(
        "source,source_id,account_id\n" + "".join(r + "\n" for r in accounts)
    )


def _csv(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def _responses(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute(
        "select response_id, invitation_id, survey_id, survey_type, touchpoint, account_id, contact_id, score, "
        "comment, responded_at from raw.survey_responses order by response_id"
    ).fetchall()


def _quarantine(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute(
        "select row_number, line_number, reason from raw.load_quarantine order by row_number"
    ).fetchall()


def test_qualtrics_export_maps_each_score_question_to_a_response(conn, landing: Path) -> None:
    # QID3 is named by its ImportId: its column id was renamed to Q_support in the survey.
    ids = [*QUALTRICS_IDS, "Q_support", "account_id", "invitation_id"]
    text = [*QUALTRICS_TEXT, "How satisfied are you with support?", "account_id", "invitation_id"]
    imports = [*QUALTRICS_IMPORT, '{"ImportId":"QID3"}', '{"ImportId":"account_id"}', '{"ImportId":"invitation_id"}']
    _maps(
        landing,
        [
            "qualtrics,SV_1,QID1,nps,relationship,QID2_TEXT,account_id,ExternalReference,invitation_id",
            "qualtrics,SV_1,QID3,csat,support,,account_id,ExternalReference,",
            "qualtrics,SV_12,QID1,ces,product,,,,",  # a longer id the file name does not start with
        ],
        ["qualtrics,org-7,acc_B"],
    )
    _csv(
        landing / "qualtrics" / "SV_1_export.csv",
        [
            ids, text, imports,
            # 10:00 in Denver on 1 March = MST (UTC-7): 17:00 UTC.
            ["2026-03-01 09:55:00", "0", "2026-03-01 10:00:00", "R_1", "usr_1", "9", "Great, thanks", "4", "acc_A", "inv_1"],
            # 8 March 2026 is the first day of MDT (UTC-6): 16:00 UTC.  NPS 11 is off the 0-10 scale; CSAT unanswered.
            ["2026-03-08 09:55:00", "0", "2026-03-08 10:00:00", "R_2", "usr_2", "11", "", "", "acc_A", ""],
            # No account field value, and the contact is not in the account map.
            ["2026-03-09 09:55:00", "0", "2026-03-09 10:00:00", "R_3", "usr_9", "3", "", "2", "", ""],
            ["2026-03-10 09:55:00", "0", "2026-03-10 10:00:00", "R_4", "usr_4", "0", "", "5", "org-7", ""],
        ],
    )  # fmt: skip
    summary = load_landing(conn, landing)
    assert summary.entities["survey_responses"].files_failed == []
    nps = ("SV_1", "nps", "relationship")
    csat = ("SV_1", "csat", "support")
    assert _responses(conn) == [
        ("R_1:QID1", "inv_1", *nps, "acc_A", "usr_1", 9, "Great, thanks", datetime(2026, 3, 1, 17)),
        ("R_1:QID3", None, *csat, "acc_A", "usr_1", 4, None, datetime(2026, 3, 1, 17)),
        ("R_4:QID1", None, *nps, "acc_B", "usr_4", 0, None, datetime(2026, 3, 10, 16)),
        ("R_4:QID3", None, *csat, "acc_B", "usr_4", 5, None, datetime(2026, 3, 10, 16)),
    ]
    no_account = "unmapped_account: no account_field value, and the user id is not in mappings/account_map.csv"
    # Rows number the (record, question) pairs answered; lines are the file's records (3 header rows).
    assert _quarantine(conn) == [(3, 5, "score_out_of_scale: nps 11"), (4, 6, no_account), (5, 6, no_account)]
    assert summary.unmapped == {"qualtrics": 2}
    assert conn.execute("select reason from raw.load_manifest").fetchall() == [
        ("survey SV_1: 4 record(s), 1 unanswered score question(s) skipped",)
    ]


def _qualtrics_rows(header: list[list[str]]) -> list[list[str]]:
    return [
        *header,
        [
            "2026-03-01 09:55:00",
            "0",
            "2026-03-01 10:00:00",
            "R_1",
            "usr_1",
            "9",
            "",
        ],
    ]


@pytest.mark.parametrize(
    ("header", "found"),
    [
        # exported without the question text and ImportId rows (e.g. a "remove header rows" option)
        ([QUALTRICS_IDS], "header rows missing: no ImportId JSON row (row 1: column ids, row 2: other)"),
        (
            [QUALTRICS_IDS, QUALTRICS_IMPORT, QUALTRICS_TEXT],
            "header rows missing or reordered (row 1: column ids, row 2: ImportId JSON, row 3: other)",
        ),
        (
            [QUALTRICS_TEXT, QUALTRICS_IDS, QUALTRICS_IMPORT],
            "header rows missing or reordered (row 1: other, row 2: column ids, row 3: ImportId JSON)",
        ),
    ],
)
def test_a_qualtrics_file_with_missing_or_reordered_header_rows_fails_whole(
    conn, landing: Path, header: list[list[str]], found: str
) -> None:
    _maps(landing, ["qualtrics,SV_1,QID1,nps,relationship,QID2_TEXT,,ExternalReference,"], ["qualtrics,usr_1,acc_A"])
    _csv(
        landing / "qualtrics" / "SV_1.csv",
        [*header, ["2026-03-01 09:55:00", "0", "2026-03-01 10:00:00", "R_1", "usr_1", "9", ""]],
    )
    summary = load_landing(conn, landing)
    reason = f"qualtrics_header: {found}; {HEADER_ROWS}"
    assert summary.entities["survey_responses"].files_failed == [("qualtrics/SV_1.csv", reason)]
    assert conn.execute("select count(*) from raw.survey_responses").fetchone()[0] == 0
    assert conn.execute("select status, reason from raw.load_manifest").fetchall() == [("failed", reason)]


def _unix(*moment: int) -> int:
    return int(datetime(*moment, tzinfo=UTC).timestamp())


def test_delighted_api_json_responses_and_bad_ones(conn, landing: Path) -> None:
    _maps(
        landing,
        [
            "delighted,DL_web,nps,nps,relationship,,account_id,,invitation",
            "delighted,DL_web,cesv2,ces,product,,account_id,,",  # Delighted's CES 2.0 is 1-7, as the contract's ces
        ],
        ["delighted,14,acc_C"],
    )
    page = [
        {"id": "1", "person": "10", "survey_type": "nps", "score": 9, "comment": "Love it", "created_at": _unix(2026, 3, 1, 10),
         "person_properties": {"account_id": "acc_A", "invitation": "inv_9"}, "notes": [], "tags": []},
        # no person and no account: nothing places it
        {"id": "2", "person": None, "survey_type": "nps", "score": 3, "comment": None, "created_at": _unix(2026, 3, 2),
         "person_properties": {}},
        {"id": "3", "person": "12", "survey_type": "smileys", "score": 4, "created_at": _unix(2026, 3, 3),
         "person_properties": {"account_id": "acc_A"}},
        {"id": "4", "person": "13", "survey_type": "cesv2", "score": 8, "created_at": _unix(2026, 3, 4),
         "person_properties": {"account_id": "acc_B"}},
        # no account property: the person id through the account map
        {"id": "5", "person": "14", "survey_type": "cesv2", "score": 7, "comment": None, "created_at": _unix(2026, 3, 5, 8, 30),
         "person_properties": None},
    ]  # fmt: skip
    (landing / "delighted").mkdir()
    (landing / "delighted" / "DL_web_page1.json").write_text(json.dumps(page))
    summary = load_landing(conn, landing)
    assert summary.entities["survey_responses"].files_failed == []
    assert _responses(conn) == [
        ("1", "inv_9", "DL_web", "nps", "relationship", "acc_A", "10", 9, "Love it", datetime(2026, 3, 1, 10)),
        ("5", None, "DL_web", "ces", "product", "acc_C", "14", 7, None, datetime(2026, 3, 5, 8, 30)),
    ]
    assert _quarantine(conn) == [
        # The source-level reason is the row's reason (the framework's rule for every adapter).
        (2, 2, "unmapped_account: no account_field value, and the user id is not in mappings/account_map.csv"),
        (3, 3, "unmapped_question: delighted survey_type 'smileys' of survey DL_web not in mappings/surveys.csv"),
        (4, 4, "score_out_of_scale: ces 8"),
    ]  # fmt: skip
    assert summary.unmapped == {"delighted": 1}


def test_delighted_csv_export_without_survey_type(conn, landing: Path) -> None:
    _maps(landing, ["delighted,DL_csat,csat,csat,support,Comment,Account ID,Person,"])
    _csv(
        landing / "delighted" / "DL_csat_2026-03.csv",
        [
            ["Response ID", "Person", "Score", "Comment", "Created At", "Account ID", "Plan"],
            ["r1", "p1", "5", "Quick help", "2026-03-02 09:00:00", "acc_A", "pro"],
            ["r2", "p2", "6", "", "2026-03-02 10:00:00", "acc_A", "pro"],
        ],
    )
    summary = load_landing(conn, landing)
    assert summary.entities["survey_responses"].files_failed == []
    assert _responses(conn) == [
        ("r1", None, "DL_csat", "csat", "support", "acc_A", "p1", 5, "Quick help", datetime(2026, 3, 2, 9))
    ]
    assert _quarantine(conn) == [(2, 2, "score_out_of_scale: csat 6")]


ONE = {"id": "1", "person": "1", "score": 9, "created_at": _unix(2026, 3, 1)}


def test_a_survey_file_of_no_mapped_survey_fails_and_an_unreadable_map_is_reported(conn, landing: Path) -> None:
    _maps(landing, ["delighted,DL_web,nps,nps,relationship,,,,"])
    (landing / "delighted").mkdir()
    (landing / "delighted" / "other.jsonl").write_text(json.dumps(ONE) + "\n")
    summary = load_landing(conn, landing)
    assert summary.entities["survey_responses"].files_failed == [
        (
            "delighted/other.jsonl",
            "unmapped_survey: the file name starts with no delighted survey of mappings/surveys.csv "
            "(name the file <survey>..., list the survey there)",
        )
    ]
    (landing / "mappings" / "surveys.csv").write_text("source,survey\ndelighted,DL_web\n")
    (landing / "delighted" / "DL_web.jsonl").write_text(json.dumps(ONE) + "\n")
    summary = load_landing(conn, landing)
    missing = "missing_required_columns: question, survey_type, touchpoint"
    assert summary.mapping_errors == [
        f"mappings/surveys.csv: survey_map_unreadable: {missing}; no survey file was loaded"
    ]
    assert ("mappings/surveys.csv", f"survey_map_unreadable: {missing}; no survey file was loaded") in summary.entities[
        "survey_responses"
    ].files_failed
    assert conn.execute("select count(*) from raw.survey_responses").fetchone()[0] == 0
    # The map fixed (both surveys listed): the same failed files, unchanged, load on the next run.
    _maps(landing, ["delighted,DL_web,nps,nps,relationship,,,,", "delighted,other,nps,nps,support,,,,"])
    (landing / "mappings" / "account_map.csv").write_text("source,source_id,account_id\ndelighted,1,acc_A\n")
    summary = load_landing(conn, landing)
    assert not summary.has_failures, summary.format()
    # Without a survey_type the survey's only question applies: nps for DL_web, nps for other too.
    assert conn.execute(
        "select survey_id, survey_type, account_id, score from raw.survey_responses order by survey_id"
    ).fetchall() == [("DL_web", "nps", "acc_A", 9), ("other", "nps", "acc_A", 9)]


def test_a_map_naming_an_email_as_the_contact_is_refused(conn, landing: Path) -> None:
    _maps(landing, ["qualtrics,SV_1,QID1,nps,relationship,,,RecipientEmail,"])
    _csv(landing / "qualtrics" / "SV_1.csv", [QUALTRICS_IDS, QUALTRICS_TEXT, QUALTRICS_IMPORT])
    summary = load_landing(conn, landing)
    error = (
        "personal_data_field: qualtrics SV_1 QID1 maps an email field to an id column (contact, account or "
        "invitation); map an id instead (e.g. ExternalReference, person)"
    )
    assert summary.mapping_errors == [f"mappings/surveys.csv: {error}"]
    # Its row is not used: the survey is then unmapped and its file waits for a fixed map.
    assert summary.entities["survey_responses"].files_failed == [
        ("mappings/surveys.csv", error),
        (
            "qualtrics/SV_1.csv",
            "unmapped_survey: the file name starts with no qualtrics survey of mappings/surveys.csv "
            "(name the file <survey>..., list the survey there)",
        ),
    ]
