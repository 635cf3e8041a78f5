"""Pure rules of purchasing: the workflow and replenishment quantities."""

from __future__ import annotations

from ecerp_core.errors import Problem, problem

STATUSES = ("draft", "confirmed", "partially_received", "received", "closed", "cancelled")

TRANSITIONS: frozenset[tuple[str, str]] = frozenset({
    ("draft", "confirmed"),
    ("draft", "cancelled"),
    ("confirmed", "partially_received"),
    ("confirmed", "received"),
    ("partially_received", "partially_received"),
    ("partially_received", "received"),
    ("confirmed", "cancelled"),
    ("partially_received", "closed"),   # the rest will never come
    ("received", "closed"),
})  # fmt: skip
"""The purchase order workflow, declared once."""


def transition_problem(number: str, current: str, target: str) -> Problem | None:
    if (current, target) in TRANSITIONS:
        return None
    return problem("status", "transition_not_allowed", order=number,
                   from_status=f"status.{current}", to_status=f"status.{target}")  # fmt: skip


def reorder_quantity(projected: int, minimum: int, maximum: int, moq: int) -> int:
    """How much to order when ``projected`` stock (on hand − reserved + on order) is below ``minimum``.

    Order up to ``maximum``, at least the supplier's minimum order quantity; 0 when not needed.

    >>> reorder_quantity(5, 10, 40, 50)
    50
    >>> reorder_quantity(5, 10, 40, 1)
    35
    >>> reorder_quantity(12, 10, 40, 1)
    0
    """
    if projected >= minimum:
        return 0
    return max(maximum - projected, moq, 1)
