"""The landing loader against the raw contract's "Bad input the loaders must survive".

Every test writes its own landing files (the bytes are inline, next to the
expectation) into ``tmp_path``, loads them into a real DuckDB file with
``load_landing`` and reads back ``raw.load_manifest``, ``raw.load_quarantine``
and the raw tables.  Expected values are written by hand from
``shared/spec/raw_contract.md`` and the numbering/reason codes documented in
``orchestration/loading.py``: ``row_number`` is the 1-based data record (CSV:
after the header, a quoted newline does not start a new record; JSON Lines:
physical line, blank ones included; Parquet: row), ``line_number`` is the
physical line for JSON Lines and null otherwise.

After every load the helper checks the manifest invariant for every batch:
``rows_delivered = rows_loaded + rows_quarantined``, the raw table holds exactly
``rows_loaded`` rows of the batch and the quarantine exactly
``rows_quarantined``; a failed file has no rows anywhere.

Run alone: ``.venv/bin/python -m pytest tests_py/test_loading.py -q``.
"""

from __future__ import annotations

import gzip
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import ENTITIES
from orchestration.loading import LoadSummary, load_landing
from orchestration.raw_schema import MANIFEST_DDL, ensure_raw_schema, raw_table_ddl

ACCOUNTS = b"account_id,account_name,segment,industry,region,created_at,updated_at\n"
RESPONSES = (
    b"response_id,invitation_id,survey_id,survey_type,touchpoint,account_id,contact_id,score,comment,responded_at\n"
)
SUBSCRIPTIONS = (
    b"subscription_id,version,account_id,plan_id,is_trial,billing_interval,quantity,unit_amount,"
    b"discount_pct,currency,valid_from,valid_to,contract_end,canceled_at,updated_at\n"
)
INVOICES = b"invoice_id,account_id,subscription_id,status,currency,amount_due,amount_paid,issued_at,due_at,paid_at,updated_at\n"
INVITATIONS = b"invitation_id,survey_id,survey_type,touchpoint,account_id,contact_id,sent_at\n"
USERS = b"user_id,account_id,email,role,created_at\n"

ALL_TABLES = (
    "billing_accounts",
    "billing_subscriptions",
    "billing_invoices",
    "survey_invitations",
    "survey_responses",
    "product_users",
    "product_events",
    "support_tickets",
)


# --------------------------------------------------------------------------- helpers


def put(landing: Path, rel: str, data: bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def load(conn, landing: Path, **kwargs) -> LoadSummary:
    summary = load_landing(conn, landing, **kwargs)
    assert_manifest_consistent(conn)
    return summary


def assert_manifest_consistent(conn) -> None:
    batches = conn.execute(
        "select batch_id, entity, status, rows_delivered, rows_loaded, rows_quarantined from raw.load_manifest"
    ).fetchall()
    for batch_id, entity, status, delivered, loaded, quarantined in batches:
        if status == "ignored":  # not a landing file of the contract: never read
            assert (delivered, loaded, quarantined) == (None, 0, 0), batch_id
            continue
        in_raw = conn.execute(f"select count(*) from raw.{entity} where _batch_id = ?", [batch_id]).fetchone()[0]
        in_quarantine = conn.execute(
            "select count(*) from raw.load_quarantine where batch_id = ?", [batch_id]
        ).fetchone()[0]
        if status == "loaded":
            assert delivered == loaded + quarantined, (batch_id, delivered, loaded, quarantined)
            assert (in_raw, in_quarantine) == (loaded, quarantined), batch_id
        else:
            assert status == "failed"
            assert (delivered, loaded, quarantined, in_raw, in_quarantine) == (None, 0, 0, 0, 0), batch_id


def manifest(conn, rel: str) -> dict:
    rows = conn.execute(
        """select batch_id, status, rows_delivered, rows_loaded, rows_quarantined, reason
           from raw.load_manifest where file_path = ? order by batch_id""",
        [rel],
    ).fetchall()
    assert len(rows) == 1, f"expected one manifest row for {rel}, got {rows}"
    keys = ("batch_id", "status", "rows_delivered", "rows_loaded", "rows_quarantined", "reason")
    return dict(zip(keys, rows[0], strict=True))


def counts(record: dict) -> tuple:
    """(status, rows_delivered, rows_loaded, rows_quarantined, reason) of a manifest record."""
    return (
        record["status"],
        record["rows_delivered"],
        record["rows_loaded"],
        record["rows_quarantined"],
        record["reason"],
    )


def quarantined(conn, rel: str) -> list[tuple]:
    """(row_number, line_number, reason, raw_content) of the file's quarantined rows, in row order."""
    return conn.execute(
        """select row_number, line_number, reason, raw_content
           from raw.load_quarantine where file_path = ? order by row_number""",
        [rel],
    ).fetchall()


def raw(conn, table: str, columns: str, batch_id: int | None = None) -> list[tuple]:
    where = f"where _batch_id = {int(batch_id)}" if batch_id is not None else ""
    return conn.execute(f"select {columns} from raw.{table} {where} order by _batch_id, _row_number").fetchall()


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------- wrong number of fields


def test_too_few_fields_quarantines_the_record(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,Acme,smb,Software,NA,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
            b"A2,Beta,enterprise\n"
            b"A3,Gamma,mid_market,,EMEA,2024-01-03T00:00:00,2024-01-04T00:00:00\n"
        ),
    )
    summary = load(conn, landing)

    m = manifest(conn, "billing/accounts/a.csv")
    assert counts(m) == ("loaded", 3, 2, 1, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (2, None, "wrong_field_count: Expected Number of Columns: 7 Found: 3", "A2,Beta,enterprise"),
    ]
    assert raw(
        conn,
        "billing_accounts",
        "account_id, account_name, segment, industry, region, created_at, updated_at, _row_number",
    ) == [
        ("A1", "Acme", "smb", "Software", "NA", ts("2024-01-01 00:00:00"), ts("2024-01-02 00:00:00"), 1),
        ("A3", "Gamma", "mid_market", None, "EMEA", ts("2024-01-03 00:00:00"), ts("2024-01-04 00:00:00"), 3),
    ]
    accounts = summary.entities["billing_accounts"]
    assert (accounts.files_loaded, accounts.rows_loaded, accounts.rows_quarantined) == (1, 2, 1)


def test_too_many_fields_quarantines_the_record(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,Acme,smb,Software,NA,2024-01-01T00:00:00,2024-01-02T00:00:00,surplus,more\n"
            b'A2,"Beta, ""the"" Inc",smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00,x\n'
            b"A3,Gamma,enterprise,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 3, 1, 2, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (
            1,
            None,
            "wrong_field_count: Expected Number of Columns: 7 Found: 9",
            "A1,Acme,smb,Software,NA,2024-01-01T00:00:00,2024-01-02T00:00:00,surplus,more",
        ),
        (
            2,
            None,
            "wrong_field_count: Expected Number of Columns: 7 Found: 8",
            'A2,"Beta, ""the"" Inc",smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00,x',
        ),
    ]
    assert raw(conn, "billing_accounts", "account_id, segment, industry, _row_number") == [
        ("A3", "enterprise", None, 3)
    ]


# --------------------------------------------------------------------------- unparseable values


def test_unparseable_timestamp(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,Acme,smb,,,yesterday,2024-01-02T00:00:00\n"
            b"A2,Beta,smb,,,2024-01-01T08:00:00,2024-13-45T00:00:00\n"
            b"A3,Gamma,smb,,,2024-01-01T08:00:00,2024-01-02T09:30:15\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 3, 1, 2, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (
            1,
            None,
            "invalid_timestamp: created_at",
            '{"account_id":"A1","account_name":"Acme","segment":"smb","industry":null,"region":null,'
            '"created_at":"yesterday","updated_at":"2024-01-02T00:00:00"}',
        ),
        (
            2,
            None,
            "invalid_timestamp: updated_at",
            '{"account_id":"A2","account_name":"Beta","segment":"smb","industry":null,"region":null,'
            '"created_at":"2024-01-01T08:00:00","updated_at":"2024-13-45T00:00:00"}',
        ),
    ]
    assert raw(conn, "billing_accounts", "account_id, created_at, updated_at, _row_number") == [
        ("A3", ts("2024-01-01 08:00:00"), ts("2024-01-02 09:30:15"), 3),
    ]


def test_unparseable_integer(conn, landing):
    # 'seven' is not a number; '7.5' is a number but not an integer and must not be rounded.
    put(
        landing,
        "survey/responses/r.csv",
        RESPONSES
        + (
            b"R1,I1,SV1,nps,support,A1,C1,seven,,2024-03-01T10:00:00\n"
            b"R2,I2,SV1,nps,support,A1,C2,7.5,,2024-03-01T10:00:00\n"
            b"R3,I3,SV1,nps,support,A1,C3,7,fine,2024-03-01T10:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "survey/responses/r.csv")) == ("loaded", 3, 1, 2, None)
    assert quarantined(conn, "survey/responses/r.csv") == [
        (
            1,
            None,
            "invalid_integer: score",
            '{"response_id":"R1","invitation_id":"I1","survey_id":"SV1","survey_type":"nps","touchpoint":"support",'
            '"account_id":"A1","contact_id":"C1","score":"seven","comment":null,"responded_at":"2024-03-01T10:00:00"}',
        ),
        (
            2,
            None,
            "invalid_integer: score",
            '{"response_id":"R2","invitation_id":"I2","survey_id":"SV1","survey_type":"nps","touchpoint":"support",'
            '"account_id":"A1","contact_id":"C2","score":"7.5","comment":null,"responded_at":"2024-03-01T10:00:00"}',
        ),
    ]
    assert raw(conn, "survey_responses", "response_id, score, comment, responded_at, _row_number") == [
        ("R3", 7, "fine", ts("2024-03-01 10:00:00"), 3),
    ]


def test_unparseable_decimal(conn, landing):
    # "12,50" is quoted, so the comma is inside the field: a decimal comma, not a separator.
    put(
        landing,
        "billing/subscriptions/s.csv",
        SUBSCRIPTIONS
        + (
            b'SUB1,1,A1,pro,false,month,3,"12,50",,EUR,2024-01-01,,2025-01-01,,2024-01-01T00:00:00\n'
            b"SUB2,1,A2,pro,true,year,10,12.50,15,USD,2024-02-01,2024-03-01,,2024-02-20T12:00:00,2024-02-20T12:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/subscriptions/s.csv")) == ("loaded", 2, 1, 1, None)
    assert quarantined(conn, "billing/subscriptions/s.csv") == [
        (
            1,
            None,
            "invalid_decimal: unit_amount",
            '{"subscription_id":"SUB1","version":"1","account_id":"A1","plan_id":"pro","is_trial":"false",'
            '"billing_interval":"month","quantity":"3","unit_amount":"12,50","discount_pct":null,"currency":"EUR",'
            '"valid_from":"2024-01-01","valid_to":null,"contract_end":"2025-01-01","canceled_at":null,'
            '"updated_at":"2024-01-01T00:00:00"}',
        ),
    ]
    assert raw(
        conn,
        "billing_subscriptions",
        "subscription_id, version, account_id, plan_id, is_trial, billing_interval, quantity, unit_amount, "
        "discount_pct, currency, valid_from, valid_to, contract_end, canceled_at, updated_at, _row_number",
    ) == [
        (
            "SUB2",
            1,
            "A2",
            "pro",
            True,
            "year",
            10,
            Decimal("12.50"),
            Decimal("15"),
            "USD",
            date(2024, 2, 1),
            date(2024, 3, 1),
            None,
            ts("2024-02-20 12:00:00"),
            ts("2024-02-20 12:00:00"),
            2,
        ),
    ]


def test_values_duckdb_would_cast_but_the_contract_does_not_allow(conn, landing):
    # DuckDB's casts are lenient: 'epoch' and 'infinity' are timestamps, '1e3' and '1_0' are
    # decimals, 'yes' is a boolean and a timestamp is a date.  None of them is the contract's
    # ISO-8601 timestamp, decimal in major units, boolean or date.
    def sub(
        i: int,
        is_trial: str = "false",
        unit: str = "12.50",
        valid_from: str = "2024-01-01",
        canceled: str = "",
        updated: str = "2024-01-01T00:00:00",
    ) -> bytes:
        return f"SUB{i},1,A1,pro,{is_trial},month,3,{unit},,EUR,{valid_from},,,{canceled},{updated}\n".encode()

    put(
        landing,
        "billing/subscriptions/s.csv",
        SUBSCRIPTIONS
        + b"".join(
            [
                sub(1, updated="epoch"),
                sub(2, canceled="infinity"),
                sub(3, unit="1e3"),
                sub(4, unit="1_0"),
                sub(5, is_trial="yes"),
                sub(6, valid_from="2024-03-01T10:00:00"),
                sub(7, is_trial="TRUE", unit="+.5", valid_from="2024-02-29", updated="2024-02-29 23:59:59+01:00"),
                sub(8, is_trial="0", unit="10.", canceled="2024-03-01T00:00:00Z"),
            ]
        ),
    )
    load(conn, landing)

    assert [(row, reason) for row, _, reason, _ in quarantined(conn, "billing/subscriptions/s.csv")] == [
        (1, "invalid_timestamp: updated_at"),
        (2, "invalid_timestamp: canceled_at"),
        (3, "invalid_decimal: unit_amount"),
        (4, "invalid_decimal: unit_amount"),
        (5, "invalid_boolean: is_trial"),
        (6, "invalid_date: valid_from"),
    ]
    assert raw(
        conn, "billing_subscriptions", "subscription_id, is_trial, unit_amount, valid_from, canceled_at, updated_at"
    ) == [
        ("SUB7", True, Decimal("0.5"), date(2024, 2, 29), None, ts("2024-02-29 22:59:59")),
        ("SUB8", False, Decimal("10"), date(2024, 1, 1), ts("2024-03-01 00:00:00"), ts("2024-01-01 00:00:00")),
    ]


def test_score_outside_its_scale_and_boundaries(conn, landing):
    put(
        landing,
        "survey/responses/r.csv",
        RESPONSES
        + (
            b"R01,I01,SV1,nps,relationship,A1,C1,11,,2024-03-01T10:00:00\n"
            b"R02,I02,SV2,csat,support,A1,C2,0,,2024-03-01T10:00:00\n"
            b"R03,I03,SV3,ces,support,A1,C3,8,,2024-03-01T10:00:00\n"
            b"R04,I04,SV1,nps,relationship,A1,C4,0,,2024-03-01T10:00:00\n"
            b"R05,I05,SV1,nps,relationship,A1,C5,10,,2024-03-01T10:00:00\n"
            b"R06,I06,SV2,csat,support,A1,C6,1,,2024-03-01T10:00:00\n"
            b"R07,I07,SV2,csat,support,A1,C7,5,,2024-03-01T10:00:00\n"
            b"R08,I08,SV3,ces,support,A1,C8,1,,2024-03-01T10:00:00\n"
            b"R09,I09,SV3,ces,support,A1,C9,7,,2024-03-01T10:00:00\n"
            b"R10,I10,SV1,nps,relationship,A1,C10,-1,,2024-03-01T10:00:00\n"
        ),
    )
    load(conn, landing)

    def delivered(rid, sv, kind, tp, contact, score):
        return (
            f'{{"response_id":"{rid}","invitation_id":"I{rid[1:]}","survey_id":"{sv}","survey_type":"{kind}",'
            f'"touchpoint":"{tp}","account_id":"A1","contact_id":"{contact}","score":"{score}","comment":null,'
            f'"responded_at":"2024-03-01T10:00:00"}}'
        )

    assert counts(manifest(conn, "survey/responses/r.csv")) == ("loaded", 10, 6, 4, None)
    assert quarantined(conn, "survey/responses/r.csv") == [
        (1, None, "score_out_of_scale: nps 11", delivered("R01", "SV1", "nps", "relationship", "C1", 11)),
        (2, None, "score_out_of_scale: csat 0", delivered("R02", "SV2", "csat", "support", "C2", 0)),
        (3, None, "score_out_of_scale: ces 8", delivered("R03", "SV3", "ces", "support", "C3", 8)),
        (10, None, "score_out_of_scale: nps -1", delivered("R10", "SV1", "nps", "relationship", "C10", -1)),
    ]
    assert raw(conn, "survey_responses", "response_id, survey_type, score, _row_number") == [
        ("R04", "nps", 0, 4),
        ("R05", "nps", 10, 5),
        ("R06", "csat", 1, 6),
        ("R07", "csat", 5, 7),
        ("R08", "ces", 1, 8),
        ("R09", "ces", 7, 9),
    ]


# --------------------------------------------------------------------------- closed vocabularies


def test_unknown_survey_type(conn, landing):
    put(
        landing,
        "survey/invitations/i.csv",
        INVITATIONS
        + (b"I1,SV1,sms,support,A1,C1,2024-03-01T09:00:00\nI2,SV1,csat,support,A1,C2,2024-03-01T09:00:00\n"),
    )
    put(
        landing,
        "survey/responses/r.csv",
        RESPONSES
        + (
            b"R1,I1,SV1,sms,support,A1,C1,3,,2024-03-01T10:00:00\nR2,I2,SV1,csat,support,A1,C2,3,,2024-03-01T10:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "survey/invitations/i.csv")) == ("loaded", 2, 1, 1, None)
    assert quarantined(conn, "survey/invitations/i.csv") == [
        (
            1,
            None,
            "unknown_value: survey_type='sms'",
            '{"invitation_id":"I1","survey_id":"SV1","survey_type":"sms","touchpoint":"support","account_id":"A1",'
            '"contact_id":"C1","sent_at":"2024-03-01T09:00:00"}',
        ),
    ]
    assert raw(conn, "survey_invitations", "invitation_id, survey_type, touchpoint, sent_at, _row_number") == [
        ("I2", "csat", "support", ts("2024-03-01 09:00:00"), 2),
    ]
    # A response of unknown type has no scale to check: the one reason is the type itself.
    assert counts(manifest(conn, "survey/responses/r.csv")) == ("loaded", 2, 1, 1, None)
    assert [q[:3] for q in quarantined(conn, "survey/responses/r.csv")] == [
        (1, None, "unknown_value: survey_type='sms'")
    ]
    assert raw(conn, "survey_responses", "response_id, survey_type, score") == [("R2", "csat", 3)]


def test_unknown_segment(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,Acme,startup,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
            b"A2,Beta,mid_market,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 2, 1, 1, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (
            1,
            None,
            "unknown_value: segment='startup'",
            '{"account_id":"A1","account_name":"Acme","segment":"startup","industry":null,"region":null,'
            '"created_at":"2024-01-01T00:00:00","updated_at":"2024-01-02T00:00:00"}',
        ),
    ]
    assert raw(conn, "billing_accounts", "account_id, segment, _row_number") == [("A2", "mid_market", 2)]


def test_unknown_invoice_status(conn, landing):
    put(
        landing,
        "billing/invoices/i.csv",
        INVOICES
        + (
            b"INV1,A1,SUB1,refunded,USD,100.00,0,2024-03-01T00:00:00,2024-03-31T00:00:00,,2024-03-01T00:00:00\n"
            b"INV2,A1,,paid,USD,100.00,100.00,2024-03-01T00:00:00,2024-03-31T00:00:00,2024-03-05T14:00:00,2024-03-05T14:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/invoices/i.csv")) == ("loaded", 2, 1, 1, None)
    assert quarantined(conn, "billing/invoices/i.csv") == [
        (
            1,
            None,
            "unknown_value: status='refunded'",
            '{"invoice_id":"INV1","account_id":"A1","subscription_id":"SUB1","status":"refunded","currency":"USD",'
            '"amount_due":"100.00","amount_paid":"0","issued_at":"2024-03-01T00:00:00","due_at":"2024-03-31T00:00:00",'
            '"paid_at":null,"updated_at":"2024-03-01T00:00:00"}',
        ),
    ]
    assert raw(
        conn,
        "billing_invoices",
        "invoice_id, account_id, subscription_id, status, currency, amount_due, amount_paid, issued_at, due_at, paid_at, updated_at",
    ) == [
        (
            "INV2",
            "A1",
            None,
            "paid",
            "USD",
            Decimal("100"),
            Decimal("100"),
            ts("2024-03-01 00:00:00"),
            ts("2024-03-31 00:00:00"),
            ts("2024-03-05 14:00:00"),
            ts("2024-03-05 14:00:00"),
        ),
    ]


def test_unknown_billing_interval(conn, landing):
    put(
        landing,
        "billing/subscriptions/s.csv",
        SUBSCRIPTIONS
        + (
            b"SUB1,1,A1,pro,false,week,3,10.00,,USD,2024-01-01,,,,2024-01-01T00:00:00\n"
            b"SUB2,2,A1,pro,false,month,4,10.00,,USD,2024-01-01,,,,2024-01-01T00:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/subscriptions/s.csv")) == ("loaded", 2, 1, 1, None)
    assert quarantined(conn, "billing/subscriptions/s.csv") == [
        (
            1,
            None,
            "unknown_value: billing_interval='week'",
            '{"subscription_id":"SUB1","version":"1","account_id":"A1","plan_id":"pro","is_trial":"false",'
            '"billing_interval":"week","quantity":"3","unit_amount":"10.00","discount_pct":null,"currency":"USD",'
            '"valid_from":"2024-01-01","valid_to":null,"contract_end":null,"canceled_at":null,'
            '"updated_at":"2024-01-01T00:00:00"}',
        ),
    ]
    assert raw(conn, "billing_subscriptions", "subscription_id, version, billing_interval, quantity, unit_amount") == [
        ("SUB2", 2, "month", 4, Decimal("10")),
    ]


# --------------------------------------------------------------------------- missing values, duplicates


def test_missing_required_value(conn, landing):
    # An optional value (industry, region) may be empty; a required one may not, nor be only blanks.
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
            b"A2,Beta,,,,,2024-01-02T00:00:00\n"
            b'A3,"   ",smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n'
            b"A4,Delta,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 4, 1, 3, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (
            1,
            None,
            "missing_required: account_name",
            '{"account_id":"A1","account_name":null,"segment":"smb","industry":null,"region":null,'
            '"created_at":"2024-01-01T00:00:00","updated_at":"2024-01-02T00:00:00"}',
        ),
        (
            2,
            None,
            "missing_required: segment; missing_required: created_at",
            '{"account_id":"A2","account_name":"Beta","segment":null,"industry":null,"region":null,'
            '"created_at":null,"updated_at":"2024-01-02T00:00:00"}',
        ),
        (
            3,
            None,
            "missing_required: account_name",
            '{"account_id":"A3","account_name":"   ","segment":"smb","industry":null,"region":null,'
            '"created_at":"2024-01-01T00:00:00","updated_at":"2024-01-02T00:00:00"}',
        ),
    ]
    assert raw(conn, "billing_accounts", "account_id, account_name, industry, region, _row_number") == [
        ("A4", "Delta", None, None, 4),
    ]


def test_duplicate_key_in_file_keeps_latest_updated_at(conn, landing):
    # The newest version of A1 is the middle row, not the last one.
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,Acme v1,smb,,,2024-01-01T00:00:00,2024-01-05T00:00:00\n"
            b"A1,Acme v3,enterprise,,,2024-01-01T00:00:00,2024-02-01T00:00:00\n"
            b"A1,Acme v2,mid_market,,,2024-01-01T00:00:00,2024-01-20T00:00:00\n"
            b"A2,Beta,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 4, 2, 2, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (
            1,
            None,
            "duplicate_key_in_file: kept row 2",
            '{"account_id":"A1","account_name":"Acme v1","segment":"smb","industry":null,"region":null,'
            '"created_at":"2024-01-01T00:00:00","updated_at":"2024-01-05T00:00:00"}',
        ),
        (
            3,
            None,
            "duplicate_key_in_file: kept row 2",
            '{"account_id":"A1","account_name":"Acme v2","segment":"mid_market","industry":null,"region":null,'
            '"created_at":"2024-01-01T00:00:00","updated_at":"2024-01-20T00:00:00"}',
        ),
    ]
    assert raw(conn, "billing_accounts", "account_id, account_name, segment, updated_at, _row_number") == [
        ("A1", "Acme v3", "enterprise", ts("2024-02-01 00:00:00"), 2),
        ("A2", "Beta", "smb", ts("2024-01-02 00:00:00"), 4),
    ]


def test_duplicate_key_in_file_without_updated_at_keeps_last_row(conn, landing):
    put(
        landing,
        "product/users/u.csv",
        USERS
        + (
            b"U1,A1,first@example.com,member,2024-01-01T00:00:00\n"
            b"U2,A1,u2@example.com,viewer,2024-01-02T00:00:00\n"
            b"U1,A1,second@example.com,admin,2024-01-01T00:00:00\n"
        ),
    )
    put(
        landing,
        "survey/responses/r.csv",
        RESPONSES
        + (
            b"R1,I1,SV1,nps,support,A1,C1,3,first,2024-03-01T10:00:00\n"
            b"R1,I1,SV1,nps,support,A1,C1,9,retry,2024-03-01T10:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "product/users/u.csv")) == ("loaded", 3, 2, 1, None)
    assert quarantined(conn, "product/users/u.csv") == [
        (
            1,
            None,
            "duplicate_key_in_file: kept row 3",
            '{"user_id":"U1","account_id":"A1","email":"first@example.com","role":"member",'
            '"created_at":"2024-01-01T00:00:00"}',
        ),
    ]
    assert raw(conn, "product_users", "user_id, account_id, email, role, created_at, _row_number") == [
        ("U2", "A1", "u2@example.com", "viewer", ts("2024-01-02 00:00:00"), 2),
        ("U1", "A1", "second@example.com", "admin", ts("2024-01-01 00:00:00"), 3),
    ]
    assert counts(manifest(conn, "survey/responses/r.csv")) == ("loaded", 2, 1, 1, None)
    assert [q[:3] for q in quarantined(conn, "survey/responses/r.csv")] == [
        (1, None, "duplicate_key_in_file: kept row 2")
    ]
    assert raw(conn, "survey_responses", "response_id, score, comment, _row_number") == [("R1", 9, "retry", 2)]


def test_duplicate_key_across_files_keeps_both_rows_in_different_batches(conn, landing):
    put(
        landing,
        "billing/accounts/2024-03-01.csv",
        ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-03-01T00:00:00\n",
    )
    put(
        landing,
        "billing/accounts/2024-03-02.csv",
        ACCOUNTS + b"A1,Acme Corp,enterprise,,,2024-01-01T00:00:00,2024-03-02T00:00:00\n",
    )
    load(conn, landing)

    first = manifest(conn, "billing/accounts/2024-03-01.csv")
    second = manifest(conn, "billing/accounts/2024-03-02.csv")
    assert counts(first) == counts(second) == ("loaded", 1, 1, 0, None)
    assert first["batch_id"] != second["batch_id"]
    assert conn.execute("select count(*) from raw.load_quarantine").fetchone()[0] == 0
    assert raw(conn, "billing_accounts", "account_id, account_name, segment, updated_at, _batch_id") == [
        ("A1", "Acme", "smb", ts("2024-03-01 00:00:00"), first["batch_id"]),
        ("A1", "Acme Corp", "enterprise", ts("2024-03-02 00:00:00"), second["batch_id"]),
    ]


# --------------------------------------------------------------------------- file shape


def test_extra_unknown_columns_are_ignored_and_noted(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        (
            b"account_id,account_name,notes,segment,industry,region,created_at,updated_at,Owner Email\n"
            b"A1,Acme,call back,smb,Software,NA,2024-01-01T00:00:00,2024-01-02T00:00:00,owner@example.com\n"
            b"A2,Beta,,enterprise,,EMEA,2024-01-01T00:00:00,2024-01-02T00:00:00,\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == (
        "loaded",
        2,
        2,
        0,
        "ignored unknown columns: notes, Owner Email",
    )
    assert raw(
        conn, "billing_accounts", "account_id, account_name, segment, industry, region, created_at, updated_at"
    ) == [
        ("A1", "Acme", "smb", "Software", "NA", ts("2024-01-01 00:00:00"), ts("2024-01-02 00:00:00")),
        ("A2", "Beta", "enterprise", None, "EMEA", ts("2024-01-01 00:00:00"), ts("2024-01-02 00:00:00")),
    ]
    assert [c[0] for c in conn.execute("describe raw.billing_accounts").fetchall()] == [
        "account_id",
        "account_name",
        "segment",
        "industry",
        "region",
        "created_at",
        "updated_at",
        "_batch_id",
        "_row_number",
        "_loaded_at",
    ]


def test_columns_in_another_order(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        (
            b"updated_at,region,segment,account_name,created_at,industry,account_id\n"
            b"2024-01-02T00:00:00,NA,smb,Acme,2024-01-01T00:00:00,Software,A1\n"
            b"2024-01-04T00:00:00,APAC,galaxy,Beta,2024-01-03T00:00:00,,A2\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 2, 1, 1, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (
            2,
            None,
            "unknown_value: segment='galaxy'",
            '{"updated_at":"2024-01-04T00:00:00","region":"APAC","segment":"galaxy","account_name":"Beta",'
            '"created_at":"2024-01-03T00:00:00","industry":null,"account_id":"A2"}',
        ),
    ]
    assert raw(
        conn, "billing_accounts", "account_id, account_name, segment, industry, region, created_at, updated_at"
    ) == [
        ("A1", "Acme", "smb", "Software", "NA", ts("2024-01-01 00:00:00"), ts("2024-01-02 00:00:00")),
    ]


def test_header_only_loads_zero_rows(conn, landing):
    put(landing, "billing/accounts/with_newline.csv", ACCOUNTS)
    put(landing, "billing/invoices/without_newline.csv", INVOICES.rstrip(b"\n"))
    summary = load(conn, landing)

    for path in ("billing/accounts/with_newline.csv", "billing/invoices/without_newline.csv"):
        assert counts(manifest(conn, path)) == ("loaded", 0, 0, 0, "header only: no data rows"), path
    assert summary.entities["billing_accounts"].files_loaded == 1
    assert not summary.has_failures
    assert conn.execute("select count(*) from raw.billing_accounts").fetchone()[0] == 0


def test_zero_bytes_fails_and_the_next_file_still_loads(conn, landing):
    put(landing, "billing/accounts/a_empty.csv", b"")
    put(landing, "billing/accounts/b_good.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    summary = load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a_empty.csv")) == ("failed", None, 0, 0, "empty_file: zero bytes")
    assert counts(manifest(conn, "billing/accounts/b_good.csv")) == ("loaded", 1, 1, 0, None)
    assert raw(conn, "billing_accounts", "account_id, account_name") == [("A1", "Acme")]
    accounts = summary.entities["billing_accounts"]
    assert accounts.files_failed == [("billing/accounts/a_empty.csv", "empty_file: zero bytes")]
    assert (accounts.files_loaded, accounts.rows_loaded, summary.files_failed_count) == (1, 1, 1)


def test_utf8_with_bom(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        b"\xef\xbb\xbf"
        + ACCOUNTS
        + (
            "A1,Café Zürich,smb,,DACH,2024-01-01T00:00:00,2024-01-02T00:00:00\n".encode()
            + b"A2,Beta,huge,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 2, 1, 1, None)
    # The BOM is not part of the first column's name nor of its values.
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (
            2,
            None,
            "unknown_value: segment='huge'",
            '{"account_id":"A2","account_name":"Beta","segment":"huge","industry":null,"region":null,'
            '"created_at":"2024-01-01T00:00:00","updated_at":"2024-01-02T00:00:00"}',
        ),
    ]
    assert raw(conn, "billing_accounts", "account_id, account_name, region, created_at") == [
        ("A1", "Café Zürich", "DACH", ts("2024-01-01 00:00:00")),
    ]


def test_windows_line_endings(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        (
            b"account_id,account_name,segment,industry,region,created_at,updated_at\r\n"
            b"A1,Acme,smb,,NA,2024-01-01T00:00:00,2024-01-02T00:00:00\r\n"
            b"A2,Beta\r\n"
            b"A3,Gamma,enterprise,Retail,EMEA,2024-01-03T00:00:00,2024-01-04T00:00:00\r\n"
            b"A4,Delta,tiny,,,2024-01-03T00:00:00,2024-01-04T00:00:00\r\n"
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == ("loaded", 4, 2, 2, None)
    assert quarantined(conn, "billing/accounts/a.csv") == [
        (2, None, "wrong_field_count: Expected Number of Columns: 7 Found: 2", "A2,Beta"),
        (
            4,
            None,
            "unknown_value: segment='tiny'",
            '{"account_id":"A4","account_name":"Delta","segment":"tiny","industry":null,"region":null,'
            '"created_at":"2024-01-03T00:00:00","updated_at":"2024-01-04T00:00:00"}',
        ),
    ]
    # No stray carriage return in the last column: updated_at parses.
    assert raw(conn, "billing_accounts", "account_id, segment, industry, region, updated_at, _row_number") == [
        ("A1", "smb", None, "NA", ts("2024-01-02 00:00:00"), 1),
        ("A3", "enterprise", "Retail", "EMEA", ts("2024-01-04 00:00:00"), 3),
    ]


def test_quoted_fields_with_commas_quotes_and_newlines(conn, landing):
    put(
        landing,
        "survey/responses/r.csv",
        RESPONSES
        + (
            b'R1,I1,SV1,nps,support,A1,C1,9,"Fast, friendly ""support""\nwould recommend",2024-03-01T10:00:00\n'
            b'R2,I2,SV1,nps,support,A1,C2,11,"too, ""high""",2024-03-01T11:00:00\n'
            b'R3,,SV2,csat,product,A2,C3,4,"multi\r\nline\n\ncomment, \xe2\x9c\x93",2024-03-02T09:00:00\n'
            b"R4,I4,SV3,ces\n"
            b'R5,I5,SV3,ces,product,A2,C5,2,"""quoted"" start",2024-03-02T09:30:00\n'
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "survey/responses/r.csv")) == ("loaded", 5, 3, 2, None)
    assert quarantined(conn, "survey/responses/r.csv") == [
        (
            2,
            None,
            "score_out_of_scale: nps 11",
            '{"response_id":"R2","invitation_id":"I2","survey_id":"SV1","survey_type":"nps","touchpoint":"support",'
            '"account_id":"A1","contact_id":"C2","score":"11","comment":"too, \\"high\\"",'
            '"responded_at":"2024-03-01T11:00:00"}',
        ),
        (4, None, "wrong_field_count: Expected Number of Columns: 10 Found: 4", "R4,I4,SV3,ces"),
    ]
    assert raw(conn, "survey_responses", "response_id, invitation_id, score, comment, responded_at, _row_number") == [
        ("R1", "I1", 9, 'Fast, friendly "support"\nwould recommend', ts("2024-03-01 10:00:00"), 1),
        ("R3", None, 4, "multi\r\nline\n\ncomment, \u2713", ts("2024-03-02 09:00:00"), 3),
        ("R5", "I5", 2, '"quoted" start', ts("2024-03-02 09:30:00"), 5),
    ]


def test_quoted_field_that_never_closes_fails_the_file_instead_of_dropping_its_tail(conn, landing):
    # The quote opened in R2's comment swallows R3 and R4: a reader that stops there would
    # silently lose three records; the file fails as a whole and names the line.
    put(
        landing,
        "survey/responses/a_broken.csv",
        RESPONSES
        + (
            b'R1,I1,SV1,nps,support,A1,C1,9,"ok, ""fine""\nreally",2024-03-01T10:00:00\n'
            b'R2,I2,SV1,nps,support,A1,C2,8,"never closed,2024-03-01T10:00:00\n'
            b"R3,I3,SV1,nps,support,A1,C3,7,,2024-03-01T10:00:00\n"
            b"R4,I4,SV1,nps,support,A1,C4,5,,2024-03-01T10:00:00\n"
        ),
    )
    # A bare quote inside an unquoted field is text, not an opening quote.
    put(
        landing,
        "survey/responses/b_good.csv",
        RESPONSES + (b'R5,I5,SV1,nps,support,A1,C5,6,a 5" screen,2024-03-01T10:00:00\n'),
    )
    summary = load(conn, landing)

    assert counts(manifest(conn, "survey/responses/a_broken.csv")) == (
        "failed",
        None,
        0,
        0,
        "unterminated_quote: the quoted field opened on line 4 never closes",
    )
    assert counts(manifest(conn, "survey/responses/b_good.csv")) == ("loaded", 1, 1, 0, None)
    assert raw(conn, "survey_responses", "response_id, comment") == [("R5", 'a 5" screen')]
    assert summary.files_failed_count == 1


def test_reference_to_unknown_account_is_loaded(conn, landing):
    # Referential integrity is checked downstream (dbt test), never by dropping rows here.
    put(landing, "billing/accounts/a.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    put(
        landing,
        "billing/invoices/i.csv",
        INVOICES + (b"INV9,A-GHOST,,open,USD,49.90,0,2024-03-01T00:00:00,2024-03-31T00:00:00,,2024-03-01T00:00:00\n"),
    )
    put(
        landing,
        "product/events/e.jsonl",
        (
            b'{"event_id":"E1","account_id":"A-GHOST","user_id":"U-GHOST","event_name":"session_started",'
            b'"occurred_at":"2024-03-01T10:00:00Z","received_at":"2024-03-01T10:00:01Z"}\n'
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/invoices/i.csv")) == ("loaded", 1, 1, 0, None)
    assert counts(manifest(conn, "product/events/e.jsonl")) == ("loaded", 1, 1, 0, None)
    assert conn.execute("select count(*) from raw.load_quarantine").fetchone()[0] == 0
    assert raw(conn, "billing_invoices", "invoice_id, account_id, status, amount_due, amount_paid") == [
        ("INV9", "A-GHOST", "open", Decimal("49.90"), Decimal("0")),
    ]
    assert raw(conn, "product_events", "event_id, account_id, user_id") == [("E1", "A-GHOST", "U-GHOST")]


def test_not_csv_at_all_fails(conn, landing):
    # A PNG (not UTF-8) and bytes with NUL characters, both named .csv.
    put(landing, "billing/accounts/a_image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x08\x06")
    put(landing, "billing/accounts/b_nul.csv", b"\x00\x01\x02\x03binary\x00\nmore\x00\x00\n")
    put(landing, "billing/accounts/c_good.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    summary = load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a_image.csv")) == (
        "failed",
        None,
        0,
        0,
        "not_csv: the header is not UTF-8 text",
    )
    assert counts(manifest(conn, "billing/accounts/b_nul.csv")) == ("failed", None, 0, 0, "not_csv: binary content")
    assert counts(manifest(conn, "billing/accounts/c_good.csv")) == ("loaded", 1, 1, 0, None)
    assert raw(conn, "billing_accounts", "account_id") == [("A1",)]
    assert summary.files_failed_count == 2


def test_missing_required_column_fails_naming_it(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        (
            b"account_id,account_name,industry,region,created_at,updated_at\n"
            b"A1,Acme,Software,NA,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    put(
        landing,
        "billing/invoices/i.csv",
        (
            b"invoice_id,account_id,status,currency,amount_due,issued_at,due_at,updated_at\n"
            b"INV1,A1,open,USD,10,2024-03-01T00:00:00,2024-03-31T00:00:00,2024-03-01T00:00:00\n"
        ),
    )
    put(landing, "billing/accounts/b.csv", ACCOUNTS + b"A2,Beta,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    summary = load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/a.csv")) == (
        "failed",
        None,
        0,
        0,
        "missing_required_columns: segment",
    )
    assert counts(manifest(conn, "billing/invoices/i.csv")) == (
        "failed",
        None,
        0,
        0,
        "missing_required_columns: amount_paid",
    )
    assert counts(manifest(conn, "billing/accounts/b.csv")) == ("loaded", 1, 1, 0, None)
    assert raw(conn, "billing_accounts", "account_id") == [("A2",)]
    assert conn.execute("select count(*) from raw.billing_invoices").fetchone()[0] == 0
    assert summary.entities["billing_invoices"].files_failed == [
        ("billing/invoices/i.csv", "missing_required_columns: amount_paid"),
    ]


def test_unsupported_extension_fails(conn, landing):
    put(landing, "billing/accounts/accounts.xlsx", b"PK\x03\x04 not really a workbook")
    put(landing, "billing/accounts/accounts.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    put(landing, "product/events/events.json", b'[{"event_id":"E1"}]')
    summary = load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/accounts.xlsx")) == (
        "failed",
        None,
        0,
        0,
        "unsupported_file_type: expected .csv",
    )
    assert counts(manifest(conn, "product/events/events.json")) == (
        "failed",
        None,
        0,
        0,
        "unsupported_file_type: expected one of .jsonl, .jsonl.gz, .parquet",
    )
    assert counts(manifest(conn, "billing/accounts/accounts.csv")) == ("loaded", 1, 1, 0, None)
    assert summary.files_failed_count == 2


# --------------------------------------------------------------------------- events


EVENT = (
    '{{"event_id":"{id}","account_id":"A1","user_id":"U1","event_name":"feature_used",'
    '"occurred_at":"{at}","received_at":"2024-03-01T10:00:05Z","properties":{{"feature":"{feature}"}}}}'
)


def test_events_jsonl_with_malformed_blank_incomplete_and_bad_timestamp_lines(conn, landing):
    put(
        landing,
        "product/events/e.jsonl",
        (
            EVENT.format(id="E1", at="2024-03-01T10:00:00Z", feature="dashboards")
            + "\n"
            + "\n"
            + '{"event_id":"E2","account_id":"A1", oops\n'
            + '{"event_id":"E3","account_id":"A1","event_name":"session_started","occurred_at":"2024-03-01T10:00:00Z","received_at":"2024-03-01T10:00:00Z"}\n'
            + EVENT.format(id="E4", at="last tuesday", feature="reports")
            + "\n"
            + '{"event_id":"E5","account_id":"A1","user_id":"U1","event_name":"session_started","occurred_at":"2024-03-01T11:00:00","received_at":"2024-03-01T11:00:00","properties":null}\n'
        ).encode(),
    )
    summary = load(conn, landing)

    # Six non-blank lines would be wrong: five records were delivered, the blank line is noted.
    assert counts(manifest(conn, "product/events/e.jsonl")) == ("loaded", 5, 2, 3, "1 blank line(s) skipped")
    assert quarantined(conn, "product/events/e.jsonl") == [
        (3, 3, "invalid_json: not a JSON object", '{"event_id":"E2","account_id":"A1", oops'),
        (
            4,
            4,
            "missing_required: user_id",
            '{"event_id":"E3","account_id":"A1","event_name":"session_started","occurred_at":"2024-03-01T10:00:00Z","received_at":"2024-03-01T10:00:00Z"}',
        ),
        (5, 5, "invalid_timestamp: occurred_at", EVENT.format(id="E4", at="last tuesday", feature="reports")),
    ]
    assert raw(
        conn,
        "product_events",
        "event_id, account_id, user_id, event_name, occurred_at, received_at, properties, _row_number",
    ) == [
        (
            "E1",
            "A1",
            "U1",
            "feature_used",
            ts("2024-03-01 10:00:00"),
            ts("2024-03-01 10:00:05"),
            '{"feature":"dashboards"}',
            1,
        ),
        ("E5", "A1", "U1", "session_started", ts("2024-03-01 11:00:00"), ts("2024-03-01 11:00:00"), None, 6),
    ]
    events = summary.entities["product_events"]
    assert (events.rows_loaded, events.rows_quarantined) == (2, 3)


def test_events_properties_that_are_not_an_object_are_quarantined(conn, landing):
    # properties is a JSON object or absent/null; a string or array is not silently dropped.
    put(
        landing,
        "product/events/e.jsonl",
        (
            b'{"event_id":"E1","account_id":"A1","user_id":"U1","event_name":"feature_used","occurred_at":"2024-03-01T10:00:00Z","received_at":"2024-03-01T10:00:00Z","properties":"feature=export"}\n'
            b'{"event_id":"E2","account_id":"A1","user_id":"U1","event_name":"feature_used","occurred_at":"2024-03-01T10:00:00Z","received_at":"2024-03-01T10:00:00Z","properties":["export"]}\n'
            b'{"event_id":"E3","account_id":"A1","user_id":"U1","event_name":"feature_used","occurred_at":"2024-03-01T10:00:00Z","received_at":"2024-03-01T10:00:00Z","properties":{"feature":"export","n":2}}\n'
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "product/events/e.jsonl")) == ("loaded", 3, 1, 2, None)
    assert [q[:3] for q in quarantined(conn, "product/events/e.jsonl")] == [
        (1, 1, "invalid_json_object: properties"),
        (2, 2, "invalid_json_object: properties"),
    ]
    assert raw(conn, "product_events", "event_id, properties") == [("E3", '{"feature":"export","n":2}')]


def test_events_jsonl_gz(conn, landing):
    put(
        landing,
        "product/events/day.jsonl.gz",
        gzip.compress(
            (
                EVENT.format(id="E1", at="2024-03-01T10:00:00Z", feature="dashboards")
                + "\n"
                + EVENT.format(id="E2", at="2024-03-01T12:00:00+01:00", feature="reports")
                + "\n"
                + '{"event_id":"E3"}\n'
            ).encode()
        ),
    )
    load(conn, landing)

    assert counts(manifest(conn, "product/events/day.jsonl.gz")) == ("loaded", 3, 2, 1, None)
    assert quarantined(conn, "product/events/day.jsonl.gz") == [
        (
            3,
            3,
            "missing_required: account_id; missing_required: user_id; missing_required: event_name; "
            "missing_required: occurred_at; missing_required: received_at",
            '{"event_id":"E3"}',
        ),
    ]
    assert raw(conn, "product_events", "event_id, occurred_at, received_at, properties, _row_number") == [
        ("E1", ts("2024-03-01 10:00:00"), ts("2024-03-01 10:00:05"), '{"feature":"dashboards"}', 1),
        ("E2", ts("2024-03-01 11:00:00"), ts("2024-03-01 10:00:05"), '{"feature":"reports"}', 2),
    ]


def test_truncated_jsonl_gz_fails_and_loads_none_of_its_rows(conn, landing):
    lines = "".join(
        EVENT.format(id=f"T{i:04d}", at="2024-03-01T10:00:00Z", feature=f"feature_{i % 7}") + "\n" for i in range(2000)
    ).encode()
    complete = gzip.compress(lines)
    put(landing, "product/events/a_truncated.jsonl.gz", complete[: len(complete) // 2])
    put(landing, "product/events/b_tail_missing.jsonl.gz", complete[:-6])
    put(
        landing,
        "product/events/c_good.jsonl.gz",
        gzip.compress((EVENT.format(id="G1", at="2024-03-01T10:00:00Z", feature="x") + "\n").encode()),
    )
    summary = load(conn, landing)

    reason = "corrupt_gzip: Compressed file ended before the end-of-stream marker was reached"
    assert counts(manifest(conn, "product/events/a_truncated.jsonl.gz")) == ("failed", None, 0, 0, reason)
    assert counts(manifest(conn, "product/events/b_tail_missing.jsonl.gz")) == ("failed", None, 0, 0, reason)
    assert counts(manifest(conn, "product/events/c_good.jsonl.gz")) == ("loaded", 1, 1, 0, None)
    assert raw(conn, "product_events", "event_id") == [("G1",)]
    assert summary.entities["product_events"].files_failed == [
        ("product/events/a_truncated.jsonl.gz", reason),
        ("product/events/b_tail_missing.jsonl.gz", reason),
    ]


def write_parquet(path: Path, select_sql: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as writer:
        writer.execute(f"copy ({select_sql}) to '{path}' (format parquet)")


def test_events_parquet_with_a_bad_row(conn, landing):
    write_parquet(
        landing / "product/events/part-0.parquet",
        """
        select * from (values
            ('P1', 'A1', 'U1', 'feature_used', '2024-03-31T23:30:00-02:00', timestamp '2024-04-01 01:31:00', {'feature': 'export'}),
            ('P2', 'A1', null, 'feature_used', '2024-03-01T10:00:00', timestamp '2024-03-01 10:00:05', {'feature': 'alerts'}),
            ('P3', 'A2', 'U2', 'session_started', 'not-a-time', timestamp '2024-03-01 10:00:05', null),
            ('P4', 'A2', 'U2', 'session_started', '2024-03-01 10:00:00', timestamp '2024-03-01 10:00:05', null)
        ) as t(event_id, account_id, user_id, event_name, occurred_at, received_at, properties)
    """,
    )
    load(conn, landing)

    assert counts(manifest(conn, "product/events/part-0.parquet")) == ("loaded", 4, 2, 2, None)
    assert quarantined(conn, "product/events/part-0.parquet") == [
        (
            2,
            None,
            "missing_required: user_id",
            '{"event_id":"P2","account_id":"A1","user_id":null,"event_name":"feature_used",'
            '"occurred_at":"2024-03-01T10:00:00","received_at":"2024-03-01 10:00:05","properties":{"feature":"alerts"}}',
        ),
        (
            3,
            None,
            "invalid_timestamp: occurred_at",
            '{"event_id":"P3","account_id":"A2","user_id":"U2","event_name":"session_started",'
            '"occurred_at":"not-a-time","received_at":"2024-03-01 10:00:05","properties":null}',
        ),
    ]
    assert raw(
        conn,
        "product_events",
        "event_id, account_id, user_id, event_name, occurred_at, received_at, properties, _row_number",
    ) == [
        (
            "P1",
            "A1",
            "U1",
            "feature_used",
            ts("2024-04-01 01:30:00"),
            ts("2024-04-01 01:31:00"),
            '{"feature":"export"}',
            1,
        ),
        ("P4", "A2", "U2", "session_started", ts("2024-03-01 10:00:00"), ts("2024-03-01 10:00:05"), None, 4),
    ]


def test_events_parquet_missing_a_required_column_fails(conn, landing):
    write_parquet(
        landing / "product/events/a.parquet",
        """
        select 'P1' as event_id, 'A1' as account_id, 'U1' as user_id,
               timestamp '2024-03-01 10:00:00' as occurred_at, timestamp '2024-03-01 10:00:05' as received_at
    """,
    )
    write_parquet(
        landing / "product/events/b.parquet",
        """
        select 'P2' as event_id, 'A1' as account_id, 'U1' as user_id, 'session_started' as event_name,
               timestamptz '2024-03-01 12:00:00+02:00' as occurred_at, timestamp '2024-03-01 10:00:05' as received_at
    """,
    )
    load(conn, landing)

    assert counts(manifest(conn, "product/events/a.parquet")) == (
        "failed",
        None,
        0,
        0,
        "missing_required_columns: event_name",
    )
    # properties is optional: a Parquet without it loads; a TIMESTAMPTZ column arrives in UTC.
    assert counts(manifest(conn, "product/events/b.parquet")) == ("loaded", 1, 1, 0, None)
    assert raw(conn, "product_events", "event_id, event_name, occurred_at, properties") == [
        ("P2", "session_started", ts("2024-03-01 10:00:00"), None),
    ]


def test_offset_timestamps_are_converted_to_utc_and_no_offset_is_utc(conn, landing):
    # Whatever the session time zone was before, timestamps land as UTC wall time.
    conn.execute("set TimeZone = 'America/New_York'")
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,Acme,smb,,,2024-03-31T23:30:00-02:00,2024-04-01T00:00:00\n"
            b"A2,Beta,smb,,,2024-04-01 09:15:00+05:30,2024-04-01T00:00:00Z\n"
            b"A3,Gamma,smb,,,2024-06-15T12:00:00.250+00:00,2024-06-15\n"
        ),
    )
    put(
        landing,
        "product/events/e.jsonl",
        (
            EVENT.format(id="E1", at="2024-03-31T23:30:00-02:00", feature="x")
            + "\n"
            + EVENT.format(id="E2", at="2024-03-31T23:30:00", feature="x")
            + "\n"
        ).encode(),
    )
    load(conn, landing)

    assert raw(conn, "billing_accounts", "account_id, created_at, updated_at") == [
        ("A1", ts("2024-04-01 01:30:00"), ts("2024-04-01 00:00:00")),
        ("A2", ts("2024-04-01 03:45:00"), ts("2024-04-01 00:00:00")),
        ("A3", ts("2024-06-15 12:00:00.250"), ts("2024-06-15 00:00:00")),
    ]
    assert raw(conn, "product_events", "event_id, occurred_at") == [
        ("E1", ts("2024-04-01 01:30:00")),
        ("E2", ts("2024-03-31 23:30:00")),
    ]


# --------------------------------------------------------------------------- each content exactly once


def test_rerun_is_idempotent(conn, landing):
    put(
        landing,
        "billing/accounts/a.csv",
        ACCOUNTS
        + (
            b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
            b"A2,Beta,blue,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    put(landing, "billing/accounts/broken.csv", b"")
    put(
        landing,
        "product/events/e.jsonl.gz",
        gzip.compress((EVENT.format(id="E1", at="2024-03-01T10:00:00Z", feature="x") + "\n").encode()),
    )
    first = load(conn, landing)
    assert (first.rows_loaded, first.files_failed_count) == (2, 1)
    before = conn.execute(
        "select (select count(*) from raw.load_manifest), (select count(*) from raw.load_quarantine), "
        "(select count(*) from raw.billing_accounts), (select count(*) from raw.product_events)"
    ).fetchone()
    assert before == (3, 1, 1, 1)

    second = load(conn, landing)

    assert second.rows_loaded == 0
    # The failed file is still there: reported again (not recorded again), see item 13 below.
    assert second.entities["billing_accounts"].files_failed == [
        ("billing/accounts/broken.csv", "empty_file: zero bytes")
    ]
    assert {
        t: (e.files_loaded, e.files_skipped, e.rows_loaded, e.rows_quarantined) for t, e in second.entities.items()
    } == {
        "billing_accounts": (0, 1, 0, 0),
        "billing_subscriptions": (0, 0, 0, 0),
        "billing_invoices": (0, 0, 0, 0),
        "survey_invitations": (0, 0, 0, 0),
        "survey_responses": (0, 0, 0, 0),
        "product_users": (0, 0, 0, 0),
        "product_events": (0, 1, 0, 0),
        "support_tickets": (0, 0, 0, 0),
    }
    after = conn.execute(
        "select (select count(*) from raw.load_manifest), (select count(*) from raw.load_quarantine), "
        "(select count(*) from raw.billing_accounts), (select count(*) from raw.product_events)"
    ).fetchone()
    assert after == before


def test_same_bytes_under_a_new_name_are_skipped(conn, landing):
    content = ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
    put(landing, "billing/accounts/2024-03-01.csv", content)
    load(conn, landing)
    put(landing, "billing/accounts/2024-03-01 (copy).csv", content)

    summary = load(conn, landing)

    assert (summary.entities["billing_accounts"].files_loaded, summary.entities["billing_accounts"].files_skipped) == (
        0,
        2,
    )
    assert conn.execute("select file_path from raw.load_manifest").fetchall() == [("billing/accounts/2024-03-01.csv",)]
    assert raw(conn, "billing_accounts", "account_id") == [("A1",)]


def test_changed_file_under_the_same_name_is_a_new_batch(conn, landing):
    put(landing, "billing/accounts/accounts.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    load(conn, landing)
    put(
        landing,
        "billing/accounts/accounts.csv",
        ACCOUNTS
        + (
            b"A1,Acme Corporation,enterprise,,,2024-01-01T00:00:00,2024-03-01T00:00:00\n"
            b"A2,Beta,smb,,,2024-02-01T00:00:00,2024-02-01T00:00:00\n"
        ),
    )

    summary = load(conn, landing)

    batches = conn.execute(
        "select batch_id, status, rows_delivered, rows_loaded from raw.load_manifest "
        "where file_path = 'billing/accounts/accounts.csv' order by batch_id"
    ).fetchall()
    assert [b[1:] for b in batches] == [("loaded", 1, 1), ("loaded", 2, 2)]
    (old, *_), (new, *_) = batches
    assert summary.entities["billing_accounts"].rows_loaded == 2
    assert raw(conn, "billing_accounts", "account_id, account_name, segment, _batch_id, _row_number") == [
        ("A1", "Acme", "smb", old, 1),
        ("A1", "Acme Corporation", "enterprise", new, 1),
        ("A2", "Beta", "smb", new, 2),
    ]


def test_failed_bytes_are_not_retried_but_a_corrected_file_loads(conn, landing):
    broken = b"account_id,account_name,created_at,updated_at\nA1,Acme,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
    put(landing, "billing/accounts/accounts.csv", broken)
    first = load(conn, landing)
    assert first.entities["billing_accounts"].files_failed == [
        ("billing/accounts/accounts.csv", "missing_required_columns: segment"),
    ]

    # Same bytes again: the same path is not retried but reported as failed again without a
    # new manifest row; under another name it is a new file that fails (and is recorded) once.
    put(landing, "billing/accounts/accounts-resent.csv", broken)
    again = load(conn, landing)
    assert sorted(again.entities["billing_accounts"].files_failed) == [
        ("billing/accounts/accounts-resent.csv", "missing_required_columns: segment"),
        ("billing/accounts/accounts.csv", "missing_required_columns: segment"),
    ]
    assert conn.execute("select count(*) from raw.load_manifest").fetchone()[0] == 2
    (landing / "billing/accounts/accounts-resent.csv").unlink()

    put(landing, "billing/accounts/accounts.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    fixed = load(conn, landing)

    assert (fixed.files_failed_count, fixed.entities["billing_accounts"].files_loaded) == (0, 1)
    assert conn.execute(
        "select status, reason from raw.load_manifest where file_path = 'billing/accounts/accounts.csv' order by batch_id"
    ).fetchall() == [("failed", "missing_required_columns: segment"), ("loaded", None)]
    assert raw(conn, "billing_accounts", "account_id, segment, created_at") == [
        ("A1", "smb", ts("2024-01-01 00:00:00"))
    ]


# --------------------------------------------------------------------------- partial landings


def test_entity_without_files_has_its_empty_raw_table(conn, landing):
    put(landing, "billing/accounts/a.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    summary = load(conn, landing)

    assert summary.entities["product_events"].files_loaded == 0
    assert [(c[0], c[1]) for c in conn.execute("describe raw.product_events").fetchall()] == [
        ("event_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("user_id", "VARCHAR"),
        ("event_name", "VARCHAR"),
        ("occurred_at", "TIMESTAMP"),
        ("received_at", "TIMESTAMP"),
        ("properties", "VARCHAR"),
        ("_batch_id", "BIGINT"),
        ("_row_number", "BIGINT"),
        ("_loaded_at", "TIMESTAMP"),
    ]
    assert [(c[0], c[1]) for c in conn.execute("describe raw.survey_responses").fetchall()] == [
        ("response_id", "VARCHAR"),
        ("invitation_id", "VARCHAR"),
        ("survey_id", "VARCHAR"),
        ("survey_type", "VARCHAR"),
        ("touchpoint", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("contact_id", "VARCHAR"),
        ("score", "BIGINT"),
        ("comment", "VARCHAR"),
        ("responded_at", "TIMESTAMP"),
        ("_batch_id", "BIGINT"),
        ("_row_number", "BIGINT"),
        ("_loaded_at", "TIMESTAMP"),
    ]
    for table in ALL_TABLES:
        expected = 1 if table == "billing_accounts" else 0
        assert conn.execute(f"select count(*) from raw.{table}").fetchone()[0] == expected, table


def test_only_billing_files_and_the_entities_filter(conn, landing):
    put(landing, "billing/accounts/a.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    put(
        landing,
        "billing/invoices/i.csv",
        INVOICES + (b"INV1,A1,,draft,EUR,10.5,0,2024-03-01T00:00:00,2024-03-31T00:00:00,,2024-03-01T00:00:00\n"),
    )

    only_accounts = load(conn, landing, entities=["billing_accounts"])
    assert list(only_accounts.entities) == ["billing_accounts"]
    assert only_accounts.rows_loaded == 1
    assert conn.execute("select count(*) from raw.billing_invoices").fetchone()[0] == 0

    everything = load(conn, landing)
    assert list(everything.entities) == list(ALL_TABLES)
    assert not everything.has_failures
    assert (
        everything.entities["billing_accounts"].files_skipped,
        everything.entities["billing_invoices"].files_loaded,
    ) == (1, 1)
    assert everything.rows_loaded == 1
    assert raw(conn, "billing_invoices", "invoice_id, status, currency, amount_due") == [
        ("INV1", "draft", "EUR", Decimal("10.5"))
    ]
    # Survey and product folders do not exist at all: their tables exist, empty.
    for table in ("survey_invitations", "survey_responses", "product_users", "product_events"):
        assert conn.execute(f"select count(*) from raw.{table}").fetchone()[0] == 0


# --------------------------------------------------------------------------- one transaction per file


def _recreate_with_check(conn, table: str, ddl: str, check: str) -> None:
    conn.execute(f"drop table {table}")
    conn.execute(ddl.rstrip().rstrip(")") + f",\n    check ({check})\n)")


@pytest.mark.parametrize("failing_step", ["raw insert", "manifest insert"])
def test_exception_inside_the_file_transaction_leaves_nothing_of_that_file(conn, landing, failing_step):
    """A real database error while a file is committed: nothing of that file remains.

    The raw table (first write of a file) or the manifest (last write, after the raw
    and quarantine inserts) is recreated with a CHECK constraint that the file breaks.
    """
    ensure_raw_schema(conn)
    accounts = next(e for e in ENTITIES if e.table == "billing_accounts")
    if failing_step == "raw insert":
        _recreate_with_check(conn, "raw.billing_accounts", raw_table_ddl(accounts), "account_name <> 'Boom'")
    else:
        _recreate_with_check(
            conn, "raw.load_manifest", MANIFEST_DDL.replace("if not exists ", ""), "file_path not like '%b_boom.csv'"
        )
    put(landing, "billing/accounts/a_good.csv", ACCOUNTS + b"A1,Acme,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")
    put(
        landing,
        "billing/accounts/b_boom.csv",
        ACCOUNTS
        + (
            b"A2,Boom,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
            b"A3,Bad,tiny,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n"
        ),
    )
    put(landing, "billing/accounts/c_later.csv", ACCOUNTS + b"A4,Later,smb,,,2024-01-01T00:00:00,2024-01-02T00:00:00\n")

    if failing_step == "manifest insert":  # the failure cannot even be recorded: it propagates
        with pytest.raises(duckdb.ConstraintException):
            load_landing(conn, landing)
        assert conn.execute("select file_path, status from raw.load_manifest order by batch_id").fetchall() == [
            ("billing/accounts/a_good.csv", "loaded"),
        ]
    else:  # the file fails with the error as its reason; the file after it still loads
        summary = load_landing(conn, landing)
        [(path, reason)] = summary.entities["billing_accounts"].files_failed
        assert path == "billing/accounts/b_boom.csv" and reason.startswith("loader_error: ConstraintException: ")
        assert conn.execute("select file_path, status from raw.load_manifest order by batch_id").fetchall() == [
            ("billing/accounts/a_good.csv", "loaded"),
            ("billing/accounts/b_boom.csv", "failed"),
            ("billing/accounts/c_later.csv", "loaded"),
        ]
        conn.execute("delete from raw.billing_accounts where account_id = 'A4'")
        conn.execute("delete from raw.load_manifest where file_path like '%c_later.csv'")
    assert conn.execute("select count(*) from raw.load_quarantine").fetchone()[0] == 0
    assert raw(conn, "billing_accounts", "account_id") == [("A1",)]
    assert_manifest_consistent(conn)

    # The constraint goes away (the table is recreated by the loader): the rest loads.
    if failing_step == "raw insert":
        conn.execute("create table keep as select * from raw.billing_accounts")
        conn.execute("drop table raw.billing_accounts")
        ensure_raw_schema(conn)
        conn.execute("insert into raw.billing_accounts select * from keep")
    else:
        conn.execute("create table keep as select * from raw.load_manifest")
        conn.execute("drop table raw.load_manifest")
        ensure_raw_schema(conn)
        conn.execute("insert into raw.load_manifest select * from keep")
    if failing_step == "raw insert":  # a loader_error is retried: the error is gone, the file loads
        conn.execute("delete from raw.load_manifest where file_path like '%b_boom.csv' and status = 'failed'")
    summary = load(conn, landing)

    assert (summary.entities["billing_accounts"].files_loaded, summary.entities["billing_accounts"].files_skipped) == (
        2,
        1,
    )
    assert counts(manifest(conn, "billing/accounts/b_boom.csv")) == ("loaded", 2, 1, 1, None)
    assert [q[:3] for q in quarantined(conn, "billing/accounts/b_boom.csv")] == [
        (2, None, "unknown_value: segment='tiny'")
    ]
    assert raw(conn, "billing_accounts", "account_id, account_name") == [
        ("A1", "Acme"),
        ("A2", "Boom"),
        ("A4", "Later"),
    ]


def test_unknown_entity_selection_is_an_error(conn, landing):
    with pytest.raises(ValueError, match="unknown raw tables: billing_acounts"):
        load_landing(conn, landing, entities=["billing_acounts"])
