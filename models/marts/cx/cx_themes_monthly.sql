{#- Theme trends (issue 17 §3): month x theme x dimension value, over the comments the theme
    matcher read (English, scored). Dimensions as in the CX monthly marts (overall, segment,
    touchpoint) plus churn_90d: whether the respondent's account was paying and its paying
    spell ended within 90 days after the comment (churned) or not (not_churned; a window still
    open counts as not churned so far), which shows what churners wrote. Every theme of the
    taxonomy has a row in every month and dimension value with scored comments (0 mentions
    included), so the change against the previous 3 months is defined. Rules: DECISIONLOG
    "Theme trends and example quotes". -#}
with

verbatims as (

    select * from {{ ref('cx_verbatims') }}
    where sentiment_label <> 'unscored'

),

comment_themes as (

    select * from {{ ref('cx_comment_themes') }}

),

taxonomy as (

    select * from {{ ref('cx_theme_taxonomy') }}

),

paying_spells as (

    select * from {{ ref('int_health__paying_spells') }}

),

-- A comment's account churned when it was paying on the comment day and that spell ended (by
-- the as-of date; a running spell's paying_until is the as-of date + 1) within 90 days.
churned_comments as (

    select verbatims.response_id
    from verbatims
    inner join paying_spells
        on
            verbatims.account_id = paying_spells.account_id
            and cast(verbatims.responded_at as date) >= paying_spells.paying_from
            and cast(verbatims.responded_at as date) < paying_spells.paying_until
    where
        paying_spells.paying_until <= {{ as_of_date() }}
        and paying_spells.paying_until
        <= cast({{ dbt.dateadd('day', 90, 'cast(verbatims.responded_at as date)') }} as date)

),

dimensions as (

    select 'overall' as dimension
    union all
    select 'segment' as dimension
    union all
    select 'touchpoint' as dimension
    union all
    select 'churn_90d' as dimension

),

comment_dimensions as (

    select
        verbatims.response_id,
        verbatims.response_month,
        verbatims.survey_type,
        verbatims.nps_class,
        verbatims.sentiment_score,
        verbatims.theme_count,
        verbatims.comment,
        dimensions.dimension,
        case dimensions.dimension
            when 'overall' then 'all'
            when 'segment' then coalesce(verbatims.segment, 'unknown')
            when 'touchpoint' then coalesce(verbatims.touchpoint, 'unknown')
            when 'churn_90d'
                then case when churned_comments.response_id is not null then 'churned' else 'not_churned' end
        end as dimension_value
    from verbatims
    cross join dimensions
    left join churned_comments on verbatims.response_id = churned_comments.response_id

),

-- Each scored comment once per taxonomy theme, with whether it mentions it.
comment_theme_flags as (

    select
        comment_dimensions.*,
        taxonomy.theme,
        case when comment_themes.response_id is not null then 1 else 0 end as mentions_theme
    from comment_dimensions
    cross join taxonomy
    left join comment_themes
        on
            comment_dimensions.response_id = comment_themes.response_id
            and taxonomy.theme = comment_themes.theme

),

monthly as (

    select
        response_month,
        theme,
        dimension,
        dimension_value,
        count(*) as comments,  -- noqa: RF04
        sum(mentions_theme) as mentions,
        sum(case when mentions_theme = 1 then sentiment_score end) as sentiment_sum,
        sum(case when mentions_theme = 1 and survey_type = 'nps' then 1 else 0 end) as nps_mentioning,
        sum(case when mentions_theme = 1 and nps_class = 'promoter' then 1 else 0 end) as promoters_mentioning,
        sum(case when mentions_theme = 1 and nps_class = 'detractor' then 1 else 0 end) as detractors_mentioning,
        sum(case when mentions_theme = 0 and survey_type = 'nps' then 1 else 0 end) as nps_not_mentioning,
        sum(case when mentions_theme = 0 and nps_class = 'promoter' then 1 else 0 end) as promoters_not_mentioning,
        sum(case when mentions_theme = 0 and nps_class = 'detractor' then 1 else 0 end) as detractors_not_mentioning
    from comment_theme_flags
    group by 1, 2, 3, 4

),

-- Mentions and comments of the 3 calendar months before (months without comments count 0).
previous_3m as (

    select
        monthly.response_month,
        monthly.theme,
        monthly.dimension,
        monthly.dimension_value,
        sum(prior_months.mentions) as mentions_prev_3m,
        sum(prior_months.comments) as comments_prev_3m
    from monthly
    inner join monthly as prior_months
        on
            monthly.theme = prior_months.theme
            and monthly.dimension = prior_months.dimension
            and monthly.dimension_value = prior_months.dimension_value
            and cast({{ dbt.dateadd('month', -3, 'monthly.response_month') }} as date)
            <= prior_months.response_month
            and monthly.response_month > prior_months.response_month
    group by 1, 2, 3, 4

),

-- Most representative mentions first: comments about this theme alone before comments listing
-- several (fewest themes), then the strongest sentiment in the direction of the theme's mean
-- that month (most negative when the mean is below 0, most positive otherwise), then response_id.
ranked_quotes as (

    select
        flags.response_month,
        flags.theme,
        flags.dimension,
        flags.dimension_value,
        flags.comment,
        row_number() over (
            partition by flags.response_month, flags.theme, flags.dimension, flags.dimension_value
            order by
                flags.theme_count asc,
                case
                    when monthly.sentiment_sum < 0 then flags.sentiment_score else -flags.sentiment_score
                end asc,
                flags.response_id asc
        ) as quote_rank
    from comment_theme_flags as flags
    inner join monthly
        on
            flags.response_month = monthly.response_month
            and flags.theme = monthly.theme
            and flags.dimension = monthly.dimension
            and flags.dimension_value = monthly.dimension_value
    where flags.mentions_theme = 1

),

quotes as (

    select
        response_month,
        theme,
        dimension,
        dimension_value,
        max(case when quote_rank = 1 then comment end) as example_quote_1,
        max(case when quote_rank = 2 then comment end) as example_quote_2,
        max(case when quote_rank = 3 then comment end) as example_quote_3
    from ranked_quotes
    where quote_rank <= 3
    group by 1, 2, 3, 4

),

final as (

    select
        monthly.response_month,
        monthly.theme,
        monthly.dimension,
        monthly.dimension_value,
        {{ cx_count('monthly.comments') }} as comments,  -- noqa: RF04
        {{ cx_count('monthly.mentions') }} as mentions,
        {{ cx_pct('monthly.mentions', 'monthly.comments') }} as share_of_comments_pct,
        cast(
            case
                when monthly.mentions > 0
                    then {{ round_decimal('1.0 * monthly.sentiment_sum / monthly.mentions', 4, 5) }}
            end
            as decimal(5, 4)
        ) as mean_sentiment,
        {{ cx_count('monthly.nps_mentioning') }} as nps_responses_mentioning,
        {{ cx_nps('monthly.promoters_mentioning', 'monthly.detractors_mentioning', 'monthly.nps_mentioning') }}
            as nps_mentioning,
        {{ cx_nps(
            'monthly.promoters_not_mentioning', 'monthly.detractors_not_mentioning', 'monthly.nps_not_mentioning'
        ) }} as nps_not_mentioning,
        {{ cx_pct('monthly.detractors_mentioning', 'monthly.nps_mentioning') }} as detractor_share_pct,
        {{ cx_count('previous_3m.mentions_prev_3m') }} as mentions_prev_3m,
        {{ cx_pct('previous_3m.mentions_prev_3m', 'previous_3m.comments_prev_3m') }} as share_prev_3m_pct,
        quotes.example_quote_1,
        quotes.example_quote_2,
        quotes.example_quote_3
    from monthly
    left join previous_3m
        on
            monthly.response_month = previous_3m.response_month
            and monthly.theme = previous_3m.theme
            and monthly.dimension = previous_3m.dimension
            and monthly.dimension_value = previous_3m.dimension_value
    left join quotes
        on
            monthly.response_month = quotes.response_month
            and monthly.theme = quotes.theme
            and monthly.dimension = quotes.dimension
            and monthly.dimension_value = quotes.dimension_value

)

select
    response_month as month,  -- noqa: RF04
    theme,
    dimension,
    dimension_value,
    comments,
    mentions,
    share_of_comments_pct,
    mean_sentiment,
    nps_responses_mentioning,
    nps_mentioning,
    nps_not_mentioning,
    detractor_share_pct,
    mentions_prev_3m,
    share_prev_3m_pct,
    cast(share_of_comments_pct - share_prev_3m_pct as decimal(5, 1)) as share_change_pts,
    example_quote_1,
    example_quote_2,
    example_quote_3
from final
