{#- Monthly CES per dimension value (macros/cx/cx_survey_monthly.sql, macros/cx/cx_metrics.sql). -#}
{{ cx_survey_monthly(
    'ces',
    aggregates=[
        ('high_effort', 'sum(case when is_ces_high_effort then 1 else 0 end)'),
        ('score_sum', 'sum(score)'),
    ],
    columns=[
        ('high_effort', cx_count('monthly_counts.high_effort')),
        ('ces_mean', cx_mean('monthly_counts.score_sum', 'monthly_counts.responses')),
        ('high_effort_pct', cx_pct('monthly_counts.high_effort', 'monthly_counts.responses')),
    ],
) }}
