"""survey/invitations and survey/responses: relationship NPS waves, support CSAT/CES after tickets,
product CES, onboarding, billing and renewal CSAT, responses within a week and in-app responses.

Planted signal: scores fall with low adoption, low sentiment and an approaching cancellation
(more NPS detractors, lower CSAT, higher CES), and unhappy respondents comment more.

All draws come from their own stream (``[seed, 2]``) in a fixed order: invitations first,
then responses, then scores and comments. The planted voice of the customer (issue 17: what
churners and expanders write, and personal data in a few comments) draws from a stream of its
own (``[seed, 11]``), so it changes no other number of the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.contract import SCORE_SCALES
from orchestration.demo_data.formatting import quarter
from orchestration.demo_data.vocab import (
    COMMENTS_CHURN,
    COMMENTS_EXPANDER,
    COMMENTS_NEGATIVE,
    COMMENTS_NEUTRAL,
    COMMENTS_PII,
    COMMENTS_POSITIVE,
    NEVER,
    TZ_P,
)
from orchestration.demo_data.world import World

# (accounts, days, survey type, touchpoint, survey id) of one kind of invitation
Part = tuple[np.ndarray, np.ndarray, str, str, str]


@dataclass
class _Sent:
    """Every invitation, in sending order: the columns responses are drawn from."""

    acct: np.ndarray
    sent: np.ndarray
    types: np.ndarray
    touch: np.ndarray
    sids: np.ndarray
    contacts: list[str]
    inv_ids: list[str]


@dataclass
class _Answers:
    """Every response (to an invitation, then in-app), unordered."""

    acct: np.ndarray
    time: np.ndarray
    types: np.ndarray
    touch: np.ndarray
    sids: np.ndarray
    inv: list[str]
    contacts: list[str]


def survey_rows(w: World, billing: dict) -> tuple[list[list[str]], list[str], list[list[str]], list[str]]:
    rng = np.random.default_rng([w.seed, 2])
    parts = _parts(w, rng, billing)
    sent = _send(w, rng, parts)
    tz = rng.choice(4, len(sent.acct), p=TZ_P).astype(np.int8)
    sent_s = w.clock.ts(sent.sent, tz)
    invitations = [
        [
            sent.inv_ids[i],
            sent.sids[i],
            sent.types[i],
            sent.touch[i],
            w.acct_ids[sent.acct[i]],
            sent.contacts[i],
            sent_s[i],
        ]
        for i in range(len(sent.acct))
    ]
    inv_keys = [w.clock.day(d)[:7] for d in (sent.sent // 86400).tolist()]
    answers = _answers(w, rng, sent)
    responses, resp_keys = _response_rows(w, rng, answers)
    return invitations, inv_keys, responses, resp_keys


def _parts(w: World, rng: np.random.Generator, billing: dict) -> list[Part]:
    D0, D1, n = w.D0, w.D1, w.n
    parts: list[Part] = []
    # relationship NPS, quarterly per account
    offset = rng.integers(0, 91, n)
    waves = (D1 - D0) // 91 + 2
    acct = np.repeat(np.arange(n), waves)
    day = D0 + offset[acct] + 91 * (np.arange(len(acct)) % waves)
    keep = (day <= D1) & w.active(acct, day)
    parts.append((acct[keep], day[keep], "nps", "relationship", "quarter"))

    size = np.array([1.0, 2.0, 4.0])[w.segment]
    churny = np.where(w.churn_day != NEVER, 1.5, 1.0)
    t_acct, t_day = _random_days(w, rng, 0.012 * size * churny)  # support tickets
    pick = rng.random(len(t_acct))
    parts.append((t_acct[pick < 0.8], t_day[pick < 0.8] + 1, "csat", "support", "csat_support"))
    pick = rng.random(len(t_acct))
    parts.append((t_acct[pick < 0.35], t_day[pick < 0.35] + 1, "ces", "support", "ces_support"))
    p_acct, p_day = _random_days(w, rng, np.full(n, 1 / 60))
    parts.append((p_acct, p_day, "ces", "product", "ces_product"))
    onb = np.flatnonzero(w.first_start >= D0)
    onb_day = w.first_start[onb] + 21
    ok = (onb_day <= D1) & w.active(onb, onb_day)
    parts.append((onb[ok], onb_day[ok], "csat", "onboarding", "csat_onboarding"))
    if billing:
        parts.append((billing["acct"], billing["day"], "csat", "billing", "csat_billing"))
    if w.renewals:
        r = np.array(w.renewals, dtype=np.int64)
        parts.append((r[:, 0], r[:, 1] + 3, "csat", "renewal", "csat_renewal"))
    return parts


def _random_days(w: World, rng: np.random.Generator, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(``rate`` per active day) days per account, uniform over the account's active span."""
    D0, D1, n = w.D0, w.D1, w.n
    active_days = np.zeros(n)
    for j in range(w.iv_from.shape[1]):
        lo = np.maximum(w.iv_from[:, j], D0)
        hi = np.minimum(w.iv_to[:, j], D1 + 1)
        active_days += np.maximum(0, hi - lo)
    hull_lo = np.maximum(w.iv_from.min(axis=1), D0)
    hull_hi = np.minimum(np.where(w.iv_to == NEVER, D1 + 1, w.iv_to).max(axis=1), D1 + 1)
    count = rng.poisson(rate * active_days)
    acct = np.repeat(np.arange(n), count)
    width = np.maximum(hull_hi - hull_lo, 1)[acct]
    day = hull_lo[acct] + (rng.random(len(acct)) * width).astype(np.int64)
    ok = w.active(acct, day)
    return acct[ok], day[ok]


def _send(w: World, rng: np.random.Generator, parts: list[Part]) -> _Sent:
    accts, days_, types, touch, sids = [], [], [], [], []
    for acct, day, typ, tp, sid in parts:
        keep = day <= w.D1
        acct, day = acct[keep], day[keep]
        if typ == "nps":
            # several contacts per wave, more in bigger accounts
            k = np.minimum(w.n_users[acct], 1 + rng.poisson(np.array([0.3, 1.0, 2.5])[w.segment[acct]]))
            acct, day = np.repeat(acct, k), np.repeat(day, k)
            sid_list = [f"nps_relationship_{quarter(w.clock.day(d))}" for d in day.tolist()]
        else:
            sid_list = [sid] * len(acct)
        accts.append(acct)
        days_.append(day)
        types += [typ] * len(acct)
        touch += [tp] * len(acct)
        sids += sid_list
    acct = np.concatenate(accts).astype(np.int64)
    day = np.concatenate(days_).astype(np.int64)
    m = len(acct)
    sent = day * 86400 + rng.integers(6 * 3600, 22 * 3600, m)
    contact_user = w.first_user[acct] + (rng.random(m) * w.n_users[acct]).astype(np.int64)
    external = rng.random(m) < 0.15
    order = np.lexsort((np.arange(m), sent))
    contact_user, external = contact_user[order], external[order]
    contacts = [
        f"contact_{i + 1:06d}" if e else f"usr_{u + 1:07d}"
        for i, (u, e) in enumerate(zip(contact_user.tolist(), external.tolist(), strict=True))
    ]
    return _Sent(
        acct=acct[order],
        sent=sent[order],
        types=np.array(types, dtype=object)[order],
        touch=np.array(touch, dtype=object)[order],
        sids=np.array(sids, dtype=object)[order],
        contacts=contacts,
        inv_ids=[f"sinv_{i + 1:08d}" for i in range(m)],
    )


def _answers(w: World, rng: np.random.Generator, s: _Sent) -> _Answers:
    # responses to invitations (~35% within 0-7 days)
    m = len(s.acct)
    responds = rng.random(m) < 0.35
    delay = np.minimum(rng.exponential(1.2 * 86400, m), 7 * 86400 - 1).astype(np.int64)
    responded = s.sent + delay
    responds &= responded <= w.end_ts
    r_idx = np.flatnonzero(responds)
    # in-app responses without invitation (~10% of all responses)
    k = int(round(len(r_idx) / 9))
    ia_acct = rng.integers(0, w.n, k * 3)
    ia_day = w.D0 + rng.integers(0, w.D1 - w.D0 + 1, k * 3)
    ok = w.active(ia_acct, ia_day)
    ia_acct, ia_day = ia_acct[ok][:k], ia_day[ok][:k]
    k = len(ia_acct)
    ia_type = np.where(rng.random(k) < 0.5, "nps", "csat").astype(object)
    ia_touch = np.where(ia_type == "nps", "relationship", "product").astype(object)
    ia_sid = np.where(ia_type == "nps", "nps_in_app", "csat_in_app").astype(object)
    ia_user = w.first_user[ia_acct] + (rng.random(k) * w.n_users[ia_acct]).astype(np.int64)
    ia_time = np.minimum(ia_day * 86400 + rng.integers(6 * 3600, 22 * 3600, k), w.end_ts)
    return _Answers(
        acct=np.concatenate([s.acct[r_idx], ia_acct]).astype(np.int64),
        time=np.concatenate([responded[r_idx], ia_time]).astype(np.int64),
        types=np.concatenate([s.types[r_idx], ia_type]),
        touch=np.concatenate([s.touch[r_idx], ia_touch]),
        sids=np.concatenate([s.sids[r_idx], ia_sid]),
        inv=[s.inv_ids[i] for i in r_idx.tolist()] + [""] * k,
        contacts=[s.contacts[i] for i in r_idx.tolist()] + [f"usr_{u + 1:07d}" for u in ia_user.tolist()],
    )


def _scores(w: World, rng: np.random.Generator, a: _Answers) -> np.ndarray:
    q = len(a.acct)
    pen = w.penalty(a.acct, a.time // 86400)
    z = w.sentiment[a.acct] + 0.8 * (w.adoption[a.acct] - 0.5)
    noise = rng.normal(0.0, 1.0, q)
    score = np.empty(q, dtype=np.int64)
    for typ, (lo, hi) in SCORE_SCALES.items():
        sel = a.types == typ
        if typ == "nps":
            mu = 7.8 + 1.2 * z - 4.5 * pen
            sd = 1.5
        elif typ == "csat":
            mu = 4.1 + 0.5 * z - 2.0 * pen
            sd = 0.7
        else:  # ces: higher = more effort
            mu = 2.8 - 0.6 * z + 3.0 * pen
            sd = 0.9
        score[sel] = np.clip(np.round(mu[sel] + sd * noise[sel]), lo, hi).astype(np.int64)
    return score


def _comments(w: World, rng: np.random.Generator, a: _Answers, score: np.ndarray) -> list[str]:
    """More likely from unhappy respondents; the pool follows how good the score is on its scale."""
    q = len(score)
    good = np.zeros(q)
    for typ, (lo, hi) in SCORE_SCALES.items():
        sel = a.types == typ
        frac = (score[sel] - lo) / (hi - lo)
        good[sel] = 1 - frac if typ == "ces" else frac
    has_comment = rng.random(q) < np.where(good < 0.5, 0.5, 0.25)
    pick = rng.integers(0, 1000, q)
    comments = []
    for c, g, p in zip(has_comment.tolist(), good.tolist(), pick.tolist(), strict=True):
        pool = COMMENTS_NEGATIVE if g < 0.45 else COMMENTS_NEUTRAL if g < 0.75 else COMMENTS_POSITIVE
        comments.append(pool[p % len(pool)] if c else "")
    return _voice(w, a, good, comments)


def _voice(w: World, a: _Answers, good: np.ndarray, comments: list[str]) -> list[str]:
    """The planted story, on its own stream: most comments of accounts that will cancel, unless
    the score is good, are about price or reliability; most good comments of accounts that
    expand (adoption > 0.55 drives expansions, subscriptions.py) praise the integrations; the
    last comments carry one kind of personal data each, and 3% of the others one of them."""
    side = np.random.default_rng([w.seed, 11])
    q = len(comments)
    churner = w.churn_day[a.acct] != NEVER
    expander = ~churner & (w.adoption[a.acct] > 0.55)
    swap, pick, pii, pii_pick = side.random(q), side.integers(0, 1000, q), side.random(q), side.integers(0, 1000, q)
    # Every kind at least once, even in a small demo: on the last comments (the bad-input
    # cases of bad_input.py rewrite the first rows of a file).
    given = [i for i, text in enumerate(comments) if text]
    planted = {i: k for k, i in enumerate(given[-len(COMMENTS_PII) :])}
    out = []
    for i, text in enumerate(comments):
        if text and churner[i] and good[i] < 0.75 and swap[i] < 0.7:
            text = COMMENTS_CHURN[pick[i] % len(COMMENTS_CHURN)]
        elif text and expander[i] and good[i] >= 0.75 and swap[i] < 0.6:
            text = COMMENTS_EXPANDER[pick[i] % len(COMMENTS_EXPANDER)]
        if i in planted:
            text += COMMENTS_PII[planted[i]]
        elif text and pii[i] < 0.03:
            text += COMMENTS_PII[pii_pick[i] % len(COMMENTS_PII)]
        out.append(text)
    return out


def _response_rows(w: World, rng: np.random.Generator, a: _Answers) -> tuple[list[list[str]], list[str]]:
    score = _scores(w, rng, a)
    comments = _comments(w, rng, a, score)
    q = len(a.acct)
    order = np.lexsort((np.arange(q), a.time))
    tz = rng.choice(4, q, p=TZ_P).astype(np.int8)
    resp_s = w.clock.ts(a.time, tz)
    responses = []
    resp_keys = []
    for rank, i in enumerate(order.tolist()):
        responses.append(
            [
                f"resp_{rank + 1:08d}",
                a.inv[i],
                a.sids[i],
                a.types[i],
                a.touch[i],
                w.acct_ids[a.acct[i]],
                a.contacts[i],
                str(score[i]),
                comments[i],
                resp_s[i],
            ]
        )
        resp_keys.append(w.clock.day(int(a.time[i] // 86400))[:7])
    return responses, resp_keys
