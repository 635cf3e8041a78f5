"""Reading the ledger: stock levels with their value, stock value at any date, movement history.

Two values, both exact and both set-based:

- a level's value is ``on_hand × the moving average cost`` now (what a buyer or clerk looks at);
- the stock value *at a date* is the ledger's own value, ``Σ quantity × unit_cost`` of the moves up to
  that date — what the inventory account holds. A backdated move changes the value from its date on
  and nothing before it, without any re-run; the average cost folds it in when it is posted.

Statements are plain ``Select`` objects so the apps' grids page and sort them in the database.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Select, String, cast, func, literal, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Category, Product, Warehouse
from ecerp_core.query import Page, paginate, sort_stmt, text_filter
from ecerp_core.stock.models import ProductCost, StockLevel, StockMove, StockSetting

GROUPINGS = ("warehouse", "category", "product")


def _unit_cost():
    return func.coalesce(ProductCost.average_cost, Product.cost)


def levels_stmt(
    *, warehouse_id: int | None = None, search: str = "", below_min: bool = False, nonzero: bool = False
) -> Select:
    """Stock levels with product, warehouse, available, bin, min/max, unit cost and value."""
    cost = _unit_cost()
    available = StockLevel.on_hand - StockLevel.reserved
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
        .order_by(Product.sku, Warehouse.code)
    )
    if warehouse_id is not None:
        stmt = stmt.where(StockLevel.warehouse_id == warehouse_id)
    if below_min:
        stmt = stmt.where(available < StockSetting.min_qty)
    if nonzero:
        stmt = stmt.where((StockLevel.on_hand != 0) | (StockLevel.reserved != 0))
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
    warehouse, category and/or product.

    >>> from ecerp_core.stock.services import MoveDraft, post_moves
    >>> post_moves(session, admin, [MoveDraft(tee.id, sh.id, 120, "adjustment", unit_cost=Decimal("20.00"))])
    1
    >>> stock_value(session, admin, by=("warehouse", "category"))
    [{'warehouse': 'SH', 'category': '服装/T恤', 'quantity': 120, 'value': Decimal('2400.00')}]
    """
    require(actor, "stock.read")
    if not by or any(g not in GROUPINGS for g in by):
        raise ValueError(f"group by one or more of {GROUPINGS}")
    qty = func.sum(StockMove.quantity)
    value = func.sum(StockMove.quantity * StockMove.unit_cost)
    cols = []
    inner = select(StockMove.product_id, StockMove.warehouse_id, qty.label("quantity"), value.label("value"))
    if as_of is not None:
        inner = inner.where(StockMove.business_date <= as_of)
    if warehouse_id is not None:
        inner = inner.where(StockMove.warehouse_id == warehouse_id)
    moves = inner.group_by(StockMove.product_id, StockMove.warehouse_id).subquery()
    stmt = select()
    if "warehouse" in by:
        cols.append(Warehouse.code.label("warehouse"))
    if "category" in by:
        cols.append(func.coalesce(Category.path, literal("")).label("category"))
    if "product" in by:
        cols.append(Product.sku.label("sku"))
    stmt = select(
        *cols, func.sum(moves.c.quantity).label("quantity"), func.sum(moves.c.value).label("value")
    ).select_from(moves)
    if "warehouse" in by:
        stmt = stmt.join(Warehouse, Warehouse.id == moves.c.warehouse_id)
    if "category" in by or "product" in by:
        stmt = stmt.join(Product, Product.id == moves.c.product_id)
    if "category" in by:
        stmt = stmt.outerjoin(Category, Category.id == Product.category_id)
    stmt = stmt.group_by(*cols).order_by(*cols)
    out = []
    for row in session.execute(stmt):
        d = row._asdict()
        d["quantity"] = int(d["quantity"] or 0)
        d["value"] = Decimal(d["value"] or 0).quantize(Decimal("0.01"))
        out.append(d)
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
    return text_filter(stmt, [Product.sku, Product.name_zh, StockMove.note], search)


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
