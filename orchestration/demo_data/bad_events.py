"""Bad input for product/events: malformed and incomplete JSON Lines, duplicated ids, a truncated
gzip, an HTML page under a .jsonl.gz name and a Parquet export missing a required column."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.contract import ENTITY_BY_TABLE
from orchestration.demo_data.writer import Landing

E = "product_events"
UNKNOWN_ACCOUNT = "acc_999999x"


class BadEvents:
    """Event documents start from real delivered lines (``lines``) and get one defect each."""

    def __init__(self, landing: Landing, lines: list[str], garbage: Callable[[int, int], bytes]) -> None:
        self.landing = landing
        self.lines = lines
        self.garbage = garbage

    def write(
        self,
        case: str,
        body: list[str],
        bad: int,
        ext: str = "jsonl",
        *,
        fails: bool = False,
        crlf: bool = False,
        cases: tuple[str, ...] | None = None,
    ) -> None:
        payload = "".join(line + ("\r\n" if crlf else "\n") for line in body).encode("utf-8")
        if ext == "jsonl.gz":
            payload = gzip.compress(payload, compresslevel=6, mtime=0)
        if fails:
            payload = payload[: len(payload) // 2]
        self.landing.write_bytes(
            E, f"bad_{case}.{ext}", payload, len(body), bad_rows=bad, fails=fails, cases=cases or (case,)
        )

    def event(self, i: int, **changes: object) -> dict:
        doc = json.loads(self.lines[i % len(self.lines)])
        doc["event_id"] = f"evt_bad_{i:04d}"
        doc.update(changes)
        return doc

    @staticmethod
    def dump(doc: dict) -> str:
        return json.dumps(doc, ensure_ascii=False)

    def plant(self) -> None:
        self.line_cases()
        self.file_cases()

    def line_cases(self) -> None:
        """Files that load, with some lines quarantined (or none: duplicates across files, extras)."""
        write, event, dump = self.write, self.event, self.dump
        write(
            "malformed_json",
            [
                dump(event(0)),
                '{"event_id": "evt_bad_9000", "account_id": "acc_000001", "user_',
                dump(event(1)),
                "this is not json",
                dump(event(8)),
            ],
            2,
        )
        no_id, no_user, blank_account = event(2), event(9), event(10, account_id="")
        del no_id["event_id"], no_user["user_id"]
        write(
            "missing_event_id",
            [dump(event(3)), dump(no_id), dump(no_user), dump(blank_account)],
            3,
            cases=("missing_event_id", "missing_required_value"),
        )
        write(
            "unparseable_timestamp",
            [
                dump(event(4)),
                dump(event(5, occurred_at="2024-02-30 25:00")),
                dump(event(11, received_at="last tuesday")),
            ],
            2,
        )
        twin = dump(event(6))
        write(
            "duplicate_event_id", [twin, dump(event(7)), twin], 1, cases=("duplicate_event_id", "duplicate_key_in_file")
        )
        # an SDK replay of events already delivered in a daily file
        write("duplicate_key_across_files", self.lines[:3], 0)
        write("unknown_account", [dump(event(12)), dump(event(13, account_id=UNKNOWN_ACCOUNT))], 0)
        extra = event(14)
        extra["context"] = {"library": {"name": "analytics.js", "version": "4.1.0"}, "locale": "de-DE"}
        extra["anonymous_id"] = "anon_7f3a"
        write("extra_column", [dump(event(15)), dump(extra)], 0)
        write(
            "properties_not_object",
            [dump(event(16)), dump(event(17, properties="dashboards")), dump(event(18, properties=[1, 2]))],
            2,
        )
        write(
            "crlf_line_endings",
            [dump(event(19, properties={"feature": "search", "query": 'Café, "ünïcode" 日本語'})), dump(event(20))],
            0,
            crlf=True,
        )

    def file_cases(self) -> None:
        """Files that fail as a whole."""
        self.landing.write_bytes(E, "bad_zero_bytes.jsonl", b"", 0, fails=True, cases=("zero_bytes",))
        self.write(
            "truncated_gzip", [self.dump(self.event(100 + i)) for i in range(400)], 0, ext="jsonl.gz", fails=True
        )
        # an HTML error page saved under a .jsonl.gz name: not gzip, not JSON
        page = b"<!DOCTYPE html>\n<html><body><h1>502 Bad Gateway</h1></body></html>\n" + self.garbage(99, 512)
        self.landing.write_bytes(E, "bad_not_json.jsonl.gz", page, None, fails=True, cases=("not_json",))
        # a Parquet export without the user_id column
        docs = [self.event(21 + i) for i in range(3)]
        table = pa.table(
            {
                c: [str(d[c]) if c != "properties" else json.dumps(d[c]) for d in docs]
                for c in ENTITY_BY_TABLE[E].column_names
                if c != "user_id"
            }
        )
        path = self.landing.path(E, "bad_missing_required_column.parquet")
        pq.write_table(table, path, compression="zstd")
        self.landing.record(E, path, len(docs), fails=True, cases=("missing_required_column",))
