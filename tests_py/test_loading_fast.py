"""The loader's fast path for JSON Lines event files (``orchestration.loading.fast``): the same
raw rows, quarantined rows (raw text, reasons) and manifest as the line-by-line path, and the
byte checks that send a file whose records are not its lines back to that path."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import fast, groups, load_landing
from orchestration.loading.fast import plain_lines
from scripts.compare_raw import compare


def fast_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the fast path commits (``write_segment``), as the load goes."""
    names: list[str] = []
    write = fast.write_segment

    def spy(conn, entity, segment, started):
        names.extend(file.path.name for file, *_ in segment)
        return write(conn, entity, segment, started)

    monkeypatch.setattr(fast, "write_segment", spy)
    return names


def load_both_ways(landing: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Load ``landing``'s events into ``fast.duckdb`` and, on the line path only, into
    ``lines.duckdb``; the names of the files the fast path committed."""
    committed = fast_files(monkeypatch)
    with duckdb.connect(str(folder / "fast.duckdb")) as conn:
        load_landing(conn, landing, entities=["product_events"])
    monkeypatch.setattr(groups, "load_fast", lambda *args: None)
    with duckdb.connect(str(folder / "lines.duckdb")) as conn:
        load_landing(conn, landing, entities=["product_events"])
    return committed


def test_bad_rows_demo_loads_the_same_on_the_fast_path_as_on_the_line_path(
    published_demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session's bad-rows demo (daily files with retried events in every file, and the
    hostile event files: malformed lines, blank lines, a truncated gzip...), loaded twice:
    every daily file on the fast path, and the same raw tables, quarantine and manifest."""
    committed = load_both_ways(published_demo.landing, tmp_path, monkeypatch)
    daily = sorted(p.name for p in (published_demo.landing / "product" / "events").glob("events_*.jsonl*"))
    assert daily and set(daily) <= set(committed)
    assert compare(str(tmp_path / "lines.duckdb"), str(tmp_path / "fast.duckdb"))


def test_a_file_whose_lines_are_not_its_records_takes_the_line_path_in_file_order(
    landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """b.jsonl reads with read_json, but has a blank line and CRLF ends: the line path loads
    it, between a.jsonl and c.jsonl (batch ids in file order, as the line path gives them)."""
    events = landing / "product" / "events"
    events.mkdir(parents=True)
    line = '{{"event_id": "E{0}", "account_id": "A", "user_id": "U", "event_name": "x", ' + (
        '"occurred_at": "2026-01-01T00:00:0{0}Z", "received_at": "2026-01-01T00:00:0{0}Z"}}'
    )
    (events / "a.jsonl").write_text(line.format(1) + "\n" + line.format(1) + "\n")  # E1 twice: line 1 quarantined
    (events / "b.jsonl").write_bytes((line.format(2) + "\r\n\r\n" + line.format(3) + "\r\n").encode())
    (events / "c.jsonl").write_text(line.format(4) + "\n")
    assert load_both_ways(landing, tmp_path, monkeypatch) == ["a.jsonl", "c.jsonl"]
    assert compare(str(tmp_path / "lines.duckdb"), str(tmp_path / "fast.duckdb"))
    with duckdb.connect(str(tmp_path / "fast.duckdb")) as conn:
        manifest = conn.execute(
            "select batch_id, file_path, rows_delivered, rows_loaded, rows_quarantined, reason "
            "from raw.load_manifest order by batch_id"
        ).fetchall()
        quarantined = conn.execute(
            "select file_path, row_number, raw_content, reason from raw.load_quarantine"
        ).fetchall()
    assert manifest == [
        (1, "product/events/a.jsonl", 2, 1, 1, None),
        (2, "product/events/b.jsonl", 2, 2, 0, "1 blank line(s) skipped"),
        (3, "product/events/c.jsonl", 1, 1, 0, None),
    ]
    assert quarantined == [("product/events/a.jsonl", 1, line.format(1), "duplicate_key_in_file: kept row 2")]


CLEAN = b'{"a": 1}\n{"b": 2}\n{"c": 3}\n'


@pytest.mark.parametrize(
    ("content", "records", "expected"),
    [
        (CLEAN, 3, {2: '{"b": 2}', 3: '{"c": 3}'}),
        (CLEAN[:-1], 3, {2: '{"b": 2}', 3: '{"c": 3}'}),  # no newline after the last line
        (CLEAN, 2, None),  # read_json found fewer records than lines
        (b'{"a": 1}\n\n{"c": 3}\n', 2, None),  # a blank line: the records are not the lines
        (b'{"a": 1}\n  {"c": 3}\n', 2, None),  # a line not starting with '{'
        (b'{"a": 1}\r\n{"c": 3}\r\n', 2, None),  # CR: the line path strips it from the raw text
        (b'{"a": "\x1e"}\n{"c": 3}\n', 2, None),  # the line reader's delimiter
        (b'{"a": "\\ud800"}\n{"c": 3}\n', 2, None),  # a surrogate escape
        (b'{"a": "\xff"}\n{"c": 3}\n', 2, None),  # not UTF-8
        ('{"a": "é"}\n{"c": 3}\n'.encode(), 2, {2: '{"c": 3}'}),
    ],
)
def test_plain_lines(tmp_path: Path, content: bytes, records: int, expected: dict[int, str] | None) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(content)
    assert plain_lines(path, records, {2, 3} if records == 3 else {2}) == expected


def test_plain_lines_of_gzip_members_and_a_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl.gz"
    path.write_bytes(gzip.compress(CLEAN[:9]) + gzip.compress(CLEAN[9:]))  # two members: lines 1 | 2-3
    assert plain_lines(path, 3, {3}) == {3: '{"c": 3}'}
    path.write_bytes(gzip.compress(CLEAN)[:-6])
    assert plain_lines(path, 3, set()) is None
