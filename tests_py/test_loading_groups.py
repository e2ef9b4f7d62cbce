"""JSON Lines event files loaded as a group (one scan, one transaction) give exactly what
loading them one by one gives: the same raw rows, row and line numbers, quarantine reasons
and raw content, manifest records; a truncated gzip in a group still fails alone.

The per-file path is the reference (its every case is hand-checked in test_loading.py);
``GROUP_ROWS = 0`` makes every file a group of its own, i.e. the per-file path.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import ENTITIES
from orchestration.loading import LoadSummary, Pending, load_landing, loop

MANIFEST_COLUMNS = "file_path, status, rows_delivered, rows_loaded, rows_quarantined, reason, sha256"
EVENT_COLUMNS = (
    "event_id, account_id, user_id, event_name, occurred_at, received_at, properties, _row_number, file_path"
)


def event(i: int, **changes: object) -> str:
    doc = {
        "event_id": f"E{i}",
        "account_id": "A1",
        "user_id": f"U{i % 3}",
        "event_name": "feature_used",
        "occurred_at": f"2026-03-01T10:{i % 60:02d}:00+01:00",
        "received_at": f"2026-03-01T09:{i % 60:02d}:05Z",
        "properties": {"feature": "dashboards"},
    }
    doc.update(changes)
    return json.dumps(doc)


def landing_files(folder: Path) -> None:
    events = folder / "product" / "events"
    events.mkdir(parents=True)
    # a.jsonl: blank lines, malformed JSON, an array, a bad timestamp, a missing id, a
    # non-object properties, an in-file duplicate (the later line is kept) and good rows.
    a = [
        event(1),
        "",
        event(2),
        '{"event_id": "E3", "account_id": ',
        "[1, 2]",
        event(4, occurred_at="yesterday"),
        event(5, event_id=None),
        event(6, properties="feature=x"),
        "   ",
        event(7),
        event(1, user_id="U9"),
        event(8),
    ]
    (events / "a.jsonl").write_text("\n".join(a) + "\n")
    # b.jsonl.gz: good rows, one duplicated twice, and an event already delivered in a.jsonl
    # (a duplicate across files is kept in raw; staging collapses it).
    b = [event(10), event(11), event(10, user_id="U7"), event(12), event(10, user_id="U8"), event(2)]
    (events / "b.jsonl.gz").write_bytes(gzip.compress(("\n".join(b) + "\n").encode()))
    # c.jsonl: no trailing newline, CRLF line ends, padding around the object.
    (events / "c.jsonl").write_bytes((event(20) + "\r\n  " + event(21) + "  \r\n" + event(22)).encode())
    # an empty file between groups of non-empty ones: it fails alone
    (events / "d_empty.jsonl").write_bytes(b"")
    (events / "e.jsonl").write_text(event(30) + "\n")
    (events / "f.jsonl").write_text(event(31) + "\n" + event(31, event_name="report_exported") + "\n")


def snapshot(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return {
            "manifest": conn.execute(f"select {MANIFEST_COLUMNS} from raw.load_manifest order by file_path").fetchall(),
            "quarantine": conn.execute(
                "select file_path, row_number, line_number, raw_content, reason from raw.load_quarantine "
                "order by file_path, row_number"
            ).fetchall(),
            "events": conn.execute(
                f"select {EVENT_COLUMNS} from raw.product_events join raw.load_manifest on batch_id = _batch_id "
                "order by file_path, _row_number"
            ).fetchall(),
        }


def load(landing: Path, database: Path) -> LoadSummary:
    with duckdb.connect(str(database)) as conn:
        return load_landing(conn, landing, entities=["product_events"])


def test_group_loads_exactly_like_one_file_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    landing = tmp_path / "landing"
    landing_files(landing)
    pending = [Pending(p, p.name, "", p.stat().st_size, 0) for p in sorted((landing / "product" / "events").iterdir())]
    events = next(e for e in ENTITIES if e.table == "product_events")
    # Grouping: a, b, c in one group; the empty file alone; e and f in the next group.
    assert [[f.path.name for f in g] for g in loop._groups(events, pending)] == [
        ["a.jsonl", "b.jsonl.gz", "c.jsonl"],
        ["d_empty.jsonl"],
        ["e.jsonl", "f.jsonl"],
    ]

    used: list[tuple[int, bool]] = []
    group_loader = loop.load_jsonl_group

    def spy(conn, entity, group, run):
        outcomes = group_loader(conn, entity, group, run)
        used.append((len(group), outcomes is not None))
        return outcomes

    monkeypatch.setattr(loop, "load_jsonl_group", spy)
    grouped = load(landing, tmp_path / "grouped.duckdb")
    assert used == [(3, True), (2, True)]  # both groups took the one-scan path
    monkeypatch.setattr(loop, "GROUP_ROWS", 0)
    one_by_one = load(landing, tmp_path / "one_by_one.duckdb")

    assert snapshot(tmp_path / "grouped.duckdb") == snapshot(tmp_path / "one_by_one.duckdb")
    assert grouped.entities == one_by_one.entities
    got = snapshot(tmp_path / "grouped.duckdb")
    # Spot checks against the hand-written files (what test_loading.py checks per case):
    # a.jsonl has 12 physical lines, 2 blank: 10 delivered; quarantined: line 4 (malformed),
    # 5 (array), 6 (timestamp), 7 (missing id), 8 (properties), and line 1 (E1 again on line 11).
    manifest = {row[0]: row[1:6] for row in got["manifest"]}
    assert manifest["product/events/a.jsonl"] == ("loaded", 10, 4, 6, "2 blank line(s) skipped")
    assert [(q[1], q[4].split(":")[0]) for q in got["quarantine"] if q[0] == "product/events/a.jsonl"] == [
        (1, "duplicate_key_in_file"),
        (4, "invalid_json"),
        (5, "invalid_json"),
        (6, "invalid_timestamp"),
        (7, "missing_required"),
        (8, "invalid_json_object"),
    ]
    # b: E10 three times, the last (line 5) kept; E2 across files is kept.
    assert manifest["product/events/b.jsonl.gz"] == ("loaded", 6, 4, 2, None)
    assert [q[4] for q in got["quarantine"] if q[0] == "product/events/b.jsonl.gz"] == [
        "duplicate_key_in_file: kept row 5",
        "duplicate_key_in_file: kept row 5",
    ]
    assert manifest["product/events/c.jsonl"] == ("loaded", 3, 3, 0, None)
    assert manifest["product/events/d_empty.jsonl"][0] == "failed"
    assert manifest["product/events/f.jsonl"] == ("loaded", 2, 1, 1, None)
    rows_of_a = [(r[0], r[7]) for r in got["events"] if r[8] == "product/events/a.jsonl"]
    assert rows_of_a == [("E2", 3), ("E7", 10), ("E1", 11), ("E8", 12)]


def test_truncated_gzip_in_a_group_fails_alone(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    events = landing / "product" / "events"
    events.mkdir(parents=True)
    (events / "a.jsonl").write_text(event(1) + "\n")
    whole = gzip.compress(("\n".join(event(i) for i in range(2, 400)) + "\n").encode())
    (events / "b.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (events / "c.jsonl").write_text(event(500) + "\n")
    summary = load(landing, tmp_path / "w.duckdb")
    got = snapshot(tmp_path / "w.duckdb")
    assert [(m[0], m[1], m[3]) for m in got["manifest"]] == [
        ("product/events/a.jsonl", "loaded", 1),
        ("product/events/b.jsonl.gz", "failed", 0),
        ("product/events/c.jsonl", "loaded", 1),
    ]
    assert got["manifest"][1][4] == 0 and summary.files_failed_count == 1
    assert [e[0] for e in got["events"]] == ["E1", "E500"]
