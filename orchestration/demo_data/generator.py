"""The entry point: build the world, write each entity's files in a fixed order, then the events,
the planted bad input and ``_demo_manifest.json``."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from orchestration.contract import ENTITY_BY_TABLE
from orchestration.demo_data.accounts import account_rows, build_accounts
from orchestration.demo_data.bad_input import BAD_CASES, BadInput
from orchestration.demo_data.events import generate_events
from orchestration.demo_data.formats import convert
from orchestration.demo_data.formatting import Progress
from orchestration.demo_data.invoices import invoice_rows
from orchestration.demo_data.subscriptions import build_subscriptions, subscription_rows
from orchestration.demo_data.support import ticket_rows
from orchestration.demo_data.surveys import survey_rows
from orchestration.demo_data.users import build_milestones, build_users, prepare_events, user_rows
from orchestration.demo_data.world import World
from orchestration.demo_data.writer import MANIFEST_NAME, DemoSummary, Landing

Samples = dict[str, list[list[str]]]


def generate(
    out: Path,
    accounts: int = 500,
    days: int = 365,
    seed: int = 42,
    end_date: date | None = None,
    bad_rows: bool = False,
    progress: Progress | None = None,
    formats: tuple[str, ...] = (),
) -> DemoSummary:
    """Write demo landing files for ``accounts`` accounts over the ``days`` days ending ``end_date``."""
    started = time.monotonic()
    say = progress or (lambda message: None)
    if accounts < 1 or days < 1:
        raise ValueError("accounts and days must be >= 1")
    end = end_date or datetime.now(UTC).date()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    landing = Landing(out)
    w = World(accounts, days, seed, end)

    say(f"accounts and subscriptions: {accounts:,} accounts, {w.clock.day(w.D0)} .. {w.clock.day(w.D1)}")
    _build(w)
    samples = _write_entities(w, landing, say)
    generate_events(w, landing, say)
    if bad_rows:
        samples["product_events"] = _sample_event_lines(landing)
        BadInput(w, landing, samples).plant()
        say("bad input planted: " + ", ".join(BAD_CASES))

    if formats:
        if bad_rows:
            raise ValueError("--format and --bad-rows: the bad input is planted in the native files only")
        convert(out, landing.entries, formats)
        say(f"product data converted to {', '.join(formats)}")

    seconds = time.monotonic() - started
    manifest = {
        "files": sorted(landing.entries, key=lambda e: e["path"]),
        "params": {
            "accounts": accounts,
            "days": days,
            "seed": seed,
            "bad_rows": bad_rows,
            **({"formats": list(formats)} if formats else {}),
            "start_date": w.clock.day(w.D0),
            "end_date": w.clock.day(w.D1),
        },
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = landing.summary(seconds)
    say(f"done in {seconds:,.1f} s")
    return summary


def _build(w: World) -> None:
    # The order is part of the output: every step draws from the world's one random stream.
    build_accounts(w)
    build_subscriptions(w)
    build_users(w)
    prepare_events(w)
    build_milestones(w)


def _write_entities(w: World, landing: Landing, say: Progress) -> Samples:
    """Every CSV entity's files; returns template rows per entity for the bad-input files."""
    sample = _sampler(w)
    samples: Samples = {}
    rows, keys, corrections = account_rows(w)
    samples["billing_accounts"] = sample("billing_accounts", rows)
    landing.write_split("billing_accounts", "accounts", rows, keys)
    if corrections:
        landing.write_csv("billing_accounts", "accounts_corrections.csv", corrections)
    rows, keys = subscription_rows(w)
    samples["billing_subscriptions"] = sample("billing_subscriptions", rows)
    landing.write_split("billing_subscriptions", "subscriptions", rows, keys)
    rows, keys, billing = invoice_rows(w)
    samples["billing_invoices"] = sample("billing_invoices", rows)
    landing.write_split("billing_invoices", "invoices", rows, keys)
    say(f"billing: {len(w.versions):,} subscription versions, {len(rows):,} invoice rows")
    rows, keys = user_rows(w)
    samples["product_users"] = sample("product_users", rows)
    landing.write_split("product_users", "users", rows, keys)
    invitations, inv_keys, responses, resp_keys = survey_rows(w, billing)
    samples["survey_invitations"] = sample("survey_invitations", invitations)
    samples["survey_responses"] = sample("survey_responses", responses)
    landing.write_split("survey_invitations", "invitations", invitations, inv_keys)
    landing.write_split("survey_responses", "responses", responses, resp_keys)
    say(f"users and surveys: {len(rows):,} users, {len(invitations):,} invitations, {len(responses):,} responses")
    tickets, ticket_keys = ticket_rows(w)
    landing.write_split("support_tickets", "tickets", tickets, ticket_keys)
    say(f"support: {len(tickets):,} ticket states")
    return samples  # the rows themselves are freed here, before the event loop


def _sampler(w: World):
    """``sample(table, rows)``: at least 12 rows with distinct keys (the last delivery of each)."""
    stamp = w.clock.ts(np.array([w.end_ts - 7200]))[0]
    fallback = {  # template rows for entities a tiny demo left empty
        "billing_invoices": [
            "inv_sample",
            w.acct_ids[0],
            "",
            "paid",
            w.currency[0],
            "10.00",
            "10.00",
            stamp,
            stamp,
            stamp,
            stamp,
        ],
        "survey_invitations": ["sinv_sample", "csat_support", "csat", "support", w.acct_ids[0], "usr_0000001", stamp],
        "survey_responses": [
            "resp_sample",
            "",
            "csat_in_app",
            "csat",
            "product",
            w.acct_ids[0],
            "usr_0000001",
            "4",
            "",
            stamp,
        ],
    }

    def sample(table: str, rows: list[list[str]]) -> list[list[str]]:
        names = ENTITY_BY_TABLE[table].column_names
        key_idx = [names.index(k) for k in ENTITY_BY_TABLE[table].key]
        by_key = {tuple(r[i] for i in key_idx): r for r in rows[:200]}
        picked = list(by_key.values())[:20] or [fallback[table]]
        base = len(picked)
        while len(picked) < 12:  # tiny demos: copies under new ids
            row = list(picked[len(picked) % base])
            row[key_idx[0]] = f"{row[key_idx[0]]}_{len(picked)}"
            picked.append(row)
        return picked

    return sample


def _sample_event_lines(landing: Landing) -> list[str]:
    for entry in landing.entries:
        if entry["entity"] == "product_events" and entry["path"].endswith(".jsonl.gz") and entry["data_rows"]:
            with gzip.open(landing.out / entry["path"], "rt", encoding="utf-8") as handle:
                return [handle.readline().rstrip("\n") for _ in range(min(20, entry["data_rows"]))]
    return [
        json.dumps(
            {
                "event_id": "evt_sample",
                "account_id": "acc_000001",
                "user_id": "usr_0000001",
                "event_name": "session_started",
                "occurred_at": "2024-01-01T10:00:00Z",
                "received_at": "2024-01-01T10:00:01Z",
                "properties": {"platform": "web"},
            }
        )
    ]
