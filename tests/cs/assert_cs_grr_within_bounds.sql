-- Gross revenue retention never exceeds 100 and never exceeds net revenue retention of the
-- same base (metrics.md: GRR caps each account at its starting MRR), for the 1- and
-- 12-month windows, in every row of cs_revenue_monthly. Fails with each row that breaks it.
with

revenue as (

    select * from {{ ref('cs_revenue_monthly') }}

),

violations as (

    select
        month as revenue_month,  -- noqa: RF04
        segment,
        nrr_1m_pct,
        grr_1m_pct,
        nrr_12m_pct,
        grr_12m_pct
    from revenue
    where
        grr_1m_pct > 100
        or grr_12m_pct > 100
        or grr_1m_pct > nrr_1m_pct
        or grr_12m_pct > nrr_12m_pct
        or (grr_1m_pct is null) <> (nrr_1m_pct is null)
        or (grr_12m_pct is null) <> (nrr_12m_pct is null)

)

select * from violations
