"""Pure rules of purchasing: replenishment quantities. The workflow is
:mod:`ecerp_core.purchasing.workflow`."""

from __future__ import annotations


def reorder_quantity(projected: int, minimum: int, maximum: int, moq: int) -> int:
    """How much to order when ``projected`` stock (available + on order − paid orders waiting) is below
    ``minimum``.

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
