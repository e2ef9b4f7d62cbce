with

weights as (

    select * from {{ ref('health_score_weights') }}

),

-- seeds/health_score_weights.csv as one row: one column per (component, parameter).
final as (

    select
        {%- for component, parameter in [
            ('usage', 'weight'),
            ('usage', 'seat_utilisation_share'),
            ('usage', 'seat_utilisation_target_pct'),
            ('usage', 'stickiness_share'),
            ('usage', 'stickiness_target'),
            ('adoption', 'weight'),
            ('adoption', 'breadth_target_pct'),
            ('sentiment', 'weight'),
            ('sentiment', 'promoter_score'),
            ('sentiment', 'passive_score'),
            ('sentiment', 'detractor_score'),
            ('sentiment', 'detractor_cap'),
            ('billing', 'weight'),
            ('billing', 'days_past_due_for_zero'),
            ('lifecycle', 'weight'),
            ('lifecycle', 'onboarding_share'),
            ('lifecycle', 'tenure_days_for_full'),
            ('support', 'weight'),
            ('support', 'urgent_share'),
            ('support', 'open_urgent_for_zero'),
            ('support', 'bad_ratings_for_zero'),
            ('band', 'green_min'),
            ('band', 'yellow_min'),
        ] %}
            max(
                case when component = '{{ component }}' and parameter = '{{ parameter }}' then value end
            ) as {{ component }}_{{ parameter }},
        {%- endfor %}
        count(*) as seed_rows
    from weights

)

select * from final
