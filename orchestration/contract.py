"""The raw landing contract (../shared/spec/raw_contract.md) as data.

One place describes every landing entity: where its files live, its columns,
their types, which are required, the allowed values and the natural key.
The demo generator writes exactly these columns, the loader validates against
them and creates the ``raw`` tables from them, and the dbt sources' column lists
and descriptions are written from it (``python -m orchestration.dbt_sources --write``;
tests_py/test_rules_once.py fails when they differ). Nothing else restates the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Logical types of the contract, mapped to the DuckDB type the loader stores.
RAW_TYPES: dict[str, str] = {
    "text": "varchar",
    "int": "bigint",
    "decimal": "decimal(18, 4)",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",  # stored in UTC (an input without offset is UTC)
    "json": "varchar",  # JSON object kept as text; staging extracts fields
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of RAW_TYPES
    required: bool = False
    allowed: tuple[str, ...] | None = (
        None  # closed vocabulary (lower case); the loader compares the trimmed, lower-cased value
    )
    min_value: float | None = None
    max_value: float | None = None
    description: str = ""
    # Plausible time range of a timestamp or date column (orchestration.plausibility):
    # "past" = it records when something HAPPENED: not before the earliest plausible time and
    # not more than the allowed clock skew after the load; "future_ok" = legitimately in the
    # future (a due date, a term end, the end of a validity): only the lower bound; "" = none.
    plausible: str = ""
    # "iso4217": an active ISO-4217 currency code (orchestration.currencies), compared upper-cased.
    codes: str = ""


@dataclass(frozen=True)
class Entity:
    source: str  # billing, survey, product
    name: str  # accounts, subscriptions, ...
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    formats: tuple[str, ...] = ("csv",)
    updated_at: str | None = "updated_at"  # column that orders versions of one key
    description: str = ""
    # Score ranges that depend on another column (survey responses only).
    scale_by: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (from, to) of a half-open validity [from, to): a row whose `to` is not after its `from`
    # is an empty version and is quarantined (subscriptions only).
    period: tuple[str, str] | None = None
    # (earlier, later) timestamp pairs: a row whose `later` is before its `earlier` is
    # quarantined (a ticket updated before it was created is a broken export, not a state).
    not_before: tuple[tuple[str, str], ...] = ()

    @property
    def table(self) -> str:
        """Name of the table in schema ``raw``: ``<source>_<entity>``."""
        return f"{self.source}_{self.name}"

    @property
    def folder(self) -> str:
        return f"{self.source}/{self.name}"

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


SEGMENTS = ("smb", "mid_market", "enterprise")
SURVEY_TYPES = ("nps", "csat", "ces")
TOUCHPOINTS = ("relationship", "onboarding", "support", "billing", "product", "renewal")
INVOICE_STATUSES = ("draft", "open", "paid", "void", "uncollectible")
BILLING_INTERVALS = ("month", "year")
ROLES = ("admin", "member", "viewer")
# Support tickets (the native support contract; the Zendesk adapter maps into it).
TICKET_STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_CHANNELS = ("email", "web", "chat", "phone", "api", "other")
SATISFACTION_RATINGS = ("unoffered", "offered", "good", "bad")
# Inclusive score scale per survey_type.
SCORE_SCALES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}

ENTITIES: tuple[Entity, ...] = (
    Entity(
        source="billing",
        name="accounts",
        key=("account_id",),
        description="Customer accounts from the billing system; one row per account version.",
        columns=(
            Column("account_id", "text", True, description="Natural key of the account."),
            Column("account_name", "text", True, description="Display name of the account."),
            Column("segment", "text", True, SEGMENTS, description="smb, mid_market or enterprise."),
            Column("industry", "text", description="Industry of the account, free text; optional."),
            Column("region", "text", description="Sales region, e.g. NA, EMEA, APAC, LATAM; optional."),
            Column(
                "created_at", "timestamp", True, description="When the account was created (UTC).", plausible="past"
            ),
            Column(
                "updated_at",
                "timestamp",
                True,
                description="When this version of the row was written (UTC); orders versions of one account.",
                plausible="past",
            ),
        ),
    ),
    Entity(
        source="billing",
        name="subscriptions",
        key=("subscription_id", "version"),
        period=("valid_from", "valid_to"),
        description=(
            "One row per version of a subscription: the price and seats that held over [valid_from, valid_to)."
        ),
        columns=(
            Column("subscription_id", "text", True, description="Subscription identifier."),
            Column(
                "version",
                "int",
                True,
                min_value=1,
                description="1, 2, ... per subscription; with subscription_id the key.",
            ),
            Column("account_id", "text", True, description="Account that owns the subscription."),
            Column("plan_id", "text", True, description="Plan; joins seeds/plans.csv."),
            Column("is_trial", "boolean", True, description="True for a trial version (no recurring revenue)."),
            Column("billing_interval", "text", True, BILLING_INTERVALS, description="month or year."),
            Column("quantity", "int", True, min_value=0, description="Licensed seats, >= 0."),
            Column(
                "unit_amount",
                "decimal",
                True,
                min_value=0,
                description="Price per seat per billing interval, before discount, in major units of currency.",
            ),
            Column("discount_pct", "decimal", min_value=0, max_value=100, description="Discount 0-100; empty means 0."),
            Column("currency", "text", True, description="ISO-4217 currency code, upper case.", codes="iso4217"),
            Column(
                "valid_from",
                "date",
                True,
                description="First day the version holds (inclusive).",
                plausible="future_ok",
            ),
            Column(
                "valid_to",
                "date",
                description="Day the version stops holding (exclusive); empty while still in force.",
                plausible="future_ok",
            ),
            Column(
                "contract_end",
                "date",
                description="End of the current term (renewal date); optional.",
                plausible="future_ok",
            ),
            Column(
                "canceled_at",
                "timestamp",
                description="When cancellation was requested (UTC); empty unless canceled.",
                plausible="past",
            ),
            Column(
                "updated_at",
                "timestamp",
                True,
                description="When this row was written (UTC); orders deliveries of one version.",
                plausible="past",
            ),
        ),
    ),
    Entity(
        source="billing",
        name="invoices",
        key=("invoice_id",),
        description="Invoices issued to accounts; a later row for the same invoice_id is a status update.",
        columns=(
            Column("invoice_id", "text", True, description="Invoice identifier."),
            Column("account_id", "text", True, description="Billed account."),
            Column("subscription_id", "text", description="Subscription billed, if any."),
            Column("status", "text", True, INVOICE_STATUSES, description="draft, open, paid, void or uncollectible."),
            Column("currency", "text", True, description="ISO-4217 currency code, upper case.", codes="iso4217"),
            Column("amount_due", "decimal", True, description="Amount due in major units of currency."),
            Column("amount_paid", "decimal", True, description="Amount paid so far in major units of currency."),
            Column("issued_at", "timestamp", True, description="When the invoice was issued (UTC).", plausible="past"),
            Column("due_at", "timestamp", True, description="When payment is due (UTC).", plausible="future_ok"),
            Column(
                "paid_at",
                "timestamp",
                description="When it was paid in full (UTC); empty until paid.",
                plausible="past",
            ),
            Column(
                "updated_at",
                "timestamp",
                True,
                description="When this row was written (UTC); orders versions of one invoice.",
                plausible="past",
            ),
        ),
    ),
    Entity(
        source="survey",
        name="invitations",
        key=("invitation_id",),
        updated_at=None,
        description="Survey invitations sent to contacts at accounts.",
        columns=(
            Column("invitation_id", "text", True, description="Invitation identifier."),
            Column("survey_id", "text", True, description="Survey the invitation belongs to."),
            Column("survey_type", "text", True, SURVEY_TYPES, description="nps, csat or ces."),
            Column(
                "touchpoint",
                "text",
                True,
                TOUCHPOINTS,
                description="Journey touchpoint that triggered the survey (relationship, onboarding, support, billing, product, renewal).",
            ),
            Column("account_id", "text", True, description="Account of the contact."),
            Column("contact_id", "text", True, description="Person invited (may equal a product user_id)."),
            Column("sent_at", "timestamp", True, description="When the invitation was sent (UTC).", plausible="past"),
        ),
    ),
    Entity(
        source="survey",
        name="responses",
        key=("response_id",),
        updated_at=None,
        description="Survey responses: NPS 0-10, CSAT 1-5, CES 1-7.",
        scale_by=SCORE_SCALES,
        columns=(
            Column("response_id", "text", True, description="Response identifier."),
            Column("invitation_id", "text", description="Invitation answered; empty for in-app surveys."),
            Column("survey_id", "text", True, description="Survey answered."),
            Column("survey_type", "text", True, SURVEY_TYPES, description="nps, csat or ces."),
            Column(
                "touchpoint",
                "text",
                True,
                TOUCHPOINTS,
                description="Journey touchpoint (relationship, onboarding, support, billing, product, renewal).",
            ),
            Column("account_id", "text", True, description="Account of the respondent."),
            Column("contact_id", "text", True, description="Respondent."),
            Column(
                "score",
                "int",
                True,
                description="Score inside the scale of its survey_type (the loader quarantines the rest).",
            ),
            Column("comment", "text", description="Free-text comment; optional, any Unicode."),
            Column(
                "responded_at",
                "timestamp",
                True,
                description="When the response was submitted (UTC).",
                plausible="past",
            ),
        ),
    ),
    Entity(
        source="product",
        name="users",
        key=("user_id",),
        updated_at=None,
        description="Product users; email is personal data and never leaves staging.",
        columns=(
            Column("user_id", "text", True, description="User identifier."),
            Column("account_id", "text", True, description="Account the user belongs to."),
            Column(
                "email",
                "text",
                description="Personal data. Read only by stg_product__users to derive has_email; never copied past staging.",
            ),
            Column("role", "text", allowed=ROLES, description="admin, member or viewer; optional."),
            Column("created_at", "timestamp", True, description="When the user was created (UTC).", plausible="past"),
        ),
    ),
    Entity(
        source="product",
        name="events",
        key=("event_id",),
        updated_at=None,
        formats=("jsonl", "jsonl.gz", "parquet"),
        description="Product analytics track calls; SDK retries may repeat an event_id.",
        columns=(
            Column("event_id", "text", True, description="Unique per real event; retries repeat it."),
            Column("account_id", "text", True, description="Account of the user."),
            Column("user_id", "text", True, description="User who did it."),
            Column(
                "event_name",
                "text",
                True,
                description="e.g. session_started, feature_used, report_exported, teammate_invited, integration_connected.",
            ),
            Column(
                "occurred_at",
                "timestamp",
                True,
                description="When it happened (UTC; an input offset is already applied by the loader).",
                plausible="past",
            ),
            Column(
                "received_at", "timestamp", True, description="When the collector received it (UTC).", plausible="past"
            ),
            Column(
                "properties",
                "json",
                description="Free-form JSON object kept as text; properties.feature names the feature used.",
            ),
        ),
    ),
    Entity(
        source="support",
        name="tickets",
        key=("ticket_id",),
        formats=("csv", "parquet"),
        not_before=(("created_at", "updated_at"),),
        description=(
            "Support tickets, one row per ticket state at export time: a later file carries the ticket "
            "again when it changed; the latest updated_at wins."
        ),
        columns=(
            Column("ticket_id", "text", True, description="Ticket identifier."),
            Column("account_id", "text", True, description="Account of the requester."),
            Column("created_at", "timestamp", True, description="When the ticket was created (UTC).", plausible="past"),
            Column(
                "updated_at",
                "timestamp",
                True,
                description="When this state of the ticket was written (UTC), not before created_at; orders states of one ticket.",
                plausible="past",
            ),
            Column(
                "status",
                "text",
                True,
                TICKET_STATUSES,
                description="new, open, pending, hold, solved or closed.",
            ),
            Column("priority", "text", allowed=TICKET_PRIORITIES, description="low, normal, high or urgent; optional."),
            Column(
                "channel",
                "text",
                allowed=TICKET_CHANNELS,
                description="Where the ticket came in: email, web, chat, phone, api or other.",
            ),
            Column(
                "first_reply_at",
                "timestamp",
                description="First public agent reply (UTC); empty until answered.",
                plausible="past",
            ),
            Column(
                "solved_at",
                "timestamp",
                description="LAST time the ticket was solved (UTC); empty while never solved.",
                plausible="past",
            ),
            Column(
                "reopens",
                "int",
                min_value=0,
                description="Times the ticket went from solved back to open or pending, >= 0; empty means 0.",
            ),
            Column(
                "satisfaction_rating",
                "text",
                allowed=SATISFACTION_RATINGS,
                description="unoffered, offered (survey sent, no answer), good or bad; empty means unoffered.",
            ),
            Column(
                "satisfaction_comment",
                "text",
                description="Free text of the rating; personal data possible: redacted in staging, never copied raw past it.",
            ),
            Column(
                "satisfaction_rated_at",
                "timestamp",
                description="When the requester rated (UTC); empty unless rated.",
                plausible="past",
            ),
            Column(
                "requester_email",
                "text",
                description="Personal data. Read only by stg_support__tickets to derive has_requester_email; never copied past staging.",
            ),
        ),
    ),
)

ENTITY_BY_TABLE: dict[str, Entity] = {e.table: e for e in ENTITIES}
ENTITY_BY_FOLDER: dict[str, Entity] = {e.folder: e for e in ENTITIES}

# Bookkeeping columns the loader adds to every raw table.
LOAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_batch_id", "bigint"),  # manifest batch that delivered the row
    ("_row_number", "bigint"),  # 1-based data row (or JSON line / Parquet row) in its file
    ("_loaded_at", "timestamp"),  # when the batch was committed (UTC)
)
# Their descriptions in the dbt sources (orchestration/dbt_sources.py writes them).
LOAD_COLUMN_DESCRIPTIONS: dict[str, str] = {
    "_batch_id": "Load batch (raw.load_manifest.batch_id) of the file that delivered the row.",
    "_row_number": "1-based data row (JSON line, Parquet row) of the row in its file.",
    "_loaded_at": "When the batch was committed to raw (UTC).",
}
