"""The complaint rate (投诉率): complaints per 100 orders, by month, platform, shop or SKU.

Complaints are crm's tickets of kind ``complaint`` that name an order
(:func:`ecerp_core.crm.tickets.complaint_rows`); each counts against the order it is about, so a
month's rate is the complaints about that month's orders over those orders (like the return rate,
which counts refunds against the month the order was placed). By SKU, a complaint counts for the SKU
it names, or for every SKU of its order when it names none, over the orders holding that SKU. The
orders are those the dashboards count as sales in the window's days and currency.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecerp_core.analytics.dashboards import Window
from ecerp_core.analytics.layer import DIMENSIONS, sales_condition
from ecerp_core.analytics.reports import ReportSpec, run_report
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product, Shop
from ecerp_core.crm.tickets import complaint_rows
from ecerp_core.orders.models import Order, OrderLine

BY = ("month", "platform", "shop", "sku")
HUNDRED = Decimal(100)


def _window(window: Window, tickets):
    """The window's sale orders among those complained about: ``id IN (complained orders)`` lets the
    database start from the few complaints (SQLite otherwise walks every order of the window)."""
    return (
        Order.id.in_(select(tickets.c.order_id)),
        sales_condition(),
        Order.order_date.between(window.date_from, window.date_to),
        Order.currency == window.currency,
    )


def _complaints(session: Session, window: Window, by: str) -> dict[str, int]:
    """Complaints by ``by`` over the window's orders, in one aggregate statement."""
    dialect = session.get_bind().dialect.name
    tickets = complaint_rows().subquery("complaint")
    if by == "sku":
        sku = DIMENSIONS["sku"].expr(dialect)
        stmt = (
            select(sku, func.count(func.distinct(tickets.c.ticket_id)))
            .select_from(tickets)  # from the few complaints to their orders, not the other way
            .join(Order, Order.id == tickets.c.order_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(*_window(window, tickets), or_(tickets.c.sku == "", tickets.c.sku == sku))
            .group_by(sku)
        )
    else:
        per_order = (
            select(tickets.c.order_id, func.count().label("n")).group_by(tickets.c.order_id).subquery("per")
        )
        key = DIMENSIONS[by].expr(dialect)
        stmt = select(key, func.sum(per_order.c.n)).select_from(per_order)
        stmt = stmt.join(Order, Order.id == per_order.c.order_id)
        if by == "shop":
            stmt = stmt.join(Shop, Shop.id == Order.shop_id)
        stmt = stmt.where(*_window(window, tickets)).group_by(key)
    return {"" if k is None else str(k): int(n) for k, n in session.execute(stmt)}


def complaint_rates(session: Session, actor: Actor, window: Window, by: str = "month", limit: int = 15):
    """Orders, complaints and complaints per 100 orders (``complaint_rate``, two places; None with
    no orders) by ``by``: every month in order, else the ``limit`` with the most complaints."""
    require(actor, "analytics.read")
    if by not in BY:
        raise ValueError(by)
    complaints = _complaints(session, window, by)
    filters = window.filters()
    if by == "sku":
        if not complaints:
            return []
        filters["sku"] = sorted(complaints)
    orders = {
        r[by]: r["orders"] for r in run_report(session, actor, ReportSpec((by,), ("orders",), filters)).rows
    }
    rows = [
        {
            by: key,
            "orders": n,
            "complaints": complaints.get(key, 0),
            "complaint_rate": (HUNDRED * complaints.get(key, 0) / n).quantize(Decimal("0.01")) if n else None,
        }
        for key, n in orders.items()
    ]
    if by == "month":
        return sorted(rows, key=lambda r: r["month"])
    rows.sort(key=lambda r: (-r["complaints"], -(r["complaint_rate"] or 0), r[by]))
    return rows[:limit]
