"""Demo data generator: deterministic, exactly the raw contract, planted signals and bad input."""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.contract import ENTITIES, ENTITY_BY_FOLDER, ENTITY_BY_TABLE, SCORE_SCALES
from orchestration.demo_data import BAD_CASES, FAILING_CASES, MANIFEST_NAME, generate

END = date(2025, 6, 30)
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CSV_TABLES = [e.table for e in ENTITIES if "csv" in e.formats]


def _seed_column(name: str, column: str) -> set[str]:
    with open(SEEDS / name, newline="", encoding="utf-8") as handle:
        return {row[column] for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    generate(out, accounts=40, days=60, seed=5, end_date=END)
    return out


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough for the 90-day churn ramp and the quarterly surveys."""
    out = tmp_path_factory.mktemp("year")
    generate(out, accounts=150, days=240, seed=3, end_date=END)
    return out


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bad")
    generate(out, accounts=40, days=60, seed=5, end_date=END, bad_rows=True)
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))


def _good_files(out: Path, table: str) -> list[Path]:
    return sorted(out / f["path"] for f in _manifest(out)["files"] if f["entity"] == table and not f["cases"])


def _conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    return conn


def _csv_relation(conn: duckdb.DuckDBPyConnection, files: list[Path]) -> str:
    listing = ", ".join(f"'{p}'" for p in files)
    return (
        f"read_csv([{listing}], all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"filename = true, auto_detect = false, columns = {{COLUMNS}})"
    )


def _read_csv(conn: duckdb.DuckDBPyConnection, out: Path, table: str, name: str) -> None:
    entity = ENTITY_BY_TABLE[table]
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in entity.column_names) + "}"
    relation = _csv_relation(conn, _good_files(out, table)).replace("{COLUMNS}", columns)
    conn.execute(f"create or replace table {name} as select * from {relation}")


def _read_events(conn: duckdb.DuckDBPyConnection, out: Path) -> None:
    files = _good_files(out, "product_events")
    jsonl = [p for p in files if not p.name.endswith(".parquet")]
    parquet = [p for p in files if p.name.endswith(".parquet")]
    columns = "{" + ", ".join(f"{c}: 'VARCHAR'" for c in ENTITY_BY_TABLE["product_events"].column_names) + "}"
    parts = [
        f"select * from read_json([{', '.join(repr(str(p)) for p in jsonl)}], "
        f"format = 'newline_delimited', columns = {columns}, filename = true)"
    ]
    if parquet:
        parts.append(f"select * from read_parquet([{', '.join(repr(str(p)) for p in parquet)}], filename = true)")
    conn.execute("create or replace table ev as " + " union all by name ".join(parts))


def _latest_subscriptions(conn: duckdb.DuckDBPyConnection, out: Path) -> None:
    _read_csv(conn, out, "billing_subscriptions", "subs_raw")
    conn.execute(
        """
        create or replace table subs as
        select * exclude (filename) from subs_raw
        qualify row_number() over (partition by subscription_id, version
                                   order by cast(updated_at as timestamptz) desc) = 1
        """
    )


# --------------------------------------------------------------------------- determinism, layout


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_differs(small: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, accounts=40, days=60, seed=5, end_date=END)
    first, second = _tree(small), _tree(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []

    other = tmp_path / "other"
    generate(other, accounts=40, days=60, seed=6, end_date=END)
    third = _tree(other)
    common = [k for k in first if k in third and k != MANIFEST_NAME]
    assert common
    differing = [k for k in common if first[k] != third[k]]
    assert len(differing) > 0.9 * len(common)


def test_layout_headers_and_manifest(small: Path) -> None:
    manifest = _manifest(small)
    assert manifest["params"]["end_date"] == "2025-06-30" and manifest["params"]["start_date"] == "2025-05-02"
    listed = {f["path"] for f in manifest["files"]}
    on_disk = {p.relative_to(small).as_posix() for p in small.rglob("*") if p.is_file()} - {MANIFEST_NAME}
    assert listed == on_disk
    for path in on_disk:
        source, name, filename = path.split("/")
        entity = ENTITY_BY_FOLDER[f"{source}/{name}"]
        if entity.table == "product_events":
            assert re.fullmatch(r"events_\d{4}-\d{2}-\d{2}\.(jsonl|jsonl\.gz|parquet)", filename), path
        else:
            assert filename.endswith(".csv"), path
            with open(small / path, newline="", encoding="utf-8") as handle:
                assert next(csv.reader(handle)) == entity.column_names, path
    for entity in ENTITIES:
        assert any(f["entity"] == entity.table and f["data_rows"] for f in manifest["files"]), entity.table
    assert all(f["cases"] == [] and not f["fails_whole_file"] for f in manifest["files"])
    # one event file per received day, in all three formats over a longer run
    events = [p for p in on_disk if p.startswith("product/events/")]
    assert len(events) == 60


def test_event_formats_mixed(year: Path) -> None:
    names = [f["path"] for f in _manifest(year)["files"] if f["entity"] == "product_events"]
    by_ext = defaultdict(int)
    for name in names:
        by_ext[name.split(".", 1)[1]] += 1
    assert by_ext["jsonl.gz"] > 0.8 * len(names)
    assert 0 < by_ext["parquet"] < 0.12 * len(names) and 0 < by_ext["jsonl"] < 0.12 * len(names)
    gz = next(year / n for n in sorted(names) if n.endswith(".jsonl.gz"))
    with gzip.open(gz, "rt", encoding="utf-8") as handle:
        doc = json.loads(handle.readline())
    assert list(doc) == ENTITY_BY_TABLE["product_events"].column_names
    assert isinstance(doc["properties"], dict)


# --------------------------------------------------------------------------- contract


@pytest.mark.parametrize("table", CSV_TABLES)
def test_csv_rows_satisfy_contract(year: Path, table: str) -> None:
    entity = ENTITY_BY_TABLE[table]
    conn = _conn()
    _read_csv(conn, year, table, "t")
    # every data record of every file is counted in the manifest
    per_file = dict(conn.execute("select filename, count(*) from t group by 1").fetchall())
    for f in _manifest(year)["files"]:
        if f["entity"] == table:
            assert per_file.get(str(year / f["path"]), 0) == f["data_rows"], f["path"]
    total = conn.execute("select count(*) from t").fetchone()[0]
    assert total > 0
    for c in entity.columns:
        col = c.name
        if c.required:
            assert conn.execute(f"select count(*) from t where coalesce({col}, '') = ''").fetchone()[0] == 0, col
        present = f"{col} is not null and {col} <> ''"
        if c.allowed:
            allowed = ", ".join(f"'{v}'" for v in c.allowed)
            bad = conn.execute(f"select distinct {col} from t where {present} and {col} not in ({allowed})").fetchall()
            assert bad == [], (col, bad)
        checks = {
            "timestamp": f"try_cast({col} as timestamptz) is null",
            "date": f"try_cast({col} as date) is null or not regexp_full_match({col}, '\\d{{4}}-\\d{{2}}-\\d{{2}}')",
            "int": f"not regexp_full_match({col}, '-?[0-9]+')",
            "decimal": f"not regexp_full_match({col}, '-?[0-9]+\\.[0-9]{{2}}')",
            "boolean": f"{col} not in ('true', 'false')",
        }
        if c.type in checks:
            bad = conn.execute(f"select {col} from t where {present} and ({checks[c.type]}) limit 5").fetchall()
            assert bad == [], (col, bad)
        if c.min_value is not None and c.type in ("int", "decimal"):
            assert (
                conn.execute(
                    f"select count(*) from t where {present} and cast({col} as double) < {c.min_value}"
                ).fetchone()[0]
                == 0
            )
    if table == "survey_responses":
        for kind, (lo, hi) in SCORE_SCALES.items():
            lo_seen, hi_seen, n = conn.execute(
                f"select min(cast(score as int)), max(cast(score as int)), count(*) from t where survey_type = '{kind}'"
            ).fetchone()
            assert n > 0 and lo <= lo_seen and hi_seen <= hi, kind
        in_app = conn.execute("select avg((coalesce(invitation_id, '') = '')::int) from t").fetchone()[0]
        assert 0.04 < in_app < 0.2
        tricky = conn.execute(
            "select count(*) filter (where comment like '%,%'), count(*) filter (where comment like '%\"%'), "
            "count(*) filter (where comment like '%' || chr(10) || '%'), "
            "count(*) filter (where regexp_matches(comment, '[^\\x00-\\x7F]')) from t"
        ).fetchone()
        assert all(n > 0 for n in tricky), tricky
    if table in ("billing_subscriptions", "billing_invoices"):
        currencies = _seed_column("fx_rates.csv", "currency")
        assert {r[0] for r in conn.execute("select distinct currency from t").fetchall()} <= currencies
    if table == "billing_subscriptions":
        plans = _seed_column("plans.csv", "plan_id")
        assert {r[0] for r in conn.execute("select distinct plan_id from t").fetchall()} <= plans
    # timestamps: mostly Z, a few with offsets, a few without
    ts_col = next(c.name for c in entity.columns if c.type == "timestamp" and c.required)
    shapes = dict(
        conn.execute(
            f"select case when {ts_col} like '%Z' then 'z' when regexp_matches({ts_col}, '[+-]\\d\\d:\\d\\d$') "
            f"then 'offset' else 'none' end, count(*) from t group by 1"
        ).fetchall()
    )
    assert shapes["z"] > 0.85 * total
    if total > 1000:
        assert shapes.get("offset", 0) > 0 and shapes.get("none", 0) > 0


def test_csv_keys_unique_within_each_file(year: Path) -> None:
    conn = _conn()
    for table in CSV_TABLES:
        entity = ENTITY_BY_TABLE[table]
        _read_csv(conn, year, table, "t")
        key = ", ".join(entity.key)
        dups = conn.execute(
            f"select filename, {key}, count(*) from t group by all having count(*) > 1 limit 3"
        ).fetchall()
        assert dups == [], (table, dups)


def test_events_satisfy_contract(year: Path) -> None:
    conn = _conn()
    _read_events(conn, year)
    features = _seed_column("key_features.csv", "feature") | {"search", "settings"}
    total, bad_ts, missing, not_object = conn.execute(
        """
        select count(*),
               count(*) filter (where try_cast(occurred_at as timestamptz) is null
                                   or try_cast(received_at as timestamptz) is null),
               count(*) filter (where coalesce(event_id, '') = '' or coalesce(account_id, '') = ''
                                   or coalesce(user_id, '') = '' or coalesce(event_name, '') = ''),
               count(*) filter (where json_type(properties) <> 'OBJECT')
        from ev
        """
    ).fetchone()
    assert total > 10_000 and bad_ts == 0 and missing == 0 and not_object == 0
    used = {
        r[0]
        for r in conn.execute(
            "select distinct (properties->>'feature') from ev where event_name = 'feature_used'"
        ).fetchall()
    }
    assert used == features
    # occurred_at never after received_at; file named after the received day (duplicates: +1 day)
    assert (
        conn.execute(
            "select count(*) from ev where cast(occurred_at as timestamptz) > cast(received_at as timestamptz)"
        ).fetchone()[0]
        == 0
    )
    off = conn.execute(
        """
        select count(*) from ev
        where cast(regexp_extract(filename, 'events_(\\d{4}-\\d{2}-\\d{2})', 1) as date)
              - cast(cast(received_at as timestamptz) as date) not in (0, 1)
        """
    ).fetchone()[0]
    assert off == 0
    # users and accounts of events exist
    _read_csv(conn, year, "product_users", "users")
    orphans = conn.execute(
        "select count(*) from ev left join users u using (user_id) where u.user_id is null or u.account_id <> ev.account_id"
    ).fetchone()[0]
    assert orphans == 0
    # weekday seasonality
    weekend, weekday = conn.execute(
        """
        select avg(n) filter (where dow in (0, 6)), avg(n) filter (where dow not in (0, 6))
        from (select cast(cast(occurred_at as timestamptz) as date) as d, dayofweek(d) as dow, count(*) as n
              from ev group by 1)
        """
    ).fetchone()
    assert 0.15 < weekend / weekday < 0.5


def test_duplicate_and_late_shares(year: Path) -> None:
    conn = _conn()
    _read_events(conn, year)
    total, distinct, late = conn.execute(
        """
        select count(*), count(distinct event_id),
               count(*) filter (where cast(received_at as timestamptz) - cast(occurred_at as timestamptz) > interval 1 day)
        from ev
        """
    ).fetchone()
    dup_share = 1 - distinct / total
    assert 0.002 < dup_share < 0.01
    assert 0.01 < late / total < 0.035
    same_file, other_file = conn.execute(
        """
        select count(*) filter (where files = 1), count(*) filter (where files > 1)
        from (select event_id, count(distinct filename) as files from ev group by 1 having count(*) > 1)
        """
    ).fetchone()
    assert same_file > 0 and other_file > 0
    # duplicates carry the same content
    assert (
        conn.execute(
            """select count(*) from (select event_id from ev group by 1
           having count(distinct (account_id, user_id, event_name, occurred_at, received_at, json(properties)::varchar)) > 1)"""
        ).fetchone()[0]
        == 0
    )
    manifest_dups = sum(f["bad_rows"] for f in _manifest(year)["files"] if f["entity"] == "product_events")
    assert manifest_dups == same_file


# --------------------------------------------------------------------------- billing


def test_subscription_versions_contiguous(year: Path) -> None:
    conn = _conn()
    _latest_subscriptions(conn, year)
    gaps = conn.execute(
        """
        select subscription_id, version, valid_from, valid_to, next_from from (
            select *, lead(valid_from) over w as next_from, lead(cast(version as int)) over w as next_version,
                   row_number() over w as rn
            from subs window w as (partition by subscription_id order by cast(version as int)))
        where cast(version as int) <> rn
           or (next_from is not null and (valid_to is null or valid_to <> next_from))
           or (valid_to is not null and cast(valid_to as date) <= cast(valid_from as date))
        limit 5
        """
    ).fetchall()
    assert gaps == []
    accounts, subs, trials, paid_accounts, canceled = conn.execute(
        """
        select count(distinct account_id), count(distinct subscription_id),
               count(*) filter (where is_trial = 'true'),
               count(distinct account_id) filter (where is_trial = 'false'),
               count(distinct account_id) filter (where canceled_at is not null)
        from subs
        """
    ).fetchone()
    assert accounts == 150 and trials > 0
    assert 0.08 < canceled / paid_accounts < 0.4
    # canceled versions end (valid_to) and carry the cancellation request time
    assert (
        conn.execute(
            "select count(*) from subs where canceled_at is not null and (valid_to is null or contract_end <> valid_to)"
        ).fetchone()[0]
        == 0
    )
    assert (
        conn.execute("select count(*) from subs where is_trial = 'true' and billing_interval <> 'month'").fetchone()[0]
        == 0
    )
    # annual ~25% of paid subscriptions, seat changes exist
    annual = conn.execute(
        "select avg((billing_interval = 'year')::int) from subs where is_trial = 'false' and version = '1' or (is_trial = 'false' and version = '2')"
    ).fetchone()[0]
    assert 0.1 < annual < 0.45
    assert (
        conn.execute(
            """select count(*) from subs a join subs b on a.subscription_id = b.subscription_id
           and cast(b.version as int) = cast(a.version as int) + 1
           where a.is_trial = 'false' and cast(b.quantity as int) > cast(a.quantity as int)"""
        ).fetchone()[0]
        > 0
    )


def test_corrections_redeliver_with_later_updated_at(year: Path) -> None:
    conn = _conn()
    for table, name in (("billing_subscriptions", "s"), ("billing_invoices", "i"), ("billing_accounts", "a")):
        _read_csv(conn, year, table, name)
        key = ", ".join(ENTITY_BY_TABLE[table].key)
        redelivered, ordered = conn.execute(
            f"""
            select count(*), count(*) filter (where first_file < last_file)
            from (select {key}, arg_min(filename, cast(updated_at as timestamptz)) as first_file,
                         arg_max(filename, cast(updated_at as timestamptz)) as last_file,
                         count(distinct updated_at) as versions
                  from {name} group by all having count(*) > 1)
            where versions > 1
            """
        ).fetchone()
        assert redelivered > 0, table
        if table != "billing_accounts":  # corrections file sorts before the quarterly files
            assert ordered == redelivered, table


def test_invoices_follow_versions(year: Path) -> None:
    conn = _conn()
    _latest_subscriptions(conn, year)
    _read_csv(conn, year, "billing_invoices", "inv_raw")
    conn.execute(
        """create table inv as select * from inv_raw
           qualify row_number() over (partition by invoice_id order by cast(updated_at as timestamptz) desc) = 1"""
    )
    statuses = dict(conn.execute("select status, count(*) from inv group by 1").fetchall())
    total = sum(statuses.values())
    assert statuses["paid"] > 0.7 * total and statuses.get("open", 0) > 0
    wrong = conn.execute(
        """
        select count(*) from inv
        where (status = 'paid' and (paid_at is null or amount_paid <> amount_due))
           or (status <> 'paid' and paid_at is not null)
        """
    ).fetchone()[0]
    assert wrong == 0
    # every invoice amount is quantity * unit_amount * (1 - discount) of a paid version of its subscription
    unmatched = conn.execute(
        """
        select count(*) from inv i
        where not exists (
            select 1 from subs s
            where s.subscription_id = i.subscription_id and s.is_trial = 'false'
              and round(cast(s.quantity as int) * cast(s.unit_amount as decimal(18, 2))
                        * (100 - coalesce(cast(nullif(s.discount_pct, '') as decimal(18, 2)), 0)) / 100, 2)
                  = cast(i.amount_due as decimal(18, 2))
              and cast(cast(i.issued_at as timestamptz) as date) >= cast(s.valid_from as date)
              and (s.valid_to is null or cast(cast(i.issued_at as timestamptz) as date) < cast(s.valid_to as date)))
        """
    ).fetchone()[0]
    assert unmatched == 0


# --------------------------------------------------------------------------- planted signals


def test_churned_accounts_use_the_product_less_before_cancelling(year: Path) -> None:
    conn = _conn()
    _latest_subscriptions(conn, year)
    _read_events(conn, year)
    conn.execute(
        """
        create table churn as
        select account_id, max(cast(valid_to as date)) as churn_day
        from subs where canceled_at is not null group by 1
        """
    )
    conn.execute(
        """create table daily as select account_id, cast(cast(occurred_at as timestamptz) as date) as d, count(*) as n
           from (select distinct on (event_id) * from ev) group by all"""
    )
    accounts, last30, before = conn.execute(
        """
        select count(distinct c.account_id),
               sum(n) filter (where d >= churn_day - 30 and d < churn_day),
               sum(n) filter (where d >= churn_day - 90 and d < churn_day - 60)
        from churn c join daily using (account_id)
        where churn_day - 90 >= date '2024-11-03' and churn_day <= date '2025-06-30'
        """
    ).fetchone()
    assert accounts >= 5
    assert last30 < 0.75 * before, (last30, before)


def test_churned_accounts_score_lower_before_cancelling(year: Path) -> None:
    conn = _conn()
    _latest_subscriptions(conn, year)
    _read_csv(conn, year, "survey_responses", "r")
    rows = dict(
        conn.execute(
            """
            with churn as (select account_id, max(cast(valid_to as date)) as churn_day
                           from subs where canceled_at is not null group by 1)
            select c.account_id is not null
                       and cast(cast(r.responded_at as timestamptz) as date) between c.churn_day - 90 and c.churn_day,
                   avg(case survey_type when 'nps' then cast(score as int) / 10.0
                                        when 'csat' then (cast(score as int) - 1) / 4.0
                                        else (7 - cast(score as int)) / 6.0 end)
            from r left join churn c using (account_id)
            group by 1
            """
        ).fetchall()
    )
    assert rows[True] < rows[False] - 0.1, rows


def test_expanding_accounts_adopt_more_features(year: Path) -> None:
    conn = _conn()
    _latest_subscriptions(conn, year)
    _read_events(conn, year)
    keys = ", ".join(f"'{f}'" for f in _seed_column("key_features.csv", "feature"))
    expanded, others = conn.execute(
        f"""
        with expanded as (
            select distinct a.account_id from subs a join subs b
              on a.subscription_id = b.subscription_id and cast(b.version as int) = cast(a.version as int) + 1
            where a.is_trial = 'false' and cast(b.quantity as int) > cast(a.quantity as int)),
        breadth as (
            select account_id, count(distinct (properties->>'feature')) as features from ev
            where event_name = 'feature_used' and (properties->>'feature') in ({keys}) group by 1)
        select avg(features) filter (where e.account_id is not null), avg(features) filter (where e.account_id is null)
        from breadth b left join expanded e using (account_id)
        """
    ).fetchone()
    assert expanded > others + 0.5, (expanded, others)


def test_onboarding_milestones_with_dropouts(year: Path) -> None:
    conn = _conn()
    _latest_subscriptions(conn, year)
    _read_events(conn, year)
    completed, total = conn.execute(
        """
        with new_accounts as (
            select account_id, min(cast(valid_from as date)) as start from subs group by 1
            having start between date '2024-11-10' and date '2025-04-30'),
        reached as (
            select n.account_id,
                   count(*) filter (where event_name = 'teammate_invited') > 0
                   and count(*) filter (where event_name = 'integration_connected') > 0
                   and count(*) filter (where (properties->>'feature') = 'dashboards') > 0
                   and count(*) filter (where event_name = 'report_exported') > 0 as all_done
            from new_accounts n left join ev e on e.account_id = n.account_id
            group by 1)
        select count(*) filter (where all_done), count(*) from reached
        """
    ).fetchone()
    assert total > 20
    assert 0.5 < completed / total < 0.97, (completed, total)


# --------------------------------------------------------------------------- bad input


def test_bad_rows_plants_every_case(bad: Path, small: Path) -> None:
    manifest = _manifest(bad)
    planted = {case for f in manifest["files"] for case in f["cases"]}
    assert set(BAD_CASES) <= planted, set(BAD_CASES) - planted
    files = {f["path"]: f for f in manifest["files"]}
    bad_files = [f for f in manifest["files"] if f["cases"]]
    for f in bad_files:
        name = f["path"].rsplit("/", 1)[1]
        assert name.startswith("bad_"), name
        assert (bad / f["path"]).exists()
        assert f["bad_rows"] == 0 or (f["data_rows"] or 0) >= f["bad_rows"]
    # the good files are the same as without bad rows
    assert {p: f for p, f in files.items() if not f["cases"]} == {f["path"]: f for f in _manifest(small)["files"]}

    def by_case(case: str) -> list[Path]:
        return [bad / f["path"] for f in bad_files if case in f["cases"]]

    assert all(p.stat().st_size == 0 for p in by_case("zero_bytes"))
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in by_case("utf8_bom"))
    assert all(b"\r\n" in p.read_bytes() for p in by_case("crlf_line_endings"))
    for p in by_case("not_csv"):
        with pytest.raises(UnicodeDecodeError):
            p.read_bytes().decode("utf-8")
    for p in by_case("truncated_gzip"):
        with pytest.raises((EOFError, OSError)):
            gzip.decompress(p.read_bytes())
    for p in by_case("header_only"):
        assert len(p.read_text(encoding="utf-8").splitlines()) == 1
    for p in by_case("missing_required_column") + by_case("extra_column") + by_case("shuffled_columns"):
        entity = ENTITY_BY_FOLDER["/".join(p.relative_to(bad).parts[:2])]
        if p.suffix == ".parquet":
            header = pq.read_schema(p).names
        elif p.suffix == ".jsonl":
            # every key of any line (an extra field need not be on the first line)
            header = list(
                dict.fromkeys(k for line in p.read_text(encoding="utf-8").splitlines() for k in json.loads(line))
            )
        else:
            header = next(csv.reader(p.read_text(encoding="utf-8").splitlines()))
        assert header != entity.column_names
        if "missing_required_column" in files[p.relative_to(bad).as_posix()]["cases"]:
            assert set(entity.required_columns) - set(header)
        else:
            assert set(entity.column_names) <= set(header)
    for p in by_case("score_out_of_scale"):
        rows = list(csv.DictReader(p.open(encoding="utf-8", newline="")))
        assert any(
            not (SCORE_SCALES[r["survey_type"]][0] <= int(r["score"]) <= SCORE_SCALES[r["survey_type"]][1])
            for r in rows
        )
    for p in by_case("malformed_json"):
        lines = p.read_text(encoding="utf-8").splitlines()
        broken = 0
        for line in lines:
            try:
                json.loads(line)
            except json.JSONDecodeError:
                broken += 1
        assert broken == files[p.relative_to(bad).as_posix()]["bad_rows"]
    # failing files are exactly the unreadable ones
    failing = {c for f in bad_files if f["fails_whole_file"] for c in f["cases"]}
    assert failing == set(FAILING_CASES)
    assert set(FAILING_CASES) == {"zero_bytes", "not_csv", "missing_required_column", "truncated_gzip", "not_json"}
    # every bad file has different bytes within its entity (the loader skips repeated content)
    contents = defaultdict(set)
    for f in manifest["files"]:
        data = (bad / f["path"]).read_bytes()
        assert data not in contents[f["entity"]], f["path"]
        contents[f["entity"]].add(data)


def test_summary_counts(tmp_path: Path) -> None:
    summary = generate(tmp_path, accounts=5, days=10, seed=1, end_date=END)
    assert set(summary.files) == {e.table for e in ENTITIES}
    manifest = _manifest(tmp_path)
    for table in summary.files:
        entries = [f for f in manifest["files"] if f["entity"] == table]
        assert summary.files[table] == len(entries)
        assert summary.rows[table] == sum(f["data_rows"] or 0 for f in entries)
    text = summary.format()
    assert "product_events" in text and "total" in text


@pytest.mark.parametrize(
    "formats", [("segment", "amplitude"), ("qualtrics", "delighted"), ("stripe-fivetran", "stripe-api"), ("segmnt",)]
)
def test_one_export_per_kind_of_data(tmp_path: Path, formats: tuple[str, ...]) -> None:
    # A landing holds one export of each kind (product, surveys, billing): two product exports
    # would both claim the same native events, and a misspelt format must not pass as native.
    with pytest.raises(ValueError, match=r"at most one per group \(product: segment \| amplitude; surveys"):
        generate(out=tmp_path / "landing", accounts=2, days=3, seed=1, end_date=date(2026, 6, 30), formats=formats)
