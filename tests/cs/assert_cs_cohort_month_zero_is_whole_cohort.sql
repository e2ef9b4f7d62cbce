-- In its own month a cohort is whole: at months_since_start = 0, retained_accounts =
-- cohort_accounts and mrr = cohort_starting_mrr; and never more accounts retained than the
-- cohort has. Fails with each row of cs_cohort_retention that breaks it.
with

cohorts as (

    select * from {{ ref('cs_cohort_retention') }}

),

violations as (

    select
        cohort_month,
        months_since_start,
        cohort_accounts,
        retained_accounts,
        cohort_starting_mrr,
        mrr
    from cohorts
    where
        retained_accounts > cohort_accounts
        or (
            months_since_start = 0
            and (retained_accounts <> cohort_accounts or mrr <> cohort_starting_mrr)
        )

)

select * from violations
