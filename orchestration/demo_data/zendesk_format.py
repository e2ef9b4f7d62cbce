"""The demo's support tickets as a Zendesk export in Fivetran's schema (``cxcs demo-data --format
zendesk``): the native ``support/tickets`` files are converted with DuckDB into one export folder
``zendesk/demo/`` and removed.

Fivetran keeps the current state of a ticket, so the latest state of each is written as a
``ticket`` row (organization ``org_<account>`` whose ``external_id`` is the account id: the
account rule, no account map needed; channel ``phone`` as Zendesk's ``voice``, ``other`` as
``any_channel``).  What the adapter derives is written as Zendesk records it:

* ``ticket_field_history`` status changes: ``new`` at creation, ``open`` at the first reply, then
  for ``reopens`` = r: r rounds of solved -> open spread evenly between the first reply (or the
  creation) and the last solve, ``solved`` at ``solved_at``, and ``pending`` / ``closed`` at
  ``updated_at`` when that is the state; ``satisfaction_score`` ``offered`` at the solve, the
  rating (and ``satisfaction_comment``) at ``satisfaction_rated_at``;
* ``ticket_comment``: the request by the requester at creation, the first public agent reply at
  ``first_reply_at`` (bodies are placeholders: the adapter reads no comment text);
* ``user``: each requester (email, the account's organization, ``end-user``) and one agent.

Columns the format cannot carry: the earlier states of a ticket (raw holds only the latest, so a
rebuild as of a date before a ticket's last update differs); the marts as of the demo's end do not.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

FOLDER = "zendesk/demo"
AGENT = "zd_agent_1"
UTC = "make_timestamp(epoch_us(cast({} as timestamptz)))"  # UTC wall time of an ISO-8601 text


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _at(step: str) -> str:
    """``step`` / (2r + 1) of the way from t0 to s (integer microseconds: exact, any engine's interval rules aside)."""
    return f"make_timestamp(epoch_us(t0) + (epoch_us(s) - epoch_us(t0)) * ({step}) // (2 * r + 1))"


# One row of history per change; _seq orders a ticket's changes that share a time.
HISTORY = f"""
    with t as (
        select *, {UTC.format("created_at")} as c, {UTC.format("nullif(first_reply_at, '')")} as f,
               {UTC.format("nullif(solved_at, '')")} as s, {UTC.format("updated_at")} as u,
               coalesce(try_cast(reopens as integer), 0) as r
        from tickets
    ),
    rounds as (  -- reopen round i of r: solved at (2i - 1) / (2r + 1), open at 2i / (2r + 1) of [start, last solve]
        select ticket_id, i, coalesce(f, c) as t0, s, r from t, range(1, r + 1) as g(i) where s is not null
    ),
    changes as (
        select ticket_id, 'status' as field_name, c as updated, 'new' as value, 0 as _seq from t
        union all select ticket_id, 'status', f, 'open', 1 from t where f is not null
        union all
        select ticket_id, 'status', {_at("2 * i - 1")}, 'solved', 2 * i from rounds
        union all
        select ticket_id, 'status', {_at("2 * i")}, 'open', 2 * i + 1 from rounds
        union all select ticket_id, 'status', s, 'solved', 100 from t where s is not null
        union all select ticket_id, 'satisfaction_score', s, 'offered', 101 from t
            where s is not null and satisfaction_rating in ('offered', 'good', 'bad')
        union all select ticket_id, 'status', u, status, 102 from t where status in ('pending', 'closed')
        union all select ticket_id, 'satisfaction_score', {UTC.format("satisfaction_rated_at")}, satisfaction_rating, 103
            from t where satisfaction_rating in ('good', 'bad')
        union all select ticket_id, 'satisfaction_comment', {UTC.format("satisfaction_rated_at")}, satisfaction_comment, 104
            from t where satisfaction_rating in ('good', 'bad') and nullif(satisfaction_comment, '') is not null
    )
    select field_name, ticket_id, strftime(updated, '%Y-%m-%d %H:%M:%S.%f') as updated, value
    from changes order by ticket_id, updated, _seq
"""
TABLES = {
    "organization": """
        select distinct 'org_' || account_id as id, account_id as name, account_id as external_id
        from tickets order by id
    """,
    "user": f"""
        select 'zu_' || md5(requester_email)[:12] as id, requester_email as email,
               'org_' || min(account_id) as organization_id, 'end-user' as role
        from tickets where nullif(requester_email, '') is not null group by requester_email
        union all select '{AGENT}', 'agent@support.example', null, 'agent'
        order by id
    """,
    "ticket": """
        select ticket_id as id, created_at, updated_at, status, priority,
               case channel when 'phone' then 'voice' when 'other' then 'any_channel' else channel end as via_channel,
               'org_' || account_id as organization_id,
               case when nullif(requester_email, '') is not null then 'zu_' || md5(requester_email)[:12] end
                   as requester_id,
               updated_at as _fivetran_synced
        from tickets order by ticket_id
    """,
    "ticket_field_history": HISTORY,
    "ticket_comment": f"""
        select ticket_id || '-1' as id, ticket_id, created_at as created,
               'zu_' || md5(requester_email)[:12] as user_id, true as public, 'Request' as body
        from tickets
        union all
        select ticket_id || '-2', ticket_id, first_reply_at, '{AGENT}', true, 'Reply'
        from tickets where nullif(first_reply_at, '') is not null
        order by ticket_id, created
    """,
}


def convert_support(out: Path, entries: list[dict]) -> None:
    """Replace the native support files of ``out`` (and their manifest ``entries``) by the export."""
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    files = _q(out / "support" / "tickets" / "*.csv")
    # The latest state of each ticket (a later file, then a later row, wins a tie of times).
    conn.execute(
        f"""
        create table tickets as
        select * exclude (filename) from read_csv({files}, header = true, all_varchar = true, filename = true)
        qualify row_number() over (partition by ticket_id
                                   order by cast(updated_at as timestamptz) desc, filename desc) = 1
        """
    )
    target = out / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for table, select in TABLES.items():
        path = target / f"{table}.csv"
        conn.execute(f"copy ({select}) to {_q(path)} (header, delimiter ',')")
        count = conn.execute(f"select count(*) from ({select})").fetchone()[0]
        entries.append(
            {
                "path": path.relative_to(out).as_posix(),
                "entity": "support_tickets",
                "data_rows": count if table == "ticket" else 0,
                "bad_rows": 0,
                "fails_whole_file": False,
                "cases": [],
            }
        )
    conn.close()
    for entry in [e for e in entries if e["path"].startswith("support/")]:
        entries.remove(entry)
        (out / entry["path"]).unlink()
