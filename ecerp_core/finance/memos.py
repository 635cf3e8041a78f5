"""Memos kept language-neutral: a memo the system writes is stored as its catalogue key and
parameters, and each reader sees it in their own language; a memo a person typed stays as typed.

>>> text = memo("finance.memo.closing", period="2026-10")
>>> shown(text, "en")
'2026-10: profit and loss carried to current year profit'
>>> shown(text, "zh_CN")
'2026-10 期末结转损益至本年利润'
>>> shown("补录发票", "en")
'补录发票'

A parameter that is itself a catalogue key (``finance.kind.sale.shipped``) is shown translated too.
"""

from __future__ import annotations

import json

from ecerp_core.i18n import catalogue, current_language, t

MARK = "§"


def memo(key: str, /, **params: object) -> str:
    """The stored form of the catalogue message ``key`` with ``params`` (strings and numbers)."""
    return MARK + json.dumps([key, params], ensure_ascii=False, separators=(",", ":"), default=str)


def shown(text: str | None, language: str | None = None) -> str:
    """A stored memo in ``language`` (default: the current one); any other text as it is."""
    if not text or not text.startswith(MARK):
        return text or ""
    try:
        key, params = json.loads(text[len(MARK) :])
    except (ValueError, TypeError):
        return text
    if not isinstance(key, str) or not isinstance(params, dict):
        return text
    language = language or current_language()
    words = catalogue(language)
    return t(key, language, **{k: words.get(v, v) if isinstance(v, str) else v for k, v in params.items()})
