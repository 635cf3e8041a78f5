"""A document's workflow as data: its statuses and the moves allowed between them, declared once.

Each kind of document (order, purchase order, transfer, stocktake, after-sales case, period)
declares one :class:`Workflow` in the module that is the only writer of its status; every status
change is checked against it, and a batch that asks for moves it does not allow is refused whole,
naming every document.

>>> order = Workflow("order", frozenset({("paid", "approved"), ("approved", "shipped")}))
>>> order.allows("paid", "approved"), order.allows("paid", "shipped")
(True, False)
>>> order.problem("T1", "paid", "shipped").code
'problem.transition_not_allowed'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecerp_core.errors import Problem, TransitionNotAllowed, problem


@dataclass(frozen=True)
class Workflow:
    """document: what the document is called in messages; transitions: the allowed
    ``(from, to)`` moves; label: the catalogue prefix of its status names (``status.paid``)."""

    document: str
    transitions: frozenset[tuple[str, str]]
    label: str = "status"

    def allows(self, current: str, target: str) -> bool:
        return (current, target) in self.transitions

    def problem(self, number: object, current: str, target: str) -> Problem | None:
        """The problem with moving document ``number`` from ``current`` to ``target``, or None."""
        if self.allows(current, target):
            return None
        return problem(
            "status",
            "transition_not_allowed",
            order=number,
            from_status=f"{self.label}.{current}",
            to_status=f"{self.label}.{target}",
        )

    def check(self, moves: Iterable[tuple[object, str, str]]) -> None:
        """Raise :class:`TransitionNotAllowed` naming every ``(number, current, target)`` not allowed."""
        found = [p for number, current, target in moves if (p := self.problem(number, current, target))]
        if found:
            raise TransitionNotAllowed(found)
