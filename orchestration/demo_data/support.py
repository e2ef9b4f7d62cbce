"""support/tickets: support tickets as a support desk exports them, one row per ticket STATE
(created, first reply, solved, rated, closed), a ticket coming again in the file of the month
of each later state.

Planted signal (issue 16): accounts that will cancel, and at-risk accounts (low sentiment or
low adoption), open more tickets, more of them urgent, wait longer, reopen more and rate bad;
a churner's bad rating comes with a comment on what the planted churn themes say (price,
reliability: vocab.COMMENTS_CHURN), so the support voice agrees with the surveys'.

Every draw comes from a stream of its own (``[seed, 16]``), after every other entity: adding
support data changes no other byte of the demo.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from orchestration.contract import ENTITY_BY_TABLE, TICKET_CHANNELS
from orchestration.demo_data.surveys import _random_days
from orchestration.demo_data.vocab import COMMENTS_CHURN, COMMENTS_NEGATIVE, COMMENTS_PII, COMMENTS_POSITIVE, NEVER
from orchestration.demo_data.world import World

HOUR = 3600
CHANNEL_P = (0.45, 0.25, 0.15, 0.05, 0.05, 0.05)  # email, web, chat, phone, api, other
PRIORITIES = ("low", "normal", "high", "urgent")
# Median hours to the first public reply, per priority (low .. urgent): urgent is answered first.
REPLY_HOURS = np.array([16.0, 8.0, 3.0, 1.0])
CLOSE_AFTER = 4 * 86400  # a solved ticket closes 4 days later (the desk's automation)
COLUMN = {name: k for k, name in enumerate(ENTITY_BY_TABLE["support_tickets"].column_names)}


def _risk(w: World, acct: np.ndarray, day: np.ndarray) -> np.ndarray:
    """0..1: how unhappy the account is at ``day`` (approaching cancellation, low sentiment,
    low adoption): the one driver of every planted support signal."""
    risk = 0.15 + 0.55 * w.penalty(acct, day)
    risk += 0.2 * (w.sentiment[acct] < -0.5) + 0.15 * (w.adoption[acct] < 0.3)
    return np.clip(risk, 0.0, 1.0)


def _draw(w: World, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every ticket's account, times (epoch seconds, NEVER when it did not happen) and attributes."""
    size = np.array([1.0, 2.0, 4.0])[w.segment]
    churny = np.where(w.churn_day != NEVER, 2.0, 1.0) * np.where(w.sentiment < -0.5, 1.5, 1.0)
    acct, day = _random_days(w, rng, 0.01 * size * churny)
    order = np.lexsort((acct, day))
    acct, day = acct[order], day[order]
    n = len(acct)
    risk = _risk(w, acct, day)
    created = day * 86400 + rng.integers(7 * HOUR, 19 * HOUR, n)
    u = rng.random(n)
    # urgent 5% .. 35% with risk; the rest split low / normal / high 20 / 55 / 25
    urgent = u < 0.05 + 0.3 * risk
    rest = rng.choice(3, n, p=[0.2, 0.55, 0.25])
    priority = np.where(urgent, 3, rest)
    channel = rng.choice(len(TICKET_CHANNELS), n, p=CHANNEL_P)
    reply = created + (REPLY_HOURS[priority] * (1 + risk) * np.exp(rng.normal(0, 0.7, n)) * HOUR).astype(np.int64)
    replied = rng.random(n) < 0.97  # a few are solved without a public reply (a duplicate, spam)
    reply = np.where(replied, reply, NEVER)
    start = np.where(replied, reply, created)
    solved = start + (24 * (1 + 2 * risk) * np.exp(rng.normal(0, 0.9, n)) * HOUR).astype(np.int64)
    reopens = np.minimum(rng.poisson(0.08 + 0.5 * risk), 3)
    # each reopen adds another round until the LAST solve
    solved = solved + reopens * (rng.integers(12, 72, n) * HOUR)
    offered = rng.random(n) < 0.7
    answered = offered & (rng.random(n) < 0.5)
    bad = rng.random(n) < 0.08 + 0.6 * risk
    rated = solved + rng.integers(HOUR, 72 * HOUR, n)
    comment_u = rng.random(n)
    pick = rng.integers(0, 1 << 30, n)
    pii = rng.random(n) < 0.05
    requester = w.first_user[acct] + (rng.random(n) * w.n_users[acct]).astype(np.int64)
    return {
        "acct": acct,
        "created": created,
        "priority": priority,
        "channel": channel,
        "reply": reply,
        "solved": solved,
        "reopens": reopens,
        "offered": offered,
        "answered": answered,
        "bad": bad,
        "rated": rated,
        "comment_u": comment_u,
        "pick": pick,
        "pii": pii,
        "requester": requester,
        "churner": w.churn_day[acct] != NEVER,
    }


def _comment(t: dict[str, np.ndarray], i: int) -> str:
    """The rating's free text: most bad ratings say why (a churner: the planted churn themes),
    some good ones thank; a few carry personal data staging must redact."""
    pick = int(t["pick"][i])
    if t["bad"][i] and t["comment_u"][i] < 0.7:
        pool = COMMENTS_CHURN if t["churner"][i] else COMMENTS_NEGATIVE
    elif not t["bad"][i] and t["comment_u"][i] < 0.3:
        pool = COMMENTS_POSITIVE
    else:
        return ""
    text = pool[pick % len(pool)]
    return text + COMMENTS_PII[pick % len(COMMENTS_PII)] if t["pii"][i] else text


def _states(w: World, t: dict[str, np.ndarray], i: int) -> list[tuple[int, list[str]]]:
    """(updated_at, row) of each state of ticket ``i`` written by the end of the demo."""
    end, ts = w.end_ts, lambda s: w.clock.ts(np.array([s]))[0]
    created, reply, solved = int(t["created"][i]), int(t["reply"][i]), int(t["solved"][i])
    rated = int(t["rated"][i]) if t["answered"][i] else NEVER
    reopens = int(t["reopens"][i])
    base = [
        f"tkt_{i + 1:07d}",
        w.acct_ids[t["acct"][i]],
        ts(created),
        "",  # updated_at, per state
        "new",
        PRIORITIES[t["priority"][i]],
        TICKET_CHANNELS[t["channel"][i]],
        "",  # first_reply_at
        "",  # solved_at
        "0",
        "unoffered",
        "",  # satisfaction_comment
        "",  # satisfaction_rated_at
        f"user{int(t['requester'][i]) + 1}@example.com",
    ]
    states: list[tuple[int, list[str]]] = [(created, base)]

    def state(at: int, **values: str) -> None:
        row = list(states[-1][1])
        for name, value in values.items():
            row[COLUMN[name]] = value
        row[COLUMN["updated_at"]] = ts(at)
        states.append((at, row))

    base[COLUMN["updated_at"]] = ts(created)
    if reply <= end:
        state(reply, status="open", first_reply_at=ts(reply))
    if solved <= end:
        # the state after the last solve: the reopens before it are counted in it
        state(
            solved,
            status="solved",
            solved_at=ts(solved),
            reopens=str(reopens),
            satisfaction_rating="offered" if t["offered"][i] else "unoffered",
        )
        if rated <= end and rated < solved + CLOSE_AFTER:
            rating = "bad" if t["bad"][i] else "good"
            state(
                rated, satisfaction_rating=rating, satisfaction_comment=_comment(t, i), satisfaction_rated_at=ts(rated)
            )
        if solved + CLOSE_AFTER <= end:
            state(solved + CLOSE_AFTER, status="closed")
    elif reply <= end and t["priority"][i] != 3 and (int(t["pick"][i]) % 4 == 0):
        state(reply + 1, status="pending")  # waiting on the requester
    return states


def ticket_rows(w: World) -> tuple[list[list[str]], list[str]]:
    """Rows and their file keys (the month of updated_at): a ticket's last state of each month,
    so no file holds one ticket twice (the loader would quarantine the older state)."""
    rng = np.random.default_rng([w.seed, 16])
    tickets = _draw(w, rng)
    latest: dict[tuple[str, int], list[str]] = defaultdict(list)
    for i in range(len(tickets["acct"])):
        for at, row in _states(w, tickets, i):
            latest[(w.clock.day(at // 86400)[:7], i)] = row
    ordered = sorted(latest.items(), key=lambda item: (item[0][0], item[0][1]))
    return [row for _, row in ordered], [month for (month, _), _ in ordered]
