-- No account-day counts two versions of one subscription: two versions of a subscription
-- share a day exactly when their [valid_from, valid_to) intervals intersect (open valid_to =
-- still in force), so this checks every day, and so every month-end snapshot, at once.
-- int_cs__subscription_versions closes an earlier version at a later one's start; this
-- blocks the build (severity error) if any overlap still gets through. Fails with each
-- overlapping pair.
with

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}
    -- A version superseded from its first day holds no day.
    where valid_to is null or valid_to > valid_from

)

select
    earlier.subscription_id,
    earlier.account_id,
    earlier.version,
    earlier.valid_from,
    earlier.valid_to,
    later.version as later_version,
    later.valid_from as later_valid_from,
    later.valid_to as later_valid_to
from versions as earlier
inner join versions as later
    on
        earlier.subscription_id = later.subscription_id
        and earlier.version < later.version
        and (later.valid_to is null or earlier.valid_from < later.valid_to)
        and (earlier.valid_to is null or earlier.valid_to > later.valid_from)
