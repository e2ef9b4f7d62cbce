{#- Monthly NPS per dimension value (macros/cx/cx_survey_monthly.sql, macros/cx/cx_metrics.sql). -#}
{{ cx_survey_monthly(
    'nps',
    aggregates=[
        ('promoters', "sum(case when nps_class = 'promoter' then 1 else 0 end)"),
        ('passives', "sum(case when nps_class = 'passive' then 1 else 0 end)"),
        ('detractors', "sum(case when nps_class = 'detractor' then 1 else 0 end)"),
    ],
    columns=[
        ('promoters', cx_count('monthly_counts.promoters')),
        ('passives', cx_count('monthly_counts.passives')),
        ('detractors', cx_count('monthly_counts.detractors')),
        ('nps', cx_nps('monthly_counts.promoters', 'monthly_counts.detractors', 'monthly_counts.responses')),
        ('nps_moe_95', cx_nps_moe_95('monthly_counts.promoters', 'monthly_counts.detractors', 'monthly_counts.responses')),
    ],
) }}
