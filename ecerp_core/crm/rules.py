"""Pure rules of the customer area: matching keys for merge suggestions, tier rules, RFM scores and
segments. No database here; every function is checked by its examples."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise
from typing import NamedTuple

TIER_ORDER = ("normal", "silver", "gold", "vip")
"""Tiers from lowest to highest (普通 / 银卡 / 金卡 / VIP)."""


def normal_phone(text: str) -> str:
    """A phone number reduced to its digits, without a country prefix; "" when masked or too short.

    >>> normal_phone("+86 138-0013-8000"), normal_phone("0086 13800138000")
    ('13800138000', '13800138000')
    >>> normal_phone("138****8000"), normal_phone("12")
    ('', '')
    """
    if "*" in (text or ""):
        return ""
    digits = re.sub(r"\D", "", text or "")
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if len(digits) >= 7 else ""


def normal_email(text: str) -> str:
    """An e-mail address lower-cased and trimmed; "" when masked or not an address.

    >>> normal_email(" Li.Lei@Example.COM "), normal_email("l***@qq.com")
    ('li.lei@example.com', '')
    """
    text = (text or "").strip().lower()
    return text if "@" in text and "*" not in text else ""


def normal_text(text: str) -> str:
    """Text folded for comparison: full-width to half-width, lower case, no spaces or punctuation.

    >>> normal_text("张 三，"), normal_text("Main St. 5")
    ('张三', 'mainst5')
    """
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if ch.isalnum())


def match_keys(name: str, phone: str, email: str, address: str) -> list[tuple[str, str]]:
    """The keys two records of one person would share: ``("phone", ...)``, ``("email", ...)``,
    ``("name_address", ...)``; masked or empty parts give no key.

    >>> match_keys("王芳", "138 0013 8000", "", "上海市 浦东新区 1号")
    [('phone', '13800138000'), ('name_address', '王芳|上海市浦东新区1号')]
    >>> match_keys("王*", "138****8000", "", "")
    []
    """
    keys = []
    if phone := normal_phone(phone):
        keys.append(("phone", phone))
    if email := normal_email(email):
        keys.append(("email", email))
    n, a = normal_text(name), normal_text(address)
    if n and a and "*" not in (name or "") + (address or "") and len(a) >= 4:
        keys.append(("name_address", f"{n}|{a}"))
    return keys


class TierRuleValue(NamedTuple):
    """At least ``min_spend`` and ``min_orders`` over the window reach ``tier``."""

    tier: str
    min_spend: Decimal
    min_orders: int


DEFAULT_TIER_RULES = (
    TierRuleValue("silver", Decimal("1000"), 2),
    TierRuleValue("gold", Decimal("5000"), 5),
    TierRuleValue("vip", Decimal("20000"), 10),
)
"""The rules until the company sets its own: spend and orders over 12 months."""


def tier_for(spend: Decimal, orders: int, rules: Sequence[TierRuleValue]) -> str:
    """The highest tier whose spend and order count are both reached; ``normal`` otherwise.

    >>> tier_for(Decimal("5000"), 5, DEFAULT_TIER_RULES)
    'gold'
    >>> tier_for(Decimal("4999.99"), 30, DEFAULT_TIER_RULES)
    'silver'
    >>> tier_for(Decimal("99999"), 1, DEFAULT_TIER_RULES)
    'normal'
    """
    best = "normal"
    for rule in rules:
        reached = spend >= rule.min_spend and orders >= rule.min_orders
        if reached and TIER_ORDER.index(rule.tier) > TIER_ORDER.index(best):
            best = rule.tier
    return best


def tier_rule_problems(rules: Sequence[TierRuleValue]) -> list[tuple[str, str]]:
    """What is wrong with a set of tier rules, as ``(tier, problem code)``: an unknown tier, a
    negative threshold, or a higher tier asking less than a lower one.

    >>> tier_rule_problems(DEFAULT_TIER_RULES)
    []
    >>> low_gold = [TierRuleValue("gold", Decimal("10"), 1), TierRuleValue("silver", Decimal("50"), 1)]
    >>> tier_rule_problems(low_gold)
    [('gold', 'tier_below_lower')]
    """
    found = []
    for r in rules:
        if r.tier not in TIER_ORDER[1:]:
            found.append((r.tier, "unknown_ref"))
        elif r.min_spend < 0 or r.min_orders < 0:
            found.append((r.tier, "negative"))
    ranked = sorted((r for r in rules if r.tier in TIER_ORDER), key=lambda r: TIER_ORDER.index(r.tier))
    for lower, higher in pairwise(ranked):
        if higher.min_spend < lower.min_spend or higher.min_orders < lower.min_orders:
            found.append((higher.tier, "tier_below_lower"))
    return found


def quintile_scores(values: Sequence[float | Decimal | int], higher_is_better: bool = True) -> list[int]:
    """Scores 1-5 by quintile: a value's score is 1 + 5 × (share of values strictly worse than it),
    rounded down, so ties share a score and the best fifth scores 5.

    >>> quintile_scores([10, 20, 30, 40, 50])
    [1, 2, 3, 4, 5]
    >>> quintile_scores([3, 1, 1, 1, 9, 2])
    [4, 1, 1, 1, 5, 3]
    >>> quintile_scores([5, 40], higher_is_better=False)
    [3, 1]
    """
    n = len(values)
    ordered = sorted(values)
    scores = []
    for v in values:
        worse = bisect_left(ordered, v) if higher_is_better else n - bisect_right(ordered, v)
        scores.append(1 + (5 * worse) // n)
    return scores


SEGMENTS = (
    "important_value",
    "important_develop",
    "important_keep",
    "important_retain",
    "general_value",
    "general_develop",
    "general_keep",
    "general_retain",
)
"""The eight RFM segments (重要价值 ... 一般挽留), catalogue keys ``rfm.segment.<code>``."""


def rfm_segment(r: int, f: int, m: int) -> str:
    """The segment of R, F, M scores (1-5; 3 and above count as high).

    Money decides important/general; recency and frequency decide value (both high), develop
    (recent, seldom), keep (frequent, not recent) and retain (neither).

    >>> rfm_segment(5, 5, 5), rfm_segment(5, 1, 4), rfm_segment(2, 4, 3), rfm_segment(1, 1, 3)
    ('important_value', 'important_develop', 'important_keep', 'important_retain')
    >>> rfm_segment(3, 3, 2), rfm_segment(4, 2, 1), rfm_segment(2, 3, 1), rfm_segment(1, 1, 1)
    ('general_value', 'general_develop', 'general_keep', 'general_retain')
    """
    value = "important" if m >= 3 else "general"
    recent, frequent = r >= 3, f >= 3
    kind = {(True, True): "value", (True, False): "develop", (False, True): "keep", (False, False): "retain"}
    return f"{value}_{kind[(recent, frequent)]}"
