-- The 12-month NRR/GRR bases of the semantic layer: the rows of int_cs__account_mrr_retention
-- with a 12-month window, as a table (mf reads the published file; the intermediate layer is
-- views). Grain: one row per account × measured month for every account with MRR > 0 at the
-- end of the same month a year earlier. The metrics nrr_12m_pct and grr_12m_pct ratio its
-- sums, so grouped by month (and by segment) they are cs_revenue_monthly's values.
with

account_retention as (

    select * from {{ ref('int_cs__account_mrr_retention') }}

),

final as (

    select
        account_id,
        measured_month,
        base_mrr,
        retained_mrr,
        retained_mrr_capped
    from account_retention
    where window_months = 12

)

select
    account_id,
    measured_month,
    base_mrr,
    retained_mrr,
    retained_mrr_capped
from final
