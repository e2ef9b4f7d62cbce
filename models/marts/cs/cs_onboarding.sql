{#-
    One `<milestone>_at` column per row of seeds/onboarding_milestones.csv (read when the model
    runs). Adding or renaming a milestone changes this mart's columns: the enforced contract
    in _cs_onboarding__models.yml then fails the build until the new column is documented there.
-#}
{%- set milestones = seed_column_values(ref('onboarding_milestones'), 'milestone', 'sort_order') %}

with

onboarding as (

    select * from {{ ref('int_product__account_onboarding') }}

),

account_milestones as (

    select * from {{ ref('int_product__account_milestones') }}

),

milestone_columns as (

    select
        account_id,
        {%- for milestone in milestones %}
            max(case when milestone = '{{ milestone }}' then reached_at end) as {{ milestone }}_at,
        {%- endfor %}
        count(*) as milestones_defined
    from account_milestones
    group by 1

),

final as (

    select
        onboarding.account_id,
        onboarding.started_date as started_at,
        {%- for milestone in milestones %}
            milestone_columns.{{ milestone }}_at,
        {%- endfor %}
        onboarding.onboarding_complete,
        onboarding.time_to_value_days,
        onboarding.onboarding_completed_at,
        onboarding.required_milestones,
        onboarding.required_reached,
        onboarding.milestones_reached,
        onboarding.is_observed_from_start
    from onboarding
    inner join milestone_columns
        on onboarding.account_id = milestone_columns.account_id

)

select
    account_id,
    started_at,
    {%- for milestone in milestones %}
        {{ milestone }}_at,
    {%- endfor %}
    onboarding_complete,
    time_to_value_days,
    onboarding_completed_at,
    required_milestones,
    required_reached,
    milestones_reached,
    is_observed_from_start
from final
