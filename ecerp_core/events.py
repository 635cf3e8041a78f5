"""Business events: what happened in one area, for the areas that react to it.

A service that ships orders, receives goods, counts stock or refunds a buyer calls :func:`emit`
with the events of that use case, inside its own transaction. Subscribers (finance posts the
journal) run right there: if one raises, the whole use case rolls back and the error says why, so
an event is never half-recorded and — because each event has a unique ``key`` that a subscriber
records — never posted twice.

Each kind of event is a frozen dataclass below: its fields are its contract. They are checked when
the event is made — a misspelt or missing field is a ``TypeError``, a value of the wrong type (a
float amount, a datetime for a date) is :class:`MalformedEvent` — so a bad event fails loudly at
the emitter instead of posting a wrong amount later. Amounts are ``Decimal``; ``*_base`` amounts
are in the company's base currency, the others in the event's ``currency``.

Who hears which event is said in one place, :mod:`ecerp_core.wiring`, which every entry point (the
CLI, the apps, the demo, the tests) connects at start. An event that nobody hears is refused
(:class:`EventNotHeard`): a sale the books never learn of is money that vanishes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, ClassVar

from ecerp_core.errors import EcerpError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ecerp_core.auth import Actor


class MalformedEvent(EcerpError):
    """An event field holds a value of the wrong type; a programming error, named so it is found."""

    code = "error.malformed_event"


class EventNotHeard(EcerpError):
    """An event was emitted that no subscriber is connected for (see :mod:`ecerp_core.wiring`)."""

    code = "error.event_not_heard"


@dataclass(frozen=True, kw_only=True)
class BusinessEvent:
    """What every event carries.

    source_type / source_id: the document it comes from (``sales_order``, 42).
    business_date: the accounting date, in the company's time zone.
    key: unique per event (``sales_order:42:shipped``); subscribers use it to act exactly once.
    """

    kind: ClassVar[str] = ""
    source_type: str
    source_id: int
    business_date: dt.date
    key: str

    def __post_init__(self) -> None:
        wrong = _wrong_fields(self)
        if wrong:
            raise MalformedEvent(kind=self.kind, fields="; ".join(wrong))

    def payload(self) -> dict[str, object]:
        """What this kind of event says beyond the fields every event has (for logs and tests)."""
        common = {f.name for f in dataclasses.fields(BusinessEvent)}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in common}


@dataclass(frozen=True, kw_only=True)
class SaleShipped(BusinessEvent):
    """Goods of a sales order left a warehouse (source: ``sales_order``).

    goods_amount: tax-inclusive goods after discounts, as the buyer paid them; tax_amount: the
    platform's figure, or None to let finance compute VAT; cost_base: cost of the goods shipped,
    at their moving average.
    """

    kind: ClassVar[str] = "sale.shipped"
    shop_id: int
    platform: str
    currency: str
    goods_amount: Decimal
    shipping_amount: Decimal
    tax_amount: Decimal | None
    cost_base: Decimal
    warehouse_id: int | None


@dataclass(frozen=True, kw_only=True)
class ReturnedGoods:
    """Units of one stocked product a buyer sent back (a part of :class:`SaleRefunded`).

    quantity: units back (positive); unit_cost: base-currency cost each left with on the shipment;
    warehouse_id: where they came back to; damaged: written off at once instead of sellable.
    """

    product_id: int
    warehouse_id: int
    quantity: int
    unit_cost: Decimal
    damaged: bool

    def __post_init__(self) -> None:
        wrong = _wrong_fields(self)
        if not wrong and self.quantity <= 0:
            wrong.append(f"quantity={self.quantity!r} (expected above 0)")
        if wrong:
            raise MalformedEvent(kind="returned_goods", fields="; ".join(wrong))

    @property
    def cost(self) -> Decimal:
        return self.quantity * self.unit_cost


@dataclass(frozen=True, kw_only=True)
class SaleRefunded(BusinessEvent):
    """Money went back to a buyer (source: ``sales_order_refund``, or ``after_sale`` for goods an
    exchange took back with nothing refunded).

    refund_amount: tax-inclusive; tax_amount: the part of it that gives back the platform's tax
    figure of the sale (see :class:`SaleShipped`), or None to let finance compute VAT; cost_base:
    cost of goods back in stock as sellable (0 without a return); damaged_cost_base: cost of goods
    back as damaged; returns: the goods back, per product and warehouse, whose costs add up to
    those two (checked when the event is made).
    """

    kind: ClassVar[str] = "sale.refunded"
    order_id: int
    shop_id: int
    platform: str
    currency: str
    refund_amount: Decimal
    returned: bool
    cost_base: Decimal
    damaged_cost_base: Decimal
    warehouse_id: int | None = None
    tax_amount: Decimal | None = None
    returns: tuple[ReturnedGoods, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.returns:
            return
        sellable = sum((g.cost for g in self.returns if not g.damaged), Decimal(0))
        damaged = sum((g.cost for g in self.returns if g.damaged), Decimal(0))
        if (sellable, damaged) != (self.cost_base, self.damaged_cost_base):
            raise MalformedEvent(
                kind=self.kind,
                fields=f"cost_base={self.cost_base}, damaged_cost_base={self.damaged_cost_base} "
                f"(the returns add up to {sellable}, {damaged})",
            )


@dataclass(frozen=True, kw_only=True)
class StockReceived(BusinessEvent):
    """Goods came in against a purchase order (source: ``purchase_receipt``).

    amount: tax-exclusive goods value in ``currency``; tax_amount: input VAT in ``currency``;
    rate: ``currency`` to base; landed_base: freight and other landed cost; value_base: what
    inventory grows by.
    """

    kind: ClassVar[str] = "stock.received"
    supplier_id: int
    currency: str
    rate: Decimal
    amount: Decimal
    tax_amount: Decimal
    landed_base: Decimal
    value_base: Decimal
    warehouse_id: int


@dataclass(frozen=True, kw_only=True)
class PurchaseReturned(BusinessEvent):
    """Goods went back to a supplier (source: ``purchase_return``); value_base: what inventory
    shrinks by."""

    kind: ClassVar[str] = "purchase.returned"
    supplier_id: int
    currency: str
    rate: Decimal
    amount: Decimal
    tax_amount: Decimal
    value_base: Decimal
    warehouse_id: int


@dataclass(frozen=True, kw_only=True)
class StockAdjusted(BusinessEvent):
    """A manual adjustment (source: ``stock_adjustment``); value_base is signed: + gain, − loss."""

    kind: ClassVar[str] = "stock.adjusted"
    value_base: Decimal
    warehouse_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class StockCounted(BusinessEvent):
    """An approved stocktake's gains and losses, both positive (source: ``stocktake``)."""

    kind: ClassVar[str] = "stock.counted"
    gain_base: Decimal
    loss_base: Decimal
    warehouse_id: int


@dataclass(frozen=True, kw_only=True)
class StockTransferred(BusinessEvent):
    """Stock moved between warehouses, no profit or loss (source: ``transfer``); discrepancy_base:
    value lost in transit, positive."""

    kind: ClassVar[str] = "stock.transferred"
    value_base: Decimal
    from_warehouse_id: int
    to_warehouse_id: int
    discrepancy_base: Decimal


KINDS: tuple[type[BusinessEvent], ...] = (
    SaleShipped,
    SaleRefunded,
    StockReceived,
    PurchaseReturned,
    StockAdjusted,
    StockCounted,
    StockTransferred,
)
"""Every kind of business event."""

Handler = Callable[["Session", "Actor", Sequence[BusinessEvent]], None]
_subscribers: dict[type[BusinessEvent], list[Handler]] = {}


def subscribe(handler: Handler, *kinds: type[BusinessEvent]) -> None:
    """Have ``handler(session, actor, events)`` hear the events of ``kinds`` (once, however often asked)."""
    for kind in kinds:
        handlers = _subscribers.setdefault(kind, [])
        if handler not in handlers:
            handlers.append(handler)


@contextmanager
def only(handler: Handler) -> Iterator[None]:
    """Inside the block ``handler`` alone hears every event (tests watch what a use case emits)."""
    saved = {kind: list(handlers) for kind, handlers in _subscribers.items()}
    _subscribers.clear()
    subscribe(handler, *KINDS)
    try:
        yield
    finally:
        _subscribers.clear()
        _subscribers.update(saved)


DayCheck = Callable[["Session", dt.date], None]
_day_checks: list[DayCheck] = []


def guard_days(check: DayCheck) -> None:
    """Have ``check(session, day)`` vet the business date of every document an area creates, posting
    or not (finance refuses a day in a closed period); once, however often asked."""
    if check not in _day_checks:
        _day_checks.append(check)


def check_day(session: Session, day: dt.date) -> None:
    """Vet a document's business date by every guard (:func:`guard_days`); they raise named errors."""
    for check in _day_checks:
        check(session, day)


def emit(session: Session, actor: Actor, events: Sequence[BusinessEvent]) -> None:
    """Hand ``events`` to their subscribers, in the caller's transaction (batch-first).

    Each subscriber gets, in one call, every event of the kinds it subscribed to, in order.
    """
    if not events:
        return
    calls: dict[Handler, list[BusinessEvent]] = {}
    for event in events:
        if not isinstance(event, BusinessEvent) or type(event) not in KINDS:
            raise MalformedEvent(kind=type(event).__name__, fields=repr(event)[:200])
        handlers = _subscribers.get(type(event))
        if not handlers:
            raise EventNotHeard(kind=event.kind)
        for handler in handlers:
            calls.setdefault(handler, []).append(event)
    for handler, heard in calls.items():
        handler(session, actor, heard)


def _wrong_fields(record: object) -> list[str]:
    """``name=value (expected type)`` for each field of a dataclass whose value does not fit."""
    return [
        f"{name}={getattr(record, name)!r} (expected {expected})"
        for name, expected in _field_types(type(record))
        if not _is_a(getattr(record, name), expected)
    ]


@cache
def _field_types(cls: type) -> tuple[tuple[str, object], ...]:
    hints = typing.get_type_hints(cls, globalns={**globals(), "dt": dt, "Decimal": Decimal})
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def _is_a(value: object, expected: object) -> bool:
    """Whether ``value`` fits the annotation: exact types (no bool for int, no datetime for date,
    no float for Decimal), ``X | None`` allowing None, ``tuple[X, ...]`` of fitting items, and
    amounts finite."""
    if isinstance(expected, types.UnionType):
        return any(_is_a(value, option) for option in typing.get_args(expected))
    if typing.get_origin(expected) is tuple:  # tuple[X, ...]
        (item, _) = typing.get_args(expected)
        return isinstance(value, tuple) and all(_is_a(v, item) for v in value)
    if expected is type(None):
        return value is None
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if expected is Decimal:
        return isinstance(value, Decimal) and value.is_finite()
    return isinstance(value, expected)  # type: ignore[arg-type]
