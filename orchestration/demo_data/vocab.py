"""Vocabularies and fixed shapes of the demo data: regions, names, event kinds, survey comments.

Kept apart from the generators so that every entity module draws from the same lists (the
order of each tuple is part of the output: an index drawn from the random stream picks it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "seeds"

REGIONS = ("NA", "EMEA", "APAC", "LATAM")
REGION_P = (0.45, 0.30, 0.15, 0.10)
# Currency mix per region (only currencies present in seeds/fx_rates.csv are used).
REGION_CURRENCIES = {
    "NA": (("USD", 0.85), ("CAD", 0.15)),
    "EMEA": (("EUR", 0.70), ("GBP", 0.30)),
    "APAC": (("AUD", 0.60), ("USD", 0.40)),
    "LATAM": (("USD", 1.0),),
}
# Typical working hours (UTC) per region: centre of the daily activity.
REGION_HOUR = (15.0, 10.0, 3.0, 14.0)
INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Education",
    "Media",
    "Logistics",
    "Public Sector",
    "Professional Services",
)
NAME_A = (
    "Acme",
    "Blue",
    "Northwind",
    "Contoso",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Massive",
    "Pied",
    "Oceanic",
    "Gringotts",
    "Monarch",
    "Nordlicht",
    "Müller",
    "Société",
    "Café",
    "Zenith",
    "Quantum",
    "Silver",
    "Red",
    "Green",
    "Polar",
)
NAME_B = (
    "Analytics",
    "Labs",
    "Systems",
    "Logistics",
    "Health",
    "Foods",
    "Media",
    "Robotics",
    "Capital",
    "Retail",
    "Works",
    "Dynamics",
    "Solutions",
    "Ventures",
    "Energy",
    "Software",
    "Cloud",
    "Data",
    "Studios",
    "Group",
)
NAME_SUFFIX = ("", "", "", " Inc", " GmbH", " Ltd", ", LLC", " & Co", " S.A.", ' "Holdings"')
FIRST_NAMES = (
    "anna",
    "ben",
    "carla",
    "david",
    "elena",
    "felix",
    "grace",
    "hiro",
    "ines",
    "jamal",
    "kim",
    "lena",
    "marco",
    "nina",
    "omar",
    "paula",
    "quinn",
    "rosa",
    "sam",
    "tara",
    "uwe",
    "vera",
    "wei",
    "yuki",
    "zoe",
)
LAST_NAMES = (
    "smith",
    "garcia",
    "mueller",
    "rossi",
    "tanaka",
    "kowalski",
    "dubois",
    "silva",
    "nguyen",
    "johnson",
    "brown",
    "schmidt",
    "lopez",
    "novak",
    "khan",
    "sato",
    "jensen",
    "moreau",
    "costa",
    "wright",
)
EVENT_NAMES = ("session_started", "feature_used", "report_exported", "teammate_invited", "integration_connected")
EVENT_P = (0.08, 0.70, 0.15, 0.04, 0.03)  # after the first event of a user-day (always session_started)
EXTRA_FEATURES = ("search", "settings")
PLATFORMS = ("web", "desktop", "mobile")
EXPORT_FORMATS = ("pdf", "csv")
INVITE_ROLES = ("member", "viewer")
INTEGRATIONS = ("salesforce", "hubspot", "zendesk", "slack")

COMMENTS_POSITIVE = (
    "Great product, love the dashboards!",
    'Super easy to use - the "reports" tab is a lifesaver',
    "Très bien, merci! Équipe réactive 🙂",
    "Sehr gut, die Übersicht ist prima.",
    "素晴らしいサービスです。日本語のサポートも良い",
    "Fast support, thanks",
    "Onboarding was smooth,\nthe team answered every question.",
)
COMMENTS_NEUTRAL = (
    "OK overall, but exports are slow",
    "Does the job.\nWould like more integrations.",
    'Fine, though "alerts" are noisy',
    "Ça va. Some pages load slowly, others are fine",
    "Works, mostly; pricing could be clearer",
)
COMMENTS_NEGATIVE = (
    "Too expensive for what we use, considering alternatives",
    "Support took 5 days to answer.\nNot acceptable.",
    'The "automations" keep failing, again',
    "Setup was painful, 使いにくい",
    "We barely use it anymore; renewal is unlikely",
    "Zu kompliziert für unser Team, über 3 Tickets offen 😞",
    'Billing charged us twice, "fixed" after a week',
)

# The planted voice of the customer (issue 17): accounts that will cancel complain about price
# and reliability, accounts that expand praise the integrations. English, so the sentiment
# model scores them; worded so the seed taxonomy (seeds/cx_theme_taxonomy.csv) finds the theme.
COMMENTS_CHURN = (
    "Way too expensive for what we get, the price keeps going up.",
    "The price is not worth it, we are looking at cheaper tools.",
    "Constant outages and bugs, the sync is broken again. Terrible.",
    "Reports crash every week, unreliable and frustrating.",
    "Too expensive and too many bugs, we will not renew.",
)
COMMENTS_EXPANDER = (
    "Love the Slack integration, it saves our team hours!",
    "The Salesforce integration is excellent, great work.",
    "Great integrations with our tools, and the API is a pleasure to use.",
)
# Personal data people put in comments, appended to a few: staging must redact every kind.
COMMENTS_PII = (
    " Call me on +44 20 7946 0958.",
    " Email me at anna.smith@example.com please.",
    " My colleague: j.doe+cx@mail.example.co.uk, (555) 123-4567.",
    " Screenshot: https://app.example.com/share?token=9f8e7d6c5b4a",
    " Refund to DE89 3704 0044 0532 0130 00.",
    " The card 4111 1111 1111 1111 was charged twice.",
)

NEVER = np.int64(1 << 40)  # a day number later than any real day
ID_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplication mod 2**48 is a bijection
ID_MASK = np.uint64((1 << 48) - 1)
TZ_SHIFT = np.array([0, 7200, -18000, 0], dtype=np.int64)
TZ_SUFFIX = ("Z", "+02:00", "-05:00", "")
TZ_P = (0.94, 0.025, 0.025, 0.01)
