"""The Customers app in plain pytest: search, open the 360 view, add and resolve a complaint,
recompute tiers, segment and export; and the Order Desk showing an order's complaints."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ecerp_core.crm import tickets
from ecerp_core.orders.models import Order
from widgets.common.actor import open_context
from widgets.customers.app import build
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.render import order_html


@pytest.fixture(autouse=True)
def _logs(tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("QUERY_STRING", raising=False)


def test_customers_app_flow(session, shop):
    session.commit()
    view = build("admin", "zh_CN")
    assert [r["code"] for r in view.customers.page.rows][:2] == ["TB-b4", "TB-b5"]  # by spend, 6000 each
    view.search.value = "b1"
    assert [r["code"] for r in view.customers.page.rows] == ["TB-b1"]
    view.open_customer("TB-b1")
    assert "1,500.00" in view.card.value and "累计消费" in view.card.value
    view.tabs.value = "tickets"
    view.new_subject.value = "包裹破损"
    view.new_order.value = "b1-2"
    view.add_ticket()
    assert view.alerts.kind == "success", view.alerts.text
    view.open_ticket(str(view.model.ticket_id))
    assert view.ticket_buttons["resolve"].layout.display == ""
    view.satisfaction.value = 4
    view.move_ticket("resolve")
    assert view.alerts.kind == "success", view.alerts.text
    assert view.ticket_buttons["reopen"].layout.display == ""
    assert "包裹破损" in view.card.value
    view.tabs.value = "tiers"
    view.recompute_tiers()
    assert "TB-b5" in view.changes_html.value
    view.tabs.value = "segments"
    view.compute_segments()
    assert "重要价值客户" in view.segment_html.value
    view.segment_pick.value = "important_value"
    view.export()
    assert "data:text/csv;base64" in view.download.value
    view.i18n.set_language("en")
    assert "Champions" in view.segment_html.value
    data, n = view.model.export("important_value", "xlsx")
    assert n == 1 and data[:2] == b"PK"


def test_order_desk_shows_an_orders_complaints(session, admin, shop):
    tickets.add_tickets(session, admin, [tickets.TicketDraft("complaint", "少发一件", order="b2-0")])
    order_id = session.scalar(select(Order.id).where(Order.platform_order_id == "b2-0"))
    session.commit()
    model = OrderDeskModel(open_context("admin", "zh_CN"))
    shown = order_html(model.open(order_id), "zh_CN")
    assert "少发一件" in shown and "投诉" in shown


def test_merges_tab_merges_and_undoes(session, admin, shop):
    from ecerp_core.catalog import services as catalog

    catalog.update_record(session, admin, "customer", "TB-b2", {"phone": "13800138000"})
    catalog.update_record(session, admin, "customer", "TB-b3", {"phone": "+86 138 0013 8000"})
    session.commit()
    view = build("admin", "en")
    view.tabs.value = "merges"
    assert (
        view.suggestion_pick.options[0][0] == "TB-b2 → TB-b3 (phone: 13800138000)"
    )  # the one with more orders is kept
    view.merge()
    assert view.alerts.kind == "success" and view.merge_pick.options[0][1] == 1
    assert "TB-b2" not in [r["code"] for r in view.model.fetch_customers(view.customers.request).rows]
    view.unmerge()
    assert view.alerts.kind == "success" and view.merge_pick.options == ()
