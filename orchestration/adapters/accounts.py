"""One account id across systems: ``landing/mappings/account_map.csv`` (``source, source_id,
account_id``) and the SQL that resolves an adapter row's account from it.

Rule, per adapter row: the source's own account candidate (Segment ``groupId`` /
``context.groupId`` / ``traits.account_id``, Amplitude ``groups.account``) mapped through the
file when listed (``source_id`` = the candidate), else the candidate itself; without a
candidate, the user id mapped through the file (``source_id`` = the user id).  No account
then = the row is quarantined ``unmapped_account`` (never dropped, never guessed).

A ``(source, source_id)`` listed with two different account ids is a conflict: the whole
mapping is unusable (rows that need it are quarantined ``unmapped_account: conflicting ...``)
and the load reports the conflict as an error (``cxcs refresh`` exits 2).  The map is read on
every run (it is small and decides, it is not data): a corrected map applies to the files
loaded from then on.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.landing_files import ACCOUNT_MAP, ReadablePaths
from orchestration.loading.validation import sql_str

MAP_COLUMNS = ("source", "source_id", "account_id")


class AccountMapUnreadable(Exception):
    """The map exists but cannot be read: no adapter file loads this run (none is guessed)."""


def load_account_map(conn: duckdb.DuckDBPyConnection, landing_dir: Path, readable: ReadablePaths) -> list[str]:
    """Temp tables ``_account_map`` (one account per usable source/source_id) and
    ``_account_conflicts``; returns the map's errors (conflicts, incomplete rows)."""
    path = landing_dir / ACCOUNT_MAP
    conn.execute(
        "create or replace temp table _account_map_rows (source varchar, source_id varchar, account_id varchar, _line bigint)"
    )
    if path.is_file() and path.stat().st_size > 0:
        reader = f"read_csv({sql_str(str(readable(path)))}, header = true, all_varchar = true)"
        try:
            # Header names matched case-insensitively, as for native files.
            names = {r[0].strip().lower(): r[0] for r in conn.execute(f"describe select * from {reader}").fetchall()}
            missing = [c for c in MAP_COLUMNS if c not in names]
            if missing:
                raise AccountMapUnreadable(f"{ACCOUNT_MAP}: missing_required_columns: {', '.join(missing)}")
            col = {c: '"' + names[c].replace('"', '""') + '"' for c in MAP_COLUMNS}
            conn.execute(
                f"""
                insert into _account_map_rows
                select nullif(lower(trim({col["source"]})), ''), nullif(trim({col["source_id"]}), ''),
                       nullif(trim({col["account_id"]}), ''), row_number() over () + 1
                from {reader}
                """
            )
        except duckdb.Error as error:
            raise AccountMapUnreadable(
                f"{ACCOUNT_MAP}: unreadable: {str(error).strip().splitlines()[0][:300]}"
            ) from error
    errors = [
        f"{ACCOUNT_MAP} line {line}: missing_required: {', '.join(c for c, v in zip(MAP_COLUMNS, row, strict=True) if v is None)}"
        for *row, line in conn.execute(
            "select source, source_id, account_id, _line from _account_map_rows "
            "where source is null or source_id is null or account_id is null order by _line"
        ).fetchall()
    ]
    conn.execute(
        """
        create or replace temp table _account_conflicts as
        select source, source_id, string_agg(distinct account_id, ', ' order by account_id) as accounts
        from _account_map_rows where account_id is not null and source_id is not null and source is not null
        group by source, source_id having count(distinct account_id) > 1
        """
    )
    conn.execute(
        """
        create or replace temp table _account_map as
        select distinct m.source, m.source_id, m.account_id
        from _account_map_rows as m anti join _account_conflicts using (source, source_id)
        where m.account_id is not null and m.source_id is not null and m.source is not null
        """
    )
    errors += [
        f"{ACCOUNT_MAP}: account_map_conflict: {source} '{source_id}' -> {accounts} (its rows are quarantined as unmapped_account)"
        for source, source_id, accounts in conn.execute(
            "select source, source_id, accounts from _account_conflicts order by source, source_id"
        ).fetchall()
    ]
    return errors


def resolved_sql(source: str, inner: str, candidate_label: str, user_label: str = "the user id") -> str:
    """``inner`` (with ``_cand``, the source's account candidate, and ``_user``, the id looked up
    in the map without one, named ``user_label`` in the reason) plus ``_account`` (the resolved
    account id) and ``_account_problem`` (why there is none, else null)."""
    src = sql_str(source)
    return f"""
        select s.*,
               case when cc.source_id is not null or (s._cand is null and cu.source_id is not null) then null
                    else coalesce(mc.account_id, s._cand, mu.account_id) end as _account,
               case when cc.source_id is not null
                    then 'unmapped_account: conflicting account_map entries for {source} ' || chr(39) || s._cand || chr(39)
                         || ' (' || cc.accounts || ')'
                    when s._cand is null and cu.source_id is not null
                    then 'unmapped_account: conflicting account_map entries for {source} ' || chr(39) || s._user || chr(39)
                         || ' (' || cu.accounts || ')'
                    when coalesce(mc.account_id, s._cand, mu.account_id) is null
                    then 'unmapped_account: no {candidate_label}, and {user_label} is not in {ACCOUNT_MAP}' end
                   as _account_problem
        from ({inner}) as s
        left join _account_map as mc on mc.source = {src} and mc.source_id = s._cand
        left join _account_map as mu on mu.source = {src} and mu.source_id = s._user
        left join _account_conflicts as cc on cc.source = {src} and cc.source_id = s._cand
        left join _account_conflicts as cu on cu.source = {src} and cu.source_id = s._user
    """
