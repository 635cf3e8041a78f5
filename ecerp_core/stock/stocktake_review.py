"""What people read of a stocktake: the counter's blind list, the supervisor's review with what moved
during the count, the moves themselves, the open counts. Nothing here writes; the counting, the
status and the postings are :mod:`ecerp_core.stock.stocktake`'s.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.stock.models import StockMove, Stocktake, StocktakeLine
from ecerp_core.stock.services import average_costs, on_hand
from ecerp_core.stock.stocktake import OPEN, SOURCE, read_state


def counting_lines(session: Session, actor: Actor, stocktake_id: int) -> list[dict]:
    """The counter's view of a count: product, bin, what was counted, recount flag — never the book."""
    require(actor, "stock.count")
    stmt = (
        select(
            StocktakeLine.id.label("line_id"),
            Product.sku,
            Product.name_zh,
            Product.name_en,
            Product.barcode,
            StocktakeLine.location,
            StocktakeLine.counted_qty.label("counted"),
            StocktakeLine.recount,
        )
        .join(Product, Product.id == StocktakeLine.product_id)
        .where(StocktakeLine.stocktake_id == stocktake_id)
        .order_by(StocktakeLine.recount.desc(), StocktakeLine.location, Product.sku)
    )
    return [dict(row) for row in session.connection().execute(stmt).mappings()]


def review_lines(session: Session, actor: Actor, stocktake_id: int) -> list[dict]:
    """The supervisor's view: per line the book when its count started, counted, variance in units and
    by value (average cost), what moved in the warehouse while the count was open (``moved``: frozen
    at approval, else up to now) and on hand after approval (``after`` = counted + moved)."""
    require(actor, "stock.approve")
    stocktake = read_state(session, stocktake_id)
    stmt = (
        select(
            StocktakeLine.product_id,
            Product.sku,
            Product.name_zh,
            Product.name_en,
            StocktakeLine.location,
            StocktakeLine.book_qty,
            StocktakeLine.book_at,
            StocktakeLine.moved_qty,
            StocktakeLine.counted_qty,
            StocktakeLine.first_count,
            StocktakeLine.recount,
            StocktakeLine.unit_cost,
        )
        .join(Product, Product.id == StocktakeLine.product_id)
        .where(StocktakeLine.stocktake_id == stocktake_id)
        .order_by(Product.sku)
    )
    rows = session.connection().execute(stmt).all()
    costs = average_costs(session, [row.product_id for row in rows])
    held = {} if stocktake.status == "approved" else on_hand(session, stocktake.warehouse_id, list(costs))
    out = []
    for row in rows:
        book = row.book_qty or 0
        variance = None if row.counted_qty is None else row.counted_qty - book
        moved = row.moved_qty if row.moved_qty is not None else held.get(row.product_id, 0) - book
        # an approved count keeps the cost it posted at; an open one shows today's average
        cost = row.unit_cost if row.unit_cost is not None else costs[row.product_id]
        unit = Decimal(cost).quantize(Decimal("0.01"))
        line = {
            "product_id": row.product_id,
            "sku": row.sku,
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "location": row.location,
            "book": row.book_qty,
            "book_at": row.book_at,
            "counted": row.counted_qty,
            "first_count": row.first_count,
            "recount": row.recount,
            "variance": variance,
            "moved": moved,
            "after": None if row.counted_qty is None else row.counted_qty + moved,
            "unit_cost": unit,
            "variance_value": None if variance is None else variance * unit,
        }
        out.append(line)
    return out


def moves_during_count(session: Session, actor: Actor, stocktake_id: int) -> list[dict]:
    """The moves of the count's products in its warehouse after each line's count started (until
    approval), oldest first: what shipped or arrived while the shelf was being counted. The count's
    own gains and losses are not among them."""
    require(actor, "stock.approve")
    stocktake = read_state(session, stocktake_id)
    stmt = (
        select(
            StockMove.id,
            StockMove.at,
            StockMove.business_date,
            Product.sku,
            Product.name_zh,
            Product.name_en,
            StockMove.move_type,
            StockMove.quantity,
            StockMove.source_type,
            StockMove.source_id,
            StockMove.note,
        )
        .join(
            StocktakeLine,
            (StocktakeLine.product_id == StockMove.product_id) & (StockMove.at > StocktakeLine.book_at),
        )
        .join(Stocktake, Stocktake.id == StocktakeLine.stocktake_id)
        .join(Product, Product.id == StockMove.product_id)
        .where(
            StocktakeLine.stocktake_id == stocktake_id,
            StockMove.warehouse_id == stocktake.warehouse_id,
            or_(Stocktake.approved_at.is_(None), StockMove.at <= Stocktake.approved_at),
            ~((StockMove.source_type == SOURCE) & (StockMove.source_id == stocktake_id)),
        )
        .order_by(StockMove.at, StockMove.id)
    )
    return [dict(row) for row in session.connection().execute(stmt).mappings()]


def open_stocktakes(session: Session, actor: Actor) -> list[dict]:
    """Counts not yet approved or cancelled (counting, recount, submitted), newest first."""
    require(actor, "stock.read")
    stmt = (
        select(Stocktake.id, Stocktake.number, Stocktake.status, Warehouse.code.label("warehouse"))
        .join(Warehouse, Warehouse.id == Stocktake.warehouse_id)
        .where(Stocktake.status.in_((*OPEN, "submitted")))
        .order_by(Stocktake.id.desc())
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def stocktake_status(session: Session, actor: Actor, stocktake_id: int) -> str:
    """Where a count stands: counting, recount, submitted, approved or cancelled."""
    require(actor, "stock.read")
    return read_state(session, stocktake_id).status
