"""Business events: what happened in one area, for the areas that react to it.

A service that ships orders, receives goods, counts stock or refunds a buyer calls :func:`emit`
with the events of that use case, inside its own transaction. Subscribers (finance posts the
journal) run right there: if one raises, the whole use case rolls back and the error says why, so
an event is never half-recorded and — because each event has a unique ``key`` that a subscriber
records — never posted twice.

The contract of each kind (what ``data`` holds) is in :data:`KINDS`. Amounts are ``Decimal``;
``*_base`` amounts are in the company's base currency, the others in ``data["currency"]``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ecerp_core.auth import Actor

KINDS: dict[str, str] = {
    "sale.shipped": (
        "Goods of a sales order left a warehouse. source: sales_order. data: shop_id, platform, currency, "
        "goods_amount (tax-inclusive goods after discounts, as the buyer paid them), shipping_amount, "
        "tax_amount (the platform's figure, or None to let finance compute VAT), cost_base (cost of the "
        "goods shipped, at their moving average), warehouse_id."
    ),
    "sale.refunded": (
        "Money went back to a buyer. source: sales_order_refund. data: order_id, shop_id, platform, "
        "currency, refund_amount (tax-inclusive), returned (bool), cost_base (cost of goods back in "
        "stock as sellable; 0 without a return), damaged_cost_base (cost of goods back as damaged)."
    ),
    "stock.received": (
        "Goods came in against a purchase order. source: purchase_receipt (or purchase_order). data: "
        "supplier_id, currency, rate (to base), amount (tax-exclusive goods value in currency), "
        "tax_amount (input VAT in currency), landed_base (freight and other landed cost in base), "
        "value_base (what inventory grows by), warehouse_id."
    ),
    "purchase.returned": (
        "Goods went back to a supplier. source: purchase_return. data: supplier_id, currency, rate, "
        "amount, tax_amount, value_base (what inventory shrinks by), warehouse_id."
    ),
    "stock.adjusted": (
        "A manual adjustment. source: stock_adjustment. data: value_base (signed: + gain, - loss), "
        "warehouse_id, reason."
    ),
    "stock.counted": (
        "An approved stocktake's gains and losses. source: stocktake. data: gain_base, loss_base "
        "(both positive), warehouse_id."
    ),
    "stock.transferred": (
        "Stock moved between warehouses (no profit or loss). source: transfer. data: value_base, "
        "from_warehouse_id, to_warehouse_id, discrepancy_base (value lost in transit, positive)."
    ),
}

SUBSCRIBERS: tuple[str, ...] = ("ecerp_core.finance.posting",)
"""Modules with a ``handle(session, actor, events)`` function; those not installed are skipped."""


@dataclass(frozen=True)
class BusinessEvent:
    """One business event.

    kind: one of :data:`KINDS`.
    source_type / source_id: the document it comes from (``sales_order``, 42).
    business_date: the accounting date, in the company's time zone.
    key: unique per event (``sales_order:42:shipped``); subscribers use it to act exactly once.
    data: the amounts and ids the kind's contract lists.
    """

    kind: str
    source_type: str
    source_id: int
    business_date: dt.date
    key: str
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown business event kind {self.kind!r}")


def _subscribers() -> list[Any]:
    modules = []
    for name in SUBSCRIBERS:
        if importlib.util.find_spec(name.rsplit(".", 1)[0]) is None:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            modules.append(importlib.import_module(name))
    return modules


def emit(session: Session, actor: Actor, events: Sequence[BusinessEvent]) -> None:
    """Hand ``events`` to every subscriber, in the caller's transaction (batch-first)."""
    if not events:
        return
    for module in _subscribers():
        module.handle(session, actor, list(events))
