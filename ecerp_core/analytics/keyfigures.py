"""Today's key figures for the home page: orders and sales today, the queues waiting, stock alerts.

One small query each; a figure the user may not read (no ``orders.read`` / ``stock.read``) is left
out rather than refused, so the home page shows every user what they may see.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.analytics.layer import sales_condition
from ecerp_core.auth import Actor
from ecerp_core.catalog.company import business_date, get_company
from ecerp_core.money import round_money
from ecerp_core.orders.models import Order
from ecerp_core.orders.queries import queue_condition
from ecerp_core.stock.alerts import stock_alerts

QUEUES = ("review", "exceptions", "to_ship", "aftersales")
"""The order queues a home page counts (待审核, 异常, 待发货, 售后)."""


def key_figures(session: Session, actor: Actor, today: dt.date | None = None) -> dict:
    """Today's figures: ``orders_today``, ``sales_today`` (base currency) and ``currency``, each queue
    of :data:`QUEUES` by name, and ``stock_alerts`` (products below their minimum).

    A figure the actor may not read is absent.
    """
    today = today or business_date(session)
    figures: dict = {"date": today}
    if actor.can("orders.read"):
        currency = get_company(session).base_currency
        placed = (sales_condition(), Order.order_date == today)
        figures["orders_today"] = session.scalar(select(func.count()).where(*placed)) or 0
        sales = session.scalar(
            select(func.coalesce(func.sum(Order.goods_amount), 0)).where(*placed, Order.currency == currency)
        )
        figures["sales_today"] = round_money(Decimal(str(sales or 0)), currency)
        figures["currency"] = currency
        for queue in QUEUES:
            figures[queue] = session.scalar(
                select(func.count()).select_from(Order).where(queue_condition(queue))
            )
    if actor.can("stock.read"):
        figures["stock_alerts"] = sum(
            1 for a in stock_alerts(session, actor, today=today) if a["kind"] == "low"
        )
    return figures
