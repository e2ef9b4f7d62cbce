{#- What drives NPS and 90-day logo churn (issue 17 §3): Johnson's relative weights of the
    candidate drivers (int_cx__key_driver_weights, Python), ranked per outcome, with their share
    of R², direction, bootstrap 95% interval and significance (DECISIONLOG "Key drivers"). -#}
with

weights as (

    select * from {{ ref('int_cx__key_driver_weights') }}

),

final as (

    select
        outcome,
        driver,
        driver_group,
        row_number() over (partition by outcome order by raw_weight desc, driver asc) as importance_rank,
        cast(observations as {{ dbt.type_bigint() }}) as observations,
        cast(observations_with_driver as {{ dbt.type_bigint() }}) as observations_with_driver,
        cast({{ round_decimal('raw_weight', 6, 18) }} as decimal(18, 6)) as raw_weight,
        cast(
            case when r_squared > 0 then {{ round_decimal('100.0 * raw_weight / r_squared', 2, 18) }} end
            as decimal(18, 2)
        ) as share_of_r2_pct,
        case when direction > 0 then 'positive' when direction < 0 then 'negative' else 'none' end as direction,
        cast({{ round_decimal('ci_low', 6, 18) }} as decimal(18, 6)) as ci_low,
        cast({{ round_decimal('ci_high', 6, 18) }} as decimal(18, 6)) as ci_high,
        cast({{ round_decimal('vs_random_ci_low', 6, 18) }} as decimal(18, 6)) as vs_random_ci_low,
        cast({{ round_decimal('vs_random_ci_high', 6, 18) }} as decimal(18, 6)) as vs_random_ci_high,
        -- Tonidandel et al. (2009): not significant when the interval of (weight - weight of a
        -- random noise driver) covers zero.
        vs_random_ci_low <= 0 as is_not_significant,
        cast({{ round_decimal('r_squared', 6, 18) }} as decimal(18, 6)) as r_squared,
        cast(bootstrap_resamples as {{ dbt.type_bigint() }}) as bootstrap_resamples,
        cast(bootstrap_seed as {{ dbt.type_bigint() }}) as bootstrap_seed,
        {{ as_of_date() }} as as_of_date
    from weights

)

select * from final
