"""Editing an order before it ships (改单): the address, the seller's remark and flag, the warehouse
and the carrier.

An order can be edited while it waits for payment, review or shipping; once shipped (or closed) it
is what the courier took and is refused. Moving an approved order to another warehouse moves its
reservation through the stock services (refused, with nothing changed, when the new warehouse is
short). Each edit writes one history line naming what changed and one audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Warehouse
from ecerp_core.db import utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders import workflow
from ecerp_core.orders.models import STOCK_SOURCE, Order, OrderLine
from ecerp_core.orders.workflow import Happened
from ecerp_core.stock import services as stock

EDITABLE_STATUSES = ("pending_payment", "paid", "approved")
"""Orders not yet shipped or closed: the only ones an edit may change."""
FLAGS = (0, 1, 2, 3, 4, 5)
"""Seller flags (旗帜): none, red, yellow, green, blue, purple (catalogue ``orders.flag.<n>``)."""
LIMITS = {
    "receiver_name": 100,
    "receiver_phone": 40,
    "region": 60,
    "city": 60,
    "district": 60,
    "address": 300,
    "seller_remark": 500,
    "carrier": 40,
}


@dataclass(frozen=True)
class OrderEdit:
    """What a clerk changes on an order; ``None`` leaves a field as it is.

    warehouse_id: the warehouse to ship from (an approved order's reservation moves with it).
    seller_flag: one of :data:`FLAGS`.
    """

    receiver_name: str | None = None
    receiver_phone: str | None = None
    region: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    seller_remark: str | None = None
    seller_flag: int | None = None
    warehouse_id: int | None = None
    carrier: str | None = None

    def given(self) -> dict[str, object]:
        """The fields this edit sets (text stripped)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = value.strip() if isinstance(value, str) else value
        return out


def check_edit(values: dict[str, object]) -> list:
    """The problems of the values an edit sets (pure: lengths, a name to ship to, a known flag)."""
    found = []
    for name, limit in LIMITS.items():
        if name in values and len(str(values[name])) > limit:
            found.append(problem(name, "too_long", max=limit))
    if "receiver_name" in values and not values["receiver_name"]:
        found.append(problem("receiver_name", "required"))
    if "address" in values and not values["address"]:
        found.append(problem("address", "required"))
    if "seller_flag" in values and values["seller_flag"] not in FLAGS:
        found.append(problem("seller_flag", "edit_bad_flag", value=values["seller_flag"]))
    return found


def edit_order(session: Session, actor: Actor, order_id: int, edit: OrderEdit) -> dict[str, tuple]:
    """Apply ``edit`` to an unshipped order; returns ``{field: (old, new)}`` of what changed.

    Raises :class:`~ecerp_core.errors.ValidationError` for a shipped or closed order, bad values or
    an unknown warehouse, and :class:`~ecerp_core.stock.exceptions.InsufficientStock` when an
    approved order moves to a warehouse that cannot serve it (nothing is written then).
    """
    require(actor, "orders.review")
    states = workflow.load(session, [order_id])
    state = states[order_id]
    values = edit.given()
    found = []
    if state.status not in EDITABLE_STATUSES:
        found.append(problem("order", "edit_not_open", value=state.number, status=f"status.{state.status}"))
    found += check_edit(values)
    if "warehouse_id" in values:
        active = session.connection().scalar(
            select(Warehouse.active).where(Warehouse.id == values["warehouse_id"])
        )
        if not active:
            found.append(problem("warehouse", "unknown_ref", value=values["warehouse_id"]))
        elif state.merged_into_id is not None and values["warehouse_id"] != state.warehouse_id:
            found.append(problem("warehouse", "edit_member_warehouse", value=state.number))
    if found:
        raise ValidationError(found)
    row = session.connection().execute(
        select(*(getattr(Order, k) for k in values)).where(Order.id == order_id)
    )
    old = dict(zip(values, row.one(), strict=True))
    changed = {k: (old[k], v) for k, v in values.items() if old[k] != v}
    if not changed:
        return {}
    if "warehouse_id" in changed and state.status == "approved":
        _move_reservation(session, actor, order_id, changed["warehouse_id"][1])
    table = Order.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id == order_id)
        .values(**{k: v for k, (_, v) in changed.items()}, updated_at=utcnow())
    )
    _address_fixed(session, actor, order_id, changed)
    note = "; ".join(f"{k}: {_short(a)} → {_short(b)}" for k, (a, b) in changed.items())
    workflow.record(session, actor, [Happened(order_id, state.status, "edit", note)])
    audit.record(
        session, actor, "edit", "sales_order", order_id, {k: [a, b] for k, (a, b) in changed.items()}
    )
    return changed


ADDRESS = ("receiver_name", "region", "address")
"""What an address needs to be complete (the rule of :func:`ecerp_core.orders.rules.exception_reasons`)."""


def _address_fixed(session: Session, actor: Actor, order_id: int, changed: dict[str, tuple]) -> None:
    """An order waiting for its address leaves that reason behind once the edit completes it."""
    if not set(changed) & {*ADDRESS, "city", "district"}:
        return
    waiting = workflow.reasons_of(session, [order_id]).get(order_id, [])
    if "incomplete_address" not in waiting:
        return
    row = (
        session.connection()
        .execute(
            select(Order.receiver_name, Order.region, Order.address, Order.country).where(
                Order.id == order_id
            )
        )
        .one()
    )
    values = {k: changed[k][1] if k in changed else getattr(row, k) for k in ADDRESS}
    if values["receiver_name"] and values["address"] and (values["region"] or row.country not in ("", "CN")):
        rest = [code for code in waiting if code != "incomplete_address"]
        workflow.set_exceptions(session, actor, {order_id: rest}, "address_edited")


def _move_reservation(session: Session, actor: Actor, order_id: int, warehouse_id: int) -> None:
    """Release the parcel's reservation and reserve the same lines in ``warehouse_id``."""
    parcel = workflow.with_members(session, [order_id])
    stmt = (
        select(OrderLine.order_id, OrderLine.product_id, OrderLine.quantity)
        .where(OrderLine.order_id.in_(parcel), OrderLine.product_id.is_not(None))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    drafts = [
        stock.ReservationDraft(product_id, warehouse_id, quantity, STOCK_SOURCE, oid)
        for oid, product_id, quantity in session.connection().execute(stmt)
    ]
    stock.release(session, actor, STOCK_SOURCE, parcel)
    together = dict.fromkeys(parcel, order_id) if len(parcel) > 1 else None
    stock.reserve(session, actor, drafts, on_short="raise", together=together)
    members = [i for i in parcel if i != order_id]
    if members:  # a parcel ships from one warehouse
        table = Order.__table__
        session.connection().execute(
            update(table).where(table.c.id.in_(members)).values(warehouse_id=warehouse_id)
        )


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"
