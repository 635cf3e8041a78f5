"""Pure checks and calculations of the stock ledger; nothing here touches the database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from ecerp_core.errors import Problem, problem
from ecerp_core.stock.models import INBOUND, MOVE_TYPES, OUTBOUND
from ecerp_core.workflow import Workflow

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


TRANSFER = Workflow(
    "transfer",
    frozenset({
        ("draft", "in_transit"),
        ("draft", "cancelled"),
        ("in_transit", "partially_received"),
        ("in_transit", "received"),
        ("partially_received", "partially_received"),
        ("partially_received", "received"),
        ("in_transit", "closed"),  # closed short: what did not arrive is recorded as lost
        ("partially_received", "closed"),
    }),
)  # fmt: skip
"""The transfer workflow, declared once (its status is written only in :mod:`ecerp_core.stock.transfers`)."""

STOCKTAKE = Workflow(
    "stocktake",
    frozenset({
        ("counting", "recount"),
        ("counting", "submitted"),
        ("recount", "submitted"),
        ("counting", "cancelled"),
        ("recount", "cancelled"),
        ("submitted", "approved"),
        ("submitted", "recount"),  # the supervisor sends lines back
        ("submitted", "cancelled"),
    }),
)  # fmt: skip
"""The stocktake workflow, declared once (its status is written only in :mod:`ecerp_core.stock.stocktake`)."""

SCOPES = ("all", "category", "location", "abc")


def needs_recount(counted: int, book: int, threshold: int) -> bool:
    """A count off by more than ``threshold`` units is counted again.

    >>> needs_recount(7, 10, 2), needs_recount(8, 10, 2)
    (True, False)
    """
    return abs(counted - book) > threshold


def abc_classes(
    values: Mapping[int, Decimal], a_share: Decimal = Decimal("0.8"), b_share: Decimal = Decimal("0.95")
) -> dict[int, str]:
    """Class each product by its stock value: the top ``a_share`` of value is A, then B, then C.

    >>> abc_classes({1: Decimal(80), 2: Decimal(15), 3: Decimal(5)})
    {1: 'A', 2: 'B', 3: 'C'}
    """
    total = sum(values.values(), Decimal(0))
    classes, running = {}, Decimal(0)
    for key in sorted(values, key=lambda k: (-values[k], k)):  # most valuable first
        share = running / total if total else Decimal(1)
        classes[key] = "A" if share < a_share else "B" if share < b_share else "C"
        running += values[key]
    return classes


def spread_by_value(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` over lines in proportion to ``weights``, to the cent, adding up exactly.

    The last line takes the rounding remainder; equal shares when every weight is zero.

    >>> spread_by_value(Decimal("10.00"), [Decimal(1), Decimal(1), Decimal(1)])
    [Decimal('3.33'), Decimal('3.33'), Decimal('3.34')]
    """
    if not weights:
        return []
    total = sum(weights, Decimal(0))
    shares = [w / total if total else Decimal(1) / len(weights) for w in weights]
    parts = [(amount * s).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for s in shares[:-1]]
    return [*parts, amount - sum(parts, Decimal(0))]


def days_of_cover(available: int, daily_rate: float) -> float | None:
    """How many days ``available`` lasts at ``daily_rate`` units a day; None without sales.

    >>> days_of_cover(30, 2.0)
    15.0
    """
    if daily_rate <= 0:
        return None
    return round(max(available, 0) / daily_rate, 1)


def parse_location_range(text: str) -> tuple[str, str]:
    """``"A-01..A-09"`` → ``("A-01", "A-09")``; one bin counts as a range of one.

    >>> parse_location_range("A-01..A-09")
    ('A-01', 'A-09')
    """
    low, _, high = text.partition("..")
    low, high = low.strip(), (high or low).strip()
    return (low, high) if low <= high else (high, low)
