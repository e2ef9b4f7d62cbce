with

key_feature_days as (

    select * from {{ ref('int_product__key_feature_days') }}

),

account_days as (

    select * from {{ ref('int_health__account_days') }}

),

days as (

    select * from {{ ref('int_product__days') }}

),

paying_spells as (

    select * from {{ ref('int_health__paying_spells') }}

),

key_features as (

    select * from {{ ref('key_features') }}

),

-- Days on which each (account, feature) counts as used in the trailing 30 days.
feature_coverage as (

    {{ trailing_window_coverage('key_feature_days', 'account_id', 'feature', 'activity_date', 30) }}

),

-- Counted only while the account is paying: coverage intersected with its paying spells.
paying_coverage as (

    select
        feature_coverage.feature,
        case
            when feature_coverage.covered_from > paying_spells.paying_from then feature_coverage.covered_from
            else paying_spells.paying_from
        end as counted_from,
        case
            when feature_coverage.covered_until < paying_spells.paying_until then feature_coverage.covered_until
            else paying_spells.paying_until
        end as counted_until
    from feature_coverage
    inner join paying_spells
        on
            feature_coverage.account_id = paying_spells.account_id
            and feature_coverage.covered_from < paying_spells.paying_until
            and feature_coverage.covered_until > paying_spells.paying_from

),

deltas as (

    select
        feature,
        date_day,
        sum(delta) as delta
    from (
        select
            feature,
            counted_from as date_day,
            1 as delta
        from paying_coverage
        union all
        select
            feature,
            counted_until as date_day,
            -1 as delta
        from paying_coverage
    ) as changes
    group by 1, 2

),

paying_accounts as (

    select
        date_day,
        count(*) as active_paying_accounts
    from account_days
    where is_paying
    group by 1

),

spine as (

    select
        key_features.feature,
        days.date_day
    from key_features
    cross join days

),

counted as (

    select
        spine.feature,
        spine.date_day,
        sum(coalesce(deltas.delta, 0)) over (
            partition by spine.feature
            order by spine.date_day
            rows between unbounded preceding and current row
        ) as accounts_using_30d,
        coalesce(paying_accounts.active_paying_accounts, 0) as active_paying_accounts
    from spine
    left join deltas
        on
            spine.feature = deltas.feature
            and spine.date_day = deltas.date_day
    left join paying_accounts
        on spine.date_day = paying_accounts.date_day

)

select
    cast(feature as {{ dbt.type_string() }}) as feature,
    cast(date_day as date) as date,  -- noqa: RF04
    cast(accounts_using_30d as {{ dbt.type_int() }}) as accounts_using_30d,
    cast(active_paying_accounts as {{ dbt.type_int() }}) as active_paying_accounts,
    {{ cs_pct('accounts_using_30d', 'active_paying_accounts') }} as adoption_pct
from counted
