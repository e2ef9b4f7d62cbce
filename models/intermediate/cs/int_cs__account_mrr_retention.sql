-- NRR and GRR at the account level, written once: cs_revenue_monthly sums it per month and
-- segment, the semantic layer (sem_mrr_retention_12m) per any account dimension.
with

account_months as (

    select * from {{ ref('int_cs__account_mrr_monthly') }}

),

accounts as (

    select * from {{ ref('int_cs__accounts') }}

),

-- Retention bases: each account with MRR > 0 at the end of month b, followed to month
-- b + k (k = 1 and 12), the month the window is measured in.
retention_bases as (

    {% for window_months in [1, 12] %}
        select
            account_months.account_id,
            cast({{ dbt.dateadd('month', window_months, 'account_months.month_start') }} as date)
                as measured_month,
            {{ window_months }} as window_months,
            account_months.ending_mrr as base_mrr
        from account_months
        where account_months.ending_mrr > 0
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- The account's MRR at the end of the measured month (0 when it no longer pays: the spine
-- has every month up to the as-of month, so a measured month after it has no row and is
-- left out); GRR's numerator caps it at the base MRR.
final as (

    select
        retention_bases.account_id,
        retention_bases.measured_month,
        retention_bases.window_months,
        retention_bases.base_mrr,
        measured.ending_mrr as retained_mrr,
        coalesce(accounts.segment, 'unknown') as segment,
        case
            when measured.ending_mrr < retention_bases.base_mrr then measured.ending_mrr
            else retention_bases.base_mrr
        end as retained_mrr_capped

    from retention_bases
    inner join account_months as measured
        on
            retention_bases.account_id = measured.account_id
            and retention_bases.measured_month = measured.month_start
    left join accounts
        on retention_bases.account_id = accounts.account_id

)

select
    account_id,
    measured_month,
    window_months,
    segment,
    cast(base_mrr as {{ cs_money_type() }}) as base_mrr,
    cast(retained_mrr as {{ cs_money_type() }}) as retained_mrr,
    cast(retained_mrr_capped as {{ cs_money_type() }}) as retained_mrr_capped
from final
