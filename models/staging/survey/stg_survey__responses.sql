{#- The comment leaves this model redacted (macros/cx/redact_comment.sql): the raw text
    is read in `latest` only. -#}
{%- set kinds = [] -%}
{%- for kind, _ in comment_redactions() if kind not in kinds -%}
    {%- do kinds.append(kind) -%}
{%- endfor -%}

with

source as (

    select * from {{ source('survey', 'responses') }}

),

latest as (

    {{ dedupe_latest('source', ['response_id']) }}

),

trimmed as (

    select
        *,
        -- trim() strips spaces only; a comment of newlines and tabs is empty too
        {{ regex_replace_all('comment', '^\\s+|\\s+$', '') }} as comment_trimmed
    from latest

),

with_comment as (

    select
        *,
        case
            when lower(comment_trimmed) not in (
                {%- for value in no_comment_values() %}
                    '{{ value }}'{{ ',' if not loop.last }}
                {%- endfor %}
            ) then comment_trimmed
        end as comment_given
    from trimmed

),

redacted as (

    select
        *,
        {%- set ns = namespace(text='comment_given') %}
        {%- for kind, pattern in comment_redactions() %}
            {%- set ns.text = regex_replace_all(ns.text, pattern, '[' ~ kind ~ ']') %}
        {%- endfor %}
        {{ ns.text }} as comment_redacted
    from with_comment

),

renamed as (

    select
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(nullif(trim(invitation_id), '') as {{ dbt.type_string() }}) as invitation_id,
        cast(survey_id as {{ dbt.type_string() }}) as survey_id,
        cast(lower(trim(survey_type)) as {{ dbt.type_string() }}) as survey_type,
        cast(lower(trim(touchpoint)) as {{ dbt.type_string() }}) as touchpoint,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(score as {{ dbt.type_int() }}) as score,
        cast(comment_redacted as {{ dbt.type_string() }}) as comment,
        {%- for kind in kinds %}
            -- placeholders the text held before redaction do not count
            {{ count_occurrences('comment_redacted', '[' ~ kind ~ ']') }}
            - {{ count_occurrences('comment_given', '[' ~ kind ~ ']') }} as redacted_{{ kind }}s,
        {%- endfor %}
        cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
        _batch_id,
        _loaded_at

    from redacted
    -- The as-of cut (macros/as_of_date.sql): a response counts from the moment it was given.
    where {{ recorded_by_as_of('responded_at') }}

)

select
    response_id,
    invitation_id,
    survey_id,
    survey_type,
    touchpoint,
    account_id,
    contact_id,
    score,
    comment,
    {%- for kind in kinds %}
        redacted_{{ kind }}s,
    {%- endfor %}
    responded_at,
    _batch_id,
    _loaded_at
from renamed
