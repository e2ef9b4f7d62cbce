with

activity as (

    select * from {{ ref('int_product__activity_daily') }}

),

key_features as (

    select * from {{ ref('key_features') }}

),

-- A key feature is used on a day when any event of the account names it (properties.feature).
final as (

    select distinct
        activity.account_id,
        activity.feature,
        activity.activity_date
    from activity
    inner join key_features
        on activity.feature = key_features.feature
    where activity.rollup_level = 'event'

)

select
    account_id,
    feature,
    activity_date
from final
