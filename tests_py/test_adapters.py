"""Source adapters (orchestration.adapters): Segment and Amplitude exports load into the native
raw tables with the loader's guarantees, accounts resolve through landing/mappings/account_map.csv,
and bad calls are quarantined (the same demo in each format: tests_py/test_adapters_equality.py)."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.loading import load_landing


def _jsonl(rows: list[object]) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def _track(message_id: str | None, user: str, at: str = "2026-03-01T10:00:00Z", **extra: object) -> dict:
    call = {"type": "track", "userId": user, "event": "feature_used", "timestamp": at, "receivedAt": at}
    call |= {"messageId": message_id} if message_id else {}
    call["properties"] = {"feature": "reports"}
    return call | extra


def _write_map(landing: Path, rows: list[str]) -> None:
    (landing / "mappings").mkdir(exist_ok=True)
    (landing / "mappings" / "account_map.csv").write_text(
        "source,source_id,account_id\n" + "".join(r + "\n" for r in rows)
    )


def _quarantine(conn: duckdb.DuckDBPyConnection) -> list[tuple]:
    return conn.execute(
        "select entity, row_number, line_number, reason from raw.load_quarantine order by entity, row_number"
    ).fetchall()


NO_ACCOUNT = (
    "unmapped_account: no groupId, context.groupId, traits.account_id or a group call of the user, "
    "and the user id is not in mappings/account_map.csv"
)


def test_segment_calls_map_to_events_and_users_and_bad_ones_are_quarantined(conn, landing: Path) -> None:
    _write_map(landing, ["segment,grp-A,acc_A", "Segment , u7 , acc_U"])
    (landing / "segment").mkdir()
    grp_a = {"context": {"groupId": "grp-A"}}
    (landing / "segment" / "calls.jsonl").write_text(
        _jsonl(
            [
                _track("m1", "u1", **grp_a),  # 1: repeated on line 9 (a retry): line 9 is kept
                _track(None, "u1", **grp_a),  # 2: no messageId
                _track("m3", "u9"),  # 3: no account anywhere
                _track("m4", "u2"),  # 4: the account of u2's group call (line 6), not in the map
                "{not json",  # 5
                {
                    "type": "group",
                    "messageId": "g6",
                    "userId": "u2",
                    "groupId": "acc_C",
                    "timestamp": "2026-03-01T09:00:00Z",
                },
                {"type": "page", "messageId": "p7", "userId": "u2", "timestamp": "2026-03-01T09:00:00Z"},
                {
                    "type": "identify",
                    "messageId": "i8",
                    "userId": "u1",
                    "timestamp": "2026-03-02T00:00:00Z",
                    "traits": {"email": "ann@example.com", "role": "admin", "createdAt": "2026-02-01T08:00:00Z"},
                    **grp_a,
                },
                _track("m1", "u1", **grp_a),  # 9
                _track("m10", "u7"),  # 10: no group, the user id is mapped
            ]
        )
    )
    summary = load_landing(conn, landing)
    assert conn.execute(
        "select event_id, account_id, user_id, _row_number from raw.product_events order by _row_number"
    ).fetchall() == [("m4", "acc_C", "u2", 4), ("m1", "acc_A", "u1", 9), ("m10", "acc_U", "u7", 10)]
    assert conn.execute("select user_id, account_id, email, role, created_at from raw.product_users").fetchall() == [
        ("u1", "acc_A", "ann@example.com", "admin", datetime(2026, 2, 1, 8))
    ]
    assert _quarantine(conn) == [
        ("product_events", 1, 1, "duplicate_key_in_file: kept row 9"),
        ("product_events", 2, 2, "missing_required: messageId"),
        ("product_events", 3, 3, NO_ACCOUNT),
        ("product_events", 5, 5, "invalid_json: not a JSON object"),
    ]
    assert conn.execute("select raw_content from raw.load_quarantine where row_number = 5").fetchone() == ("{not json",)
    assert conn.execute(
        "select entity, file_path, rows_delivered, rows_loaded, rows_quarantined, reason from raw.load_manifest "
        "where status = 'loaded' order by batch_id"
    ).fetchall() == [
        (
            "product_events",
            "segment/calls.jsonl",
            7,
            3,
            4,
            "1 page call(s) not loaded (no contract entity); 1 group call(s) used for accounts",
        ),
        (
            "product_users",
            "segment/calls.jsonl",
            1,
            1,
            0,
            "1 page call(s) not loaded (no contract entity); 1 group call(s) used for accounts",
        ),
    ]
    # Only the sources that delivered files this run are counted.
    assert summary.unmapped == {"segment": 1} and not summary.has_failures
    assert "unmapped_account rows quarantined: segment 1\n" in summary.format() + "\n"
    # Each file once by content: the same bytes under another name are skipped.
    (landing / "segment" / "copy.jsonl").write_bytes((landing / "segment" / "calls.jsonl").read_bytes())
    again = load_landing(conn, landing)
    assert again.entities["product_events"].files_skipped == 2
    assert conn.execute("select count(*) from raw.load_manifest").fetchone()[0] == 2


def test_an_account_map_conflict_is_an_error_and_its_rows_are_unmapped(conn, landing: Path) -> None:
    _write_map(landing, ["segment,grp-X,acc_2", "segment,grp-A,acc_A", "segment,grp-X,acc_1", "segment,grp-X,acc_1"])
    (landing / "segment").mkdir()
    (landing / "segment" / "calls.jsonl").write_text(
        _jsonl([_track("m1", "u1", context={"groupId": "grp-X"}), _track("m2", "u1", context={"groupId": "grp-A"})])
    )
    summary = load_landing(conn, landing)
    assert summary.mapping_errors == [
        "mappings/account_map.csv: account_map_conflict: segment 'grp-X' -> acc_1, acc_2 "
        "(its rows are quarantined as unmapped_account)"
    ]
    # Listed as a failed file of the first table fed: cxcs refresh lists it and exits 2.
    assert summary.entities["product_events"].files_failed == [
        (
            "mappings/account_map.csv",
            "account_map_conflict: segment 'grp-X' -> acc_1, acc_2 (its rows are quarantined as unmapped_account)",
        )
    ]
    assert conn.execute("select event_id, account_id from raw.product_events").fetchall() == [("m2", "acc_A")]
    assert _quarantine(conn) == [
        ("product_events", 1, 1, "unmapped_account: conflicting account_map entries for segment 'grp-X' (acc_1, acc_2)")
    ]
    assert summary.unmapped == {"segment": 1}


def _amplitude_event(insert_id: str | None, account: object = "acc_A") -> dict:
    event = {
        "event_type": "session_started",
        "user_id": "u1",
        "event_time": "2026-03-01 10:00:00.000000",
        "server_received_time": "2026-03-01 10:00:02.000000",
        "groups": {"account": account},
        "event_properties": {"platform": "web"},
    }
    return event | ({"$insert_id": insert_id} if insert_id else {})


def _zip(path: Path, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    path.write_bytes(buffer.getvalue())


def test_an_amplitude_zip_with_a_corrupt_member_fails_whole_naming_it(conn, landing: Path) -> None:
    good = gzip.compress(_jsonl([_amplitude_event("i1"), _amplitude_event("i2")]).encode())
    second = gzip.compress(
        _jsonl([_amplitude_event("i3", ["acc_B"]), _amplitude_event(None), _amplitude_event("i1", None)]).encode()
    )
    archive = landing / "amplitude" / "export.zip"
    _zip(
        archive, {"187520/187520_2026-03-01_10#0.json.gz": good, "187520/187520_2026-03-01_11#0.json.gz": second[:-20]}
    )
    summary = load_landing(conn, landing)
    [(path, reason)] = summary.entities["product_events"].files_failed
    assert path == "amplitude/export.zip"
    assert reason.startswith("corrupt_member: 187520/187520_2026-03-01_11#0.json.gz: ")
    assert conn.execute("select count(*) from raw.product_events").fetchone()[0] == 0
    assert conn.execute("select count(*) from raw.load_quarantine").fetchone()[0] == 0
    assert conn.execute("select entity, status from raw.load_manifest").fetchall() == [("product_events", "failed")]
    # Still in the landing with the same bytes: reported again, not recorded again.
    assert load_landing(conn, landing).entities["product_events"].files_failed == [(path, reason)]
    assert conn.execute("select count(*) from raw.load_manifest").fetchone()[0] == 1
    # The export again, complete: rows number over the archive, lines inside each member.
    _zip(archive, {"187520/187520_2026-03-01_10#0.json.gz": good, "187520/187520_2026-03-01_11#0.json.gz": second})
    summary = load_landing(conn, landing)
    assert not summary.has_failures
    assert conn.execute(
        "select event_id, account_id, occurred_at, _row_number from raw.product_events order by _row_number"
    ).fetchall() == [
        ("i1", "acc_A", datetime(2026, 3, 1, 10), 1),
        ("i2", "acc_A", datetime(2026, 3, 1, 10), 2),
        ("i3", "acc_B", datetime(2026, 3, 1, 10), 3),
    ]
    assert _quarantine(conn) == [
        ("product_events", 4, 2, "missing_required: $insert_id"),
        (
            "product_events",
            5,
            3,
            "unmapped_account: no groups.account or user_properties.account_id, "
            "and the user id is not in mappings/account_map.csv",
        ),
    ]
    assert summary.unmapped == {"amplitude": 1}


def test_an_unreadable_account_map_loads_no_adapter_file_until_fixed(conn, landing: Path) -> None:
    (landing / "mappings").mkdir()
    (landing / "mappings" / "account_map.csv").write_text("source,segment_id,account\nsegment,grp-A,acc_A\n")
    (landing / "segment").mkdir()
    (landing / "segment" / "calls.jsonl").write_text(_jsonl([_track("m1", "u1", context={"groupId": "grp-A"})]))
    summary = load_landing(conn, landing)
    assert summary.entities["product_events"].files_failed == [
        (
            "mappings/account_map.csv",
            "missing_required_columns: source_id, account_id; no adapter file was loaded",
        )
    ]
    assert conn.execute("select count(*) from raw.load_manifest").fetchone()[0] == 0  # still pending
    _write_map(landing, ["segment,grp-A,acc_A"])
    assert not load_landing(conn, landing).has_failures
    assert conn.execute("select event_id, account_id from raw.product_events").fetchall() == [("m1", "acc_A")]


def test_segment_warehouse_tables_as_csv_and_parquet(conn, landing: Path) -> None:
    folder = landing / "segment" / "warehouse"
    folder.mkdir(parents=True)
    (folder / "tracks.csv").write_text(
        "id,user_id,anonymous_id,event,event_text,timestamp,received_at,context_group_id\n"
        "m1,u1,,feature_used,Feature Used,2026-03-01T10:00:00Z,2026-03-01T10:00:01Z,acc_A\n"
        "m2,,anon-9,session_started,,2026-03-01T11:00:00Z,2026-03-01T11:00:01Z,acc_B\n"
        "m3,u3,,feature_used,Feature Used,2026-03-01T12:00:00Z,2026-03-01T12:00:01Z,\n"
    )
    with duckdb.connect() as writer:
        writer.execute(
            f"""copy (select 'i1' as id, 'u1' as user_id, 'ann@example.com' as email, 'viewer' as role,
                             timestamp '2026-02-01 08:00:00' as created_at, timestamp '2026-03-01 09:00:00' as "timestamp",
                             'acc_A' as context_group_id)
                to '{folder / "identifies.parquet"}' (format parquet)"""
        )
    (folder / "groups.csv").write_text("id,user_id,group_id,timestamp\ng1,u3,acc_C,2026-03-01T09:00:00Z\n")
    summary = load_landing(conn, landing)
    assert conn.execute(
        "select event_id, account_id, user_id, event_name, properties from raw.product_events order by 1"
    ).fetchall() == [("m1", "acc_A", "u1", "Feature Used", None), ("m2", "acc_B", "anon-9", "session_started", None)]
    assert conn.execute("select user_id, account_id, email, role, created_at from raw.product_users").fetchall() == [
        ("u1", "acc_A", "ann@example.com", "viewer", datetime(2026, 2, 1, 8))
    ]
    # m3 has no group of its own; the groups table in another file does not place it.
    assert _quarantine(conn) == [("product_events", 3, None, NO_ACCOUNT)]
    assert (
        conn.execute("select raw_content from raw.load_quarantine")
        .fetchone()[0]
        .startswith('{"id":"m3","user_id":"u3"')
    )
    assert conn.execute(
        "select file_path, entity, rows_loaded, reason from raw.load_manifest where file_path like '%groups%'"
    ).fetchall() == [
        (
            "segment/warehouse/groups.csv",
            "product_users",
            0,
            "1 group row(s) not loaded: a groups table does not place the calls of other files "
            "(use context_group_id or mappings/account_map.csv)",
        )
    ]
    assert summary.unmapped == {"segment": 1} and not summary.has_failures


def test_segment_files_load_many_per_statement_and_a_bad_one_fails_alone(conn, landing: Path) -> None:
    """Several segment-logs files are read, mapped and validated by one statement and committed
    together (adapters.grouped), with each file's own numbering, duplicates and group calls; a
    group with one bad file falls back to one file at a time: that file fails, the others load."""
    _write_map(landing, ["segment,grp-A,acc_A"])
    folder = landing / "segment"
    folder.mkdir()
    group_call = {"type": "group", "messageId": "g1", "userId": "u1", "groupId": "grp-A"}
    grp_a = {"context": {"groupId": "grp-A"}}
    # a: u1's group call places its tracks; line 3 is blank (counted, not delivered); m1 twice.
    (folder / "a.jsonl").write_text(_jsonl([group_call, _track("m1", "u1"), "", _track("m1", "u1")]))
    # c: m1 again (another file: both load), but u1's group call is in a, not here: unmapped.
    identify = {"type": "identify", "messageId": "i3", "userId": "u2", "timestamp": "2026-03-01T09:00:00Z"}
    identify["traits"] = {"email": "bo@example.com"}
    (folder / "c.jsonl").write_text(_jsonl([_track("m1", "u1"), _track("m6", "u2", **grp_a), identify | grp_a]))
    summary = load_landing(conn, landing)
    assert not summary.has_failures and summary.unmapped == {"segment": 1}
    assert conn.execute(
        "select event_id, account_id, user_id, _batch_id, _row_number from raw.product_events order by _batch_id"
    ).fetchall() == [("m1", "acc_A", "u1", 1, 4), ("m6", "acc_A", "u2", 2, 2)]
    assert conn.execute("select user_id, account_id, email, _batch_id from raw.product_users").fetchall() == [
        ("u2", "acc_A", "bo@example.com", 3)
    ]
    assert conn.execute(
        "select batch_id, file_path, row_number, line_number, reason from raw.load_quarantine order by batch_id"
    ).fetchall() == [
        (1, "segment/a.jsonl", 2, 2, "duplicate_key_in_file: kept row 4"),
        (2, "segment/c.jsonl", 1, 1, NO_ACCOUNT),
    ]
    manifest = conn.execute(
        "select batch_id, entity, file_path, rows_delivered, rows_loaded, rows_quarantined, reason, started_at "
        "from raw.load_manifest order by batch_id"
    ).fetchall()
    assert [row[:-1] for row in manifest] == [
        (1, "product_events", "segment/a.jsonl", 2, 1, 1, "1 group call(s) used for accounts"),
        (2, "product_events", "segment/c.jsonl", 2, 1, 1, None),
        (3, "product_users", "segment/c.jsonl", 1, 1, 0, None),
    ]
    assert len({row[-1] for row in manifest}) == 1  # one group, one transaction: one start

    # A truncated gzip in the next group: it fails alone, with nothing of it loaded; d loads.
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(_jsonl([_track("m7", "u2", **grp_a)] * 50).encode())[:-20])
    (folder / "d.jsonl").write_text(_jsonl([_track("m8", "u2", **grp_a)]))
    summary = load_landing(conn, landing)
    [(path, reason)] = summary.entities["product_events"].files_failed
    assert path == "segment/b.jsonl.gz" and reason.startswith("corrupt_gzip: ")
    assert summary.entities["product_events"].files_skipped == 2
    assert conn.execute("select event_id from raw.product_events where _batch_id > 3").fetchall() == [("m8",)]
    assert conn.execute(
        "select file_path, status from raw.load_manifest where batch_id > 3 order by file_path"
    ).fetchall() == [("segment/b.jsonl.gz", "failed"), ("segment/d.jsonl", "loaded")]
    assert conn.execute("select count(*) from raw.load_quarantine").fetchone()[0] == 2
