-- Every movement of fct_mrr_movements agrees with its numbers (metrics.md):
--   ending_mrr = starting_mrr + mrr_change; new / reactivation: starting 0, ending > 0;
--   expansion: starting > 0, change > 0; contraction: ending > 0, change < 0;
--   churn: starting > 0, ending 0; flat: starting > 0, change 0.
-- Fails with each movement whose type disagrees with the sign of its change.
with

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

disagreements as (

    select
        account_id,
        month as movement_month,  -- noqa: RF04
        movement_type,
        starting_mrr,
        ending_mrr,
        mrr_change
    from movements
    where
        ending_mrr <> starting_mrr + mrr_change
        or starting_mrr < 0
        or ending_mrr < 0
        or not (
            (movement_type in ('new', 'reactivation') and starting_mrr = 0 and ending_mrr > 0 and mrr_change > 0)
            or (movement_type = 'expansion' and starting_mrr > 0 and mrr_change > 0)
            or (movement_type = 'contraction' and ending_mrr > 0 and mrr_change < 0)
            or (movement_type = 'churn' and starting_mrr > 0 and ending_mrr = 0 and mrr_change < 0)
            or (movement_type = 'flat' and starting_mrr > 0 and mrr_change = 0)
        )

)

select * from disagreements
