"""Use cases of forecasting: the demand panel, the backtest, the forecast and the replenishment
suggestions, and their draft purchase orders (through the purchasing services).

Forecasting reads and computes; the only write is :func:`create_draft_orders`, which is purchasing's
(it checks ``purchasing.write`` and writes the audit row).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import get_company
from ecerp_core.catalog.models import Product, Supplier, Warehouse
from ecerp_core.db import among
from ecerp_core.errors import EcerpError
from ecerp_core.forecast import ml
from ecerp_core.forecast.backtest import (
    MIN_TRAIN_DAYS,
    QUANTILES,
    Backtest,
    forecast_with,
    levels,
    run_backtest,
)
from ecerp_core.forecast.baselines import CLASSES, DEFAULT_MODEL, demand_classes
from ecerp_core.forecast.dates import Promotion
from ecerp_core.forecast.history import Panel, build_panel, load_sales, load_stock_changes
from ecerp_core.forecast.replenish import order_up_to, reorder_point, round_order, safety_stock, z_value
from ecerp_core.money import round_money
from ecerp_core.orders.queries import unreserved_demand
from ecerp_core.purchasing import replenishment as purchasing_replenishment
from ecerp_core.purchasing import services as purchasing
from ecerp_core.purchasing.models import PurchaseOrder, PurchaseOrderLine, SupplierProduct
from ecerp_core.stock.models import StockLevel

DEFAULT_LEAD_DAYS = 7


@dataclass(frozen=True)
class Scope:
    """Which series: ``warehouse`` code, ``sku``, ``category`` (code or part of its path), up to
    ``as_of`` (default: the last day with sales), sold in the last ``active_days`` days."""

    warehouse: str | None = None
    sku: str | None = None
    category: str | None = None
    as_of: dt.date | None = None
    active_days: int | None = 90
    net_returns: bool = False


def demand_panel(session: Session, actor: Actor, scope: Scope = Scope()) -> Panel:
    """The demand panel of ``scope``: one series per SKU × warehouse, days up to ``as_of``."""
    require(actor, "forecast.run")
    sales = load_sales(
        session,
        actor,
        until=scope.as_of,
        warehouse=scope.warehouse,
        sku=scope.sku,
        category=scope.category,
        net_returns=scope.net_returns,
    )
    if sales.empty:
        raise EcerpError("error.forecast_no_history")
    end = scope.as_of or max(sales["day"])
    stock = load_stock_changes(session, actor, until=end)
    return build_panel(sales, stock, min(sales["day"]), end, active_days=scope.active_days)


def backtest(
    session: Session,
    actor: Actor,
    scope: Scope = Scope(),
    *,
    horizon: int = 28,
    origins: int = 4,
    service_level: float = 0.95,
    with_ml: bool = True,
    promotions: Sequence[Promotion] = (),
) -> tuple[Panel, Backtest]:
    """Backtest every model on ``scope`` (see :func:`ecerp_core.forecast.backtest.run_backtest`)."""
    panel = demand_panel(session, actor, scope)
    return panel, run_backtest(
        panel,
        horizon=horizon,
        origins=origins,
        service_level=service_level,
        with_ml=with_ml,
        promotions=promotions,
    )


@dataclass
class ForecastRun:
    """The forecast of a panel from the day after its last day.

    mean / quantiles[q]: (series, horizon); classes and models: each series' class and model today;
    sigma: each series' daily error (backtest RMSE of its model; √mean without a backtest);
    backtest: None when the history was too short for one (each class then uses its default).
    """

    panel: Panel
    dates: list[dt.date]
    mean: np.ndarray
    quantiles: dict[float, np.ndarray]
    classes: np.ndarray
    models: list[str]
    sigma: np.ndarray
    backtest: Backtest | None

    def rows(self) -> list[dict]:
        """One dict per series and day: sku, warehouse, date, forecast, then q50, q80, q95."""
        out = []
        for i, (sku, wh) in enumerate(self.panel.keys):
            for d, day in enumerate(self.dates):
                row = {
                    "sku": sku,
                    "warehouse": wh,
                    "date": day.isoformat(),
                    "forecast": round(self.mean[i, d], 3),
                }
                for q, values in self.quantiles.items():
                    row[quantile_name(q)] = round(float(values[i, d]), 3)
                out.append(row)
        return out


def quantile_name(q: float) -> str:
    """``0.95`` -> ``q95``.

    >>> quantile_name(0.5)
    'q50'
    """
    return f"q{round(q * 100):d}"


def run_forecast(
    session: Session,
    actor: Actor,
    scope: Scope = Scope(),
    *,
    horizon: int = 28,
    origins: int = 4,
    service_level: float = 0.95,
    with_ml: bool = True,
    promotions: Sequence[Promotion] = (),
) -> ForecastRun:
    """Forecast the ``horizon`` days after ``scope.as_of`` for every series of the scope, each with the
    model its class won in the backtest (run first), with quantiles from the backtest errors."""
    panel = demand_panel(session, actor, scope)
    return forecast_panel(
        panel,
        horizon=horizon,
        origins=origins,
        service_level=service_level,
        with_ml=with_ml,
        promotions=promotions,
    )


def forecast_panel(
    panel: Panel,
    *,
    horizon: int = 28,
    origins: int = 4,
    service_level: float = 0.95,
    with_ml: bool = True,
    promotions: Sequence[Promotion] = (),
    backtest: Backtest | None = None,
) -> ForecastRun:
    """:func:`run_forecast` on a panel already loaded; ``backtest``: the panel's backtest when it has
    been run already (with the same horizon and service level), else it is run here."""
    # a short history still gets a backtest: fewer origins (at least one) instead of none
    origins = max(1, min(origins, (panel.y.shape[1] - MIN_TRAIN_DAYS) // horizon))
    bt = backtest
    if bt is None:
        try:
            bt = run_backtest(
                panel,
                horizon=horizon,
                origins=origins,
                service_level=service_level,
                with_ml=with_ml,
                promotions=promotions,
            )
        except EcerpError:  # too short for a backtest: each class keeps its default
            bt = None
    classes = demand_classes(panel.y)
    choice = {c: (bt.choices[c].model if bt else DEFAULT_MODEL[c]) for c in CLASSES}
    models = [choice[c] for c in classes]
    t = panel.y.shape[1]
    mean = np.zeros((len(panel), horizon))
    for m in sorted(set(models)):
        rows = np.array([x == m for x in models])
        f = forecast_with(
            m, panel.y if m == ml.NAME else panel.y[rows], panel.price, panel.days, t, horizon, promotions
        )
        mean[rows] = np.maximum(f[rows] if m == ml.NAME else f, 0)
    scale = levels(panel.y)
    quantiles = {}
    for q in sorted({*QUANTILES, service_level}):
        quantiles[q] = mean.copy()
        for i, (m, c) in enumerate(zip(models, classes, strict=True)):
            offset = bt.offsets.get((m, c), {}).get(q) if bt else None
            if offset is None:  # no backtest errors: Poisson-like spread around the mean
                offset = (np.sqrt(mean[i].mean()) * z_value(q)) / scale[i]
            quantiles[q][i] = np.maximum(mean[i] + offset * scale[i], 0)
    if bt is not None:
        sigma = np.array([bt.series_rmse[m][i] for i, m in enumerate(models)])
    else:
        sigma = np.sqrt(mean.mean(axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sigma = np.where(np.isnan(sigma), np.sqrt(mean.mean(axis=1)), sigma)
    dates = [panel.days[-1].date() + dt.timedelta(days=d + 1) for d in range(horizon)]
    return ForecastRun(panel, dates, mean, quantiles, classes, models, sigma, bt)


@dataclass(frozen=True)
class Replenishment:
    """What to order for one product and warehouse, from its forecast.

    mean_daily / sigma_daily: forecast demand and error per day; lead_days: the supplier's lead time;
    safety_stock, reorder_point, order_up_to: in units (rounded up); position: available + on order −
    paid orders waiting; quantity: order-up-to − position rounded to ``moq`` and ``pack_size`` (0: the
    position is above the reorder point); unit_price in the supplier's ``currency``.
    """

    product_id: int
    sku: str
    warehouse_id: int
    warehouse: str
    supplier_id: int | None
    supplier: str
    demand_class: str
    model: str
    mean_daily: float
    sigma_daily: float
    lead_days: int
    review_days: int
    safety_stock: int
    reorder_point: int
    order_up_to: int
    position: int
    moq: int
    pack_size: int
    quantity: int
    unit_price: Decimal
    currency: str

    def as_suggestion(self) -> purchasing_replenishment.Suggestion:
        """The purchasing suggestion this becomes (min/max read as reorder point / order-up-to)."""
        return purchasing_replenishment.Suggestion(
            self.product_id,
            self.sku,
            self.warehouse_id,
            self.warehouse,
            self.supplier_id,
            self.supplier,
            self.position,
            self.reorder_point,
            self.order_up_to,
            self.quantity,
            self.unit_price,
            self.currency,
        )


@dataclass(frozen=True)
class Offer:
    supplier_id: int
    supplier: str
    currency: str
    unit_price: Decimal | None
    lead_days: int
    moq: int
    pack_size: int


def offers(session: Session, product_ids: Sequence[int]) -> dict[int, Offer]:
    """Each product's preferred supplier offer (lowest ``priority``), with lead time, MOQ and pack size
    falling back to the supplier's own; a product nobody offers: the supplier of its latest purchase
    order, at that order's price (as min/max replenishment does)."""
    stmt = (
        select(SupplierProduct, Supplier)
        .join(Supplier, Supplier.id == SupplierProduct.supplier_id)
        .where(among(session, SupplierProduct.product_id, list(product_ids)), Supplier.active.is_(True))
        .order_by(SupplierProduct.product_id, SupplierProduct.priority.desc(), SupplierProduct.id.desc())
    )
    out = {}
    for sp, sup in session.execute(stmt).tuples():
        out[sp.product_id] = Offer(
            sup.id,
            sup.name,
            sup.currency,
            sp.unit_price,
            sp.lead_time_days or sup.lead_time_days or DEFAULT_LEAD_DAYS,
            sp.min_order_qty or sup.min_order_qty or 1,
            sp.pack_size or 1,
        )
    latest = (
        select(PurchaseOrderLine.product_id, func.max(PurchaseOrderLine.id).label("line_id"))
        .where(among(session, PurchaseOrderLine.product_id, [p for p in product_ids if p not in out]))
        .group_by(PurchaseOrderLine.product_id)
        .subquery()
    )
    ordered = (
        select(latest.c.product_id, PurchaseOrderLine.unit_price, Supplier)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == latest.c.line_id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(Supplier.active.is_(True))
    )
    for product_id, price, sup in session.execute(ordered).tuples():
        out[product_id] = Offer(
            sup.id,
            sup.name,
            sup.currency,
            price,
            sup.lead_time_days or DEFAULT_LEAD_DAYS,
            sup.min_order_qty or 1,
            1,
        )
    return out


def replenishment(
    session: Session,
    actor: Actor,
    run: ForecastRun | None = None,
    *,
    scope: Scope = Scope(),
    service_level: float = 0.95,
    review_days: int = 7,
    only_needed: bool = True,
) -> list[Replenishment]:
    """Replenishment per product × warehouse from ``run`` (forecast now when not given); history
    without a warehouse or a product of ours has nothing to replenish."""
    require(actor, "purchasing.read")
    run = run or run_forecast(session, actor, scope, service_level=service_level)
    rows = [i for i, (_, wh) in enumerate(run.panel.keys) if wh and run.panel.product_ids[i] is not None]
    if not rows:
        return []
    product_ids = sorted({run.panel.product_ids[i] for i in rows})
    warehouses = dict(session.execute(select(Warehouse.code, Warehouse.id)).all())
    available = {
        (p, w): on_hand - reserved
        for p, w, on_hand, reserved in session.execute(
            select(
                StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved
            ).where(among(session, StockLevel.product_id, product_ids))
        ).tuples()
    }
    bundles = set(
        session.scalars(select(Product.id).where(among(session, Product.id, product_ids), Product.is_bundle))
    )
    coming = purchasing.on_order(session, actor)
    waiting = unreserved_demand(session, actor, product_ids)
    found = offers(session, product_ids)
    base = get_company(session).base_currency
    costs = dict(
        session.execute(select(Product.id, Product.cost).where(among(session, Product.id, product_ids))).all()
    )
    out = []
    for i in rows:
        sku, wh = run.panel.keys[i]
        pid, wid = run.panel.product_ids[i], warehouses.get(wh)
        if wid is None or pid in bundles:
            continue
        offer = found.get(pid)
        lead = offer.lead_days if offer else DEFAULT_LEAD_DAYS
        mean = float(run.mean[i, : lead + review_days].mean())
        sigma = float(run.sigma[i])
        ss = float(safety_stock(sigma, lead, review_days, service_level))
        rop = int(np.ceil(reorder_point(mean, lead, ss)))
        top = int(np.ceil(order_up_to(mean, lead, review_days, ss)))
        position = int(available.get((pid, wid), 0) + coming.get((pid, wid), 0) - waiting.get((pid, wid), 0))
        moq, pack = (offer.moq, offer.pack_size) if offer else (1, 1)
        qty = round_order(top - position, moq, pack) if position <= rop else 0
        if only_needed and qty == 0:
            continue
        price = offer.unit_price if offer and offer.unit_price is not None else round_money(costs.get(pid, 0))
        out.append(
            Replenishment(
                pid,
                sku,
                wid,
                wh,
                offer.supplier_id if offer else None,
                offer.supplier if offer else "",
                str(run.classes[i]),
                run.models[i],
                round(mean, 3),
                round(sigma, 3),
                lead,
                review_days,
                int(np.ceil(ss)),
                rop,
                top,
                position,
                moq,
                pack,
                qty,
                price,
                offer.currency if offer else base,
            )
        )
    out.sort(key=lambda r: (r.supplier_id is None, r.supplier_id or 0, r.warehouse, r.sku))
    return out


def create_draft_orders(session: Session, actor: Actor, lines: Sequence[Replenishment]) -> list[int]:
    """Draft purchase orders from replenishment lines, one per supplier and warehouse (purchasing's
    service: it checks ``purchasing.write`` and audits). Lines without a supplier are left out."""
    return purchasing_replenishment.create_orders_from_suggestions(
        session, actor, [line.as_suggestion() for line in lines if line.quantity > 0]
    )
