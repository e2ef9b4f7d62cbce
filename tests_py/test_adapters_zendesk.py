"""Zendesk in Fivetran's schema (orchestration.adapters.zendesk): a hand-made export of each table
(columns as fivetran/dbt_zendesk_source reads them), loaded by the real loader into the native
``raw.support_tickets``.  Every expected value is worked out by hand from the rules: solved_at =
the last change to solved, reopens = changes from solved to open/pending, first reply = the first
public agent comment after creation (or, without ticket_comment, the first status change out of
new), satisfaction = the last satisfaction_score (Zendesk's values: unoffered, offered, good, bad;
developer.zendesk.com/api-reference/ticketing/ticket-management/satisfaction_ratings)."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.loading import load_landing

ORGANIZATIONS = """id,name,external_id
100,Acme,acc_1
200,Globex,
"""
USERS = """id,email,organization_id,role
u1,ann@acme.example,100,end-user
u2,bob@globex.example,200,end-user
u3,cat@nowhere.example,,end-user
a1,agent@support.example,,agent
"""
T = "id,created_at,updated_at,status,priority,via_channel,organization_id,requester_id,_fivetran_deleted\n"
TICKETS = T + "".join(
    f"{row}\n"
    for row in (
        "1,2026-03-01 09:00:00,2026-03-05 12:00:00,closed,urgent,email,100,u1,false",
        # no organization on the ticket: the requester's (200, no external_id, mapped in the account map)
        "2,2026-03-10 09:00:00,2026-03-11 09:00:00,solved,high,voice,,u2,false",
        # neither the ticket nor the requester has an organization, and no mapping: unmapped_account
        "3,2026-03-12 09:00:00,2026-03-12 10:00:00,open,low,web,,u3,false",
        "4,2026-03-13 09:00:00,2026-03-14 09:00:00,solved,normal,email,100,u1,false",  # rated 'great'
        "5,yesterday,2026-03-14 09:00:00,open,normal,email,100,u1,false",  # malformed timestamp
        "6,2026-03-15 09:00:00,2026-03-16 09:00:00,solved,normal,email,100,u1,false",  # malformed history time
        "7,2026-03-20 09:00:00,2026-03-20 09:00:00,new,,web,100,u1,",  # no history, no comment
        "8,2026-03-21 09:00:00,2026-03-21 10:00:00,open,low,web,100,u1,true",  # deleted in Zendesk
    )
)
HISTORY = "field_name,ticket_id,updated,user_id,value\n" + "".join(
    f"{row}\n"
    for row in (
        # ticket 1: solved, reopened (open), pending, solved, reopened (open), solved, closed
        "status,1,2026-03-01 09:00:00,u1,new",
        "status,1,2026-03-01 10:00:00,a1,open",
        "status,1,2026-03-02 09:00:00,a1,solved",
        "status,1,2026-03-03 08:00:00,u1,open",
        "status,1,2026-03-03 09:00:00,a1,pending",
        "status,1,2026-03-04 10:00:00,a1,solved",
        "status,1,2026-03-04 11:00:00,u1,open",
        "status,1,2026-03-04T17:00:00+02:00,a1,solved",  # = 15:00 UTC
        "status,1,2026-03-05 12:00:00,,closed",
        "satisfaction_score,1,2026-03-04 15:00:00,,offered",
        "satisfaction_score,1,2026-03-04 18:00:00,u1,good",
        "satisfaction_score,1,2026-03-05 08:00:00,u1,bad",  # the requester changed their mind
        "satisfaction_comment,1,2026-03-05 08:00:00,u1,Slow answer",
        # ticket 2: pending before solved is no reopen; offered, never answered
        "status,2,2026-03-10 09:00:00,u2,new",
        "status,2,2026-03-10 11:00:00,a1,pending",
        "status,2,2026-03-11 09:00:00,a1,solved",
        "satisfaction_score,2,2026-03-11 09:00:00,,offered",
        "status,4,2026-03-13 09:00:00,u1,new",
        "status,4,2026-03-14 09:00:00,a1,solved",
        "satisfaction_score,4,2026-03-14 10:00:00,u1,great",
        "status,6,2026-03-15 09:00:00,u1,new",
        "status,6,2026-13-45 10:00:00,a1,solved",
    )
)
# Ticket 1: the request (end-user), an internal note (not public), the first public agent reply.
COMMENTS = """id,ticket_id,created,user_id,public,body
c1,1,2026-03-01 09:00:00,u1,true,The export fails
c2,1,2026-03-01 09:30:00,a1,false,Internal: looks like the disk
c3,1,2026-03-01 10:15:00,a1,true,We are on it
c4,2,2026-03-10 09:00:00,u2,true,Invoice question
"""
NO_ACCOUNT = (
    "unmapped_account: no organization external_id, and the organization id (of the ticket or its requester) "
    "is not in mappings/account_map.csv"
)
COLUMNS = (
    "ticket_id, account_id, created_at, updated_at, status, priority, channel, first_reply_at, solved_at, "
    "reopens, satisfaction_rating, satisfaction_comment, satisfaction_rated_at, requester_email"
)


def _write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, object]:
    tmp = tmp_path_factory.mktemp("zendesk")
    landing = tmp / "landing"
    export = {"organization.csv": ORGANIZATIONS, "user.csv": USERS, "ticket.csv": TICKETS}
    _write(
        landing / "zendesk" / "2026-06-30",
        {**export, "ticket_field_history.csv": HISTORY, "_comments.csv": COMMENTS},
    )
    # Comments as a warehouse unloads them to Parquet: `created` a TIMESTAMP, `public` a BOOLEAN.
    folder = landing / "zendesk" / "2026-06-30"
    with duckdb.connect() as writer:
        writer.execute(
            "copy (select * replace (cast(created as timestamp) as created, cast(public as boolean) as public) "
            f"from read_csv('{folder / '_comments.csv'}', all_varchar = true)) to '{folder / 'ticket_comment.parquet'}' "
            "(format parquet)"
        )
    (folder / "_comments.csv").unlink()
    # An export without ticket_comment (comments not synced): ticket 9's first reply is the
    # first status change out of new.
    _write(
        landing / "zendesk" / "no-comments",
        {
            **export,
            "ticket.csv": T + "9,2026-04-01 09:00:00,2026-04-02 09:00:00,pending,normal,chat,100,u1,false\n",
            "ticket_field_history.csv": "field_name,ticket_id,updated,user_id,value\n"
            "status,9,2026-04-01 09:00:00,u1,new\nstatus,9,2026-04-01 09:40:00,a1,open\n"
            "status,9,2026-04-02 09:00:00,a1,pending\n",
        },
    )
    (landing / "mappings").mkdir()
    (landing / "mappings" / "account_map.csv").write_text("source,source_id,account_id\nzendesk,200,acc_2\n")
    conn = duckdb.connect(str(tmp / "cxcs.duckdb"))
    summary = load_landing(conn, landing)
    yield conn, summary
    conn.close()


def test_tickets_map_to_the_native_support_table(loaded) -> None:
    conn, summary = loaded
    assert not summary.has_failures, summary.format()
    assert conn.execute(f"select {COLUMNS} from raw.support_tickets order by ticket_id").fetchall() == [
        # reopened twice (solved -> open, twice; solved -> ... pending is not after solved), last
        # solved 2026-03-04T17:00+02:00 = 15:00 UTC; the first public agent comment at 10:15 (the
        # 09:30 note is internal); the last rating (bad) and its time.
        ("1", "acc_1", datetime(2026, 3, 1, 9), datetime(2026, 3, 5, 12), "closed", "urgent", "email",
         datetime(2026, 3, 1, 10, 15), datetime(2026, 3, 4, 15), 2, "bad", "Slow answer",
         datetime(2026, 3, 5, 8), "ann@acme.example"),
        # the requester's organization 200 through the account map; voice = phone; no agent
        # comment = no first reply (the export has comments); offered = not rated (no time)
        ("2", "acc_2", datetime(2026, 3, 10, 9), datetime(2026, 3, 11, 9), "solved", "high", "phone",
         None, datetime(2026, 3, 11, 9), 0, "offered", None, None, "bob@globex.example"),
        # no history at all: never solved, 0 reopens, unoffered
        ("7", "acc_1", datetime(2026, 3, 20, 9), datetime(2026, 3, 20, 9), "new", None, "web",
         None, None, 0, "unoffered", None, None, "ann@acme.example"),
        # without ticket_comment: first change out of new (open at 09:40)
        ("9", "acc_1", datetime(2026, 4, 1, 9), datetime(2026, 4, 2, 9), "pending", "normal", "chat",
         datetime(2026, 4, 1, 9, 40), None, 0, "unoffered", None, None, "ann@acme.example"),
    ]  # fmt: skip


def test_bad_tickets_are_quarantined_with_their_reason_and_the_rest_loads(loaded) -> None:
    conn, summary = loaded
    assert conn.execute(
        "select regexp_extract(file_path, '[^/]+/[^/]+$'), row_number, reason from raw.load_quarantine order by 1, 2"
    ).fetchall() == [
        ("2026-06-30/ticket.csv", 3, NO_ACCOUNT),
        ("2026-06-30/ticket.csv", 4, "unknown_value: satisfaction_rating='great'"),
        ("2026-06-30/ticket.csv", 5, "invalid_timestamp: created_at"),
        ("2026-06-30/ticket.csv", 6, "invalid_timestamp: ticket_field_history.updated='2026-13-45 10:00:00'"),
        ("2026-06-30/ticket.csv", 8, "deleted_ticket: deleted in Zendesk (_fivetran_deleted)"),
    ]
    assert summary.unmapped == {"zendesk": 1}


def test_the_manifest_names_what_each_file_gave(loaded) -> None:
    conn, _ = loaded
    rows = conn.execute(
        "select regexp_extract(file_path, '[^/]+/[^/]+$'), entity, rows_delivered, rows_loaded, rows_quarantined, reason "
        "from raw.load_manifest order by file_path"
    ).fetchall()
    read_with = "read with the ticket table of its export"
    assert rows == [
        ("2026-06-30/organization.csv", "support_tickets", 0, 0, 0, f"2 organization row(s): {read_with}"),
        ("2026-06-30/ticket.csv", "support_tickets", 8, 3, 5, None),
        ("2026-06-30/ticket_comment.parquet", "support_tickets", 0, 0, 0, f"4 ticket_comment row(s): {read_with}"),
        ("2026-06-30/ticket_field_history.csv", "support_tickets", 0, 0, 0, f"22 ticket_field_history row(s): {read_with}"),
        ("2026-06-30/user.csv", "support_tickets", 0, 0, 0, f"4 user row(s): {read_with}"),
        ("no-comments/ticket.csv", "support_tickets", 1, 1, 0,
         "no ticket_comment table: first reply = first status change out of new"),
        ("no-comments/ticket_field_history.csv", "support_tickets", 0, 0, 0, f"3 ticket_field_history row(s): {read_with}"),
        # no-comments/organization.csv and user.csv: the same bytes as 2026-06-30's, so skipped
        # as loaded (the loader's rule for any adapter file); the ticket file still reads them
    ]  # fmt: skip


def test_an_unknown_table_fails_its_file_and_a_missing_column_fails_the_tickets(conn, landing: Path) -> None:
    _write(
        landing / "zendesk" / "x",
        {"ticket.csv": T, "ticket_field_history.csv": "ticket_id,updated,value\n1,2026-03-01 09:00:00,new\n",
         "satisfaction_ratings.csv": "id\n1\n"},
    )  # fmt: skip
    summary = load_landing(conn, landing)
    missing = "missing_required_columns: ticket_field_history: field_name"
    assert summary.entities["support_tickets"].files_failed == [
        ("zendesk/x/satisfaction_ratings.csv", "unknown_zendesk_table: a .csv or .parquet file is named after its Fivetran table"),
        ("zendesk/x/ticket.csv", missing),
        ("zendesk/x/ticket_field_history.csv", missing),
    ]  # fmt: skip


def test_the_demo_in_zendesk_format_loads_the_latest_native_states(tmp_path: Path) -> None:
    """Round trip, raw level (no dbt: cheap at a size with every kind of ticket): the native
    demo's latest state of each ticket = what the adapter reads from the converted export
    (``except all`` both ways).  The marts are compared in tests_py/test_adapters.py."""
    from orchestration.demo_data import generate
    from orchestration.demo_data.zendesk_format import convert_support

    # One generation; the converter runs on a copy of its support files (the CLI path,
    # generate(formats=("zendesk",)), is the one tests_py/test_adapters.py builds).
    generate(out=tmp_path / "native", accounts=40, days=90, seed=5, end_date=datetime(2026, 6, 30).date())
    shutil.copytree(tmp_path / "native" / "support", tmp_path / "zendesk" / "support")
    entries = [
        {"path": p.relative_to(tmp_path / "zendesk").as_posix(), "entity": "support_tickets"}
        for p in (tmp_path / "zendesk" / "support").rglob("*.csv")
    ]
    convert_support(tmp_path / "zendesk", entries)
    assert not list((tmp_path / "zendesk" / "support").rglob("*.csv"))  # nothing native left to load instead
    assert sorted(e["path"] for e in entries) == [
        f"zendesk/demo/{t}.csv" for t in ("organization", "ticket", "ticket_comment", "ticket_field_history", "user")
    ]
    loaded = {}
    for fmt in ("native", "zendesk"):
        loaded[fmt] = tmp_path / f"{fmt}.duckdb"
        with duckdb.connect(str(loaded[fmt])) as conn:
            assert not load_landing(conn, tmp_path / fmt, entities=["support_tickets"]).has_failures
    with duckdb.connect() as conn:
        conn.execute(f"attach '{loaded['native']}' as native (read_only)")
        conn.execute(f"attach '{loaded['zendesk']}' as zendesk (read_only)")
        latest = (
            f"select {COLUMNS} from native.raw.support_tickets "
            "qualify row_number() over (partition by ticket_id order by updated_at desc, _batch_id desc) = 1"
        )
        other = f"select {COLUMNS} from zendesk.raw.support_tickets"
        assert conn.execute(f"select count(*) from ({latest} except all {other})").fetchone()[0] == 0
        assert conn.execute(f"select count(*) from ({other} except all {latest})").fetchone()[0] == 0
        # The round trip covers every rule: reopens, each rating, comments, unanswered and open tickets.
        covered = conn.execute(
            f"""select sum(reopens) > 0, count(*) filter (where satisfaction_rating = 'bad') > 0,
                       count(*) filter (where satisfaction_rating = 'good') > 0,
                       count(*) filter (where satisfaction_rating = 'offered') > 0,
                       count(satisfaction_comment) > 0, count(*) filter (where first_reply_at is null) > 0,
                       count(*) filter (where status not in ('solved', 'closed')) > 0
                from ({other})"""
        ).fetchone()
        assert covered == (True,) * 7
