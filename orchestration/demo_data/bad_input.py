"""Bad input for the loader: with ``bad_rows=True`` every bad-input case of the raw contract (its last
section) is planted as small ``bad_<case>.<ext>`` files in the entity folders, each named in the
manifest with the rows the loader must quarantine and whether the whole file must fail.
"""

from __future__ import annotations

import numpy as np

from orchestration.contract import ENTITIES, ENTITY_BY_TABLE
from orchestration.demo_data.bad_events import UNKNOWN_ACCOUNT, BadEvents
from orchestration.demo_data.formatting import csv_bytes
from orchestration.demo_data.world import World
from orchestration.demo_data.writer import Landing

# Every bad-input case of the contract's last section, plus a few more of the same kind;
# ``bad_rows=True`` plants each (in every entity where it applies), named in the manifest.
BAD_CASES: tuple[str, ...] = (
    # every CSV entity
    "wrong_field_count",
    "unparseable_timestamp",
    "missing_required_value",
    "duplicate_key_in_file",
    "duplicate_key_across_files",
    "extra_column",
    "shuffled_columns",
    "header_only",
    "zero_bytes",
    "utf8_bom",
    "crlf_line_endings",
    "quoted_fields",
    "not_csv",
    "missing_required_column",
    "unknown_account",  # every entity with an account_id but accounts
    # values of one entity
    "unparseable_integer",
    "unparseable_decimal",
    "unparseable_boolean",
    "unparseable_date",
    "value_out_of_range",
    "score_out_of_scale",
    "unknown_survey_type",
    "unknown_touchpoint",
    "unknown_segment",
    "unknown_status",
    "unknown_interval",
    "unknown_role",
    # product/events
    "malformed_json",
    "missing_event_id",
    "duplicate_event_id",
    "properties_not_object",
    "truncated_gzip",
    "not_json",
)
# Cases after which the loader must record the whole file as failed.
FAILING_CASES: tuple[str, ...] = ("zero_bytes", "not_csv", "missing_required_column", "truncated_gzip", "not_json")
# Support tickets (issue 16) are left out: the bad-rows demo's figures are pinned by the
# loading tests; support's bad input has its own exact tests (tests_py/test_support.py).
CSV_TABLES: tuple[str, ...] = tuple(e.table for e in ENTITIES if "csv" in e.formats and e.source != "support")
# Required column left out of the ``missing_required_column`` file of each entity.
MISSING_COLUMN = {
    "billing_accounts": "segment",
    "billing_subscriptions": "plan_id",
    "billing_invoices": "status",
    "survey_invitations": "survey_type",
    "survey_responses": "score",
    "product_users": "user_id",
}
# Free-text column that gets non-ASCII text in the ``utf8_bom`` file.
FREE_TEXT = {"billing_accounts": "account_name", "survey_responses": "comment"}
# First bytes of the binary files delivered under a .csv name (PNG, XLSX/ZIP, gzip, JPEG, PDF, UTF-16).
NOT_CSV_MAGIC: tuple[bytes, ...] = (
    b"\x89PNG\r\n\x1a\n\x00\x00",
    b"PK\x03\x04\x14\x00\x06\x00\x08\x00",
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"%PDF-1.7\r%\xe2\xe3\xcf\xd3\x00\n",
    b"\xff\xfea\x00c\x00c\x00,\x00",
)


class BadInput:
    """Plants every bad-input case as small ``bad_<case>.<ext>`` files in the entity folders.

    Rows start from real delivered rows (``samples``: distinct keys per entity) and get one
    defect each; the manifest records per file the data records written, how many of them the
    loader must quarantine (``bad_rows``) and whether the whole file must fail."""

    def __init__(self, world: World, landing: Landing, samples: dict[str, list[list[str]]]) -> None:
        self.world = world
        self.landing = landing
        self.samples = samples
        self.late_stamp = world.clock.ts(np.array([world.end_ts - 60]))[0]

    # ------------------------------------------------------------- helpers
    @staticmethod
    def header(table: str) -> list[str]:
        return ENTITY_BY_TABLE[table].column_names

    def col(self, table: str, name: str) -> int:
        return self.header(table).index(name)

    def good(self, table: str, count: int, start: int = 0) -> list[list[str]]:
        rows = self.samples[table]
        return [list(rows[(start + i) % len(rows)]) for i in range(count)]

    def csv(
        self,
        table: str,
        case: str,
        rows: list[list[str]],
        bad: int,
        *,
        cases: tuple[str, ...] | None = None,
        header: list[str] | None = None,
        crlf: bool = False,
        bom: bool = False,
        quote_all: bool = False,
        fails: bool = False,
    ) -> None:
        payload = csv_bytes(header or self.header(table), rows, crlf=crlf, quote_all=quote_all)
        if bom:
            payload = b"\xef\xbb\xbf" + payload
        self.landing.write_bytes(
            table, f"bad_{case}.csv", payload, len(rows), bad_rows=bad, fails=fails, cases=cases or (case,)
        )

    def garbage(self, stream: int, size: int) -> bytes:
        return np.random.default_rng([self.world.seed, 9, stream]).integers(0, 256, size, dtype=np.uint8).tobytes()

    def plant(self) -> None:
        for i, table in enumerate(CSV_TABLES):
            self.file_cases(i, table)
            self.row_cases(i, table)
        self.account_cases()
        self.subscription_cases()
        self.invoice_cases()
        self.survey_cases()
        self.user_cases()
        self.event_cases()

    # ------------------------------------------------------------- every CSV entity: file shape
    def file_cases(self, i: int, table: str) -> None:
        hdr = self.header(table)
        self.csv(table, "header_only", [], 0)
        self.landing.write_bytes(table, "bad_zero_bytes.csv", b"", 0, fails=True, cases=("zero_bytes",))
        # a binary file with a .csv name (an image, a spreadsheet, a compressed export ...)
        self.landing.write_bytes(
            table,
            "bad_not_csv.csv",
            NOT_CSV_MAGIC[i % len(NOT_CSV_MAGIC)] + self.garbage(i, 2048),
            None,
            fails=True,
            cases=("not_csv",),
        )
        dropped = MISSING_COLUMN[table]
        keep = [j for j, c in enumerate(hdr) if c != dropped]
        rows = [[r[j] for j in keep] for r in self.good(table, 2, 10)]
        self.csv(table, "missing_required_column", rows, 0, header=[hdr[j] for j in keep], fails=True)
        # unknown columns, one in the middle and one at the end: ignored, never fatal
        rows = [
            r[:2] + ["legacy-export"] + r[2:] + [f"note {j}, see CRM"] for j, r in enumerate(self.good(table, 2, 5))
        ]
        self.csv(table, "extra_column", rows, 0, header=hdr[:2] + ["source_system"] + hdr[2:] + ["Notes"])
        order = np.random.default_rng([self.world.seed, 10, i]).permutation(len(hdr)).tolist()
        if order == sorted(order):
            order = order[::-1]
        rows = [[r[j] for j in order] for r in self.good(table, 2, 6)]
        self.csv(table, "shuffled_columns", rows, 0, header=[hdr[j] for j in order])
        self.csv(table, "utf8_bom", self.with_text(table, self.good(table, 2, 7), "Müller Straße Café ☕"), 0, bom=True)
        rows = self.good(table, 2, 8)
        if table == "survey_responses":
            rows[0][self.col(table, "comment")] = "Multi-line comment,\nin a file with CRLF line endings"
        self.csv(table, "crlf_line_endings", rows, 0, crlf=True)
        self.quoted_fields(table)

    @staticmethod
    def with_text(table: str, rows: list[list[str]], text: str) -> list[list[str]]:
        """Put non-ASCII ``text`` in the entity's free-text column, where it has one."""
        column = FREE_TEXT.get(table)
        if column is not None:
            rows[0][ENTITY_BY_TABLE[table].column_names.index(column)] = text
        return rows

    def quoted_fields(self, table: str) -> None:
        rows = self.good(table, 3, 9)
        if table == "billing_accounts":
            rows[0][self.col(table, "account_name")] = 'Smith, Jones & "Partners"\nEMEA branch'
            rows[1][self.col(table, "industry")] = 'Retail, "Luxury"'
        elif table == "survey_invitations":
            rows[0][self.col(table, "survey_id")] = 'pulse "Q3, 2025"\nrelationship'
        elif table == "survey_responses":
            rows[0][self.col(table, "comment")] = 'Love it, truly: "best tool"\nSecond line, with commas, é ü 日本語 🙂'
            rows[1][self.col(table, "comment")] = '"quoted start' + '"' * 3
            rows[2][self.col(table, "comment")] = "a,b,c\r\nwindows newline inside"
        elif table == "product_users":
            rows[0][self.col(table, "email")] = '"smith, anna"@example.com'  # a quoted local part is a valid address
        # billing ids and codes hold no free text: every field is quoted instead
        self.csv(table, "quoted_fields", rows, 0, quote_all=table in ("billing_subscriptions", "billing_invoices"))

    # ------------------------------------------------------------- every CSV entity: bad rows
    def row_cases(self, i: int, table: str) -> None:
        entity = ENTITY_BY_TABLE[table]
        hdr = self.header(table)
        key = self.col(table, entity.key[0])
        rows = self.good(table, 4, 1)
        rows[1] = rows[1] + ["surplus"]
        rows[3] = rows[3][:-2]
        self.csv(table, "wrong_field_count", rows, 2)

        rows = self.good(table, 3, 2)
        other = next(c for c in entity.required_columns if c not in entity.key)
        rows[0][key] = ""
        rows[1][self.col(table, other)] = "  "  # blank after trimming
        self.csv(table, "missing_required_value", rows, 2)

        stamps = [c.name for c in entity.columns if c.type == "timestamp" and c.required]
        rows = self.good(table, 3, 3)
        rows[1][self.col(table, stamps[0])] = "yesterday"
        rows[2][self.col(table, stamps[-1])] = "2024-13-45T25:61:00Z"
        self.csv(table, "unparseable_timestamp", rows, 2)

        rows = self.good(table, 2, 4)
        twin = list(rows[0])
        if entity.updated_at:
            twin[self.col(table, entity.updated_at)] = self.late_stamp  # the later version is kept
        self.csv(table, "duplicate_key_in_file", [rows[0], rows[1], twin], 1)

        # delivered again in another file: the latest updated_at (or the latest batch) wins downstream
        # (in descending key order: never the same bytes as a good file, which the loader would skip)
        rows = self.good(table, 2, 11)[::-1]
        if entity.updated_at:
            for r in rows:
                r[self.col(table, entity.updated_at)] = self.late_stamp
        self.csv(table, "duplicate_key_across_files", rows, 0)

        if "account_id" in hdr and table != "billing_accounts":
            rows = self.good(table, 2, 12)
            rows[1][key] = f"{rows[1][key]}_orphan"
            rows[1][self.col(table, "account_id")] = UNKNOWN_ACCOUNT
            self.csv(table, "unknown_account", rows, 0)

    # ------------------------------------------------------------- entity-specific values
    def plant_values(self, table: str, case: str, count: int, start: int, bad: dict[int, dict[str, str]]) -> None:
        """One file of ``case``: ``count`` good rows of ``table`` from sample ``start``, with the
        values of ``bad`` (row index -> column -> value) written over them; one bad row each."""
        rows = self.good(table, count, start)
        for index, values in bad.items():
            for name, value in values.items():
                rows[index][self.col(table, name)] = value
        self.csv(table, case, rows, len(bad))

    def account_cases(self) -> None:
        bad = {1: {"segment": "startup"}, 2: {"segment": "Enterprise Plus"}}
        self.plant_values("billing_accounts", "unknown_segment", 3, 1, bad)

    def subscription_cases(self) -> None:
        for case, count, start, bad in (
            ("unparseable_integer", 3, 0, {1: {"quantity": "ten"}, 2: {"version": "1.5"}}),
            ("unparseable_decimal", 3, 1, {1: {"unit_amount": "12,50"}, 2: {"discount_pct": "10%"}}),
            ("unknown_interval", 2, 2, {1: {"billing_interval": "week"}}),
            ("unparseable_boolean", 2, 3, {1: {"is_trial": "maybe"}}),
            ("unparseable_date", 3, 4, {1: {"valid_from": "2025-02-30"}, 2: {"contract_end": "next year"}}),
            ("value_out_of_range", 4, 5, {1: {"quantity": "-3"}, 2: {"discount_pct": "150.00"}, 3: {"version": "0"}}),
        ):
            self.plant_values("billing_subscriptions", case, count, start, bad)

    def invoice_cases(self) -> None:
        invoices = "billing_invoices"
        self.plant_values(invoices, "unknown_status", 2, 0, {1: {"status": "refunded"}})
        self.plant_values(
            invoices, "unparseable_decimal", 3, 1, {1: {"amount_due": "12,50"}, 2: {"amount_paid": "€10.00"}}
        )

    def survey_cases(self) -> None:
        responses = "survey_responses"
        for table in ("survey_invitations", responses):
            self.plant_values(table, "unknown_survey_type", 2, 1, {1: {"survey_type": "pulse"}})
            self.plant_values(table, "unknown_touchpoint", 2, 2, {1: {"touchpoint": "checkout"}})
        out_of_scale = {1: ("nps", "11"), 2: ("csat", "0"), 3: ("ces", "8")}
        bad = {i: {"survey_type": kind, "score": score} for i, (kind, score) in out_of_scale.items()}
        self.plant_values(responses, "score_out_of_scale", 4, 0, bad)
        self.plant_values(responses, "unparseable_integer", 3, 5, {1: {"score": "seven"}, 2: {"score": "8.5"}})

    def user_cases(self) -> None:
        self.plant_values("product_users", "unknown_role", 2, 1, {1: {"role": "owner"}})

    # ------------------------------------------------------------- product/events
    def event_cases(self) -> None:
        BadEvents(self.landing, self.samples["product_events"], self.garbage).plant()
