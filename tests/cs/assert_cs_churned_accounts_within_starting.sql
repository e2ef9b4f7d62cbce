-- Accounts can only churn from the accounts paying at the start of the month:
-- churned_accounts <= starting_accounts, and the MRR lost to churn and contraction is at most
-- the starting MRR, in every row of cs_revenue_monthly. Fails with each row that breaks it.
with

revenue as (

    select * from {{ ref('cs_revenue_monthly') }}

),

violations as (

    select
        month as revenue_month,  -- noqa: RF04
        segment,
        starting_accounts,
        churned_accounts,
        starting_mrr,
        churned_mrr,
        contraction_mrr
    from revenue
    where
        churned_accounts > starting_accounts
        or -(churned_mrr + contraction_mrr) > starting_mrr

)

select * from violations
