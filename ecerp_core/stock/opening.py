"""Opening stock (期初库存): what each warehouse held on the go-live day, and at what unit cost.

The opening is a set of ``opening`` moves dated the go-live day, one per product and warehouse,
filed under the source ``stock_opening``. They fold into the moving average cost like a receipt
and post nothing themselves: the books' opening entry carries their value on the inventory
accounts, and :mod:`ecerp_core.finance.opening` (which calls :func:`record_opening_stock`) checks
that the two agree. A company has one stock opening, recorded before any other stock move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog import rules as catalog_rules
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.db import among
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.query import ids_by_key
from ecerp_core.stock.exceptions import StockAlreadyMoved
from ecerp_core.stock.models import StockMove
from ecerp_core.stock.services import MoveDraft, record_moves
from ecerp_core.tabular import Table, map_columns

OPENING_MOVE = "opening"
OPENING_SOURCE = "stock_opening"

ALIASES = {
    "sku": ("商家编码", "商品编码", "货号", "SKU编码"),
    "warehouse": ("warehouse code", "仓库", "仓库编码"),
    "quantity": ("qty", "数量", "期初数量", "库存数量"),
    "unit_cost": ("cost", "单位成本", "成本", "成本价", "单价"),
}
FIELDS = (
    catalog_rules.Field("sku", "code", required=True, max_length=64),
    catalog_rules.Field("warehouse", "code", required=True, max_length=64),
    catalog_rules.Field("quantity", "int", required=True, minimum=0, maximum=100_000_000),
    catalog_rules.Field("unit_cost", "money", required=True, minimum=Decimal(0)),
)


@dataclass(frozen=True)
class OpeningStockLine:
    """One product in one warehouse on the go-live day: ``quantity`` units at ``unit_cost`` each."""

    product_id: int
    warehouse_id: int
    quantity: int
    unit_cost: Decimal

    @property
    def value(self) -> Decimal:
        return self.quantity * self.unit_cost


@dataclass(frozen=True)
class StockPosition:
    """An opening line as a person reads it: the SKU and warehouse codes instead of their ids."""

    sku: str
    warehouse: str
    quantity: int
    unit_cost: Decimal
    value: Decimal


def describe_stock(session: Session, lines: Sequence[OpeningStockLine]) -> list[StockPosition]:
    """``lines`` with their SKU and warehouse codes, in the order given."""
    products = _codes(session, Product, Product.sku, {x.product_id for x in lines})
    warehouses = _codes(session, Warehouse, Warehouse.code, {x.warehouse_id for x in lines})
    return [
        StockPosition(products[x.product_id], warehouses[x.warehouse_id], x.quantity, x.unit_cost, x.value)
        for x in lines
    ]


def _codes(session: Session, model, column, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, column).where(among(session, model.id, ids))).all())


def read_opening_stock(session: Session, table: Table) -> list[OpeningStockLine]:
    """The lines of an opening-stock file (sku, warehouse, quantity, unit_cost), checked row by row.

    Rows with quantity 0 are left out. Raises :class:`ValidationError` listing every problem of every
    row with its line: an opening is taken whole or not at all, since a row left out would change its
    value.
    """
    columns = map_columns(table, ALIASES, [f.name for f in FIELDS])
    rows: list[tuple[int, dict]] = []
    problems: list[Problem] = []
    for line, raw in table:
        values, found = catalog_rules.clean(FIELDS, {f: raw[col] for f, col in columns.items()})
        problems += [p.at_line(line) for p in found]
        if not found:
            rows.append((line, values))
    products = _products(session, {v["sku"] for _, v in rows})
    warehouses = ids_by_key(session, Warehouse, "code", {v["warehouse"] for _, v in rows})
    seen: dict[tuple[str, str], int] = {}
    lines = []
    for line, v in rows:
        sku, warehouse = v["sku"], v["warehouse"]
        row_problems = []
        if sku not in products:
            row_problems.append(problem("sku", "unknown_ref", value=sku))
        elif products[sku][1]:
            row_problems.append(problem("sku", "bundle_has_no_stock", value=sku))
        if warehouse not in warehouses:
            row_problems.append(problem("warehouse", "unknown_ref", value=warehouse))
        if (sku, warehouse) in seen:
            row_problems.append(
                problem("sku", "duplicate_in_file", value=f"{sku} @ {warehouse}", line=seen[(sku, warehouse)])
            )
        seen.setdefault((sku, warehouse), line)
        problems += [p.at_line(line) for p in row_problems]
        if not row_problems and v["quantity"]:
            lines.append(
                OpeningStockLine(products[sku][0], warehouses[warehouse], v["quantity"], v["unit_cost"])
            )
    if problems:
        raise ValidationError(sorted(problems, key=lambda p: p.line or 0))
    return lines


def _products(session: Session, skus: set[str]) -> dict[str, tuple[int, bool]]:
    """``{sku: (id, is_bundle)}`` of the products among ``skus``."""
    if not skus:
        return {}
    stmt = select(Product.sku, Product.id, Product.is_bundle).where(among(session, Product.sku, skus))
    return {sku: (pid, bundle) for sku, pid, bundle in session.execute(stmt)}


def opening_stock(session: Session) -> list[OpeningStockLine]:
    """The stock opening as recorded, by product and warehouse (empty when there is none)."""
    stmt = (
        select(StockMove.product_id, StockMove.warehouse_id, StockMove.quantity, StockMove.unit_cost)
        .where(StockMove.move_type == OPENING_MOVE)
        .order_by(StockMove.product_id, StockMove.warehouse_id)
    )
    return [OpeningStockLine(*row) for row in session.execute(stmt)]


def opening_stock_date(session: Session) -> dt.date | None:
    """The go-live day of the stock opening, None when there is no stock opening."""
    return session.scalar(
        select(func.min(StockMove.business_date)).where(StockMove.move_type == OPENING_MOVE)
    )


def opening_stock_value(lines: Sequence[OpeningStockLine]) -> Decimal:
    """What the opening lines are worth: Σ quantity × unit cost.

    >>> opening_stock_value([OpeningStockLine(1, 1, 3, Decimal("21.50"))])
    Decimal('64.50')
    """
    return sum((x.value for x in lines), Decimal("0.00"))


def record_opening_stock(
    session: Session, actor: Actor, lines: Sequence[OpeningStockLine], day: dt.date
) -> int:
    """Record the opening moves dated ``day`` (needs ``stock.move``); returns how many were written.

    Raises :class:`StockAlreadyMoved` when the stock ledger holds moves already: an opening comes
    before everything else, or the moving average cost would be wrong. The caller decides the day
    and whether the opening is new (:mod:`ecerp_core.finance.opening`).
    """
    require(actor, "stock.move")
    first = session.execute(select(StockMove.business_date, StockMove.move_type).limit(1)).first()
    if first is not None:
        raise StockAlreadyMoved(date=first.business_date.isoformat(), move_type=first.move_type)
    drafts = [
        MoveDraft(
            x.product_id,
            x.warehouse_id,
            x.quantity,
            OPENING_MOVE,
            unit_cost=x.unit_cost,
            source_type=OPENING_SOURCE,
            note="期初库存",
            business_date=day,
        )
        for x in lines
    ]
    rows = record_moves(session, actor, drafts)
    audit.record(
        session,
        actor,
        "opening",
        "stock_move",
        day.isoformat(),
        {"lines": len(rows), "quantity": sum(x.quantity for x in lines), "value": opening_stock_value(lines)},
    )
    return len(rows)
