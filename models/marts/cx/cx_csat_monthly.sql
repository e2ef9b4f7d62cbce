{#- Monthly CSAT per dimension value (macros/cx/cx_survey_monthly.sql, macros/cx/cx_metrics.sql). -#}
{{ cx_survey_monthly(
    'csat',
    aggregates=[
        ('satisfied', 'sum(case when is_csat_satisfied then 1 else 0 end)'),
        ('score_sum', 'sum(score)'),
    ],
    columns=[
        ('satisfied', cx_count('monthly_counts.satisfied')),
        ('csat_pct', cx_pct('monthly_counts.satisfied', 'monthly_counts.responses')),
        ('csat_mean', cx_mean('monthly_counts.score_sum', 'monthly_counts.responses')),
    ],
) }}
