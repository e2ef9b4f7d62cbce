"""Any past date rebuilds exactly (issue 15 section 3; DECISIONLOG "What as-of D means").

A generated demo whose data runs to D + 60 days is loaded and built with ``as_of_date`` D. The
same landing files with every row recorded after D removed (written with DuckDB, same formats:
events by occurred_at, responses by responded_at, invitations by sent_at, subscription versions
by valid_from with a later end or cancellation left open, invoices by issued_at, accounts and
users by created_at) are loaded into a second file and built with the same as-of date. Every
table of schema ``marts`` must be the same, row for row (``except all`` both ways): nothing a
mart shows at D may depend on a row recorded after D.

D is mid-month, and the data is checked to hold what could make the two differ (rows after D of
every entity, a trial running at D, a paid version closing after D, a response given after D to
an invitation sent before it, month-ends on both sides of D), so the test cannot pass vacuously.

Run alone: ``.venv/bin/python -m pytest tests_py/test_as_of.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dbt_build import run_dbt

from orchestration.contract import ENTITIES
from orchestration.demo_data import generate
from orchestration.loading import load_landing
from orchestration.raw_schema import MANIFEST_TABLE, QUARANTINE_TABLE
from scripts.compare_marts import except_all_counts

AS_OF = date(2026, 5, 15)  # mid-month: the current month is partial at D
END = AS_OF + timedelta(days=60)
# 20 accounts x 120 days (seed 10): the smallest demo found with 2 trials running at D, 4 paid
# versions closing after it and a late survey answer (asserted below).
DEMO = {"accounts": 20, "days": 120, "seed": 10, "end_date": END}
NEXT_DAY = f"timestamptz '{AS_OF + timedelta(days=1)} 00:00:00+00'"
# Per landing table: which rows were recorded by the end of D (SQL over the all-text columns).
KNOWN_AT_D = {
    "billing_accounts": f"created_at::timestamptz < {NEXT_DAY}",
    "billing_subscriptions": f"valid_from::date <= date '{AS_OF}'",
    "billing_invoices": f"issued_at::timestamptz < {NEXT_DAY}",
    "survey_invitations": f"sent_at::timestamptz < {NEXT_DAY}",
    "survey_responses": f"responded_at::timestamptz < {NEXT_DAY}",
    "product_users": f"created_at::timestamptz < {NEXT_DAY}",
    "product_events": f"occurred_at::timestamptz < {NEXT_DAY}",
    # a ticket state counts once written; staging keeps the last state written by D
    "support_tickets": f"updated_at::timestamptz < {NEXT_DAY}",
}
# A version still open at D: its later end and cancellation are not known at D (left empty).
OPEN_AT_D = {
    "valid_to": f"case when valid_to::date > date '{AS_OF}' then null else valid_to end",
    "canceled_at": f"case when canceled_at::timestamptz < {NEXT_DAY} then canceled_at end",
}


def _cut_file(conn: duckdb.DuckDBPyConnection, table: str, source: Path, target: Path) -> int:
    """Write ``source`` to ``target`` in the same format with only the rows known at D (and an
    open version's later end emptied). CSV and JSON values are read and written as text
    (Parquet with its own types), so a kept value is the delivered one, not a re-typed copy."""
    entity = next(e for e in ENTITIES if e.table == table)
    if source.name.endswith((".jsonl", ".jsonl.gz")):
        types = {c.name: "json" if c.type == "json" else "varchar" for c in entity.columns}
        read = f"read_json('{source}', format = 'newline_delimited', columns = {types})"
        options = f"format json, compression {'gzip' if source.suffix == '.gz' else 'none'}"
    elif source.suffix == ".parquet":  # typed already: kept with its own types
        read, options = f"read_parquet('{source}')", "format parquet"
    else:
        assert source.suffix == ".csv", source
        read = f"read_csv('{source}', header = true, all_varchar = true)"
        options = "format csv, header true"
    columns = [OPEN_AT_D.get(c.name, c.name) + f" as {c.name}" for c in entity.columns]
    select = f"select {', '.join(columns)} from {read} where {KNOWN_AT_D[table]}"
    kept = conn.execute(f"select count(*) from ({select})").fetchone()[0]
    if kept:  # a file with nothing known at D was not delivered by then
        target.parent.mkdir(parents=True, exist_ok=True)
        conn.execute(f"copy ({select}) to '{target}' ({options})")
    return kept


def cut_landing(landing: Path, out: Path) -> dict[str, tuple[int, int]]:
    """The landing set as delivered by the end of D; per table (rows kept, rows dropped)."""
    counts: dict[str, tuple[int, int]] = {}
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")  # an input without offset is UTC (the contract)
        for entity in ENTITIES:
            kept = total = 0
            for source in sorted((landing / entity.folder).iterdir()):
                kept += _cut_file(conn, entity.table, source, out / entity.folder / source.name)
                total += _rows(conn, source)
            counts[entity.table] = (kept, total - kept)
    return counts


def _rows(conn: duckdb.DuckDBPyConnection, source: Path) -> int:
    if source.name.endswith((".jsonl", ".jsonl.gz")):
        read = f"read_json_objects('{source}', format = 'newline_delimited')"
    elif source.suffix == ".parquet":
        read = f"read_parquet('{source}')"
    else:
        read = f"read_csv('{source}', header = true, all_varchar = true)"
    return conn.execute(f"select count(*) from {read}").fetchone()[0]


def _built(folder: Path, landing: Path, *as_of_dates: date) -> Path:
    """Load ``landing`` with the real loader into ``folder/cxcs.duckdb`` and dbt build it at
    each of ``as_of_dates`` in turn, into the same file (incremental models build on what the
    previous build left)."""
    database = folder / "cxcs.duckdb"
    folder.mkdir(parents=True)
    with duckdb.connect(str(database)) as conn:
        load_landing(conn, landing)
        # Both sets load whole: a cut file the loader rejected would make the builds differ
        # for a reason that is not the as-of rule.
        statuses = conn.execute(f"select status, count(*) from {MANIFEST_TABLE} group by 1").fetchall()
        assert dict(statuses).keys() <= {"loaded", "ignored"}, statuses
        # The only rows set aside are the demo's SDK retries (one copy of each event loads).
        reasons = conn.execute(f"select distinct split_part(reason, ':', 1) from {QUARANTINE_TABLE}").fetchall()
        assert set(reasons) <= {("duplicate_key_in_file",)}, reasons
    for i, as_of in enumerate(as_of_dates):
        # The unit tests run in the project's own dbt test; these builds are about the data. A
        # build before the last only leaves the incremental models' state: its data tests add
        # nothing the last build's do not.
        tests = ("unit_test",) if i == len(as_of_dates) - 1 else ("unit_test", "test")
        excluded = [arg for kind in tests for arg in ("--exclude-resource-type", kind)]
        run_dbt(database, folder, "build", *excluded, dbt_vars={"as_of_date": str(as_of)})
    return database


@pytest.fixture(scope="module")
def full_and_cut(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict[str, tuple[int, int]]]:
    tmp = tmp_path_factory.mktemp("as_of")
    landing = tmp / "landing"
    generate(out=landing, **DEMO)
    counts = cut_landing(landing, tmp / "landing_cut")
    # The full landing set is built at its last day first, then at D into the same file: the
    # incremental models (events rollup, usage, health) then hold days after D that the build
    # at D must remove, the case a rebuild of a past date meets in production.
    full = _built(tmp / "full", landing, END, AS_OF)
    return landing, full, _built(tmp / "cut", tmp / "landing_cut", AS_OF), counts


def test_the_demo_holds_what_could_leak(full_and_cut: tuple[Path, Path, Path, dict[str, tuple[int, int]]]) -> None:
    _, full, _, counts = full_and_cut
    # Every entity has rows recorded after D (accounts and users: some created after D).
    for table, (kept, dropped) in counts.items():
        assert kept > 0 and dropped > 0, (table, kept, dropped)
    with duckdb.connect(str(full), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")

        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        d = f"date '{AS_OF}'"
        versions = "raw.billing_subscriptions"
        assert one(f"select count(*) from {versions} where is_trial and valid_from <= {d} and valid_to > {d}") >= 1
        assert one(f"select count(*) from {versions} where not is_trial and valid_from <= {d} and valid_to > {d}") >= 1
        late = (
            "select count(*) from raw.survey_responses as r join raw.survey_invitations as i using (invitation_id)"
            f" where i.sent_at < {NEXT_DAY} and r.responded_at >= {NEXT_DAY}"
        )
        assert one(late) >= 1
        # Month-ends on both sides of D: the April month is complete at D, May is not, and
        # events exist on 30 April and 31 May.
        events = "select count(*) from raw.product_events where cast(occurred_at as date) = "
        assert one(events + "date '2026-04-30'") > 0 and one(events + "date '2026-05-31'") > 0
        # The build at D saw none of it: staging ends on D.
        assert one("select max(occurred_date) from staging.stg_product__events") == AS_OF
        assert one(f"select count(*) from staging.stg_billing__subscriptions where valid_to > {d}") == 0


def test_a_build_at_d_equals_a_build_of_the_rows_known_at_d(
    full_and_cut: tuple[Path, Path, Path, dict[str, tuple[int, int]]],
) -> None:
    _, full, cut, _ = full_and_cut
    with duckdb.connect() as conn:
        conn.execute(f"attach '{full}' as full_build (read_only)")
        conn.execute(f"attach '{cut}' as cut_build (read_only)")
        tables = {
            db: {
                name
                for (name,) in conn.execute(
                    "select table_name from duckdb_tables() where database_name = ? and schema_name = 'marts'", [db]
                ).fetchall()
            }
            for db in ("full_build", "cut_build")
        }
        assert tables["full_build"] == tables["cut_build"] and len(tables["full_build"]) >= 15, tables
        differences, sizes = {}, {}
        for table in sorted(tables["full_build"]):
            full_rows, cut_rows = (f"select * from {db}.marts.{table}" for db in ("full_build", "cut_build"))
            sizes[table] = conn.execute(f"select count(*) from ({full_rows})").fetchone()[0]
            only_full, only_cut = except_all_counts(conn, full_rows, cut_rows)
            if only_full or only_cut:
                differences[table] = (only_full, only_cut)
    assert differences == {}, differences
    # Not vacuous: the marts that show the state at D have rows.
    assert all(sizes[t] > 0 for t in ("customer_360", "cs_revenue_monthly", "cx_nps_monthly", "cs_onboarding")), sizes
