"""The dbt project, built for real on DuckDB.

A private DuckDB file gets schema ``raw`` from ``ensure_raw_schema`` and a few
hand-written raw rows (versions of one key across batches, an SDK retry, a
timestamp the loader already converted from an offset, an email, a reference to
an unknown account); ``dbt build`` runs against it (in this process), then the
tests read the result.  A second build on empty raw tables proves an entity with
no files yet breaks nothing.  ``sqlfluff lint`` must be clean.

Run alone: ``.venv/bin/python -m pytest tests_py/test_dbt_project.py``.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_build import project_manifest_json, run_dbt

from orchestration.raw_schema import ensure_raw_schema

PROJECT_DIR = Path(__file__).resolve().parent.parent

STAGING_MODELS = (
    "stg_billing__accounts",
    "stg_billing__subscriptions",
    "stg_billing__invoices",
    "stg_survey__invitations",
    "stg_survey__responses",
    "stg_product__users",
    "stg_product__events",
)
SEEDS = ("plans", "fx_rates", "key_features", "onboarding_milestones", "health_score_weights", "cx_theme_taxonomy")

# Loader bookkeeping columns, in raw_schema order: _batch_id, _row_number, _loaded_at.
B1 = "1, {row}, timestamp '2024-03-01 06:00:00'"
B2 = "2, {row}, timestamp '2024-03-02 06:00:00'"
B3 = "3, {row}, timestamp '2024-03-03 06:00:00'"

RAW_ROWS: dict[str, list[str]] = {
    "billing_accounts": [
        # A1: a newer version arrives in batch 2 and wins; its enum needs trimming.
        f"'A1', 'Acme v1', 'smb', 'Software', 'na', timestamp '2024-01-01 00:00:00', timestamp '2024-01-01 00:00:00', {B1.format(row=1)}",
        f"'A1', 'Acme v2', ' SMB ', 'Software', 'na', timestamp '2024-01-01 00:00:00', timestamp '2024-02-01 00:00:00', {B2.format(row=1)}",
        # A2: a stale re-export in batch 2 loses to the newer updated_at of batch 1.
        f"'A2', 'Beta', 'enterprise', null, 'EMEA', timestamp '2024-01-05 00:00:00', timestamp '2024-03-01 00:00:00', {B1.format(row=2)}",
        f"'A2', 'Beta stale', 'enterprise', null, 'EMEA', timestamp '2024-01-05 00:00:00', timestamp '2024-02-01 00:00:00', {B2.format(row=2)}",
        # A3: equal updated_at, the later batch wins.
        f"'A3', 'Gamma b1', 'mid_market', 'Retail', 'APAC', timestamp '2024-01-07 00:00:00', timestamp '2024-02-10 00:00:00', {B1.format(row=3)}",
        f"'A3', 'Gamma b3', 'mid_market', 'Retail', 'APAC', timestamp '2024-01-07 00:00:00', timestamp '2024-02-10 00:00:00', {B3.format(row=1)}",
    ],
    "billing_subscriptions": [
        # S1 version 1 corrected in batch 2 (12 seats); version 2 is a separate row.
        f"'S1', 1, 'A1', 'growth', false, 'month', 10, 35.00, null, 'usd', date '2024-01-01', date '2024-03-01', date '2024-12-31', null, timestamp '2024-01-01 00:00:00', {B1.format(row=1)}",
        f"'S1', 1, 'A1', 'growth', false, 'month', 12, 35.00, null, 'USD', date '2024-01-01', date '2024-03-01', date '2024-12-31', null, timestamp '2024-01-15 00:00:00', {B2.format(row=1)}",
        f"'S1', 2, 'A1', 'business', false, 'Year', 20, 600.00, 10, 'USD', date '2024-03-01', null, date '2025-02-28', null, timestamp '2024-03-01 00:00:00', {B2.format(row=2)}",
        # S2 belongs to an account billing never delivered: kept, and flagged by a warning.
        f"'S2', 1, 'A9', 'starter', true, 'month', 3, 0.00, null, 'EUR', date '2024-02-01', null, null, null, timestamp '2024-02-01 00:00:00', {B2.format(row=3)}",
    ],
    "billing_invoices": [
        f"'INV1', 'A1', 'S1', 'open', 'USD', 420.00, 0.00, timestamp '2024-02-01 00:00:00', timestamp '2024-03-02 00:00:00', null, timestamp '2024-02-01 00:00:00', {B1.format(row=1)}",
        f"'INV1', 'A1', 'S1', 'Paid', 'usd', 420.00, 420.00, timestamp '2024-02-01 00:00:00', timestamp '2024-03-02 00:00:00', timestamp '2024-02-20 10:00:00', timestamp '2024-02-20 10:00:00', {B2.format(row=1)}",
        f"'INV2', 'A2', null, 'void', 'EUR', 100.00, 0.00, timestamp '2024-02-03 00:00:00', timestamp '2024-03-03 00:00:00', null, timestamp '2024-02-04 00:00:00', {B1.format(row=2)}",
    ],
    "survey_invitations": [
        f"'I1', 'SV1', 'nps', 'relationship', 'A1', 'U1', timestamp '2024-02-01 09:00:00', {B1.format(row=1)}",
        f"'I1', 'SV1', 'NPS', ' Relationship', 'A1', 'U1', timestamp '2024-02-01 09:00:00', {B2.format(row=1)}",
        f"'I2', 'SV2', 'csat', 'support', 'A2', 'C2', timestamp '2024-02-02 09:00:00', {B1.format(row=2)}",
    ],
    "survey_responses": [
        f"'R1', 'I1', 'SV1', 'nps', 'relationship', 'A1', 'U1', 7, 'first export', timestamp '2024-02-01 10:00:00', {B1.format(row=1)}",
        f"'R1', 'I1', 'SV1', 'nps', 'relationship', 'A1', 'U1', 9, 'Great, \"really\"\nfast', timestamp '2024-02-01 10:00:00', {B2.format(row=1)}",
        f"'R2', null, 'SV3', 'Csat', 'product', 'A3', 'C3', 4, null, timestamp '2024-02-05 12:00:00', {B1.format(row=2)}",
    ],
    "product_users": [
        f"'U1', 'A1', 'ana@example.com', 'member', timestamp '2024-01-02 00:00:00', {B1.format(row=1)}",
        f"'U1', 'A1', 'ana@example.com', 'Admin', timestamp '2024-01-02 00:00:00', {B2.format(row=1)}",
        f"'U2', 'A2', null, 'viewer', timestamp '2024-01-06 00:00:00', {B1.format(row=2)}",
    ],
    "product_events": [
        # E1: an SDK retry delivered again in batch 2 collapses to one event.
        f"""'E1', 'A1', 'U1', 'feature_used', timestamp '2024-02-29 10:00:00', timestamp '2024-02-29 10:00:01', '{{"feature": "Dashboards"}}', {B1.format(row=1)}""",
        f"""'E1', 'A1', 'U1', 'feature_used', timestamp '2024-02-29 10:00:00', timestamp '2024-03-01 08:00:00', '{{"feature": "Dashboards"}}', {B2.format(row=1)}""",
        # E2: delivered as 2024-03-02T01:30:00+02:00; the loader stored it in UTC.
        f"'E2', 'A1', 'U1', 'session_started', timestamp '2024-03-01 23:30:00', timestamp '2024-03-01 23:30:02', null, {B2.format(row=2)}",
        f"""'E3', 'A2', 'U2', 'report_exported', timestamp '2024-03-02 12:00:00', timestamp '2024-03-02 12:00:01', '{{"format": "pdf"}}', {B3.format(row=1)}""",
    ],
}


def write_raw_rows(conn: duckdb.DuckDBPyConnection) -> None:
    for table, rows in RAW_ROWS.items():
        for row in rows:
            conn.execute(f"insert into raw.{table} values ({row})")


@dataclass
class Build:
    database: Path
    target_path: Path
    result: subprocess.CompletedProcess[str]

    def run_results(self) -> dict[str, dict]:
        data = json.loads((self.target_path / "run_results.json").read_text())
        return {r["unique_id"]: r for r in data["results"]}

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """A whole-project ``dbt build`` on hand-made raw rows and one on empty raw tables (separate
    files, separate target paths), in this process (tests_py/dbt_build.run_dbt)."""
    done = {}
    for name, with_rows in (("filled", True), ("empty", False)):
        tmp = tmp_path_factory.mktemp(f"dbt_{name}")
        database = tmp / "cxcs.duckdb"
        with duckdb.connect(str(database)) as conn:
            ensure_raw_schema(conn)
            if with_rows:
                write_raw_rows(conn)
        # The unit tests read no raw table: they run once, in the filled build.
        no_units = () if with_rows else ("--exclude-resource-type", "unit_test")
        result = run_dbt(database, tmp, "build", *no_units, dbt_vars={}, expect=None)  # each test checks its build's
        done[name] = Build(database, tmp / "target", result)
    return done


@pytest.fixture(scope="module")
def build(builds: dict[str, Build]) -> Build:
    b = builds["filled"]
    assert b.result.returncode == 0, b.result.stdout[-5000:]
    return b


def test_build_succeeds_on_empty_raw_tables(builds: dict[str, Build]) -> None:
    empty = builds["empty"]
    assert empty.result.returncode == 0, empty.result.stdout[-5000:]
    for model in STAGING_MODELS:
        assert empty.query(f"select count(*) from staging.{model}") == [(0,)]


def test_schemas_are_named_exactly(build: Build) -> None:
    rows = build.query(
        "select table_schema, table_name, table_type from information_schema.tables"
        " where table_catalog = current_database()"
    )
    by_schema: dict[str, set[str]] = {}
    for schema, table, _ in rows:
        by_schema.setdefault(schema, set()).add(table)
    # Custom schema names used as-is (no `main_staging`): raw from the loader DDL, staging
    # views, seeds in their own schema; intermediate, marts and semantic (the semantic
    # layer's time spine and account dimension) once models live there.
    assert (
        {"raw", "staging", "seeds"}
        <= set(by_schema)
        <= {"raw", "staging", "intermediate", "marts", "semantic", "seeds"}
    )
    assert by_schema["staging"] >= set(STAGING_MODELS)
    assert by_schema["seeds"] == set(SEEDS)
    assert {kind for schema, _, kind in rows if schema == "staging"} == {"VIEW"}


def test_staging_row_counts_after_dedupe(build: Build) -> None:
    expected = {
        "stg_billing__accounts": 3,
        "stg_billing__subscriptions": 3,
        "stg_billing__invoices": 2,
        "stg_survey__invitations": 2,
        "stg_survey__responses": 2,
        "stg_product__users": 2,
        "stg_product__events": 3,
    }
    actual = {m: build.query(f"select count(*) from staging.{m}")[0][0] for m in expected}
    assert actual == expected


def test_winning_versions(build: Build) -> None:
    assert build.query(
        "select account_id, account_name, segment, region, _batch_id"
        " from staging.stg_billing__accounts order by account_id"
    ) == [
        ("A1", "Acme v2", "smb", "NA", 2),  # newer updated_at, later batch
        ("A2", "Beta", "enterprise", "EMEA", 1),  # newer updated_at beats a later stale batch
        ("A3", "Gamma b3", "mid_market", "APAC", 3),  # tie on updated_at: later batch
    ]
    assert build.query(
        "select subscription_id, version, account_id, quantity, discount_pct, currency, billing_interval"
        " from staging.stg_billing__subscriptions order by subscription_id, version"
    ) == [
        ("S1", 1, "A1", 12, Decimal("0"), "USD", "month"),
        ("S1", 2, "A1", 20, Decimal("10"), "USD", "year"),
        ("S2", 1, "A9", 3, Decimal("0"), "EUR", "month"),  # unknown account kept
    ]
    assert build.query(
        "select invoice_id, status, currency, paid_at from staging.stg_billing__invoices order by 1"
    ) == [
        ("INV1", "paid", "USD", datetime(2024, 2, 20, 10)),
        ("INV2", "void", "EUR", None),
    ]
    assert build.query(
        "select response_id, invitation_id, survey_type, score, comment from staging.stg_survey__responses order by 1"
    ) == [
        ("R1", "I1", "nps", 9, 'Great, "really"\nfast'),
        ("R2", None, "csat", 4, None),
    ]
    assert build.query(
        "select invitation_id, survey_type, touchpoint, _batch_id from staging.stg_survey__invitations order by 1"
    ) == [
        ("I1", "nps", "relationship", 2),
        ("I2", "csat", "support", 1),
    ]
    assert build.query("select user_id, role, has_email from staging.stg_product__users order by 1") == [
        ("U1", "admin", True),
        ("U2", "viewer", False),
    ]
    assert build.query(
        "select event_id, feature, occurred_at, occurred_date, received_at, _batch_id"
        " from staging.stg_product__events order by 1"
    ) == [
        ("E1", "dashboards", datetime(2024, 2, 29, 10), date(2024, 2, 29), datetime(2024, 3, 1, 8), 2),
        # 01:30+02:00 on 2 March is 23:30 UTC on 1 March: counted on the UTC day.
        ("E2", None, datetime(2024, 3, 1, 23, 30), date(2024, 3, 1), datetime(2024, 3, 1, 23, 30, 2), 2),
        ("E3", None, datetime(2024, 3, 2, 12), date(2024, 3, 2), datetime(2024, 3, 2, 12, 0, 1), 3),
    ]


def test_no_email_column_past_raw(build: Build) -> None:
    columns = build.query(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() and table_schema <> 'raw'"
        " and lower(column_name) like '%email%'"
    )
    # Outside raw only derived boolean flags (has_email) and counts of addresses redacted from
    # comments (redacted_emails, stg_survey__responses) may mention email.
    assert [c for c in columns if not c[2].lower().startswith(("has_", "is_", "redacted_"))] == []
    user_columns = {
        c
        for (c,) in build.query(
            "select column_name from information_schema.columns"
            " where table_schema = 'staging' and table_name = 'stg_product__users'"
        )
    }
    assert "has_email" in user_columns
    assert "email" not in user_columns
    # No address leaked as a value either: no text column outside raw holds one.
    text_columns = build.query(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() and table_schema <> 'raw' and data_type = 'VARCHAR'"
    )
    leaks = [
        (schema, table, column)
        for schema, table, column in text_columns
        if build.query(f"select count(*) from {schema}.{table} where \"{column}\" like '%@example.com%'")[0][0]
    ]
    assert leaks == []


def test_dbt_tests_results(build: Build) -> None:
    results = build.run_results()
    statuses = {uid: r["status"] for uid, r in results.items()}
    unit = {uid: s for uid, s in statuses.items() if uid.startswith("unit_test.")}
    assert len(unit) >= 6 and set(unit.values()) == {"pass"}, unit
    assert statuses["test.cxcs.assert_no_email_outside_staging"] == "pass"
    # The subscription of unknown account A9 is kept and flagged, not dropped, not fatal.
    warned = [uid for uid, s in statuses.items() if s == "warn"]
    assert any("relationships_stg_billing__subscriptions_account_id" in uid for uid in warned), warned
    failing = {uid: s for uid, s in statuses.items() if s in ("fail", "error")}
    assert not failing


# The layers in data-flow order (models/<layer>/...): a model may read its own layer or an
# earlier one, never a later one (no intermediate or staging model reads a mart, no staging
# model reads an intermediate one).
LAYERS = ("staging", "intermediate", "marts", "semantic")


def layer_violations(manifest: dict) -> list[str]:
    """Every (model -> upstream model) edge that reads a later layer, and every model whose
    schema is not its folder's layer (so a layer cannot be dodged by the folder alone)."""
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}

    def layer(node: dict) -> str:
        return Path(node["original_file_path"]).parts[1]

    found = []
    for node in models.values():
        own = layer(node)
        if node["config"]["materialized"] != "ephemeral" and node["config"]["schema"] != own:
            found.append(f"{node['name']}: folder {own}, schema {node['config']['schema']}")
        for parent in node["depends_on"]["nodes"]:
            if parent in models and LAYERS.index(layer(models[parent])) > LAYERS.index(own):
                found.append(f"{node['name']} ({own}) reads {models[parent]['name']} ({layer(models[parent])})")
    return found


def test_dbt_graph_flows_one_way() -> None:
    manifest = project_manifest_json()
    layers = {
        Path(n["original_file_path"]).parts[1] for n in manifest["nodes"].values() if n["resource_type"] == "model"
    }
    assert layers == set(LAYERS)
    assert layer_violations(manifest) == []
    # The check itself: an intermediate model reading a mart is reported.
    broken = json.loads(json.dumps(manifest))
    account_days = next(u for u, n in broken["nodes"].items() if n["name"] == "int_health__account_days")
    broken["nodes"][account_days]["depends_on"]["nodes"].append("model.cxcs.cs_account_health_daily")
    assert layer_violations(broken) == ["int_health__account_days (intermediate) reads cs_account_health_daily (marts)"]
