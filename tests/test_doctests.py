"""Every example in the core's docstrings runs: pure functions as they stand, service examples
against a small company (two warehouses, a tee and a mug, a supplier, a confirmed purchase order)."""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import pkgutil
from decimal import Decimal

import pytest

import ecerp_core
from ecerp_core import auth
from ecerp_core.catalog import services as catalog
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.purchasing.services import PurchaseLineDraft, PurchaseOrderDraft, create_purchase_order
from ecerp_core.purchasing.services import confirm_purchase_orders as confirm

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(ecerp_core.__path__, "ecerp_core.")
    if ".migrations" not in m.name and "__main__" not in m.name
)


def _has_examples(name: str) -> bool:
    module = importlib.import_module(name)
    return bool(
        doctest.DocTestFinder().find(module) and any(t.examples for t in doctest.DocTestFinder().find(module))
    )


@pytest.fixture
def company(session, admin) -> dict:
    """The names service examples use."""
    sh = catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="华东")
    gz = catalog.create_warehouse(session, admin, code="GZ", name="广州仓", region="华南")
    category = catalog.ensure_category_path(session, admin, "服装/T恤")
    tee = catalog.create_product(
        session, admin, sku="TEE-1", name_zh="T恤", cost="20.00", list_price="59.00", category=category.code
    )
    mug = catalog.create_product(
        session, admin, sku="MUG-1", name_zh="马克杯", cost="8.00", list_price="29.00"
    )
    shop = catalog.create_shop(
        session, admin, code="TB", name="淘宝店", platform="taobao", default_warehouse="SH"
    )
    catalog.create_shop(
        session, admin, code="SHOPIFY", name="Shopify", platform="shopify", default_warehouse="SH"
    )
    supplier = catalog.create_supplier(session, admin, code="S1", name="供应商", lead_time_days=5)
    po_id = create_purchase_order(
        session,
        admin,
        PurchaseOrderDraft(supplier.id, sh.id, (PurchaseLineDraft(tee.id, 10, Decimal("30.00")),)),
    )
    confirm(session, admin, [po_id])
    line = (OrderLineDraft("TEE-1", 1, Decimal("59.00"), Decimal("59.00")),)
    placed = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    import_order_drafts(
        session,
        admin,
        [
            OrderDraft(shop.id, number, "paid", placed, "CNY", line, Decimal("59.00"), Decimal("59.00"))
            for number in ("TB1001", "TB1002")
        ],
    )
    auth.create_user(session, admin, "clerk", "password-123", "order_clerk")
    return {
        "session": session,
        "admin": admin,
        "clerk": auth.resolve_actor(session, "clerk"),
        "sh": sh,
        "gz": gz,
        "warehouse": sh,
        "tee": tee,
        "product": tee,
        "mug": mug,
        "po_id": po_id,
        "Decimal": Decimal,
        "date": dt.date,
    }


@pytest.mark.parametrize("name", [m for m in MODULES if _has_examples(m)])
def test_docstring_examples_run(name, company):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    runner = doctest.DocTestRunner(optionflags=flags)
    for test in doctest.DocTestFinder().find(module, extraglobs=company):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
