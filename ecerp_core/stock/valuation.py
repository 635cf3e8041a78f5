"""Reading the ledger: stock levels with their value, stock value at any date, movement history.

Two values, both exact and both set-based:

- a level's value is ``on_hand × the moving average cost`` now (what a buyer or clerk looks at);
- the stock value *at a date* is the ledger's own value, ``Σ quantity × unit_cost`` of the moves up to
  that date. A backdated move changes the value from its date on and nothing before it, without any
  re-run; the average cost folds it in when it is posted.

Goods shipped between warehouses and not yet received are in no warehouse but still in the
inventory account (库存商品): every level and value shows them beside the warehouse stock, as
``in_transit`` units and ``in_transit_value`` (:func:`ecerp_core.stock.transfers.transit_stmt`),
counted at their destination, and the inventory account holds ``total_value``.

Statements are plain ``Select`` objects so the apps' grids page and sort them in the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Select, String, cast, func, literal, select, union_all
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.models import Category, Product, Warehouse
from ecerp_core.money import round_money
from ecerp_core.query import Page, paginate, sort_stmt, text_filter
from ecerp_core.stock.models import ProductCost, StockLevel, StockMove, StockSetting, Transfer, TransferLine
from ecerp_core.stock.transfers import SOURCE as TRANSFER_SOURCE
from ecerp_core.stock.transfers import end_of_day, transit_stmt

GROUPINGS = ("warehouse", "category", "product")


def _unit_cost():
    return func.coalesce(ProductCost.average_cost, Product.cost)


def levels_stmt(
    *, warehouse_id: int | None = None, search: str = "", below_min: bool = False, nonzero: bool = False
) -> Select:
    """Stock levels with product, warehouse, available, bin, min/max, unit cost and value, and the
    units (and their value) on the way to the warehouse."""
    cost = _unit_cost()
    available = StockLevel.on_hand - StockLevel.reserved
    transit = transit_stmt().subquery()
    on_the_way = (
        select(
            transit.c.product_id,
            transit.c.warehouse_id,
            func.sum(transit.c.quantity).label("units"),
            func.sum(transit.c.value).label("value"),
        )
        .group_by(transit.c.product_id, transit.c.warehouse_id)
        .subquery()
    )
    in_transit = func.coalesce(on_the_way.c.units, 0)
    stmt = (
        select(
            (
                cast(StockLevel.product_id, String) + literal("@") + cast(StockLevel.warehouse_id, String)
            ).label("id"),
            Product.sku.label("sku"),
            Product.name_zh.label("name_zh"),
            Product.name_en.label("name_en"),
            Warehouse.code.label("warehouse"),
            StockLevel.on_hand.label("on_hand"),
            StockLevel.reserved.label("reserved"),
            available.label("available"),
            func.coalesce(StockSetting.min_qty, 0).label("min_qty"),
            func.coalesce(StockSetting.max_qty, 0).label("max_qty"),
            func.coalesce(StockSetting.location, "").label("location"),
            cost.label("unit_cost"),
            (StockLevel.on_hand * cost).label("value"),
            in_transit.label("in_transit"),
            func.coalesce(on_the_way.c.value, 0).label("in_transit_value"),
            StockLevel.product_id.label("product_id"),
            StockLevel.warehouse_id.label("warehouse_id"),
        )
        .join(Product, Product.id == StockLevel.product_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .outerjoin(ProductCost, ProductCost.product_id == StockLevel.product_id)
        .outerjoin(
            StockSetting,
            (StockSetting.product_id == StockLevel.product_id)
            & (StockSetting.warehouse_id == StockLevel.warehouse_id),
        )
        .outerjoin(
            on_the_way,
            (on_the_way.c.product_id == StockLevel.product_id)
            & (on_the_way.c.warehouse_id == StockLevel.warehouse_id),
        )
        .order_by(Product.sku, Warehouse.code)
    )
    if warehouse_id is not None:
        stmt = stmt.where(StockLevel.warehouse_id == warehouse_id)
    if below_min:
        stmt = stmt.where(available < StockSetting.min_qty)
    if nonzero:
        stmt = stmt.where((StockLevel.on_hand != 0) | (StockLevel.reserved != 0) | (in_transit != 0))
    return text_filter(stmt, [Product.sku, Product.name_zh, Product.name_en, Product.barcode], search)


def list_levels(
    session: Session,
    actor: Actor,
    *,
    warehouse_id: int | None = None,
    search: str = "",
    below_min: bool = False,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> Page:
    """One page of stock levels (see :func:`levels_stmt`); needs ``stock.read``."""
    require(actor, "stock.read")
    stmt = sort_stmt(
        levels_stmt(warehouse_id=warehouse_id, search=search, below_min=below_min), sort, descending
    )
    return _decimal_values(paginate(session, stmt, offset=offset, limit=limit))


def _decimal_values(page: Page) -> Page:
    for row in page.rows:
        row["unit_cost"] = Decimal(row["unit_cost"]).quantize(Decimal("0.0001"))
        row["value"] = Decimal(row["value"]).quantize(Decimal("0.01"))
        row["in_transit"] = int(row["in_transit"])
        row["in_transit_value"] = round_money(Decimal(row["in_transit_value"]))
    return page


def level_rows(session: Session, actor: Actor, *, warehouse_id: int | None = None) -> list[dict]:
    """Every level with its value (the CLI's ``stock levels`` and the benchmark)."""
    require(actor, "stock.read")
    result = session.execute(levels_stmt(warehouse_id=warehouse_id))
    keys = tuple(result.keys())
    rows = [dict(zip(keys, row, strict=True)) for row in result]  # a third cheaper than .mappings()
    return _decimal_values(Page(rows, len(rows), 0, len(rows) or 1)).rows


def stock_value(
    session: Session,
    actor: Actor,
    *,
    as_of: dt.date | None = None,
    by: tuple[str, ...] = ("warehouse",),
    warehouse_id: int | None = None,
) -> list[dict]:
    """Units and ledger value of the stock at the end of ``as_of`` (None: now), grouped ``by``
    warehouse, category and/or product; beside them the units and value then on the way to the
    warehouse (``in_transit``, ``in_transit_value``), and ``total_value``, what the inventory
    account holds.

    >>> from ecerp_core.stock.services import MoveDraft, post_moves
    >>> post_moves(session, admin, [MoveDraft(tee.id, sh.id, 120, "adjustment", unit_cost=Decimal("20.00"))])
    1
    >>> stock_value(session, admin, by=("warehouse", "category"))  # doctest: +NORMALIZE_WHITESPACE
    [{'warehouse': 'SH', 'category': '服装/T恤', 'quantity': 120, 'value': Decimal('2400.00'),
      'in_transit': 0, 'in_transit_value': Decimal('0.00'), 'total_value': Decimal('2400.00')}]
    """
    require(actor, "stock.read")
    if not by or any(g not in GROUPINGS for g in by):
        raise ValueError(f"group by one or more of {GROUPINGS}")
    qty = func.sum(StockMove.quantity)
    value = func.sum(StockMove.quantity * StockMove.unit_cost)
    inner = select(StockMove.product_id, StockMove.warehouse_id, qty.label("quantity"), value.label("value"))
    if as_of is not None:
        inner = inner.where(StockMove.business_date <= as_of)
    if warehouse_id is not None:
        inner = inner.where(StockMove.warehouse_id == warehouse_id)
    moves = inner.group_by(StockMove.product_id, StockMove.warehouse_id).subquery()
    transit = transit_stmt(as_of=as_of, closed_before=None if as_of is None else end_of_day(session, as_of))
    if warehouse_id is not None:
        transit = transit.where(Transfer.to_warehouse_id == warehouse_id)
    transit = transit.subquery()
    zero = literal(0)
    positions = union_all(
        select(
            moves.c.product_id,
            moves.c.warehouse_id,
            moves.c.quantity,
            moves.c.value,
            zero.label("transit_quantity"),
            zero.label("transit_value"),
        ),
        select(transit.c.product_id, transit.c.warehouse_id, zero, zero, transit.c.quantity, transit.c.value),
    ).subquery()
    cols = []
    if "warehouse" in by:
        cols.append(Warehouse.code.label("warehouse"))
    if "category" in by:
        cols.append(func.coalesce(Category.path, literal("")).label("category"))
    if "product" in by:
        cols.append(Product.sku.label("sku"))
    c = positions.c
    stmt = select(
        *cols,
        func.sum(c.quantity).label("quantity"),
        func.sum(c.value).label("value"),
        func.sum(c.transit_quantity).label("in_transit"),
        func.sum(c.transit_value).label("in_transit_value"),
    ).select_from(positions)
    if "warehouse" in by:
        stmt = stmt.join(Warehouse, Warehouse.id == c.warehouse_id)
    if "category" in by or "product" in by:
        stmt = stmt.join(Product, Product.id == c.product_id)
    if "category" in by:
        stmt = stmt.outerjoin(Category, Category.id == Product.category_id)
    stmt = stmt.group_by(*cols).order_by(*cols)
    out = []
    for row in session.execute(stmt):
        d = row._asdict()
        d["quantity"] = int(d["quantity"] or 0)
        d["value"] = round_money(Decimal(d["value"] or 0))
        d["in_transit"] = int(d["in_transit"] or 0)
        d["in_transit_value"] = round_money(Decimal(d["in_transit_value"] or 0))
        d["total_value"] = d["value"] + d["in_transit_value"]
        out.append(d)
    return out


def values_at(session: Session, days: Sequence[dt.date]) -> dict[dt.date, tuple[Decimal, Decimal]]:
    """``{day: (value in the warehouses, value in transit)}`` at the end of each of ``days``.

    One pass over the ledger's daily totals with running sums (not a query per day): what
    ``ecerp check`` compares with the inventory accounts at every month end. In transit at a day's
    end is what the transfers' moves took out and did not bring back in by then, less what closing
    them short recorded as lost by then (the lines' cost, the cost the goods left with). Reads
    without a permission check: the invariants run without an actor.
    """
    daily = select(
        StockMove.business_date, StockMove.source_type, func.sum(StockMove.quantity * StockMove.unit_cost)
    )
    daily = daily.group_by(StockMove.business_date, StockMove.source_type)
    lost = (
        select(Transfer.closed_at, func.sum(TransferLine.lost * TransferLine.unit_cost))
        .join(TransferLine, TransferLine.transfer_id == Transfer.id)
        .where(TransferLine.lost > 0)
        .group_by(Transfer.closed_at)
    )
    changes: dict[dt.date, list[Decimal]] = {}  # day -> [warehouses, transit]
    for day, source_type, value in session.execute(daily):
        change = changes.setdefault(day, [Decimal(0), Decimal(0)])
        change[0] += Decimal(value or 0)
        if source_type == TRANSFER_SOURCE:
            change[1] -= Decimal(value or 0)
    for closed_at, value in session.execute(lost):
        changes.setdefault(business_date(session, closed_at), [Decimal(0), Decimal(0)])[1] -= Decimal(value)
    out: dict[dt.date, tuple[Decimal, Decimal]] = {}
    pending = sorted(changes.items())
    stock = transit = Decimal(0)
    n = 0
    for day in sorted(set(days)):
        while n < len(pending) and pending[n][0] <= day:
            stock += pending[n][1][0]
            transit += pending[n][1][1]
            n += 1
        out[day] = (round_money(stock), round_money(transit))
    return out


def ledger_positions(session: Session, actor: Actor, *, as_of: dt.date | None = None) -> list[tuple]:
    """``(product_id, warehouse_id, quantity, value)`` of every position from the moves (set-based)."""
    require(actor, "stock.read")
    stmt = select(
        StockMove.product_id,
        StockMove.warehouse_id,
        func.sum(StockMove.quantity),
        func.sum(StockMove.quantity * StockMove.unit_cost),
    )
    if as_of is not None:
        stmt = stmt.where(StockMove.business_date <= as_of)
    stmt = stmt.group_by(StockMove.product_id, StockMove.warehouse_id)
    return [tuple(r) for r in session.connection().execute(stmt)]


def moves_stmt(
    *,
    search: str = "",
    warehouse_id: int | None = None,
    move_type: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    source_type: str | None = None,
    source_id: int | None = None,
) -> Select:
    """Movement history (库存变动历史), newest first, filtered by SKU, warehouse, type, dates, document."""
    stmt = (
        select(
            StockMove.id.label("id"),
            StockMove.business_date.label("business_date"),
            StockMove.at.label("at"),
            Product.sku.label("sku"),
            Product.name_zh.label("name_zh"),
            Product.name_en.label("name_en"),
            Warehouse.code.label("warehouse"),
            StockMove.move_type.label("move_type"),
            StockMove.quantity.label("quantity"),
            StockMove.unit_cost.label("unit_cost"),
            (StockMove.quantity * StockMove.unit_cost).label("value"),
            StockMove.source_type.label("source_type"),
            StockMove.source_id.label("source_id"),
            StockMove.note.label("note"),
        )
        .join(Product, Product.id == StockMove.product_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .order_by(StockMove.id.desc())
    )
    if warehouse_id is not None:
        stmt = stmt.where(StockMove.warehouse_id == warehouse_id)
    if move_type:
        stmt = stmt.where(StockMove.move_type == move_type)
    if date_from:
        stmt = stmt.where(StockMove.business_date >= date_from)
    if date_to:
        stmt = stmt.where(StockMove.business_date <= date_to)
    if source_type:
        stmt = stmt.where(StockMove.source_type == source_type)
    if source_id is not None:
        stmt = stmt.where(StockMove.source_id == source_id)
    return text_filter(stmt, [Product.sku, Product.name_zh, Product.name_en, StockMove.note], search)


def list_moves(
    session: Session,
    actor: Actor,
    *,
    sort: str | None = None,
    descending: bool = False,
    offset: int = 0,
    limit: int = 50,
    **filters,
) -> Page:
    """One page of movement history; ``filters`` as :func:`moves_stmt`. Needs ``stock.read``."""
    require(actor, "stock.read")
    page = paginate(session, sort_stmt(moves_stmt(**filters), sort, descending), offset=offset, limit=limit)
    for row in page.rows:
        row["value"] = Decimal(row["value"]).quantize(Decimal("0.01"))
    return page
