with

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

final as (

    select
        currency,
        {{ cs_rate_to_reporting('rate_to_usd', 'fx_rates') }} as rate_to_reporting
    from fx_rates

)

select
    currency,
    rate_to_reporting
from final
