{#-
    Incremental cs_account_health_daily (DECISIONLOG: "`cs_account_health_daily` is
    incremental").

    A health row (account, day) is a function of that day's rows of int_health__account_days,
    product_usage_daily, int_cx__account_sentiment_daily, int_health__billing_daily and
    int_support__account_daily, of the account's onboarding milestones, of the first day any
    support ticket is known and of the score's parameters. Between two builds these
    change only
      - through the product events: from the first day the events rollup or the usage mart
        rewrote since the last build (intermediate.incremental_rebuilds);
      - through new billing, survey or support batches, the project's models or seeds (the weights,
        the milestones, the key features): any of these rebuilds every day;
      - through the as-of date: new days are added after the last one.
-#}

{#- A digest of what, when changed, rebuilds every day: the checksum of every model and
    seed file of the project, the score's parameters as built (`parameters`, the
    int_health__parameters relation) and the last loaded batch of every billing and survey
    table. -#}
{% macro health_input_state(parameters) -%}
    {%- if not execute or model.resource_type != 'model' -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- The loader's manifest (source loader.load_manifest), read as bookkeeping: not a
        dependency of the model's rows, so no ref in its lineage or unit-test fixtures. -#}
    {%- set manifest = graph.sources['source.' ~ project_name ~ '.loader.load_manifest'] -%}
    {%- set load_manifest = adapter.get_relation(
        database=manifest.database, schema=manifest.schema, identifier=manifest.identifier
    ) -%}
    {#- Nothing loaded or built yet (a fresh warehouse, `dbt compile`, sqlfluff's templater):
        no state, so the build is a full one. -#}
    {%- if load_manifest is none or load_relation(parameters) is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.resource_type in ('model', 'seed') and node.package_name == project_name -%}
            {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- Events reach the score through the rollups' rebuild records (health_daily_cutoff);
        product users feed no model. -#}
    {%- set batches = run_query(
        'select entity, max(batch_id) from ' ~ load_manifest
        ~ " where status = 'loaded' and entity not in ('product_events', 'product_users')"
        ~ ' group by entity order by entity'
    ) -%}
    {%- for row in batches.rows -%}
        {%- do parts.append(row[0] ~ '=' ~ row[1]) -%}
    {%- endfor -%}
    {%- for row in run_query('select * from ' ~ parameters).rows -%}
        {%- do parts.append(row | join(',')) -%}
    {%- endfor -%}
    {{- return(local_md5(parts | join('|'))) -}}
{%- endmacro %}

{#- First day to rebuild (a SQL date literal), or none to rebuild every day. -#}
{% macro health_daily_cutoff(this_relation, input_state) -%}
    {%- if not execute or input_state is none or this_relation is string -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set audit = incremental_rebuilds_relation(this_relation.database) -%}
    {%- set this_model = "model_name = '" ~ this_relation.identifier ~ "'" -%}
    {%- set last_build = '(select max(recorded_at) from ' ~ audit ~ ' where ' ~ this_model ~ ' and completed)' -%}
    {%- set upstream = "model_name in ('int_product__activity_daily', 'product_usage_daily') and recorded_at > " ~ last_build -%}
    {%- set state = run_query(
        'select'
        ~ ' (select max(input_state) from ' ~ audit ~ ' where ' ~ this_model ~ ' and completed'
        ~ ' and recorded_at = ' ~ last_build ~ '),'
        ~ ' (select cast(' ~ dbt.dateadd('day', 1, 'max(date)') ~ ' as date) from ' ~ this_relation ~ '),'
        ~ ' (select max(date) from ' ~ this_relation ~ ') > ' ~ as_of_date() ~ ','
        ~ ' (select count(*) from ' ~ audit ~ ' where ' ~ upstream ~ ' and rebuilt_from is null),'
        ~ ' (select min(rebuilt_from) from ' ~ audit ~ ' where ' ~ upstream ~ ')'
    ).rows[0] -%}
    {%- set last_state, next_day, beyond_as_of, upstream_full, upstream_from = state[0], state[1], state[2], state[3], state[4] -%}
    {%- if last_state != input_state or next_day is none or beyond_as_of or upstream_full > 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set cutoff = upstream_from if upstream_from is not none and upstream_from < next_day else next_day -%}
    {{- return("cast('" ~ cutoff ~ "' as date)") -}}
{%- endmacro %}
