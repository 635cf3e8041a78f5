"""Goods at other VAT rates by category (foods 9%, services 6%): what a sale, its refund, a purchase
receipt and a supplier return book as VAT, each line at its category's rate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from test_orders import draft
from test_pipeline_cli import run
from test_returns import balance, receive

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.models import Category
from ecerp_core.checks import run_checks
from ecerp_core.orders import aftersales, services
from ecerp_core.orders.aftersales import RefundDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.purchasing import returns
from ecerp_core.purchasing import services as purchasing
from ecerp_core.purchasing.receipts import ReceiptDraft, receive_purchase_orders

D = Decimal
OUTPUT, INPUT = "22210102", "22210101"


@pytest.fixture
def rated(session, admin, biz):
    """食品 at 9% (TEA-1, cost 50.00), 服务 at 6% (SVC-1, stocked for the test), T-shirts at the
    company's 13%."""
    catalog.create_records(
        session,
        admin,
        "category",
        [
            {"code": "FOOD", "name_zh": "食品", "vat_rate": "0.09"},
            {"code": "SVC", "name_zh": "服务", "vat_rate": "0.06"},
        ],
    )
    tea = catalog.create_product(session, admin, sku="TEA-1", name_zh="绿茶", category="FOOD")
    svc = catalog.create_product(session, admin, sku="SVC-1", name_zh="安装包", category="SVC")
    session.flush()
    return tea.id, svc.id


def test_a_taobao_order_at_9_and_13_percent_books_each_lines_vat_and_a_refund_of_the_9_line_gives_9_back(
    session, admin, biz, rated
):
    """109.00 of tea + 113.00 of T-shirt, VAT inclusive: output VAT 9.00 + 13.00 = 22.00, revenue
    200.00. Tea back for 54.50 gives back 4.50 of VAT (9%), not 6.27 (13%)."""
    tea, _ = rated
    receive(session, admin, tea, biz.sh, 5, "50.00")
    receive(session, admin, biz.tee, biz.sh, 5, "20.00")
    [oid] = import_order_drafts(
        session, admin, [draft(biz, "V1", ("TEA-1", 2, "54.50"), ("TEE-1", 1, "113.00"))]
    ).order_ids
    services.approve_orders(session, admin, [oid])
    services.ship_orders(session, admin, [oid])
    assert balance(session, OUTPUT) == D("-22.00")
    assert balance(session, "6001") == D("-200.00")
    aftersales.refund_orders(session, admin, [RefundDraft(oid, returns=(("TEA-1", 1),))])
    assert balance(session, OUTPUT) == D("-17.50")
    assert balance(session, "6001") == D("-150.00")
    # the rest of the money back without goods: its share of the 22.00 the sale booked
    aftersales.refund_orders(session, admin, [RefundDraft(oid)])
    assert balance(session, OUTPUT) == D("0.00")
    assert balance(session, "6001") == D("0.00")
    session.flush()
    assert [r for r in run_checks(session) if r.failures] == []


def test_an_order_all_at_the_company_rate_still_books_13_percent(session, admin, biz, rated):
    receive(session, admin, biz.tee, biz.sh, 5, "20.00")
    [oid] = import_order_drafts(session, admin, [draft(biz, "V2", ("TEE-1", 1, "99.90"))]).order_ids
    services.approve_orders(session, admin, [oid])
    services.ship_orders(session, admin, [oid])
    assert balance(session, OUTPUT) == D("-11.49")
    assert balance(session, "6001") == D("-88.41")


def test_a_receipt_of_a_6_percent_category_and_its_return_book_6_percent_input_vat(
    session, admin, biz, rated
):
    """6 installation kits at 50.00 + 10 T-shirts at 18.00 received: input VAT 18.00 + 23.40; 2 kits
    back to the supplier: 6.00 of input VAT out again."""
    _, svc = rated
    po = purchasing.create_purchase_order(
        session,
        admin,
        purchasing.PurchaseOrderDraft(
            biz.supplier,
            biz.sh,
            (
                purchasing.PurchaseLineDraft(svc, 6, D("50.00")),
                purchasing.PurchaseLineDraft(biz.tee, 10, D("18.00")),
            ),
        ),
    )
    purchasing.confirm_purchase_orders(session, admin, [po])
    receive_purchase_orders(session, admin, [ReceiptDraft(po)])
    assert balance(session, INPUT) == D("41.40")
    returns.return_to_suppliers(
        session, admin, [returns.ReturnDraft(biz.supplier, biz.sh, ((svc, 2),), purchase_order_id=po)]
    )
    assert balance(session, INPUT) == D("35.40")
    session.flush()
    assert [r for r in run_checks(session) if r.failures] == []


def test_a_categorys_vat_rate_from_the_cli(session, admin, capsys):
    session.commit()  # SQLite: the CLI writes in its own session
    code, _, err = run(capsys, "categories", "add", "DRINK", "--name", "饮料", "--vat-rate", "0.09")
    assert code == 0, err
    code, _, err = run(capsys, "categories", "edit", "DRINK", "--vat-rate", "0.06")
    assert code == 0, err
    code, _, err = run(capsys, "categories", "edit", "DRINK", "--vat-rate", "1.5")
    assert code != 0
    assert "1.5" in err
    session.expire_all()
    assert session.scalar(select(Category.vat_rate).where(Category.code == "DRINK")) == D("0.06")
