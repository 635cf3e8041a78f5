"""Demand history: units sold per SKU × warehouse × day, from shipped order lines and imported history.

Bundles are exploded into their components (a bundle has no stock of its own); history imported with
``ecerp orders import --history`` has no warehouse (``""``). A day on which a stocked position sold
nothing *and* had nothing available is censored — a stock-out, not zero demand — and is ``NaN`` in the
panel, which every model skips.

pandas is imported inside the functions that use it (here, in ``dates`` and ``ml``): the Forecast app
opens without paying for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import BundleComponent, Category, Product, Warehouse
from ecerp_core.orders.models import Order, OrderLine
from ecerp_core.stock.models import StockMove

if TYPE_CHECKING:
    import pandas as pd

SOLD = ("shipped", "finished")
"""Statuses of live orders whose lines are demand (refunded ones too when returns are not netted)."""
NOT_SOLD_HISTORY = ("closed", "cancelled", "pending_payment")


@dataclass(frozen=True)
class Panel:
    """Daily demand of many series.

    keys: (sku, warehouse code — "" for history without one) per series; days: the calendar days;
    y: units per series and day (NaN: censored); price: each series' average selling price (float,
    for weighting only); product_ids: the product of each series (None: a platform SKU we do not know).
    """

    keys: list[tuple[str, str]]
    days: pd.DatetimeIndex
    y: np.ndarray
    price: np.ndarray
    product_ids: list[int | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    def index(self, sku: str, warehouse: str = "") -> int:
        return self.keys.index((sku, warehouse))

    def take(self, rows: np.ndarray | list[int]) -> Panel:
        rows = list(rows)
        return Panel(
            [self.keys[i] for i in rows],
            self.days,
            self.y[rows],
            self.price[rows],
            [self.product_ids[i] for i in rows] if self.product_ids else [],
        )


def build_panel(
    sales: pd.DataFrame,
    stock: pd.DataFrame | None,
    start: dt.date,
    end: dt.date,
    *,
    active_days: int | None = None,
) -> Panel:
    """The panel of ``sales`` (columns sku, warehouse, day, qty, revenue[, product_id]) from ``start`` to
    ``end``, censored where ``stock`` (sku, warehouse, day, change: the net stock move of the day,
    moves before ``start`` included) shows nothing on hand at the start and end of a day without sales.

    Positions without any stock move are not censored (history without a warehouse has none).
    ``active_days``: only series with a sale in the last that many days.

    >>> import pandas as pd
    >>> sales = pd.DataFrame({"sku": ["A", "A"], "warehouse": ["W", "W"], "qty": [2, 1],
    ...     "revenue": [20.0, 10], "day": [dt.date(2025, 1, 1), dt.date(2025, 1, 4)]})
    >>> stock = pd.DataFrame({"sku": ["A", "A", "A"], "warehouse": ["W"] * 3, "change": [2, -2, 1],
    ...     "day": [dt.date(2024, 12, 1), dt.date(2025, 1, 1), dt.date(2025, 1, 3)]})
    >>> build_panel(sales, stock, dt.date(2025, 1, 1), dt.date(2025, 1, 4)).y.tolist()
    [[2.0, nan, 0.0, 1.0]]
    """
    import pandas as pd

    days = pd.date_range(start, end, freq="D")
    sales = sales[(sales["day"] >= start) & (sales["day"] <= end)]
    if active_days is not None:
        recent = sales[sales["day"] > end - dt.timedelta(days=active_days)]
        sales = sales.merge(recent[["sku", "warehouse"]].drop_duplicates(), on=["sku", "warehouse"])
    grouped = sales.groupby(["sku", "warehouse"], sort=True)
    keys = list(grouped.groups.keys())
    row_of = {k: i for i, k in enumerate(keys)}
    y = np.zeros((len(keys), len(days)))
    if len(sales):
        rows = [row_of[k] for k in zip(sales["sku"], sales["warehouse"], strict=True)]
        cols = (pd.to_datetime(sales["day"]) - days[0]).dt.days.to_numpy()
        np.add.at(y, (np.array(rows), cols), sales["qty"].to_numpy(dtype=float))
    qty = grouped["qty"].sum()
    price = (grouped["revenue"].sum() / qty.where(qty > 0)).fillna(0).to_numpy(dtype=float)
    product_ids = (
        [None if pd.isna(p) else int(p) for p in grouped["product_id"].first()]
        if "product_id" in sales
        else [None] * len(keys)
    )
    if stock is not None and len(stock) and keys:
        _censor(y, stock, row_of, days)
    return Panel(keys, days, y, price, product_ids)


def _censor(y: np.ndarray, stock: pd.DataFrame, row_of: dict, days: pd.DatetimeIndex) -> None:
    import pandas as pd

    first = days[0].date()
    stock = stock[[k in row_of for k in zip(stock["sku"], stock["warehouse"], strict=True)]]
    change = np.zeros_like(y)
    opening = np.zeros(y.shape[0])
    tracked = np.zeros(y.shape[0], dtype=bool)
    for (sku, wh), moves in stock.groupby(["sku", "warehouse"]):
        r = row_of[(sku, wh)]
        tracked[r] = True
        before = moves["day"] < first
        opening[r] = moves.loc[before, "change"].sum()
        inside = moves[~before & (moves["day"] <= days[-1].date())]
        cols = (pd.to_datetime(inside["day"]) - days[0]).dt.days.to_numpy()
        np.add.at(change[r], cols, inside["change"].to_numpy(dtype=float))
    end_of_day = opening[:, None] + np.cumsum(change, axis=1)
    start_of_day = end_of_day - change
    out = tracked[:, None] & (y == 0) & (np.maximum(start_of_day, end_of_day) <= 0)
    y[out] = np.nan


def load_sales(
    session: Session,
    actor: Actor,
    *,
    until: dt.date | None = None,
    warehouse: str | None = None,
    sku: str | None = None,
    category: str | None = None,
    net_returns: bool = False,
) -> pd.DataFrame:
    """Units and revenue sold per sku, warehouse and day (columns sku, warehouse, day, qty, revenue,
    product_id), bundles exploded. ``net_returns``: refunded orders are not demand; else they are
    (what the buyer wanted is what the shelf had to hold)."""
    import pandas as pd

    require(actor, "forecast.run")
    component = aliased(Product)
    sold = (
        or_(Order.status.in_(SOLD), and_(Order.status == "refunded", Order.shipped_at.is_not(None)))
        if not net_returns
        else Order.status.in_(SOLD)
    )
    live_or_history = or_(
        and_(Order.is_history.is_(False), sold),
        and_(Order.is_history.is_(True), Order.status.not_in(NOT_SOLD_HISTORY)),
    )
    units = OrderLine.quantity * func.coalesce(BundleComponent.quantity, 1)
    bundle_units = _bundle_units()
    share = case(
        (BundleComponent.id.is_(None), 1.0), else_=BundleComponent.quantity * 1.0 / bundle_units.c.units
    )
    sku_of = func.coalesce(component.sku, Product.sku, OrderLine.platform_sku)
    warehouse_of = func.coalesce(Warehouse.code, "")
    product_of = func.coalesce(component.id, Product.id)
    stmt = (
        select(
            sku_of.label("sku"),
            warehouse_of.label("warehouse"),
            Order.order_date.label("day"),
            func.sum(units).label("qty"),
            func.sum(OrderLine.amount * share).label("revenue"),
            product_of.label("product_id"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .outerjoin(
            BundleComponent, and_(BundleComponent.bundle_id == Product.id, Product.is_bundle.is_(True))
        )
        .outerjoin(bundle_units, bundle_units.c.bundle_id == BundleComponent.bundle_id)
        .outerjoin(component, component.id == BundleComponent.component_id)
        .outerjoin(Warehouse, Warehouse.id == Order.warehouse_id)
        .where(live_or_history, OrderLine.quantity > 0)
        .group_by(sku_of, warehouse_of, Order.order_date, product_of)
    )
    if until is not None:
        stmt = stmt.where(Order.order_date <= until)
    if warehouse:
        stmt = stmt.where(Warehouse.code == warehouse)
    if sku:
        stmt = stmt.where(sku_of == sku)
    if category:
        stmt = stmt.join(Category, Category.id == func.coalesce(component.category_id, Product.category_id))
        stmt = stmt.where(or_(Category.code == category, Category.path.like(f"%{category}%")))
    rows = session.connection().execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["sku", "warehouse", "day", "qty", "revenue", "product_id"])
    frame["qty"] = frame["qty"].astype(float)
    frame["revenue"] = frame["revenue"].astype(float)
    return frame


def _bundle_units():
    return (
        select(BundleComponent.bundle_id, func.sum(BundleComponent.quantity).label("units"))
        .group_by(BundleComponent.bundle_id)
        .subquery()
    )


def load_stock_changes(session: Session, actor: Actor, *, until: dt.date | None = None) -> pd.DataFrame:
    """The net stock move per sku, warehouse and day (columns sku, warehouse, day, change)."""
    import pandas as pd

    require(actor, "forecast.run")
    stmt = (
        select(
            Product.sku,
            Warehouse.code.label("warehouse"),
            StockMove.business_date.label("day"),
            func.sum(StockMove.quantity).label("change"),
        )
        .join(Product, Product.id == StockMove.product_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
        .group_by(Product.sku, Warehouse.code, StockMove.business_date)
    )
    if until is not None:
        stmt = stmt.where(StockMove.business_date <= until)
    rows = session.connection().execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["sku", "warehouse", "day", "change"])
    frame["change"] = frame["change"].astype(float)
    return frame
