"""After-sales cases as a clerk works them: a case read whole (its row, the lines it concerns, its order),
and the clerk's actions, which follow the case's status and kind."""

from __future__ import annotations

from decimal import Decimal

import pytest
from business_fixtures import stock_row
from sqlalchemy import select
from test_orders import draft, stocked

from ecerp_core.errors import NotFound, PermissionDenied, ValidationError
from ecerp_core.orders import cases, queries, services
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order, OrderEvent


@pytest.fixture
def shipped(session, admin, biz):
    """Two shipped orders, R1 (a tee) and R2 (two mugs)."""
    stocked(session, admin, biz)
    ids = list(
        import_order_drafts(
            session, admin, [draft(biz, "R1", ("TEE-1", 1, "59.00")), draft(biz, "R2", ("MUG-1", 2, "29.00"))]
        ).order_ids
    )
    services.approve_orders(session, admin, ids)
    services.ship_orders(session, admin, ids)
    return ids


def test_a_case_is_read_with_its_lines_and_its_order(session, admin, biz, shipped, actor_with_role):
    case = cases.open_case(
        session,
        admin,
        shipped[1],
        "return_refund",
        amount=Decimal("29.00"),
        lines=[(1, 1)],
        reason="七天无理由退货",
        warehouse_id=biz.gz,
    )
    found = queries.case_detail(session, actor_with_role("analyst"), case)
    assert (found["id"], found["platform_order_id"], found["shop"], found["kind"], found["status"]) == (
        case,
        "R2",
        "TB",
        "return_refund",
        "requested",
    )
    assert (found["amount"], found["warehouse"], found["condition"], found["lines"]) == (
        Decimal("29.00"),
        "GZ",
        "sellable",
        [[1, 1]],
    )
    assert found["order"]["platform_order_id"] == "R2" and found["order"]["lines"][0]["sku"] == "MUG-1"
    assert [c["id"] for c in found["order"]["cases"]] == [case]
    with pytest.raises(NotFound):
        queries.case_detail(session, admin, case + 1000)
    with pytest.raises(PermissionDenied):
        queries.case_detail(session, actor_with_role("purchaser"), case)


def test_a_clerks_actions_follow_the_case_and_its_kind(session, admin, biz, shipped, actor_with_role):
    tee_order, mug_order = shipped
    ret = cases.open_case(session, admin, tee_order, "return_refund", amount=Decimal("59.00"), lines=[(1, 1)])
    assert cases.act_on_case(session, admin, ret, "approve") == "waiting_return"  # then the goods come back
    assert (
        cases.act_on_case(
            session, admin, ret, "receive", warehouse_id=biz.gz, condition="damaged", note="外箱破损"
        )
        == "received"
    )
    assert cases.act_on_case(session, admin, ret, "complete") == "done"
    session.expire_all()
    assert session.get(Order, tee_order).status == "refunded"
    assert stock_row(session, biz.tee, biz.gz) == (0, 0)  # damaged: written off at once
    # a platform approved this return without asking for the goods: receiving asks for them first
    other = cases.open_case(
        session,
        admin,
        mug_order,
        "return_refund",
        amount=Decimal("29.00"),
        warehouse_id=biz.sh,
        platform_status="退款中",
    )
    assert cases.case_actions("return_refund", "approved") == ["receive", "close"]
    assert cases.act_on_case(session, admin, other, "receive") == "received"  # into the case's warehouse
    steps = session.scalars(
        select(OrderEvent.event).where(OrderEvent.order_id == mug_order).order_by(OrderEvent.id)
    )
    assert [e for e in steps if e.startswith("case:")][-2:] == ["case:waiting_return", "case:received"]
    assert cases.act_on_case(session, admin, other, "reject", note="商品已使用") == "rejected"


def test_refund_only_waits_for_no_goods_and_a_wrong_action_is_refused(
    session, admin, biz, shipped, actor_with_role
):
    refund = cases.open_case(session, admin, shipped[1], "refund_only", amount=Decimal("10.00"))
    with pytest.raises(PermissionDenied):
        cases.act_on_case(session, actor_with_role("warehouse_clerk"), refund, "approve")
    assert cases.act_on_case(session, actor_with_role("order_clerk"), refund, "approve") == "approved"
    with pytest.raises(ValidationError) as refused:
        cases.act_on_case(session, admin, refund, "receive", warehouse_id=biz.sh)
    assert (
        refused.value.problems[0].message("en")
        == f"case #{refund} is Approved: Receive return is not possible now"
    )
    assert (
        refused.value.problems[0].message("zh_CN") == f"售后单 #{refund} 当前为「已同意」，不能确认收到退货"
    )
    assert cases.act_on_case(session, admin, refund, "close") == "closed"
    with pytest.raises(ValidationError):
        cases.act_on_case(session, admin, refund + 1000, "close")
    reship = cases.open_case(session, admin, shipped[0], "reship")
    cases.act_on_case(session, admin, reship, "approve")
    with pytest.raises(ValidationError) as refused:  # a reship sends goods; none come back
        cases.act_on_case(session, admin, reship, "receive")
    assert refused.value.problems[0].code == "problem.action_not_allowed"


def test_the_open_queue_is_oldest_first_and_all_cases_latest_first(session, admin, shipped):
    """Issue 11, defect 17: the list of all cases was oldest first too."""
    first = cases.open_case(session, admin, shipped[0], "refund_only", amount=Decimal("10.00"))
    second = cases.open_case(session, admin, shipped[1], "refund_only", amount=Decimal("5.00"))
    assert [c["id"] for c in queries.list_cases(session, admin, "open").rows] == [first, second]
    assert [c["id"] for c in queries.list_cases(session, admin, "all").rows] == [second, first]
