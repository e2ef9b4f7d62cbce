"""Hostile but realistic landing files (issue 14): nothing lost, nothing read twice, no crash.

Each test writes its landing files inline into ``tmp_path``, loads them with ``load_landing``
into a real DuckDB file and checks the manifest, the quarantine and the raw tables against
values written by hand.  The helpers (``put``, ``load`` with its manifest invariant,
``manifest``, ``quarantined``, ``raw``) are those of test_loading.py.

Run alone: ``.venv/bin/python -m pytest tests_py/test_loading_hostile.py -q``.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from test_loading import (
    INVOICES,
    RESPONSES,
    SUBSCRIPTIONS,
    counts,
    load,
    manifest,
    put,
    quarantined,
    raw,
    write_parquet,
)

H = "account_id,account_name,segment,industry,region,created_at,updated_at"


def account(account_id: str, at: str = "2026-11-01T00:00:00Z") -> bytes:
    return f"{account_id},C,smb,x,NA,{at},{at}\n".encode()


def event(event_id: str, occurred_at: str = "2026-11-01T12:00:00Z", received_at: str = "2026-11-01T12:00:05Z") -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "account_id": "A1",
            "user_id": "U1",
            "event_name": "session_started",
            "occurred_at": occurred_at,
            "received_at": received_at,
        }
    )


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- item 2 / 11: plausible timestamps


def test_implausible_timestamps_are_quarantined(conn, landing):
    now = datetime.now(UTC)
    put(
        landing,
        "product/events/e.jsonl",
        "\n".join(
            [
                event("E1"),  # 1 good
                event("E2", occurred_at="1999-12-31T23:59:59Z"),  # 2 before 2000
                event("E3", occurred_at=iso(now + timedelta(hours=30))),  # 3 more than a day ahead
                event("E4", occurred_at=iso(now + timedelta(hours=20))),  # 4 within the skew: loads
                event(
                    "E5", received_at="2027-06-01T12:00:00Z" if now.year < 2027 else "2999-01-01T00:00:00Z"
                ),  # 5 future
                event("E6", occurred_at="2000-01-01T00:00:00Z"),  # 6 the boundary itself loads
            ]
        ).encode()
        + b"\n",
    )
    # Item 11: a response dated 1900-01-01 is quarantined, not loaded.
    put(
        landing,
        "survey/responses/r.csv",
        RESPONSES
        + (b"R1,,SV1,nps,support,A1,C1,9,,1900-01-01T00:00:00Z\nR2,,SV1,nps,support,A1,C2,9,,2026-11-01T00:00:00Z\n"),
    )
    # due_at and contract_end are legitimately in the future: only the lower bound.
    put(
        landing,
        "billing/invoices/i.csv",
        INVOICES
        + (
            b"INV1,A1,,open,EUR,10,0,2026-11-01T00:00:00Z,2099-01-01T00:00:00Z,,2026-11-01T00:00:00Z\n"
            b"INV2,A1,,open,EUR,10,0,2026-11-01T00:00:00Z,1970-01-01T00:00:00Z,,2026-11-01T00:00:00Z\n"
            b"INV3,A1,,paid,EUR,10,10,2099-11-01T00:00:00Z,2099-12-01T00:00:00Z,2099-11-02T00:00:00Z,2026-11-01T00:00:00Z\n"
        ),
    )
    load(conn, landing)

    assert [(q[0], q[2]) for q in quarantined(conn, "product/events/e.jsonl")] == [
        (2, "implausible_timestamp: occurred_at"),
        (3, "implausible_timestamp: occurred_at"),
        (5, "implausible_timestamp: received_at"),
    ]
    assert raw(conn, "product_events", "event_id") == [("E1",), ("E4",), ("E6",)]
    assert [(q[0], q[2]) for q in quarantined(conn, "survey/responses/r.csv")] == [
        (1, "implausible_timestamp: responded_at")
    ]
    assert [(q[0], q[2]) for q in quarantined(conn, "billing/invoices/i.csv")] == [
        (2, "implausible_timestamp: due_at"),
        (3, "implausible_timestamp: issued_at; implausible_timestamp: paid_at"),
    ]
    assert raw(conn, "billing_invoices", "invoice_id") == [("INV1",)]


def test_plausible_range_is_configurable(conn, landing, monkeypatch):
    put(
        landing,
        "billing/accounts/a.csv",
        H.encode() + b"\n" + account("A1", "2005-06-01T00:00:00Z") + account("A2", "2015-06-01T00:00:00Z"),
    )
    monkeypatch.setenv("CXCS_EARLIEST_PLAUSIBLE", "2010-01-01")
    load(conn, landing)
    assert [(q[0], q[2]) for q in quarantined(conn, "billing/accounts/a.csv")] == [
        (1, "implausible_timestamp: created_at; implausible_timestamp: updated_at"),
    ]
    # As parameters: a zero skew and an earlier bound.
    put(
        landing,
        "billing/accounts/b.csv",
        H.encode()
        + b"\n"
        + account("B1", "2005-06-01T00:00:00Z")
        + account("B2", iso(datetime.now(UTC) + timedelta(hours=2))),
    )
    load(conn, landing, earliest=datetime(2000, 1, 1), max_future=timedelta(0))
    assert [(q[0], q[2]) for q in quarantined(conn, "billing/accounts/b.csv")] == [
        (2, "implausible_timestamp: created_at; implausible_timestamp: updated_at"),
    ]


# --------------------------------------------------------------------------- item 3: glob characters


def test_glob_characters_in_csv_names_read_each_file_as_itself(conn, landing):
    names = {
        "export1.csv": "acc_glob1",
        "export[1].csv": "acc_glob2",
        "star*.csv": "acc_star",
        "starX.csv": "acc_starx",
        "q?.csv": "acc_q",
        "qQ.csv": "acc_qq",
        "{a,b}.csv": "acc_brace",
        "a.csv": "acc_a",
        "b.csv": "acc_b",
        "x]y.csv": "acc_bracket",
    }
    for name, account_id in names.items():
        put(landing, f"billing/accounts/{name}", H.encode() + b"\n" + account(account_id))
    summary = load(conn, landing)

    assert summary.entities["billing_accounts"].files_loaded == len(names)
    assert sorted(raw(conn, "billing_accounts", "account_id")) == sorted((a,) for a in names.values())
    for name, account_id in names.items():
        batch = manifest(conn, f"billing/accounts/{name}")["batch_id"]
        assert raw(conn, "billing_accounts", "account_id", batch) == [(account_id,)], name


def test_glob_characters_in_event_file_names(conn, landing):
    events = landing / "product" / "events"
    put(landing, "product/events/e1.jsonl", (event("J1") + "\n").encode())
    put(landing, "product/events/e[1].jsonl", (event("J2") + "\n").encode())  # grouped with e1 and e?.jsonl
    put(landing, "product/events/e?.jsonl", (event("J3") + "\n").encode())
    put(landing, "product/events/g*.jsonl.gz", gzip.compress((event("G1") + "\n").encode()))
    put(landing, "product/events/gz.jsonl.gz", gzip.compress((event("G2") + "\n").encode()))
    for name, event_id in (("p1.parquet", "P1"), ("p[1].parquet", "P2")):
        write_parquet(
            events / "tmp.parquet",
            f"select '{event_id}' as event_id, 'A1' as account_id, 'U1' as user_id, "
            "'x' as event_name, '2026-11-01T00:00:00Z' as occurred_at, '2026-11-01T00:00:01Z' as received_at",
        )
        os.replace(events / "tmp.parquet", events / name)
    summary = load(conn, landing)

    assert summary.entities["product_events"].files_loaded == 7
    expected = {
        "e1.jsonl": "J1",
        "e[1].jsonl": "J2",
        "e?.jsonl": "J3",
        "g*.jsonl.gz": "G1",
        "gz.jsonl.gz": "G2",
        "p1.parquet": "P1",
        "p[1].parquet": "P2",
    }
    for name, event_id in expected.items():
        batch = manifest(conn, f"product/events/{name}")["batch_id"]
        assert raw(conn, "product_events", "event_id", batch) == [(event_id,)], name


# --------------------------------------------------------------------------- item 4: periods and currencies


def test_empty_validity_and_unknown_currency_are_quarantined(conn, landing):
    row = "S{n},{v},A1,P1,false,month,1,10,,{cur},{start},{end},,,2026-11-01T00:00:00Z\n"
    put(
        landing,
        "billing/subscriptions/s.csv",
        SUBSCRIPTIONS
        + "".join(
            [
                row.format(n=1, v=1, cur="USD", start="2026-06-01", end="2026-08-01"),  # 1 good
                row.format(n=2, v=1, cur="USD", start="2026-06-01", end="2026-05-01"),  # 2 ends before it starts
                row.format(n=3, v=1, cur="USD", start="2026-06-01", end="2026-06-01"),  # 3 empty: [d, d)
                row.format(n=4, v=1, cur="XXX", start="2026-06-01", end=""),  # 4 no currency
                row.format(n=5, v=1, cur="XAU", start="2026-06-01", end=""),  # 5 gold is not billed in
                row.format(n=6, v=1, cur="eur", start="2026-06-01", end=""),  # 6 a real code, lower case
            ]
        ).encode(),
    )
    put(
        landing,
        "billing/invoices/i.csv",
        INVOICES
        + (
            b"INV1,A1,,open,XTS,10,0,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,,2026-11-01T00:00:00Z\n"
            b"INV2,A1,,open,GBP,10,0,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,,2026-11-01T00:00:00Z\n"
        ),
    )
    load(conn, landing)

    assert [(q[0], q[2]) for q in quarantined(conn, "billing/subscriptions/s.csv")] == [
        (2, "invalid_period: valid_to=2026-05-01 is not after valid_from=2026-06-01"),
        (3, "invalid_period: valid_to=2026-06-01 is not after valid_from=2026-06-01"),
        (4, "unknown_currency: currency='XXX'"),
        (5, "unknown_currency: currency='XAU'"),
    ]
    assert raw(conn, "billing_subscriptions", "subscription_id") == [("S1",), ("S6",)]
    assert [(q[0], q[2]) for q in quarantined(conn, "billing/invoices/i.csv")] == [
        (1, "unknown_currency: currency='XTS'")
    ]


# --------------------------------------------------------------------------- item 5: ignored files


def test_every_file_is_loaded_skipped_failed_or_ignored_with_a_reason(conn, landing):
    put(landing, "billing/accounts/a.csv", H.encode() + b"\n" + account("A1"))
    put(landing, "billing/invoice/x.csv", INVOICES)
    put(landing, "billing/x.csv", H.encode() + b"\n")
    put(landing, "billing/accounts/.hidden.csv", H.encode() + b"\n" + account("H1"))
    put(landing, "notes.txt", b"hello")
    (landing / "billing/accounts/dangling.csv").symlink_to(landing / "nowhere.csv")
    first = load(conn, landing)

    expected = [
        ("billing/accounts/.hidden.csv", "hidden: a dot-file"),
        ("billing/accounts/dangling.csv", "not a regular file: dangling symlink"),
        (
            "billing/invoice/x.csv",
            "unknown folder billing/invoice/ (known: billing/accounts/, billing/subscriptions/, billing/invoices/)",
        ),
        ("billing/x.csv", "outside an entity folder: directly in billing/; expected <source>/<entity>/<file>"),
        ("notes.txt", "outside an entity folder: at the top of the landing folder; expected <source>/<entity>/<file>"),
    ]
    assert first.ignored == expected
    assert (
        conn.execute(
            "select file_path, reason from raw.load_manifest where status = 'ignored' order by file_path"
        ).fetchall()
        == expected
    )
    text = first.format()
    assert "ignored 5 file(s)" in text
    assert "  ignored billing/invoice/x.csv: unknown folder billing/invoice/" in text
    assert raw(conn, "billing_accounts", "account_id") == [("A1",)]

    # Every summary lists them again; the manifest records them once.
    second = load(conn, landing)
    assert second.ignored == expected
    assert conn.execute("select count(*) from raw.load_manifest where status = 'ignored'").fetchone()[0] == 5


# --------------------------------------------------------------------------- items 7, 8: no crash


def test_cr_only_line_endings_load(conn, landing):
    put(
        landing,
        "billing/accounts/cr.csv",
        f"{H}\racc_cr1,C,smb,x,NA,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z\r"
        'acc_cr2,"D\rE",smb,x,NA,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z\r'.encode(),
    )
    put(landing, "billing/accounts/later.csv", H.encode() + b"\n" + account("acc_later"))
    summary = load(conn, landing)

    assert not summary.has_failures
    assert counts(manifest(conn, "billing/accounts/cr.csv")) == ("loaded", 2, 2, 0, None)
    assert raw(conn, "billing_accounts", "account_id, account_name") == [
        ("acc_cr1", "C"),
        ("acc_cr2", "D\rE"),
        ("acc_later", "C"),
    ]


def test_non_utf8_file_name_loads_under_an_escaped_path(conn, landing):
    folder = landing / "billing" / "accounts"
    folder.mkdir(parents=True)
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.csv"), "wb") as handle:
        handle.write(H.encode() + b"\n" + account("acc_cafe"))
    put(landing, "billing/accounts/z.csv", H.encode() + b"\n" + account("acc_z"))
    summary = load(conn, landing)

    assert not summary.has_failures
    assert counts(manifest(conn, "billing/accounts/caf\\xe9.csv")) == ("loaded", 1, 1, 0, None)
    assert raw(conn, "billing_accounts", "account_id") == [("acc_cafe",), ("acc_z",)]
    assert load(conn, landing).entities["billing_accounts"].files_skipped == 2


# --------------------------------------------------------------------------- item 9: header names


def test_header_with_an_empty_or_repeated_unknown_column_loads(conn, landing):
    put(landing, "billing/accounts/trailing.csv", f"{H},\n".encode() + account("A1").rstrip(b"\n") + b",\n")
    put(
        landing,
        "billing/accounts/notes.csv",
        f"{H},notes,notes\n".encode()
        + account("A2").rstrip(b"\n")
        + b",n1,n2\n"
        + b"A3,C,tiny,x,NA,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z,n3,n4\n",
    )
    load(conn, landing)

    assert counts(manifest(conn, "billing/accounts/trailing.csv")) == (
        "loaded",
        1,
        1,
        0,
        "ignored unknown columns: (empty name, column 8)",
    )
    assert counts(manifest(conn, "billing/accounts/notes.csv")) == (
        "loaded",
        2,
        1,
        1,
        "ignored unknown columns: notes, notes",
    )
    [(row, _, reason, content)] = quarantined(conn, "billing/accounts/notes.csv")
    assert (row, reason) == (2, "unknown_value: segment='tiny'")
    assert json.loads(content)["notes"] == "n3" and json.loads(content)["notes#9"] == "n4"
    assert raw(conn, "billing_accounts", "account_id") == [("A2",), ("A1",)]  # notes.csv is loaded first


# --------------------------------------------------------------------------- item 10: bad JSON Lines lines

BAD_LINES = [
    event("L1").encode(),
    event("L2").replace("session_started", "caf\xe9").encode("latin-1"),  # not UTF-8
    event("L3").replace("session_started", "a\x1eb").encode(),  # the record separator
    b"",
    event("L5").encode(),
]


@pytest.mark.parametrize("gz", [False, True])
def test_bad_jsonl_lines_are_quarantined_alone(conn, landing, gz):
    data = b"\n".join(BAD_LINES) + b"\n"
    name = "product/events/bad.jsonl" + (".gz" if gz else "")
    put(landing, name, gzip.compress(data) if gz else data)
    summary = load(conn, landing)

    assert not summary.has_failures
    assert counts(manifest(conn, name)) == ("loaded", 4, 2, 2, "1 blank line(s) skipped")
    assert [(q[0], q[1], q[2]) for q in quarantined(conn, name)] == [
        (2, 2, "invalid_utf8: the line is not UTF-8 text"),
        (3, 3, "control_character: the line holds a 0x1E (record separator) byte"),
    ]
    assert "caf\\xe9" in quarantined(conn, name)[0][3]
    assert raw(conn, "product_events", "event_id, _row_number") == [("L1", 1), ("L5", 5)]


def test_bad_jsonl_lines_in_a_group_and_a_line_over_10_mb(conn, landing):
    huge = json.dumps({"event_id": "L9", "properties": {"blob": "x" * 10_500_000}}).encode()
    put(landing, "product/events/a.jsonl", (event("A1") + "\n").encode())
    put(landing, "product/events/b.jsonl", b"\n".join(BAD_LINES + [huge, event("L7").encode()]) + b"\n")
    put(landing, "product/events/c.jsonl", (event("C1") + "\n").encode())
    summary = load(conn, landing)

    assert not summary.has_failures
    assert counts(manifest(conn, "product/events/b.jsonl")) == ("loaded", 6, 3, 3, "1 blank line(s) skipped")
    bad = quarantined(conn, "product/events/b.jsonl")
    assert [(q[0], q[2]) for q in bad] == [
        (2, "invalid_utf8: the line is not UTF-8 text"),
        (3, "control_character: the line holds a 0x1E (record separator) byte"),
        (6, "line_too_long: the line is longer than 10,000,000 bytes"),
    ]
    assert bad[2][3] == huge.decode()  # the whole line is kept
    assert raw(conn, "product_events", "event_id") == [("A1",), ("L1",), ("L5",), ("L7",), ("C1",)]


# --------------------------------------------------------------------------- general rule, item 13


def test_files_that_crashed_the_loader_no_longer_stop_the_files_after_them(conn, landing):
    # Before: csv.Error (CR-only) and UnicodeEncodeError (non-UTF-8 name) escaped the loader
    # and nothing after them loaded.  (A database error inside one file: see
    # test_loading.py::test_exception_inside_the_file_transaction_leaves_nothing_of_that_file.)
    folder = landing / "billing" / "accounts"
    put(
        landing,
        "billing/accounts/a_cr.csv",
        f"{H}\racc_cr1,C,smb,x,NA,2026-11-01T00:00:00Z,2026-11-01T00:00:00Z\r".encode(),
    )
    with open(os.path.join(os.fsencode(folder), b"b_caf\xe9.csv"), "wb") as handle:
        handle.write(b"not,a,header\n1,2,3\n")
    put(landing, "billing/accounts/c_good.csv", H.encode() + b"\n" + account("acc_c"))
    summary = load(conn, landing)

    assert summary.entities["billing_accounts"].files_failed == [
        (
            "billing/accounts/b_caf\\xe9.csv",
            "missing_required_columns: account_id, account_name, segment, created_at, updated_at",
        ),
    ]
    assert raw(conn, "billing_accounts", "account_id") == [("acc_cr1",), ("acc_c",)]


def test_a_failed_file_still_present_is_reported_on_every_run(conn, landing):
    put(landing, "billing/accounts/broken.csv", b"account_id,account_name\nA1,Acme\n")
    put(landing, "billing/accounts/good.csv", H.encode() + b"\n" + account("A1"))
    expected = [("billing/accounts/broken.csv", "missing_required_columns: segment, created_at, updated_at")]
    for _ in range(3):
        summary = load(conn, landing)
        assert summary.entities["billing_accounts"].files_failed == expected
        assert summary.has_failures
        assert "failed billing/accounts/broken.csv: missing_required_columns" in summary.format()
    assert conn.execute("select file_path, status from raw.load_manifest order by batch_id").fetchall() == [
        ("billing/accounts/broken.csv", "failed"),
        ("billing/accounts/good.csv", "loaded"),
    ]
