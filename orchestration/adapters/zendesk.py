"""Zendesk in Fivetran's schema (``landing/zendesk/<export>/``, one CSV or Parquet file per table)
into the native support table: ``ticket`` (with ``ticket_field_history``, ``organization``,
``user`` and, when synced, ``ticket_comment`` of the same folder) -> ``support_tickets``, one row
per ticket (Fivetran keeps the current state).  A file of the other tables loads no rows itself:
it is read with the ticket file of its export folder (a new export = a new folder).

The rules (DECISIONLOG "Zendesk (Fivetran schema) as a landing source"):

* status changes are the ``status`` rows of ``ticket_field_history``: ``solved_at`` = the last
  change to ``solved``; ``reopens`` = changes to ``open`` or ``pending`` right after ``solved``;
* first reply = the first public comment by an agent or admin (``user.role``) after the ticket's
  creation, when the export has ``ticket_comment``; without it, the first status change out of
  ``new`` (Zendesk moves a ticket to open when an agent answers it);
* satisfaction = the last ``satisfaction_score`` (``unoffered`` without one; any other value than
  unoffered / offered / good / bad is quarantined by the native check), rated at that change when
  good or bad; the comment = the last ``satisfaction_comment``;
* channel = ``via_channel``: email, web, chat, api as is, ``voice`` = phone,
  ``native_messaging`` = chat, anything else other;
* a timestamp is ISO-8601, UTC when it has no offset; a malformed ``updated`` / ``created`` of a
  ticket's history or comments quarantines the ticket (its derived times cannot be trusted);
* account: the ticket's organization (else the requester's) ``external_id``, through
  ``mappings/account_map.csv`` when listed there; else the organization id in the map
  (``zendesk, <organization id>``); else ``unmapped_account``.  A deleted ticket
  (``_fivetran_deleted``) is quarantined ``deleted_ticket``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.adapters.accounts import resolved_sql
from orchestration.adapters.base import Adapter, Target
from orchestration.adapters.zendesk_tables import (
    EXTENSIONS,
    SOURCE,
    empty_select,
    read_siblings,
    select_table,
    table_of,
)
from orchestration.loading.results import FileRejected

SIBLINGS = ("ticket_field_history", "ticket_comment", "organization", "user")
# UTC wall time as the loader reads a timestamp (an offset converts; none means UTC).
TS = "make_timestamp(epoch_us(try_cast({} as timestamptz)))"
TRUE = "lower(trim({})) in ('true', 't', '1')"


def read(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    table = table_of(name)
    if table is None:
        raise FileRejected("unknown_zendesk_table: a .csv or .parquet file is named after its Fivetran table")
    if table == "ticket":
        conn.execute(
            f"create or replace temp table _src as select cast(null as bigint) as _line_number, * from ({select_table(conn, path, table)})"
        )
        # The export's other tables from the file's own folder (a symlinked plain name resolves to it).
        present = read_siblings(conn, path.resolve().parent, SIBLINGS)
        _derive(conn, "ticket_comment" in present)
        return (
            None
            if "ticket_comment" in present
            else "no ticket_comment table: first reply = first status change out of new"
        )
    count = conn.execute(f"select count(*) from ({select_table(conn, path, table)})").fetchone()[0]
    # Nothing of its own to load; an empty ticket-shaped _src so the target's SQL binds.
    conn.execute(
        f"create or replace temp table _src as select cast(null as bigint) as _line_number, * from ({empty_select('ticket')})"
    )
    read_siblings(conn, None, SIBLINGS)
    _derive(conn, False)
    return f"{count} {table} row(s): read with the ticket table of its export"


def _derive(conn: duckdb.DuckDBPyConnection, comments: bool) -> None:
    """``_zd_facts``: per ticket id, what the history (and comments) say."""
    first_reply = (
        f"""
        select c.ticket_id, min({TS.format("c.created")}) as first_reply_at
        from _zd_ticket_comment as c
        join _zd_user as u on u.id = c.user_id and lower(trim(u.role)) in ('agent', 'admin')
        join _src as t on t.id = c.ticket_id
        where {TRUE.format("c.public")} and not coalesce({TRUE.format("c._fivetran_deleted")}, false)
          -- the opening comment of a ticket an agent created is its request, not a reply
          and {TS.format("c.created")} > {TS.format("t.created_at")}
        group by c.ticket_id
        """
        if comments
        else "select ticket_id, first_out_of_new as first_reply_at from statuses"
    )
    conn.execute(
        f"""
        create or replace temp table _zd_facts as
        with history as (
            select ticket_id, lower(trim(field_name)) as field, value, updated, {TS.format("updated")} as _at,
                   _file, _row_number
            from _zd_ticket_field_history
        ),
        changes as (
            select ticket_id, lower(trim(value)) as value, _at,
                   lag(lower(trim(value))) over (partition by ticket_id order by _at, _file, _row_number) as _prev
            from history where field = 'status' and _at is not null
        ),
        statuses as (
            select ticket_id, max(_at) filter (where value = 'solved') as solved_at,
                   count(*) filter (where value in ('open', 'pending') and _prev = 'solved') as reopens,
                   min(_at) filter (where value <> 'new') as first_out_of_new
            from changes group by ticket_id
        ),
        -- the last value of each satisfaction field (a later change replaces the rating)
        latest as (
            select ticket_id, field, value, _at from history
            where field in ('satisfaction_score', 'satisfaction_comment') and _at is not null
            qualify row_number() over (partition by ticket_id, field order by _at desc, _file desc, _row_number desc) = 1
        ),
        bad_times as (
            select ticket_id, 'invalid_timestamp: ticket_field_history.updated=' || chr(39) || min(updated) || chr(39) as problem
            from history where _at is null group by ticket_id
            union all
            select ticket_id, 'invalid_timestamp: ticket_comment.created=' || chr(39) || min(created) || chr(39)
            from _zd_ticket_comment where {TS.format("created")} is null group by ticket_id
        ),
        replies as ({first_reply})
        select ids.ticket_id, s.solved_at, coalesce(s.reopens, 0) as reopens, r.first_reply_at,
               lower(trim(sc.value)) as rating, sc._at as rated_at, nullif(trim(cm.value), '') as comment,
               (select string_agg(problem, '; ' order by problem) from bad_times as b where b.ticket_id = ids.ticket_id)
                   as problem
        from (select distinct ticket_id from history union select distinct ticket_id from _zd_ticket_comment) as ids
        left join statuses as s using (ticket_id)
        left join replies as r using (ticket_id)
        left join latest as sc on sc.ticket_id = ids.ticket_id and sc.field = 'satisfaction_score'
        left join latest as cm on cm.ticket_id = ids.ticket_id and cm.field = 'satisfaction_comment'
        """
    )


def tickets_sql() -> str:
    inner = """
        select t.*, o.external_id, u.email as _email,
               nullif(trim(o.external_id), '') as _cand,
               coalesce(nullif(trim(t.organization_id), ''), nullif(trim(u.organization_id), '')) as _user
        from _src as t
        left join _zd_user as u on u.id = t.requester_id
        left join _zd_organization as o
            on o.id = coalesce(nullif(trim(t.organization_id), ''), nullif(trim(u.organization_id), ''))
    """
    resolved = resolved_sql(
        SOURCE, inner, "organization external_id", "the organization id (of the ticket or its requester)"
    )
    rating = "coalesce(f.rating, 'unoffered')"
    return f"""
        select t.id as ticket_id, coalesce(t._account, '') as account_id, t.created_at,
               coalesce(nullif(trim(t.updated_at), ''), t._fivetran_synced) as updated_at,
               lower(trim(t.status)) as status, lower(nullif(trim(t.priority), '')) as priority,
               case when nullif(trim(t.via_channel), '') is null then null
                    when lower(trim(t.via_channel)) in ('email', 'web', 'chat', 'api') then lower(trim(t.via_channel))
                    when lower(trim(t.via_channel)) = 'voice' then 'phone'
                    when lower(trim(t.via_channel)) = 'native_messaging' then 'chat'
                    else 'other' end as channel,
               cast(f.first_reply_at as varchar) as first_reply_at, cast(f.solved_at as varchar) as solved_at,
               cast(coalesce(f.reopens, 0) as varchar) as reopens, {rating} as satisfaction_rating,
               f.comment as satisfaction_comment,
               cast(case when {rating} in ('good', 'bad') then f.rated_at end as varchar) as satisfaction_rated_at,
               nullif(trim(t._email), '') as requester_email, t._row_number, t._line_number,
               nullif(concat_ws('; ',
                   case when {TRUE.format("t._fivetran_deleted")} then 'deleted_ticket: deleted in Zendesk (_fivetran_deleted)' end,
                   f.problem, t._account_problem), '') as _reason
        from ({resolved}) as t
        left join _zd_facts as f on f.ticket_id = t.id
    """


ZENDESK = Adapter(
    folder=SOURCE,
    extensions=EXTENSIONS,
    read=read,
    targets=(Target("support_tickets", tickets_sql),),
)
