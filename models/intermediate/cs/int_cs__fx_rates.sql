with

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

{% if var('reporting_currency', 'USD') | upper == 'USD' %}

-- The seed's rates are already to USD, the reporting currency: used as they are (exact decimals).
final as (

    select
        currency,
        cast(rate_to_usd as decimal(38, 12)) as rate_to_reporting
    from fx_rates

)

{% else %}

-- Another reporting currency: rate to it = rate to USD / its own rate to USD (12 decimals).
reporting as (

    select rate_to_usd as reporting_rate_to_usd
    from fx_rates
    where currency = '{{ var("reporting_currency") | upper }}'

),

final as (

    select
        fx_rates.currency,
        {{ cs_round('fx_rates.rate_to_usd / reporting.reporting_rate_to_usd', 12, 38) }} as rate_to_reporting
    from fx_rates
    cross join reporting

)

{% endif %}

select
    currency,
    rate_to_reporting
from final
