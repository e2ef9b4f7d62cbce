-- The MRR bridge (metrics.md): for every month and segment of cs_revenue_monthly,
-- starting_mrr + new + reactivation + expansion + contraction + churned = ending_mrr, exactly
-- (decimals, no tolerance), and ending_arr = 12 * ending_mrr.
-- Fails with each row where it does not hold.
with

revenue as (

    select * from {{ ref('cs_revenue_monthly') }}

),

mismatches as (

    select
        month as revenue_month,  -- noqa: RF04
        segment,
        starting_mrr,
        new_mrr,
        reactivation_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        ending_mrr,
        ending_arr
    from revenue
    where
        starting_mrr + new_mrr + reactivation_mrr + expansion_mrr + contraction_mrr + churned_mrr <> ending_mrr
        or ending_arr <> 12 * ending_mrr

)

select * from mismatches
