{#-
    Keep the latest version of each key of a raw entity.

    A key can arrive in several batches (corrections, re-exports, SDK retries).
    The winner is the row with the latest `updated_at` (when the entity has one),
    then the latest `_batch_id`, then the latest `_row_number` inside its file.

    Portable: a row_number() window filtered in an outer query (PostgreSQL and
    Spark have no QUALIFY). Returns every column of `relation` plus `_version_rank`;
    the calling model selects its columns explicitly.

    Arguments:
      relation     a relation or the name of a CTE
      key_columns  list of column names forming the key
      updated_at   column ordering versions of a key, or none (latest batch wins)

    Example:
      deduplicated as (
          {{ dedupe_latest('source', ['account_id'], updated_at='updated_at') }}
      )
-#}
{% macro dedupe_latest(relation, key_columns, updated_at=none) -%}
    {%- set order_by = [] -%}
    {%- if updated_at is not none -%}
        {%- do order_by.append(updated_at ~ ' desc nulls last') -%}
    {%- endif -%}
    {%- do order_by.append('_batch_id desc nulls last') -%}
    {%- do order_by.append('_row_number desc nulls last') -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ order_by | join(', ') }}
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}
