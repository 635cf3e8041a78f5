"""An after-sales case read whole, for a desk or a script: its row, the lines it concerns, its order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_orders import draft, stocked

from ecerp_core.errors import NotFound, PermissionDenied
from ecerp_core.orders import cases, queries, services


@pytest.fixture
def shipped(session, admin, biz):
    """Two shipped orders, R1 (a tee) and R2 (two mugs)."""
    stocked(session, admin, biz)
    ids = list(services.import_order_drafts(session, admin, [draft(biz, "R1", ("TEE-1", 1, "59.00")),
                                                             draft(biz, "R2", ("MUG-1", 2, "29.00"))]).order_ids)  # fmt: skip
    services.approve_orders(session, admin, ids)
    services.ship_orders(session, admin, ids)
    return ids


def test_a_case_is_read_with_its_lines_and_its_order(session, admin, biz, shipped, actor_with_role):
    case = cases.open_case(session, admin, shipped[1], "return_refund", amount=Decimal("29.00"), lines=[(1, 1)],
                           reason="七天无理由退货", warehouse_id=biz.gz)  # fmt: skip
    found = queries.case_detail(session, actor_with_role("analyst"), case)
    assert (found["id"], found["platform_order_id"], found["shop"], found["kind"], found["status"]) == (
        case, "R2", "TB", "return_refund", "requested")  # fmt: skip
    assert (found["amount"], found["warehouse"], found["condition"], found["lines"]) == (
        Decimal("29.00"), "GZ", "sellable", [[1, 1]])  # fmt: skip
    assert found["order"]["platform_order_id"] == "R2" and found["order"]["lines"][0]["sku"] == "MUG-1"
    assert [c["id"] for c in found["order"]["cases"]] == [case]
    with pytest.raises(NotFound):
        queries.case_detail(session, admin, case + 1000)
    with pytest.raises(PermissionDenied):
        queries.case_detail(session, actor_with_role("purchaser"), case)
