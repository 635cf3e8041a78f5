"""Pure checks and calculations of the stock ledger; nothing here touches the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from ecerp_core.errors import Problem, problem
from ecerp_core.stock.models import INBOUND, MOVE_TYPES, OUTBOUND

Key = tuple[int, int]
"""A stock position: (product_id, warehouse_id)."""

COST_QUANTUM = Decimal("0.0001")


def check_move(
    product_id: object, quantity: object, move_type: str, unit_cost: Decimal | None
) -> list[Problem]:
    """Problems of one move: a known type, a non-zero whole quantity whose sign fits the type.

    >>> check_move(1, -2, "receipt", None)[0].code
    'problem.wrong_sign'
    """
    found = []
    if move_type not in MOVE_TYPES:
        found.append(problem("move_type", "not_a_choice", value=move_type, choices=", ".join(MOVE_TYPES)))
    if not isinstance(product_id, int) or isinstance(product_id, bool):
        found.append(problem("product", "required"))
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity == 0:
        found.append(problem("quantity", "not_whole_nonzero", value=quantity))
    elif (move_type in INBOUND and quantity < 0) or (move_type in OUTBOUND and quantity > 0):
        found.append(problem("quantity", "wrong_sign", value=quantity, move_type=move_type))
    if unit_cost is not None and (not isinstance(unit_cost, Decimal) or unit_cost < 0):
        found.append(problem("unit_cost", "below_minimum", value=unit_cost, min=0))
    return found


def moving_average(stock: int, average: Decimal, received: int, unit_cost: Decimal) -> Decimal:
    """The average cost after receiving ``received`` units at ``unit_cost`` onto ``stock`` units.

    Stock at or below zero carries no value, so the new average is the receipt's cost.

    >>> moving_average(10, Decimal("5"), 10, Decimal("7"))
    Decimal('6.0000')
    >>> moving_average(-3, Decimal("5"), 10, Decimal("7"))
    Decimal('7.0000')
    """
    if stock <= 0 or stock + received <= 0:
        return unit_cost.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)
    value = stock * average + received * unit_cost
    return (value / (stock + received)).quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)


def allocate(
    available: Mapping[Key, int], requests: Sequence[tuple[object, Mapping[Key, int]]]
) -> tuple[list[object], list[tuple[object, Key]]]:
    """Promise stock to documents in the given order, each document whole or not at all.

    ``requests`` is ``[(document, {key: qty})]``; returns the documents served and, for the others,
    the first position that was short. ``available`` is not changed.

    >>> allocate({(1, 1): 3}, [("a", {(1, 1): 2}), ("b", {(1, 1): 2}), ("c", {(1, 1): 1})])
    (['a', 'c'], [('b', (1, 1))])
    """
    left = dict(available)
    served, short = [], []
    for document, wanted in requests:
        lacking = next((key for key, qty in wanted.items() if left.get(key, 0) < qty), None)
        if lacking is not None:
            short.append((document, lacking))
            continue
        for key, qty in wanted.items():
            left[key] -= qty
        served.append(document)
    return served, short
