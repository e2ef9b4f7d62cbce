"""Freshness per raw source (issue 15 §1): the rule on hand-computed ages, the manifest query,
and the load step's non-blocking asset check in a real Dagster run."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import freshness
from orchestration.config import resolve_settings
from orchestration.contract import ENTITY_BY_TABLE
from orchestration.defs.raw import raw_asset_key, raw_landing_files
from orchestration.defs.resources import WarehouseResource
from orchestration.loading import load_landing
from orchestration.publish import write_state
from orchestration.raw_schema import MANIFEST_DDL, MANIFEST_TABLE, ensure_raw_schema

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "cx"
NOW = datetime(2026, 12, 6, 19, 2)
LIMITS = {"billing": 26.0, "survey": 26.0, "product": 48.0, "support": 26.0}


def _ages(last_loaded: dict[str, datetime]) -> dict[str, tuple[float | None, bool]]:
    return {f.entity.table: (f.age_hours, f.stale) for f in freshness.entity_freshness(last_loaded, NOW, LIMITS)}


def test_ages_and_staleness_from_the_newest_loads_and_a_clock() -> None:
    last = {
        "billing_accounts": datetime(2026, 12, 3, 14, 2),  # 12-03 14:02 -> 12-06 19:02 = 3 d 5 h = 77 h
        "billing_subscriptions": datetime(2026, 12, 3, 8, 0),  # 77 h + 6 h 2 min = 83.0333 h
        "billing_invoices": datetime(2026, 12, 2, 19, 2),  # 4 d = 96 h
        "survey_invitations": datetime(2026, 12, 5, 17, 2),  # exactly 26 h: meets the 26 h limit
        "survey_responses": datetime(2026, 12, 5, 14, 2),  # 29 h
        # product_users, product_events and support_tickets: never loaded
    }
    ages = _ages(last)
    assert ages["billing_accounts"] == (77.0, True)
    assert ages["billing_subscriptions"][0] == pytest.approx(83 + 2 / 60) and ages["billing_subscriptions"][1]
    assert ages["billing_invoices"] == (96.0, True)
    assert ages["survey_invitations"] == (26.0, False)
    assert ages["survey_responses"] == (29.0, True)
    assert ages["product_users"] == (None, True) and ages["product_events"] == (None, True)

    lines = freshness.stale_source_lines(freshness.entity_freshness(last, NOW, LIMITS))
    assert lines == [
        # every billing entity stale: the source's newest load (accounts, 77 h)
        "Billing data is stale: last file loaded 2026-12-03 14:02 UTC, 77 h ago, limit 26 h",
        # only responses stale: named
        "Survey data is stale: responses last file loaded 2026-12-05 14:02 UTC, 29 h ago, limit 26 h",
        "Product data never delivered",
        "Support data never delivered",
    ]


def test_all_fresh_says_nothing_and_a_partly_delivered_source_names_the_missing_entity() -> None:
    fresh = {table: NOW - timedelta(hours=1) for table in ENTITY_BY_TABLE}
    assert freshness.stale_source_lines(freshness.entity_freshness(fresh, NOW, LIMITS)) == []
    del fresh["product_users"]
    assert freshness.stale_source_lines(freshness.entity_freshness(fresh, NOW, LIMITS)) == [
        "Product data is stale: users never delivered, limit 48 h"
    ]


def test_limits_and_check_names_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {s: freshness.max_age_hours(s) for s in freshness.SOURCES} == {
        "billing": 26,
        "survey": 26,
        "product": 26,
        "support": 26,
    }
    monkeypatch.setenv("CXCS_FRESHNESS_HOURS_PRODUCT", "1.5")
    assert freshness.max_age_hours("product") == 1.5 and freshness.check_name("product") == "fresh_within_1_5h"
    monkeypatch.setenv("CXCS_FRESHNESS_HOURS_SURVEY", "0")
    with pytest.raises(ValueError, match="CXCS_FRESHNESS_HOURS_SURVEY must be a positive number"):
        freshness.max_age_hours("survey")


def test_only_loaded_files_count() -> None:
    """A failed or ignored file delivered nothing: the newest LOADED file is the last update."""
    with duckdb.connect() as conn:
        conn.execute("create schema raw")
        conn.execute(MANIFEST_DDL)
        rows = [
            (1, "billing_accounts", "loaded", "2026-12-01 05:00"),
            (2, "billing_accounts", "loaded", "2026-12-03 14:02"),
            (3, "billing_accounts", "failed", "2026-12-06 05:00"),
            (4, "survey_responses", "failed", "2026-12-06 05:00"),
            (5, "billing_invoices", "ignored", "2026-12-06 05:00"),
        ]
        for batch, entity, status, at in rows:
            conn.execute(
                f"insert into {MANIFEST_TABLE} values (?, ?, 'f', 'sha', 1, 1, ?, 1, 1, 0, null, ?, ?)",
                [batch, entity, status, at, at],
            )
        assert freshness.last_loaded(conn, MANIFEST_TABLE) == {"billing_accounts": datetime(2026, 12, 3, 14, 2)}


def test_the_load_step_checks_freshness_from_the_manifest_not_the_materialization(tmp_path: Path) -> None:
    """An earlier published build loaded billing/accounts 30 h ago (its manifest row shifted back
    30 h); this run finds that file again (skipped) and a new survey responses file. The raw
    asset billing_accounts is materialized now, yet its check fails: 30 h > 26 h. Survey
    responses are fresh; entities never delivered fail, with no age. Non-blocking: the run
    succeeds."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    settings = resolve_settings(landing, warehouse)
    (landing / "billing" / "accounts").mkdir(parents=True)
    shutil.copy(FIXTURES / "billing_accounts.csv", landing / "billing" / "accounts" / "accounts.csv")
    settings.build_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.build_path)) as conn:
        ensure_raw_schema(conn)
        load_landing(conn, landing, entities=["billing_accounts"])
        conn.execute(f"update {MANIFEST_TABLE} set finished_at = finished_at - interval 30 hour")
        [(shifted,)] = conn.execute(f"select finished_at from {MANIFEST_TABLE} where status = 'loaded'").fetchall()
    write_state(settings.build_path, "published", "earlier-run")
    (landing / "survey" / "responses").mkdir(parents=True)
    shutil.copy(FIXTURES / "survey_responses.csv", landing / "survey" / "responses" / "responses.csv")

    result = dg.materialize(
        [raw_landing_files], resources={"warehouse": WarehouseResource.from_settings(settings)}, raise_on_error=True
    )
    assert result.success
    # The raw asset is materialized by this run, new file or not: its time says nothing.
    assert raw_asset_key("billing_accounts") in {m.asset_key for m in result.get_asset_materialization_events()}
    checks = {
        e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations() if e.check_name == "fresh_within_26h"
    }
    assert set(checks) == set(ENTITY_BY_TABLE)
    assert {e.severity for e in checks.values()} == {dg.AssetCheckSeverity.WARN}
    accounts = checks["billing_accounts"]
    assert not accounts.passed
    assert accounts.metadata["last_loaded_at"].value == shifted.replace(tzinfo=UTC).isoformat()
    assert 30 <= accounts.metadata["age_hours"].value < 30.1  # 30 h plus this run's seconds
    assert accounts.metadata["max_age_hours"].value == 26.0
    responses = checks["survey_responses"]
    assert responses.passed and 0 <= responses.metadata["age_hours"].value < 0.1
    never = [t for t, e in checks.items() if not e.passed and e.metadata["last_loaded_at"].value == "never"]
    assert sorted(never) == sorted(set(ENTITY_BY_TABLE) - {"billing_accounts", "survey_responses"})
    assert all(checks[t].metadata["age_hours"].value is None for t in never)
    # Dagster's own "last updated" metadata carries the manifest's time, not the run's.
    [accounts_materialization] = [
        m for m in result.get_asset_materialization_events() if m.asset_key == raw_asset_key("billing_accounts")
    ]
    stamp = accounts_materialization.materialization.metadata["dagster/last_updated_timestamp"].value
    assert stamp == shifted.replace(tzinfo=UTC).timestamp()
