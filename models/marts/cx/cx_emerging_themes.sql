{#- Candidate themes for the taxonomy (issue 17 §2): the clusters of the English comments no
    theme of seeds/cx_theme_taxonomy matched, one row per cluster at the as-of date, with its
    size and its three most representative comments (closest to the cluster's centroid) for a
    person to read and promote into the taxonomy. -#}
with

clusters as (

    select * from {{ ref('int_cx__emerging_theme_clusters') }}

),

verbatims as (

    select * from {{ ref('cx_verbatims') }}

),

members as (

    select
        clusters.cluster_id,
        clusters.cluster_name,
        clusters.representative_rank,
        clusters.clusters,
        clusters.silhouette,
        verbatims.comment,
        verbatims.responded_at,
        verbatims.sentiment_score
    from clusters
    inner join verbatims on clusters.response_id = verbatims.response_id

),

unmatched as (

    select count(*) as clustered_comments
    from members

)

select
    {{ as_of_date() }} as as_of_date,
    cast(members.cluster_id as integer) as cluster_id,
    members.cluster_name,
    cast(count(*) as integer) as comment_count,
    cast(count(*) * 1.0 / max(unmatched.clustered_comments) as decimal(5, 4)) as share_of_clustered,
    cast(avg(members.sentiment_score) as decimal(5, 4)) as mean_sentiment_score,
    min(members.responded_at) as first_responded_at,
    max(members.responded_at) as last_responded_at,
    max(case when members.representative_rank = 1 then members.comment end) as example_comment_1,
    max(case when members.representative_rank = 2 then members.comment end) as example_comment_2,
    max(case when members.representative_rank = 3 then members.comment end) as example_comment_3,
    cast(max(members.clusters) as integer) as clusters,
    cast(max(members.silhouette) as decimal(5, 4)) as silhouette
from members
cross join unmatched
group by 1, 2, 3
