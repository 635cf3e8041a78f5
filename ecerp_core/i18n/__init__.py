"""The message catalogue: every text shown to people, in zh_CN and en.

Keys are dotted (``error.permission_denied``); values are ``str.format`` templates. Each business
area adds its keys to ``zh_CN.json`` and ``en.json``; a test keeps the two key sets equal.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from ecerp_core.config import load_settings

LANGUAGES = ("zh_CN", "en")
_HERE = Path(__file__).parent
_current: ContextVar[str | None] = ContextVar("ecerp_language", default=None)


@cache
def catalogue(language: str) -> dict[str, str]:
    with (_HERE / f"{language}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def current_language() -> str:
    """The language chosen for this context, else the configured default."""
    chosen = _current.get()
    if chosen:
        return chosen

    return load_settings().language


def set_language(language: str) -> None:
    """Choose the language of messages for the current context (a kernel, a CLI run)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; choose one of {', '.join(LANGUAGES)}")
    _current.set(language)


def reset_language() -> None:
    """Forget the chosen language: messages follow the configured default again."""
    _current.set(None)


class Lazy:
    """A message translated only when shown, so an error raised in one language reads right in
    another (``ImportFileError(reason=lazy("reason.empty"))``)."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: object) -> None:
        self.key, self.params = key, params

    def text(self, language: str | None = None) -> str:
        return t(self.key, language, **self.params)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"lazy({self.key!r})"


lazy = Lazy


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, language: str | None = None, /, **params: object) -> str:
    """Translate ``key`` into ``language`` (default: the current one) and fill in ``params``.

    >>> t("common.save", "en")
    'Save'
    >>> t("common.save", "zh_CN")
    '保存'
    """
    language = language or current_language()
    template = catalogue(language).get(key) or catalogue("en").get(key) or key
    return template.format_map(_Missing({k: _display(v, language) for k, v in params.items()}))


def t_or(key: str, default: str, language: str | None = None) -> str:
    """The translation of ``key``, or ``default`` when no catalogue has it (a code shown as it is).

    >>> t_or("choice.platform.jd", "jd", "zh_CN"), t_or("choice.platform.mystery", "mystery", "en")
    ('京东', 'mystery')
    """
    text = t(key, language)
    return default if text == key else text


def _display(value: object, language: str) -> object:
    """Translate parameter values that are themselves catalogue keys (e.g. field names)."""
    if isinstance(value, Lazy):
        return value.text(language)
    if isinstance(value, str) and value.startswith(("field.", "entity.", "role.", "status.", "permission.")):
        return catalogue(language).get(value, value)
    return value
