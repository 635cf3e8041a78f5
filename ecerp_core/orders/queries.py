"""Read-only views of orders: the Order Desk's queues, an order's detail and history, exports.

Every list is a ``Select`` paged, sorted and filtered in SQL (see :mod:`ecerp_core.query`); the
indexes on ``sales_order`` (status + created_at, shop + created_at, created_at) keep the first page
of a 100k-order queue fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, User, require
from ecerp_core.catalog.models import Customer, Product, Shop, Warehouse
from ecerp_core.catalog.products import expand_lines
from ecerp_core.db import among
from ecerp_core.errors import NotFound, ValidationError, problem
from ecerp_core.orders import workflow
from ecerp_core.orders.models import AfterSale, Order, OrderEvent, OrderLine
from ecerp_core.query import Page, paginate, sort_stmt, text_filter

QUEUES = ("review", "exceptions", "to_ship", "shipped", "aftersales", "all")
OPEN_CASES = ("requested", "approved", "waiting_return", "received")
EXPORT_COLUMNS = ("platform", "shop", "platform_order_id", "status", "buyer", "region", "currency",
                  "goods", "shipping", "discount", "tax", "adjustment", "total", "paid", "refunded",
                  "created_at", "paid_at", "shipped_at")  # fmt: skip


@dataclass(frozen=True)
class OrderFilter:
    """What the Order Desk filters on; blank fields do not filter."""

    platform: str = ""
    shop_id: int | None = None
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    search: str = ""


def queue_condition(queue: str):
    """The SQL condition of a queue (待审核, 异常订单, 待发货, 已发货, 售后)."""
    # a merged parcel is one row (its members ride along with it), but for its exceptions
    if queue == "review":
        return and_(
            Order.status == "paid",
            ~workflow.has_reason(),
            Order.is_history.is_(False),
            Order.merged_into_id.is_(None),
        )
    if queue == "exceptions":
        return and_(
            Order.status.in_(("paid", "pending_payment")), or_(workflow.has_reason(), Order.on_hold.is_(True))
        )
    if queue == "to_ship":
        return and_(Order.status == "approved", Order.merged_into_id.is_(None))
    if queue == "shipped":
        return Order.status.in_(("shipped", "finished"))
    if queue == "aftersales":
        return exists().where(AfterSale.order_id == Order.id, AfterSale.status.in_(OPEN_CASES))
    return None


def order_list_stmt(queue: str = "all", f: OrderFilter | None = None) -> Select:
    """The statement behind a queue's grid: one row per order with its shop's code and name."""
    f = f or OrderFilter()
    stmt = (
        select(
            Order.id,
            Order.platform,
            Shop.code.label("shop"),
            Shop.name.label("shop_name"),
            Order.platform_order_id,
            Order.status,
            Order.buyer_id,
            Order.receiver_name,
            Order.region,
            Order.currency,
            Order.total_amount,
            Order.created_at,
            Order.on_hold,
            Order.assignee_id,
            User.username.label("assignee"),
            Order.warehouse_id,
            Order.tracking_no,
        )
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(User, User.id == Order.assignee_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    cond = queue_condition(queue)
    if cond is not None:
        stmt = stmt.where(cond)
    if queue in ("review", "to_ship"):
        # --- customers (CRM): VIP customers' orders come first in the review and shipping queues ---
        vip = exists().where(Customer.id == Order.customer_id, Customer.tier == "vip")
        stmt = stmt.order_by(None).order_by(case((vip, 0), else_=1), Order.created_at.desc(), Order.id.desc())
    if f.platform:
        stmt = stmt.where(Order.platform == f.platform)
    if f.shop_id:
        stmt = stmt.where(Order.shop_id == f.shop_id)
    if f.status:
        stmt = stmt.where(Order.status == f.status)
    if f.date_from:
        stmt = stmt.where(Order.order_date >= f.date_from)
    if f.date_to:
        stmt = stmt.where(Order.order_date <= f.date_to)
    if f.amount_min is not None:
        stmt = stmt.where(Order.total_amount >= f.amount_min)
    if f.amount_max is not None:
        stmt = stmt.where(Order.total_amount <= f.amount_max)
    return text_filter(
        stmt, [Order.platform_order_id, Order.buyer_id, Order.receiver_name, Order.tracking_no], f.search
    )


def list_orders(
    session: Session,
    actor: Actor,
    queue: str = "all",
    f: OrderFilter | None = None,
    *,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """One page of a queue, filtered and sorted in the database; each row with its ``exceptions``
    (the codes of the reasons it waits in the exception queue)."""
    require(actor, "orders.read")
    page = paginate(
        session, sort_stmt(order_list_stmt(queue, f), sort, descending), offset=offset, limit=limit
    )
    reasons = workflow.reasons_of(session, [r["id"] for r in page.rows])
    return replace(page, rows=[{**r, "exceptions": reasons.get(r["id"], [])} for r in page.rows])


def queue_counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many orders wait in each work queue (待审核, 异常订单, 待发货) and how many after-sales
    cases are open: the to-do counts on the Order Desk's tabs and the home page.

    >>> sorted(queue_counts(session, clerk))
    ['aftersales', 'exceptions', 'review', 'to_ship']
    """
    require(actor, "orders.read")
    counts = {
        queue: session.scalar(select(func.count()).select_from(Order).where(queue_condition(queue))) or 0
        for queue in ("review", "exceptions", "to_ship")
    }
    cases = select(func.count()).select_from(AfterSale).where(AfterSale.status.in_(OPEN_CASES))
    counts["aftersales"] = session.scalar(cases) or 0
    return counts


def order_ids(
    session: Session, actor: Actor, queue: str = "all", f: OrderFilter | None = None, limit: int = 10_000
) -> list[int]:
    """Ids of every order of a queue and filter (for "act on all filtered"), oldest first."""
    require(actor, "orders.read")
    stmt = order_list_stmt(queue, f).order_by(None).order_by(Order.created_at, Order.id).limit(limit)
    return [r.id for r in session.execute(stmt)]


def order_detail(session: Session, actor: Actor, order_id: int) -> dict:
    """An order with its lines, history and after-sales cases, as plain values."""
    require(actor, "orders.read")
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("error.not_found", what=order_id)
    values = {c.name: getattr(order, c.name) for c in Order.__table__.columns}
    values["exceptions"] = workflow.reasons_of(session, [order_id]).get(order_id, [])
    values["review_reasons"] = workflow.reasons_of(session, [order_id], workflow.REVIEW).get(order_id, [])
    values["shop"], values["shop_name"] = session.execute(
        select(Shop.code, Shop.name).where(Shop.id == order.shop_id)
    ).one()
    values["warehouse"], values["warehouse_name"] = (
        session.execute(
            select(Warehouse.code, Warehouse.name).where(Warehouse.id == order.warehouse_id)
        ).one()
        if order.warehouse_id
        else ("", "")
    )
    values["assignee"] = (
        session.scalar(select(User.username).where(User.id == order.assignee_id)) if order.assignee_id else ""
    )
    values["lines"] = [
        dict(r._mapping)
        for r in session.execute(
            select(
                OrderLine.line_no,
                OrderLine.platform_sku,
                Product.sku,
                OrderLine.name,
                Product.name_zh.label("product_name_zh"),
                Product.name_en.label("product_name_en"),
                OrderLine.quantity,
                OrderLine.unit_price,
                OrderLine.amount,
            )
            .outerjoin(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.line_no)
        )
    ]
    values["history"] = [
        dict(r._mapping)
        for r in session.execute(
            select(
                OrderEvent.at, OrderEvent.event, OrderEvent.from_status, OrderEvent.to_status, OrderEvent.note
            )
            .where(OrderEvent.order_id == order_id)
            .order_by(OrderEvent.id)
        )
    ]
    values["cases"] = [
        dict(r._mapping)
        for r in session.execute(
            select(
                AfterSale.id,
                AfterSale.kind,
                AfterSale.status,
                AfterSale.amount,
                AfterSale.platform_status,
                AfterSale.reason,
            )
            .where(AfterSale.order_id == order_id)
            .order_by(AfterSale.id)
        )
    ]
    return values


def escape_formula(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe.

    >>> escape_formula("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> escape_formula(Decimal("-1.00"))
    Decimal('-1.00')
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_rows(
    session: Session, actor: Actor, *, platform: str = "", shop: str = "", status: str = ""
) -> Iterator[dict]:
    """One dict per order (:data:`EXPORT_COLUMNS`), oldest first, streamed."""
    require(actor, "orders.read")
    stmt = (
        select(
            Order.platform,
            Shop.code,
            Order.platform_order_id,
            Order.status,
            Order.buyer_id,
            Order.region,
            Order.currency,
            Order.goods_amount,
            Order.shipping_amount,
            Order.discount_amount,
            Order.tax_amount,
            Order.adjustment_amount,
            Order.total_amount,
            Order.paid_amount,
            Order.refunded_amount,
            Order.created_at,
            Order.paid_at,
            Order.shipped_at,
        )
        .join(Shop, Shop.id == Order.shop_id)
        .order_by(Order.created_at, Order.id)
    )
    if platform:
        stmt = stmt.where(Order.platform == platform)
    if shop:
        stmt = stmt.where(or_(Shop.code == shop, Shop.name == shop))
    if status:
        stmt = stmt.where(Order.status == status)
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        yield dict(zip(EXPORT_COLUMNS, row, strict=True))


CASE_QUEUES = ("open", "all")


def case_list_stmt(queue: str = "open", search: str = "") -> Select:
    """After-sales cases with their order, shop and warehouse: ``open`` only the unfinished ones,
    oldest request first; every other queue all of them, the latest first."""
    stmt = (
        select(
            AfterSale.id,
            Order.platform_order_id,
            Shop.code.label("shop"),
            Shop.name.label("shop_name"),
            AfterSale.kind,
            AfterSale.status,
            AfterSale.amount,
            Order.currency,
            AfterSale.reason,
            Warehouse.code.label("warehouse"),
            Warehouse.name.label("warehouse_name"),
            AfterSale.condition,
            AfterSale.platform_status,
            AfterSale.created_at,
            AfterSale.order_id,
            AfterSale.warehouse_id,
        )
        .join(Order, Order.id == AfterSale.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(Warehouse, Warehouse.id == AfterSale.warehouse_id)
    )
    if queue == "open":
        stmt = stmt.where(AfterSale.status.in_(OPEN_CASES))
    stmt = text_filter(
        stmt,
        (Order.platform_order_id, Order.buyer_id, Order.receiver_name, Order.tracking_no, AfterSale.reason),
        search,
    )
    if queue == "open":  # a work queue: the longest waiting first
        return stmt.order_by(AfterSale.created_at, AfterSale.id)
    return stmt.order_by(AfterSale.created_at.desc(), AfterSale.id.desc())  # a history: the latest first


def list_cases(
    session: Session,
    actor: Actor,
    queue: str = "open",
    search: str = "",
    *,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """One page of the after-sales queue (oldest request first), filtered and sorted in the database."""
    require(actor, "orders.read")
    return paginate(
        session, sort_stmt(case_list_stmt(queue, search), sort, descending), offset=offset, limit=limit
    )


def unreserved_demand(
    session: Session, actor: Actor, product_ids: list[int] | None = None
) -> dict[tuple[int, int], int]:
    """Units paid orders still need, per (stocked product, warehouse routed to) — 待发需求.

    A paid order reserves its stock only when it is approved; until then (waiting for stock, in the
    exception queue, on hold) its lines are demand the stock levels do not show. Bundles count as
    their components. Replenishment subtracts this from what is available, so a purchaser (who reads
    stock, not orders) may ask: it names products and warehouses, never an order.
    """
    require(actor, "stock.read")
    stmt = (
        select(OrderLine.product_id, Order.warehouse_id, OrderLine.quantity)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status == "paid", Order.warehouse_id.is_not(None), OrderLine.product_id.is_not(None))
    )
    rows = session.connection().execute(stmt).all()
    consumed = expand_lines(session, [(row.product_id, row.quantity) for row in rows])
    wanted = None if product_ids is None else set(product_ids)
    out: dict[tuple[int, int], int] = {}
    for row, takes in zip(rows, consumed, strict=True):
        for product, qty in takes:
            if wanted is None or product in wanted:
                out[(product, row.warehouse_id)] = out.get((product, row.warehouse_id), 0) + qty
    return out


def case_detail(session: Session, actor: Actor, case_id: int) -> dict:
    """An after-sales case as its queue shows it, with the lines it concerns and its order's detail."""
    require(actor, "orders.read")
    row = session.execute(case_list_stmt("all").where(AfterSale.id == case_id)).mappings().first()
    if row is None:
        raise NotFound(entity="entity.after_sale", key=case_id)
    case = dict(row)
    case["lines"] = session.scalar(select(AfterSale.lines).where(AfterSale.id == case_id)) or []
    case["order"] = order_detail(session, actor, case["order_id"])
    return case


def order_numbers(session: Session, actor: Actor, order_ids: Sequence[int]) -> dict[int, str]:
    """The platform order number of each order id (for messages that name orders)."""
    require(actor, "orders.read")
    stmt = select(Order.id, Order.platform_order_id).where(among(session, Order.id, sorted(set(order_ids))))
    return dict(session.connection().execute(stmt).all())


def order_ids_by_number(
    session: Session, actor: Actor, numbers: Sequence[str], *, shop_id: int | None = None
) -> list[int]:
    """The ids of the orders named by platform order numbers (of one shop with ``shop_id``), in the
    order named. A number no order has, or several orders have (two shops), is a problem; nothing is
    returned until every number names one order.

    >>> len(order_ids_by_number(session, clerk, ["TB1001", "TB1002"]))
    2
    """
    require(actor, "orders.read")
    stmt = select(Order.platform_order_id, Order.id).where(among(session, Order.platform_order_id, numbers))
    if shop_id is not None:
        stmt = stmt.where(Order.shop_id == shop_id)
    found: dict[str, list[int]] = {}
    for number, order_id in session.execute(stmt):
        found.setdefault(number, []).append(order_id)
    problems = [problem("order", "unknown_ref", value=n) for n in numbers if n not in found]
    problems += [problem("order", "ambiguous", value=n) for n in numbers if len(found.get(n, ())) > 1]
    if problems:
        raise ValidationError(problems)
    return [found[n][0] for n in numbers]
