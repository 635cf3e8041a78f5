"""What every invariant check of ``ecerp check`` shares: its shape and how it lists failures.

Each area keeps its checks in ``<area>/checks.py`` as a ``CHECKS`` list of :data:`Check` functions;
:mod:`ecerp_core.checks` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

Check = Callable[[Session], list[str]]
"""``(session) -> failures``: one human-readable line per failure found, none when it holds."""

LIMIT = 20
"""Failures listed per check; a last line says how many more there were."""


def listed(name: str, failures: list[str]) -> list[str]:
    """The first :data:`LIMIT` failures, and a line counting the rest.

    >>> listed("stock", [f"f{i}" for i in range(22)])[-1]
    'stock: … 2 more'
    """
    if len(failures) > LIMIT:
        return [*failures[:LIMIT], f"{name}: … {len(failures) - LIMIT} more"]
    return failures
