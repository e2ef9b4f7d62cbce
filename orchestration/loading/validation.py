"""Validation in SQL, set-based: every delivered row is typed against the contract
(``orchestration.contract``), checked, and given its reasons; then duplicated keys in a file
are ranked (``rejected_sql``, shared by the per-file and the grouped JSON Lines path) so
that exactly one version of a key loads.
"""

from __future__ import annotations

import duckdb

from orchestration.contract import RAW_TYPES, SCORE_SCALES, Column, Entity
from orchestration.plausibility import TimeBounds, needs_trimmed, row_rules


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def trimmed_text(column: str) -> str:
    """``nullif(trim(column), '')``, without trimming (a copy of the text) when the first and
    last characters are printable ASCII other than space, so trim() would change nothing."""
    return (
        f"case when ascii({column}) between 33 and 126 and ascii({column}[-1]) between 33 and 126 "
        f"then {column} else nullif(trim({column}), '') end"
    )


def is_present(column: str) -> str:
    """``nullif(trim(column), '') is not null``: text that starts with printable ASCII is."""
    return f"case when ascii({column}) between 33 and 126 then true else coalesce(trim({column}) <> '', false) end"


def reads_trimmed(column: Column) -> bool:
    """Whether checks or typing read the trimmed text ``v_<column>``; a free-text column
    is stored as delivered and only tested for presence."""
    return column.type != "text" or bool(column.allowed) or needs_trimmed(column)


def _cast_if_shaped(value: str, pattern: str, sql_type: str) -> str:
    """``value`` cast to ``sql_type`` only when the whole text matches ``pattern``, else null: the
    contract's shape, narrower than what DuckDB's cast accepts."""
    return f"case when regexp_full_match({value}, '{pattern}') then try_cast({value} as {sql_type}) end"


def typed_expr(column: str, typ: str) -> str:
    """The typed value of ``column``; ``v_<column>`` is its text trimmed, null when empty."""
    value = f"v_{column}"
    if typ == "text":
        return f"nullif({column}, '')"
    if typ == "int":
        # DuckDB's own cast rounds '7.5' to 8 and accepts '1e3', '0x10' and '1_000': only a
        # plain integer (an integral '7.0' included) is an integer here.
        return _cast_if_shaped(value, "[+-]?[0-9]+([.]0*)?", "bigint")
    if typ == "decimal":
        # Decimal major units only: DuckDB's cast also takes '1e3', '1_0' and 'inf'.
        return _cast_if_shaped(value, "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)", RAW_TYPES["decimal"])
    if typ == "boolean":
        # true/false (any case) or 1/0; DuckDB's cast also takes yes/no, y/n, t/f, on/off.
        return f"case lower({value}) when 'true' then true when '1' then true when 'false' then false when '0' then false end"
    if typ == "date":
        # A calendar date YYYY-MM-DD; DuckDB's cast also takes a timestamp and drops its time.
        return _cast_if_shaped(value, "[0-9]{4}-[0-9]{2}-[0-9]{2}", "date")
    if typ == "timestamp":
        # ISO-8601 (YYYY-MM-DD first; DuckDB's cast also takes 'epoch', 'infinity', 'now').
        # With TimeZone = UTC, an input without offset is read as UTC; stored as UTC wall
        # time.  make_timestamp(epoch_us(..)) is that wall time without a time zone lookup
        # per value (a cast to timestamp converts through the session time zone).  The
        # shape test is character checks, not a regex: this runs on every event.
        return (
            f"case when {value}[5] = '-' and {value}[8] = '-' and {value}[1] between '0' and '9' "
            f"then make_timestamp(epoch_us(try_cast({value} as timestamptz))) end"
        )
    if typ == "json":
        # Valid JSON that starts with '{' is an object.
        return f"case when starts_with({value}, '{{') and json_valid({value}) then {value} end"
    raise ValueError(f"unknown contract type {typ}")


TYPE_ERROR_CODES = {
    "int": "invalid_integer",
    "decimal": "invalid_decimal",
    "boolean": "invalid_boolean",
    "date": "invalid_date",
    "timestamp": "invalid_timestamp",
    "json": "invalid_json_object",
}


def row_checks(entity: Entity, bounds: TimeBounds | None) -> list[tuple[str, str]]:
    """(condition, reason) pairs in SQL over the delivered text ``<col>``, ``v_<col>`` (trimmed
    text, null when empty; see ``reads_trimmed``) and ``t_<col>`` (typed): the row has the
    problem when the condition is true."""
    checks: list[tuple[str, str]] = []
    for c in entity.columns:
        present = f"v_{c.name} is not null" if reads_trimmed(c) else is_present(c.name)
        if c.required:
            checks.append((f"not ({present})", f"'missing_required: {c.name}'"))
        if c.type not in ("text",):
            code = TYPE_ERROR_CODES[c.type]
            checks.append((f"{present} and t_{c.name} is null", f"'{code}: {c.name}'"))
        if c.allowed:
            values = ", ".join(sql_str(v) for v in c.allowed)
            checks.append(
                (
                    f"{present} and lower(v_{c.name}) not in ({values})",
                    f"'unknown_value: {c.name}=' || chr(39) || v_{c.name} || chr(39)",
                )
            )
        if c.min_value is not None:
            checks.append((f"t_{c.name} < {c.min_value}", f"'out_of_range: {c.name}=' || t_{c.name}"))
        if c.max_value is not None:
            checks.append((f"t_{c.name} > {c.max_value}", f"'out_of_range: {c.name}=' || t_{c.name}"))
    if entity.scale_by:
        scales = " ".join(
            f"when '{kind}' then t_score between {lo} and {hi}" for kind, (lo, hi) in SCORE_SCALES.items()
        )
        checks.append(
            (
                f"t_score is not null and not coalesce(case lower(v_survey_type) {scales} end, true)",
                "'score_out_of_scale: ' || lower(v_survey_type) || ' ' || t_score",
            )
        )
    return checks + row_rules(entity, bounds)


def staged_sql(entity: Entity, source: str, passthrough: list[str], bounds: TimeBounds | None) -> str:
    """Typed columns ``t_<col>`` and ``_problem`` (null for a good row) of every row of ``source``
    (the contract's columns as text, ``_reason`` and the ``passthrough`` columns)."""
    trimmed = "".join(f", {trimmed_text(c.name)} as v_{c.name}" for c in entity.columns if reads_trimmed(c))
    typed = ", ".join(f"{typed_expr(c.name, c.type)} as t_{c.name}" for c in entity.columns)
    checks = row_checks(entity, bounds)
    failing = " or ".join(f"coalesce({condition}, false)" for condition, _ in checks)
    reasons = ", ".join(f"case when {condition} then {reason} end" for condition, reason in checks)
    passed = ", ".join(passthrough)
    return f"""
        with trimmed as (
            select {", ".join(entity.column_names)}, {passed}, _reason{trimmed}
            from {source}
        ),
        typed as (
            select *, {typed} from trimmed
        )
        select {passed}, {", ".join(f"t_{c}" for c in entity.column_names)},
               case when _reason is not null then _reason
                    when {failing} then concat_ws('; ', {reasons}) end as _problem
        from typed
        """


def rejected_sql(
    entity: Entity,
    source: str,
    row_id: str,
    carried: list[str],
    *,
    row_expr: str | None = None,
    per_file: bool = False,
    rows: str = "true",
    label: str = "_kept",
    join: str = "",
) -> str:
    """Every row of ``source`` that does not load: ``(<row id>, <carried>, _reason)``.

    A row with a ``_problem`` is rejected with it; among the rows without one, only the
    rows of a duplicated key (found by grouping) are ranked, and all but one are rejected
    with ``duplicate_key_in_file: kept row <label>``: the latest ``updated_at``, then the
    last row.  ``row_id`` names the row id (``_row_number``; for a group ``_rid``, computed as
    ``row_expr`` ``rowid``, whose keys are then ranked ``per_file``); ``rows`` restricts which rows count at all
    (a group's blank lines do not); ``label`` and ``join`` turn the kept row id into the
    number reported (a group's row id into the line of its file)."""
    row = f"{row_expr} as {row_id}" if row_expr else row_id
    key = ", ".join(f"t_{k}" for k in entity.key)
    group = f"_file, {key}" if per_file else key
    order = (f"t_{entity.updated_at} desc nulls last, " if entity.updated_at else "") + f"{row_id} desc"
    version = f", t_{entity.updated_at}" if entity.updated_at else ""
    carry = "".join(f", {c}" for c in carried)
    usable = f"_problem is null and {rows}"
    return f"""
        with duplicated as (
            select {group} from {source} where {usable} group by {group} having count(*) > 1
        ),
        contenders as (
            select {row}{carry}, {key}{version}
            from {source} semi join duplicated using ({group})
            where {usable}
        ),
        ranked as (
            select {row_id}{carry}, first_value({row_id}) over (partition by {group} order by {order}) as _kept
            from contenders
        )
        select {row}{carry}, _problem as _reason from {source} where _problem is not null and {rows}
        union all
        select {row_id}{carry}, 'duplicate_key_in_file: kept row ' || {label}
        from ranked {join} where {row_id} <> _kept
        """


def validate(conn: duckdb.DuckDBPyConnection, entity: Entity, bounds: TimeBounds) -> None:
    """Type and check ``_incoming`` into ``_staged`` (typed columns and ``_problem``), then list
    every row that does not load in ``_rejected`` (``_row_number``, ``_line_number``, ``_reason``).

    The reason text is only built for a row that fails a check (``staged_sql``)."""
    staged = staged_sql(entity, "_incoming", ["_row_number", "_line_number"], bounds)
    conn.execute(f"create or replace temp table _staged as {staged}")
    rejected = rejected_sql(entity, "_staged", "_row_number", ["_line_number"])
    conn.execute(f"create or replace temp table _rejected as {rejected}")
