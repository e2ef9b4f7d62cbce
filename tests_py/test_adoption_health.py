"""Product adoption and health on generated demo data, built for real.

1. The events rollup (``int_product__activity_daily``), ``product_usage_daily`` and
   ``cs_account_health_daily`` are incremental. Landing days of a small generated demo are
   loaded one at a time with the real loader, each followed by an incremental ``dbt run`` of
   the health score and everything upstream; an SDK retry of an old event is re-sent days
   later, and corrections arrive as landing files near the end: billing (more seats back to a
   subscription's start, a new account paying since the first day) with the day before the
   last, a detractor's NPS answer dated the first day with the last.
   A copy of the raw tables then gets a ``--full-refresh`` build. Every table of schemas
   ``intermediate`` and ``marts`` must be identical, row for row (EXCEPT ALL both ways), and
   every event_id must be counted exactly once.
2. On a generated demo of 200 accounts x 365 days (the planted signals: churners use the
   product less and answer surveys worse before they leave), the health backtest must show
   the score is worth something: the 90-day churn rate below green (yellow and red) more than
   twice the green band's, pooled over the months, and a mean monthly AUC above 0.6; every dbt
   test passes.

Run alone: ``.venv/bin/python -m pytest tests_py/test_adoption_health.py``.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt_build import run_dbt

from orchestration.contract import ENTITIES
from orchestration.demo_data import generate
from orchestration.loading import load_landing
from orchestration.raw_schema import ensure_raw_schema
from tests_py.demo_warehouse import loaded_demo

END = date(2024, 3, 10)
VARS = {"as_of_date": END.isoformat()}
# Every entity but the events, which the incremental tests deliver day by day.
NON_EVENT_TABLES = [e.table for e in ENTITIES if e.table != "product_events"]


def deliver_billing_corrections(landing: Path, as_of: date) -> None:
    """Billing corrections as new landing files (loaded by the real loader): one account's
    first paid subscription version had 3 more seats, back to its start (a re-export of that
    version with a later updated_at), and a new account, with its own copy of a subscription,
    has been paying since the earliest subscription start."""

    def rows(entity: str) -> tuple[list[str], list[dict[str, str]]]:
        found: list[dict[str, str]] = []
        header: list[str] = []
        for path in sorted((landing / "billing" / entity).glob("*.csv")):
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                header = list(reader.fieldnames or [])
                found.extend(reader)
        return header, found

    def write(entity: str, name: str, header: list[str], records: list[dict[str, str]]) -> None:
        with (landing / "billing" / entity / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(records)

    stamp = f"{as_of.isoformat()}T23:00:00Z"
    sub_header, subscriptions = rows("subscriptions")
    paid = sorted(
        (r for r in subscriptions if r["is_trial"] == "false"),
        key=lambda r: (r["valid_from"], r["subscription_id"], int(r["version"])),
    )
    corrected = {**paid[0], "quantity": str(int(paid[0]["quantity"]) + 3), "updated_at": stamp}
    late = {
        **paid[0],
        "subscription_id": "sub_late",
        "account_id": "acc_late",
        "version": "1",
        "valid_from": min(r["valid_from"] for r in subscriptions),
        "valid_to": "",
        "canceled_at": "",
        "updated_at": stamp,
    }
    write("subscriptions", "subscriptions_corrections.csv", sub_header, [corrected, late])
    account_header, accounts = rows("accounts")
    write(
        "accounts",
        "accounts_late.csv",
        account_header,
        [{**min(accounts, key=lambda r: r["account_id"]), "account_id": "acc_late", "updated_at": stamp}],
    )


def deliver_late_detractor(landing: Path, account_id: str, day: date) -> None:
    """A late survey export: an NPS answer of 0 (a detractor) from ``account_id`` at noon UTC
    on ``day``, without an invitation."""
    header = [
        "response_id",
        "invitation_id",
        "survey_id",
        "survey_type",
        "touchpoint",
        "account_id",
        "contact_id",
        "score",
        "comment",
        "responded_at",
    ]
    folder = landing / "survey" / "responses"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "responses_late.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(
            [
                "resp_late",
                "",
                "nps_in_app",
                "nps",
                "relationship",
                account_id,
                "contact_late",
                "0",
                "",
                f"{day.isoformat()}T12:00:00Z",
            ]
        )


def deliver_late_urgent_ticket(landing: Path, account_id: str, day: date) -> None:
    """A late support export: the first ticket the warehouse sees, urgent and still open, from
    ``account_id``, created at 09:00 UTC on ``day`` (its only state, written at 10:00)."""
    folder = landing / "support" / "tickets"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "tickets_late.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ticket_id", "account_id", "created_at", "updated_at", "status", "priority", "channel"]
            + ["first_reply_at", "solved_at", "reopens", "satisfaction_rating", "satisfaction_comment"]
            + ["satisfaction_rated_at", "requester_email"]
        )
        created, written = f"{day.isoformat()}T09:00:00Z", f"{day.isoformat()}T10:00:00Z"
        writer.writerow(
            ["tkt_late", account_id, created, written, "open", "urgent", "web", "", "", "0", "", "", "", ""]
        )


def dbt(database: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # dbt's unit tests read no warehouse data: they run in test_dbt_project's build, not in each
    # of this module's builds.
    if args[0] == "build":
        args = (*args, "--exclude-resource-type", "unit_test")
    return run_dbt(database, tmp, *args, dbt_vars=VARS)


def tables(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        f"{schema}.{name}"
        for schema, name in conn.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema in ('intermediate', 'marts') and table_type = 'BASE TABLE'"
            # Which days each incremental model rewrote in each dbt run (macros/rebuilt_rows.sql).
            " and table_name <> 'incremental_rebuilds'"
            " order by 1, 2"
        ).fetchall()
    ]


@pytest.fixture(scope="module")
def incremental_and_full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("incremental")
    generated = tmp / "generated"
    generate(generated, accounts=25, days=8, seed=11, end_date=END)
    event_files = sorted((generated / "product" / "events").iterdir())
    assert len(event_files) >= 7

    landing = tmp / "landing"
    for table_dir in ("billing", "survey"):
        shutil.copytree(generated / table_dir, landing / table_dir)
    shutil.copytree(generated / "product" / "users", landing / "product" / "users")
    events_dir = landing / "product" / "events"
    events_dir.mkdir(parents=True)

    incremental = tmp / "incremental" / "cxcs.duckdb"
    incremental.parent.mkdir()
    with duckdb.connect(str(incremental)) as conn:
        ensure_raw_schema(conn)
        load_landing(conn, landing, entities=NON_EVENT_TABLES)
    dbt(incremental, tmp, "seed")

    for day, path in enumerate(event_files, start=1):
        shutil.copy(path, events_dir / path.name)
        if day == len(event_files) - 1:
            # An SDK retry of the first day's first event, re-sent a week later in its own file.
            with duckdb.connect(str(incremental), read_only=True) as conn:
                (line,) = conn.execute(
                    "select to_json(e) from (select event_id, account_id, user_id, event_name,"
                    " strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') as occurred_at,"
                    " strftime(occurred_at + interval 7 day, '%Y-%m-%dT%H:%M:%SZ') as received_at,"
                    " json(properties) as properties from raw.product_events"
                    " order by occurred_at, event_id limit 1) as e"
                ).fetchone()
            (events_dir / "resent_retry.jsonl").write_text(line + "\n", encoding="utf-8")
        corrected: list[str] = []
        if day == len(event_files) - 1:
            # Billing corrections arrive after the days before the rollup's cutoff were built:
            # seats back to a subscription's start, a new account paying since the first day.
            deliver_billing_corrections(landing, END)
            corrected = ["billing_accounts", "billing_subscriptions"]
        if day == len(event_files):
            # A detractor's NPS answer dated the first day arrives late: it changes the health
            # score from that day on, and no product usage.
            with duckdb.connect(str(incremental), read_only=True) as conn:
                first_day, account = conn.execute(
                    "select date, min(account_id) from marts.cs_account_health_daily"
                    " where date = (select min(date) from marts.cs_account_health_daily) group by 1"
                ).fetchone()
            deliver_late_detractor(landing, account, first_day)
            # ... and the warehouse's first support ticket, dated the first day: the support
            # component appears on every day from then on (the rebuild must reach back).
            deliver_late_urgent_ticket(landing, account, first_day)
            corrected = ["survey_responses", "support_tickets"]
        with duckdb.connect(str(incremental)) as conn:
            load_landing(conn, landing, entities=["product_events", *corrected])
        dbt(incremental, tmp, "run", "--select", "+cs_account_health_daily")

    full = tmp / "full" / "cxcs.duckdb"
    full.parent.mkdir()
    shutil.copy(incremental, full)
    # Downstream models of the incremental warehouse read the day-by-day rollup; the copy
    # rebuilds everything, the rollup included, from scratch.
    dbt(incremental, tmp, "build")
    dbt(full, tmp, "build", "--full-refresh")
    return incremental, full, landing


def test_incremental_equals_full_refresh(incremental_and_full: tuple[Path, Path, Path]) -> None:
    incremental, full, _ = incremental_and_full
    with duckdb.connect(str(full), read_only=True) as conn:
        conn.execute(f"attach '{incremental}' as inc (read_only)")
        names = tables(conn)
        assert "intermediate.int_product__activity_daily" in names
        assert {"marts.product_usage_daily", "marts.cs_account_health_daily", "marts.cs_playbook_alerts"} <= set(names)
        # The late urgent ticket, open on every day: urgent part 100 - 100 * 1 / 2 = 50, no bad
        # rating 100, support = 0.5 * 50 + 0.5 * 100 = 75.0 (seed parameters); every other
        # account, ticket-less once a ticket is known, scores 100.
        support = conn.execute(
            "select open_urgent_tickets, support_score, count(*) from inc.marts.cs_account_health_daily"
            " group by 1, 2 order by 1"
        ).fetchall()
        assert [(urgent, score) for urgent, score, _ in support] == [(0, Decimal("100.0")), (1, Decimal("75.0"))]
        for name in names:
            rows = conn.execute(f"select count(*) from {name}").fetchone()[0]
            only_full = conn.execute(f"select count(*) from (from {name} except all from inc.{name})").fetchone()[0]
            only_inc = conn.execute(f"select count(*) from (from inc.{name} except all from {name})").fetchone()[0]
            assert (only_full, only_inc) == (0, 0), (
                f"{name}: {only_full} rows only in full, {only_inc} only in incremental of {rows}"
            )


def test_every_event_counted_once(incremental_and_full: tuple[Path, Path, Path]) -> None:
    incremental, _, _ = incremental_and_full
    with duckdb.connect(str(incremental), read_only=True) as conn:
        delivered, distinct = conn.execute(
            "select count(*), count(distinct event_id) from raw.product_events"
        ).fetchone()
        resent = conn.execute(
            "select count(*) from raw.load_manifest where file_path like '%resent_retry.jsonl' and rows_loaded = 1"
        ).fetchone()[0]
        user_events, event_events = conn.execute(
            "select sum(case when rollup_level = 'user' then events end),"
            " sum(case when rollup_level = 'event' then events end)"
            " from intermediate.int_product__activity_daily"
        ).fetchone()
        usage_events = conn.execute("select sum(events) from marts.product_usage_daily").fetchone()[0]
    assert resent == 1  # the retry really reached raw, a week after the original
    assert delivered > distinct  # retries (same file, next file, a week later) are in raw
    assert user_events == event_events == usage_events == distinct


def test_incremental_tests_read_the_rewritten_days(
    incremental_and_full: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """The rollup's grain test reads the days its run rewrote (macros/rebuilt_rows.sql), and
    every row when the model did not run in the same invocation."""
    incremental, _, _ = incremental_and_full
    copy = tmp_path / "copy" / "cxcs.duckdb"
    copy.parent.mkdir()
    shutil.copy(incremental, copy)
    with duckdb.connect(str(copy)) as conn:
        first_day, last_day = conn.execute(
            "select min(activity_date), max(activity_date) from intermediate.int_product__activity_daily"
        ).fetchone()
        # A duplicate of a user row of the first day, far before the rollup's cutoff.
        conn.execute(
            "insert into intermediate.int_product__activity_daily select * from"
            " intermediate.int_product__activity_daily where activity_date = ? and rollup_level = 'user' limit 1",
            [first_day],
        )
    grain_test = "unique_combination_of_columns_int_product__activity_daily*"
    built = dbt(copy, tmp_path, "build", "--select", "int_product__activity_daily")
    assert "PASS unique_combination_of_columns_int_product__activity_daily" in built.stdout
    with duckdb.connect(str(copy), read_only=True) as conn:
        rebuilt_from = conn.execute(
            "select rebuilt_from from intermediate.incremental_rebuilds"
            " where model_name = 'int_product__activity_daily' order by rebuilt_from desc limit 1"
        ).fetchone()[0]
    # No new raw batch since the last run: nothing rewritten, from the day after the last one.
    assert rebuilt_from == last_day + timedelta(days=1)
    checked = run_dbt(copy, tmp_path, "test", "--select", grain_test, dbt_vars=VARS, expect=1)
    assert "FAIL 1 unique_combination_of_columns_int_product__activity_daily" in checked.stdout


@pytest.fixture(scope="module")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("signals")
    _, database = loaded_demo(tmp, accounts=200, days=365, seed=42, end_date=END)
    dbt(database, tmp, "build")
    return database


def test_planted_signals_visible_in_backtest(demo_build: Path) -> None:
    with duckdb.connect(str(demo_build), read_only=True) as conn:
        rates = dict(
            conn.execute(
                "select health_band, 1.0 * sum(churned_90d) / sum(accounts) from marts.cs_health_backtest group by 1"
            ).fetchall()
        )
        mean_auc, months = conn.execute(
            "select avg(auc), count(*) from marts.cs_health_backtest where health_band = 'all'"
        ).fetchone()
        below_green = conn.execute(
            "select 1.0 * sum(churned_90d) / sum(accounts) from marts.cs_health_backtest"
            " where health_band in ('yellow', 'red')"
        ).fetchone()[0]
    assert months >= 8
    # At 200 accounts the red band holds only a handful of accounts a month, so "red > 2 x
    # green" is not robust here (it holds on the 500-account demo); the robust form: accounts
    # below green churn at more than twice the green rate (seed 42: 6.4 % vs 2.8 %).
    assert below_green > 2 * rates["green"], (below_green, rates)
    assert mean_auc > 0.6, mean_auc  # seed 42: 0.634


def test_alerts_all_types_and_traceable(demo_build: Path) -> None:
    with duckdb.connect(str(demo_build), read_only=True) as conn:
        types = {t for (t,) in conn.execute("select distinct alert_type from marts.cs_playbook_alerts").fetchall()}
        one_per_account = conn.execute(
            "select count(*) = count(distinct account_id) from marts.customer_360"
        ).fetchone()[0]
    assert types == {
        "detractor_outreach",
        "csat_recovery",
        "friction_review",
        "health_drop",
        "renewal_risk",
        "billing_issue",
        "churn_risk_high",  # the learned churn risk's band high (DuckDB: cs_churn_risk)
        "negative_theme",
    }
    assert one_per_account


def test_key_drivers_and_themes_reveal_the_planted_story(demo_build: Path) -> None:
    """Issue 17 acceptance, on this module's 200-account build (the smallest demo built in the
    suite where every planted signal clears the bootstrap test). The demo plants: NPS, CSAT and
    CES drawn from one latent satisfaction of the account (orchestration/demo_data/surveys.py:
    NPS mean 7.8 + 1.2 z, CSAT 4.1 + 0.5 z, CES 2.8 - 0.6 z), so the account's CSAT and CES
    are NPS's planted drivers; accounts about to cancel write about price and reliability;
    expanders praise integrations (orchestration/demo_data/vocab.py)."""
    with duckdb.connect(str(demo_build), read_only=True) as conn:
        drivers = {
            (outcome, rank): (driver, direction, significant)
            for outcome, rank, driver, direction, significant in conn.execute(
                "select outcome, importance_rank, driver, direction, not is_not_significant"
                " from marts.cx_key_drivers where importance_rank <= 3"
            ).fetchall()
        }
        churned_share = dict(
            conn.execute(
                "select theme, 1.0 * sum(mentions) / sum(comments) from marts.cx_themes_monthly"
                " where dimension = 'churn_90d' and dimension_value = 'churned' group by theme"
            ).fetchall()
        )
        retained_share = dict(
            conn.execute(
                "select theme, 1.0 * sum(mentions) / sum(comments) from marts.cx_themes_monthly"
                " where dimension = 'churn_90d' and dimension_value = 'not_churned' group by theme"
            ).fetchall()
        )
        # Detractors among the NPS respondents mentioning each theme, over all months.
        detractor_share = dict(
            conn.execute(
                "select theme, sum(detractor_share_pct * nps_responses_mentioning) / sum(nps_responses_mentioning)"
                " from marts.cx_themes_monthly where dimension = 'overall' and nps_responses_mentioning > 0"
                " group by theme"
            ).fetchall()
        )
    # NPS: the two planted satisfaction signals first, both significant, in their direction.
    assert {drivers[("nps", 1)][:2], drivers[("nps", 2)][:2]} == {
        ("ces_180d_mean", "negative"),
        ("csat_180d_pct", "positive"),
    }
    assert drivers[("nps", 1)][2] and drivers[("nps", 2)][2]
    # Churn: a planted complaint theme first and significant; both among the first three.
    assert drivers[("churn_90d", 1)] in {("theme:reliability", "positive", True), ("theme:price", "positive", True)}
    top3 = {drivers[("churn_90d", rank)][:2] for rank in (1, 2, 3)}
    assert {("theme:reliability", "positive"), ("theme:price", "positive")} <= top3
    # Themes: price and reliability are the two most mentioned by churners, far more than by
    # the others; integrations is the retained accounts' most mentioned theme.
    assert sorted(churned_share, key=churned_share.get, reverse=True)[:2] in (
        ["reliability", "price"],
        ["price", "reliability"],
    )
    for theme in ("price", "reliability"):
        assert churned_share[theme] > 1.3 * retained_share[theme]
    assert max(retained_share, key=retained_share.get) == "integrations"
    # Among detractors: reliability and price carry a larger detractor share than integrations.
    assert min(detractor_share["reliability"], detractor_share["price"]) > detractor_share["integrations"] + 20


def test_changing_a_weight_rescores_without_sql(demo_build: Path, tmp_path: Path) -> None:
    """What a CS team does: change a weight in seeds/health_score_weights.csv and re-run.

    Here the seed table of a copy of the warehouse gets sentiment weight 0.30 -> 0 and usage
    0.45 -> 0.60 (what `dbt seed` loads from an edited CSV); `dbt run` of the models downstream
    of the parameters then re-scores every day. Each new score is recomputed here from the
    published components with the new weights (usage 0.60, adoption 0.10, billing 0.10,
    lifecycle 0.05; sentiment 0; support 0 as seeded): sum(weight * component) / sum(weights
    of the components present), rounded half away from zero to 1 decimal.
    """
    database = tmp_path / "wh" / "cxcs.duckdb"
    database.parent.mkdir()
    shutil.copy(demo_build, database)
    with duckdb.connect(str(database)) as conn:
        before = dict(
            conn.execute("select account_id || '|' || date, health_score from marts.cs_account_health_daily").fetchall()
        )
        conn.execute(
            "update seeds.health_score_weights set value = 0 where component = 'sentiment' and parameter = 'weight'"
        )
        conn.execute(
            "update seeds.health_score_weights set value = 0.6 where component = 'usage' and parameter = 'weight'"
        )
    dbt(database, tmp_path, "run", "--select", "int_health__parameters+")
    weights = {"usage": 0.60, "adoption": 0.10, "sentiment": 0.0, "billing": 0.10, "lifecycle": 0.05, "support": 0.0}
    with duckdb.connect(str(database), read_only=True) as conn:
        rows = conn.execute(
            "select account_id || '|' || date, health_score, usage_score, adoption_score, sentiment_score,"
            " billing_score, lifecycle_score, support_score from marts.cs_account_health_daily"
        ).fetchall()
    from decimal import ROUND_HALF_UP, Decimal

    changed = 0
    for key, score, *components in rows:
        present = [(w, c) for w, c in zip(weights.values(), components, strict=True) if c is not None]
        expected = Decimal(sum(Decimal(str(w)) * c for w, c in present) / sum(Decimal(str(w)) for w, _ in present))
        assert score == expected.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), key
        changed += score != before[key]
    assert len(rows) == len(before) and changed > len(rows) / 2


def test_a_parameter_missing_from_the_seed_stops_the_build(demo_build: Path, tmp_path: Path) -> None:
    """int_health__parameters enforces a contract: a (component, parameter) row missing from
    seeds/health_score_weights.csv is a null column, which its not_null constraint refuses while
    dbt creates the table, so no score is computed with a missing threshold. The published
    parameters stay as they were (dbt builds a temporary table first)."""
    database = tmp_path / "wh" / "cxcs.duckdb"
    database.parent.mkdir()
    shutil.copy(demo_build, database)
    with duckdb.connect(str(database)) as conn:
        before = conn.execute("select band_yellow_min from intermediate.int_health__parameters").fetchall()
        conn.execute("delete from seeds.health_score_weights where component = 'band' and parameter = 'yellow_min'")
    result = run_dbt(database, tmp_path, "run", "--select", "int_health__parameters", dbt_vars=VARS, expect=1)
    assert "NOT NULL constraint failed" in result.stdout and "band_yellow_min" in result.stdout, result.stdout[-2000:]
    with duckdb.connect(str(database), read_only=True) as conn:
        assert conn.execute("select band_yellow_min from intermediate.int_health__parameters").fetchall() == before


# The clock's functions, in any engine's spelling: with the as-of date set, no model or test may
# read the clock (the one default lives in macros/as_of_date.sql and applies only when it is unset).
CLOCK = re.compile(r"\b(now\s*\(|current_date|current_timestamp|getdate\s*\(|sysdate|localtimestamp)", re.IGNORECASE)


def test_no_model_or_test_reads_the_clock_when_the_as_of_date_is_set(demo_build: Path) -> None:
    # demo_build ran `dbt build` with VARS (as_of_date set): dbt kept every node's compiled SQL.
    compiled = demo_build.parent.parent / "target" / "compiled"
    files = sorted(compiled.rglob("*.sql"))
    assert len(files) > 150, compiled  # every model and data test of the project
    found = {str(f.relative_to(compiled)): CLOCK.findall(f.read_text()) for f in files}
    assert {name: hits for name, hits in found.items() if hits} == {}
