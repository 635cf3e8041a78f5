"""Pure rules of purchasing: replenishment quantities and min / max levels. The workflow is
:mod:`ecerp_core.purchasing.workflow`."""

from __future__ import annotations

import math


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


def min_max_from_rate(
    rate: float, lead_days: int, moq: int, *, safety_days: int = 7, cover_days: int = 28
) -> tuple[int, int]:
    """A product's minimum and maximum in a warehouse from what it sells a day there (``rate``).

    The minimum covers the supplier's lead time plus ``safety_days``: below it, order now. The
    maximum adds ``cover_days`` of sales, and is at least the minimum plus the supplier's minimum
    order quantity (one order of the MOQ lands there), so a receipt never raises an overstock alert.
    A product that did not sell keeps a minimum of 0 and a maximum of one MOQ.

    >>> min_max_from_rate(2.0, 10, 50)
    (34, 90)
    >>> min_max_from_rate(0.2, 12, 100)
    (4, 104)
    >>> min_max_from_rate(0.0, 12, 100)
    (0, 100)
    """
    minimum = math.ceil(rate * (lead_days + safety_days)) if rate > 0 else 0
    maximum = max(minimum + math.ceil(rate * cover_days), minimum + max(moq, 1))
    return minimum, maximum
