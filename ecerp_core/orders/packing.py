"""Scan-to-verify packing (验货): scan the order, then each item; a wrong item or one too many is
refused; when every item is scanned the order is marked packed in its history.

A :class:`PackingCheck` is the state of one parcel on the packing bench: what it should hold (a
bundle as its components, which is what is on the shelves) and what has been scanned so far. It
is a value: :func:`scan_item` returns the next one, so a screen or a test keeps it between scans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product
from ecerp_core.catalog.products import expand_lines
from ecerp_core.db import among
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders import workflow
from ecerp_core.orders.models import Order, OrderEvent, OrderLine
from ecerp_core.orders.workflow import Happened

PACKED = "packed"
"""The history event of a verified parcel."""


@dataclass(frozen=True)
class PackingCheck:
    """One parcel being verified.

    order_ids: the parcel's orders (a merged parcel's members after it); number its order number.
    expected: SKU -> units the parcel holds; scanned: SKU -> units scanned so far.
    codes: what a scanner may read (SKU or barcode) -> SKU; names: SKU -> product name.
    """

    order_ids: tuple[int, ...]
    number: str
    expected: Mapping[str, int]
    codes: Mapping[str, str]
    names: Mapping[str, str]
    scanned: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def complete(self) -> bool:
        return dict(self.scanned) == dict(self.expected)

    def rows(self) -> list[dict]:
        """One row per SKU: expected, scanned, still to scan."""
        return [
            {
                "sku": sku,
                "name": self.names.get(sku, ""),
                "expected": qty,
                "scanned": self.scanned.get(sku, 0),
                "left": qty - self.scanned.get(sku, 0),
            }
            for sku, qty in self.expected.items()
        ]


def start_packing(session: Session, actor: Actor, scanned: str) -> PackingCheck:
    """The parcel whose order number or tracking number was scanned, nothing verified yet.

    Refused unless it is approved (not yet shipped) and not already packed.
    """
    require(actor, "orders.ship")
    code = scanned.strip()
    stmt = select(Order.id, Order.platform_order_id, Order.status, Order.merged_into_id).where(
        or_(Order.platform_order_id == code, Order.tracking_no == code)
    )
    hits = session.connection().execute(stmt).all()
    if len(hits) != 1:
        raise ValidationError([problem("order", "pack_unknown_order", value=code)])
    hit = hits[0]
    parcel = workflow.with_members(session, [hit.id])
    numbers = dict(
        session.connection()
        .execute(select(Order.id, Order.platform_order_id).where(Order.id.in_(parcel)))
        .all()
    )
    if hit.status != "approved":
        raise ValidationError(
            [
                problem(
                    "order", "pack_not_approved", value=hit.platform_order_id, status=f"status.{hit.status}"
                )
            ]
        )
    if packed_orders(session, parcel):
        raise ValidationError([problem("order", "pack_already", value=numbers[parcel[0]])])
    lines = (
        session.connection()
        .execute(
            select(OrderLine.product_id, OrderLine.quantity)
            .where(OrderLine.order_id.in_(parcel), OrderLine.product_id.is_not(None))
            .order_by(OrderLine.order_id, OrderLine.line_no)
        )
        .all()
    )
    units: dict[int, int] = {}
    for components in expand_lines(session, [(ln.product_id, ln.quantity) for ln in lines]):
        for product_id, qty in components:
            units[product_id] = units.get(product_id, 0) + qty
    products = session.connection().execute(
        select(Product.id, Product.sku, Product.barcode, Product.name_zh).where(
            among(session, Product.id, sorted(units))
        )
    )
    expected, codes, names = {}, {}, {}
    for p in sorted(products, key=lambda p: p.sku):
        expected[p.sku] = units[p.id]
        names[p.sku] = p.name_zh
        codes[p.sku] = p.sku
        if p.barcode:
            codes[p.barcode] = p.sku
    return PackingCheck(
        tuple(parcel),
        numbers[parcel[0]],
        MappingProxyType(expected),
        MappingProxyType(codes),
        MappingProxyType(names),
    )


def scan_item(check: PackingCheck, code: str) -> PackingCheck:
    """The check after one more item (its SKU or barcode) is scanned.

    Raises :class:`~ecerp_core.errors.ValidationError` for an item the parcel does not hold or one
    more than it holds; the check is unchanged then.
    """
    sku = check.codes.get(code.strip())
    if sku is None:
        raise ValidationError([problem("barcode", "pack_wrong_item", value=code.strip(), order=check.number)])
    done = check.scanned.get(sku, 0)
    if done >= check.expected[sku]:
        raise ValidationError(
            [problem("barcode", "pack_too_many", value=sku, quantity=check.expected[sku], order=check.number)]
        )
    return replace(check, scanned=MappingProxyType({**check.scanned, sku: done + 1}))


def finish_packing(session: Session, actor: Actor, check: PackingCheck) -> None:
    """Mark a fully scanned parcel packed: one history line per order and one audit row."""
    require(actor, "orders.ship")
    if not check.complete:
        left = ", ".join(f"{r['sku']}×{r['left']}" for r in check.rows() if r["left"])
        raise ValidationError([problem("order", "pack_incomplete", value=check.number, left=left)])
    states = workflow.load(session, check.order_ids)
    not_ready = [s for s in states.values() if s.status != "approved"]
    if not_ready:
        raise ValidationError(
            [
                problem("order", "pack_not_approved", value=s.number, status=f"status.{s.status}")
                for s in not_ready
            ]
        )
    units = sum(check.expected.values())
    workflow.record(
        session, actor, [Happened(oid, "approved", PACKED, f"{units} items") for oid in check.order_ids]
    )
    audit.record(session, actor, PACKED, "sales_order", check.order_ids[0], {"items": dict(check.scanned)})


def packed_orders(session: Session, order_ids) -> set[int]:
    """Which of these orders are marked packed."""
    stmt = select(Order.id).where(
        among(session, Order.id, sorted(set(order_ids))),
        exists().where(OrderEvent.order_id == Order.id, OrderEvent.event == PACKED),
    )
    return set(session.connection().scalars(stmt))
