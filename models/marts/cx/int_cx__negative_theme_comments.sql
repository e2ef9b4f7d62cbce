{#-
    The comments behind the playbook alert negative_theme (int_health__alert_candidates): a
    comment with strongly negative sentiment (sentiment score <= var negative_theme_max_sentiment)
    that mentions a churn-linked theme (var negative_theme_alert_themes), one row per comment
    with its themes listed. The comment scores are built by a dbt Python model on DuckDB only
    (DECISIONLOG "Comment scoring runs as a dbt Python model on DuckDB"); on PostgreSQL and Spark
    this is an empty table of the same columns, so the alert candidates, their joins and unit
    tests are the same SQL on every engine (no negative_theme alert there), like int_cs__sbg_derl.
    Ephemeral, like the other steps of the health marts: no relation of its own in the marts schema.
-#}
{{ config(materialized='ephemeral') }}

{% if target.type == 'duckdb' %}

    with

    comment_themes as (

        select * from {{ ref('cx_comment_themes') }}

    ),

    final as (

        select
            response_id,
            account_id,
            responded_at,
            sentiment_score,
            {{ dbt.listagg('theme', "', '", 'order by theme') }} as themes
        from comment_themes
        where
            account_id is not null
            and sentiment_score <= {{ var('negative_theme_max_sentiment') }}
            and theme in (
                {%- for theme in var('negative_theme_alert_themes') %}
                    '{{ theme }}'{{ ',' if not loop.last }}
                {%- endfor %}
            )
        group by 1, 2, 3, 4

    )

    select
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
        cast(sentiment_score as decimal(5, 4)) as sentiment_score,
        cast(themes as {{ dbt.type_string() }}) as themes
    from final

{% else %}

select
    cast(null as {{ dbt.type_string() }}) as response_id,
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as {{ dbt.type_timestamp() }}) as responded_at,
    cast(null as decimal(5, 4)) as sentiment_score,
    cast(null as {{ dbt.type_string() }}) as themes
from (select 1 as one) as no_model  -- Spark has no FROM-less WHERE
where 1 = 0

{% endif %}
