"""The pipeline between 付款 and 发货: review rules, routing, merge/split, batches, after-sales,
channel stock, and the business events finance posts from."""

from __future__ import annotations

from decimal import Decimal

import pytest
from business_fixtures import stock_row
from sqlalchemy import func, select
from test_orders import draft, stocked

from ecerp_core.catalog import services as catalog
from ecerp_core.errors import ValidationError
from ecerp_core.orders import (
    batch,
    cases,
    channel_stock,
    merge,
    review,
    routing,
    services,
    settings,
    skus,
    workflow,
)
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order, OrderEvent, OrderLine


def imp(session, admin, *drafts):
    return list(import_order_drafts(session, admin, list(drafts)).order_ids)


def test_auto_review_approves_what_passes_and_says_why_the_rest_waits(session, admin, biz):
    stocked(session, admin, biz, tee=3, mug=10)
    settings.set_setting(
        session, admin, "auto_approve", {**settings.DEFAULTS["auto_approve"], "amount_max": 500}
    )
    settings.set_setting(session, admin, "blacklist", ["bad_buyer"])
    ok, big, remark, black, short = imp(
        session,
        admin,
        draft(biz, "R1", ("TEE-1", 1, "59.00")),
        draft(biz, "R2", ("MUG-1", 1, "900.00")),
        draft(biz, "R3", ("MUG-1", 1, "29.00"), buyer_remark="请改地址"),
        draft(biz, "R4", ("MUG-1", 1, "29.00"), buyer_id="bad_buyer"),
        draft(biz, "R5", ("TEE-1", 5, "59.00")),
    )
    result = review.auto_review(session, admin)
    assert result["approved"] == [ok]
    assert result["waiting"] == {
        big: ["amount_out_of_range"],
        remark: ["has_remarks"],
        black: ["blacklisted"],
        short: ["out_of_stock"],
    }
    assert workflow.reasons_of(session, [remark], workflow.REVIEW) == {remark: ["has_remarks"]}
    assert stock_row(session, biz.tee, biz.sh) == (3, 1)


def test_a_merged_member_stands_for_its_parcel_and_never_blocks_review(session, admin, biz):
    """Issue 11, defect 1: approving a member alone left its parcel paid, and from then on every
    review run failed on the member; the queue listed members as orders of their own."""
    from ecerp_core.orders import checks, queries

    stocked(session, admin, biz)
    parcel, member, other = imp(
        session,
        admin,
        draft(biz, "P1", ("TEE-1", 1, "59.00")),
        draft(biz, "P2", ("MUG-1", 1, "29.00")),
        draft(biz, "P3", ("MUG-1", 1, "29.00"), buyer_id="someone_else"),
    )
    assert merge.merge_orders(session, admin, [parcel, member]) == parcel
    assert queries.order_ids(session, admin, "review") == [parcel, other]  # the member rides along
    assert services.approve_orders(session, admin, [member]) == [parcel, member]
    assert {session.get(Order, i).status for i in (parcel, member)} == {"approved"}
    assert queries.order_ids(session, admin, "to_ship") == [parcel]
    assert batch.ship_with_tracking(session, admin, [(member, "顺丰", "SF9")]) == 2
    assert session.get(Order, parcel).tracking_no == "SF9"
    assert checks.parcels_move_together(session) == []

    # a parcel whose member is in another state (data from before this fix) waits with its reason;
    # the rest of the run goes on, and `ecerp check` names the member
    a, b, c = imp(
        session,
        admin,
        draft(biz, "Q1", ("TEE-1", 1, "59.00"), buyer_id="q"),
        draft(biz, "Q2", ("MUG-1", 1, "29.00"), buyer_id="q"),
        draft(biz, "Q3", ("MUG-1", 1, "29.00"), buyer_id="r"),
    )
    assert merge.merge_orders(session, admin, [a, b]) == a
    session.execute(Order.__table__.update().where(Order.id == b).values(status="approved"))
    assert checks.parcels_move_together(session) == ["order Q2: approved but its parcel Q1 is paid"]
    result = review.auto_review(session, admin)
    assert c in result["approved"] and a not in result["approved"]
    assert result["waiting"][a] == ["parcel_not_ready"]
    assert session.get(Order, a).status == "paid"


def test_review_in_chunks_routes_splits_and_approves_parcels_whole(session, admin, biz):
    """Review reads each chunk once for routing, the checks and approval: an order routed to another
    warehouse is reserved there, a merged parcel is approved with its member (reserved where its
    parcel goes), and a chunk where routing split an order reads it again."""
    from ecerp_core.audit import AuditLog
    from ecerp_core.stock import services as stock
    from ecerp_core.stock.models import StockReservation

    stock.post_moves(
        session,
        admin,
        [
            stock.MoveDraft(biz.tee, biz.gz, 5, "receipt", unit_cost=Decimal("20")),
            stock.MoveDraft(biz.mug, biz.sh, 5, "receipt", unit_cost=Decimal("8")),
        ],
    )
    settings.set_setting(session, admin, "routing", {"on_short": "split"})
    gd, parcel, member, both, held = imp(
        session,
        admin,
        draft(biz, "G1", ("TEE-1", 1, "59.00"), region="广东", buyer_id="g"),
        draft(biz, "M1", ("MUG-1", 1, "29.00")),
        draft(biz, "M2", ("MUG-1", 2, "29.00")),
        draft(biz, "B1", ("TEE-1", 1, "59.00"), ("MUG-1", 1, "29.00"), buyer_id="b"),
        draft(biz, "H1", ("MUG-1", 1, "29.00"), buyer_id="h"),
    )
    assert merge.merge_orders(session, admin, [parcel, member]) == parcel
    batch.hold_orders(session, admin, [held], reason="等客户确认")
    result = review.auto_review(session, admin, batch=2)  # [G1, M1+M2], then [B1] which splits
    child = session.scalar(select(Order.id).where(Order.split_from_id == both))
    assert result == {"approved": [gd, parcel, member, both], "waiting": {}}
    session.expire_all()
    assert [
        (session.get(Order, i).status, session.get(Order, i).warehouse_id) for i in (gd, parcel, member)
    ] == [
        ("approved", biz.gz),
        ("approved", biz.sh),
        ("approved", biz.sh),
    ]
    assert {session.get(Order, i).status for i in (child, held)} == {"paid"}
    reserved = session.execute(
        select(
            StockReservation.source_id,
            StockReservation.product_id,
            StockReservation.warehouse_id,
            StockReservation.quantity,
        ).order_by(StockReservation.id)
    ).all()
    split_part = session.scalar(select(OrderLine.product_id).where(OrderLine.order_id == both))
    assert [tuple(r) for r in reserved] == [
        (gd, biz.tee, biz.gz, 1),
        (parcel, biz.mug, biz.sh, 1),
        (member, biz.mug, biz.sh, 2),
        (both, split_part, session.get(Order, both).warehouse_id, 1),
    ]
    history = select(OrderEvent.order_id, OrderEvent.from_status, OrderEvent.to_status)
    history = session.execute(history.where(OrderEvent.event == "approve")).all()
    assert sorted(map(tuple, history)) == sorted((i, "paid", "approved") for i in (gd, parcel, member, both))
    audits = session.scalars(
        select(AuditLog.detail).where(AuditLog.action == "approve").order_by(AuditLog.id)
    )
    assert [d["order_ids"] for d in audits] == [[gd, parcel, member], [both]]


def test_pick_list_walks_the_bins_and_picks_a_bundles_components(session, admin, biz):
    """Issue 11, defect 7: no bin column, sorted by SKU, a bundle listed as an item to pick."""
    from ecerp_core.stock.alerts import SettingDraft, set_stock_settings

    stocked(session, admin, biz, tee=20, mug=20)
    set_stock_settings(
        session,
        admin,
        [
            SettingDraft(biz.tee, biz.sh, location="A-01-02"),
            SettingDraft(biz.mug, biz.sh, location="A-01-01"),
        ],
    )
    kit, tee = imp(
        session,
        admin,
        draft(biz, "K1", ("KIT-1", 2, "129.00")),
        draft(biz, "K2", ("TEE-1", 1, "59.00"), buyer_id="other"),
    )
    services.approve_orders(session, admin, [kit, tee])
    rows = batch.pick_list(session, admin, [kit, tee])
    assert [(r["warehouse"], r["bin"], r["sku"], r["quantity"], r["orders"]) for r in rows] == [
        ("SH", "A-01-01", "MUG-1", 2, ["K1"]),
        ("SH", "A-01-02", "TEE-1", 5, ["K1", "K2"]),
    ]
    sheet = batch.pick_sheet(session, admin, [kit, tee], "zh_CN")
    assert sheet["csv"].splitlines()[:2] == [
        "仓库,库位,SKU 编码,名称,数量,订单",
        "SH,A-01-01,MUG-1,马克杯,2,K1",
    ]
    assert "仓库 SH · " in sheet["html"] and "2 个订单" in sheet["html"] and "window.print()" in sheet["html"]


def test_routing_by_region_availability_and_split(session, admin, biz):
    from ecerp_core.stock import services as stock

    stock.post_moves(
        session,
        admin,
        [
            stock.MoveDraft(biz.tee, biz.gz, 5, "receipt", unit_cost=Decimal("20")),
            stock.MoveDraft(biz.mug, biz.sh, 5, "receipt", unit_cost=Decimal("8")),
        ],
    )
    gd, sh_tee, both = imp(
        session,
        admin,
        draft(biz, "G1", ("TEE-1", 1, "59.00"), region="广东"),
        draft(biz, "S1", ("TEE-1", 1, "59.00"), region="上海"),
        draft(biz, "B1", ("TEE-1", 1, "59.00"), ("MUG-1", 1, "29.00"), region="上海"),
    )
    ok = routing.route_orders(session, admin, [gd, sh_tee, both], on_short="split")
    assert ok[gd] and ok[sh_tee] and ok[both]
    assert session.get(Order, gd).warehouse_id == biz.gz
    assert session.get(Order, sh_tee).warehouse_id == biz.gz  # 上海 has none: the next warehouse that has it
    child = session.scalar(select(Order).where(Order.split_from_id == both))
    parent = session.get(Order, both)
    assert {parent.warehouse_id, child.warehouse_id} == {biz.sh, biz.gz}
    assert parent.total_amount + child.total_amount == Decimal("88.00")
    assert services.approve_orders(session, admin, [gd, sh_tee, both, child.id]) == [
        gd,
        sh_tee,
        both,
        child.id,
    ]


def test_merge_ships_as_one_parcel_and_never_merges_cod(session, admin, biz, emitted):
    stocked(session, admin, biz)
    a, b, c = imp(
        session,
        admin,
        draft(biz, "M1", ("TEE-1", 1, "59.00")),
        draft(biz, "M2", ("MUG-1", 1, "29.00")),
        draft(biz, "M3", ("MUG-1", 1, "29.00"), is_cod=True),
    )
    assert merge.merge_groups(session, admin) == [[a, b]]
    with pytest.raises(ValidationError):
        merge.merge_orders(session, admin, [a, c])
    assert merge.merge_orders(session, admin, [a, b]) == a
    assert services.approve_orders(session, admin, [a]) == [a, b]
    rows = batch.pick_list(session, admin, [a])
    assert [(r["sku"], r["quantity"]) for r in rows] == [("MUG-1", 1), ("TEE-1", 1)]
    sheet = batch.pick_sheet(session, admin, [a])
    assert "<table>" in sheet["html"] and "TEE-1" in sheet["csv"]
    assert batch.ship_with_tracking(session, admin, [(a, "顺丰", "SF123")]) == 2
    assert session.get(Order, b).tracking_no == "SF123" and session.get(Order, b).status == "shipped"
    shipped = [e for e in emitted if e.kind == "sale.shipped"]
    assert sorted(e.source_id for e in shipped) == [a, b]
    assert {e.key for e in shipped} == {f"sales_order:{a}:shipped", f"sales_order:{b}:shipped"}
    assert shipped[0].cost_base == Decimal("20.00") and shipped[0].goods_amount == Decimal("59.00")


def test_split_by_hand(session, admin, biz):
    (oid,) = imp(session, admin, draft(biz, "P1", ("TEE-1", 1, "59.00"), ("MUG-1", 2, "29.00")))
    second = session.scalar(select(OrderLine.id).where(OrderLine.order_id == oid, OrderLine.line_no == 2))
    (new,) = merge.split_order(session, admin, oid, [[second]])
    session.expire_all()
    assert (session.get(Order, oid).total_amount, session.get(Order, new).total_amount) == (
        Decimal("59.00"),
        Decimal("58.00"),
    )
    assert session.get(Order, new).platform_order_id == "P1#S1"
    with pytest.raises(ValidationError):
        merge.split_order(session, admin, oid, [[second]])


def test_the_parts_of_a_split_order_wait_for_what_it_waited_for(session, admin, biz):
    waiting = draft(biz, "P2", ("TEE-1", 1, "59.00"), ("MUG-1", 1, "29.00"), address="")
    (oid,) = imp(session, admin, waiting)
    second = session.scalar(select(OrderLine.id).where(OrderLine.order_id == oid, OrderLine.line_no == 2))
    (new,) = merge.split_order(session, admin, oid, [[second]])
    assert workflow.reasons_of(session, [oid, new]) == {
        oid: ["incomplete_address"],
        new: ["incomplete_address"],
    }


def test_hold_blocks_approval_and_tracking_file_ships(session, admin, biz, tmp_path):
    stocked(session, admin, biz)
    ids = imp(session, admin, *[draft(biz, f"H{i}", ("MUG-1", 1, "29.00")) for i in range(3)])
    batch.hold_orders(session, admin, ids[:1])
    with pytest.raises(ValidationError):
        services.approve_orders(session, admin, ids[:1])
    batch.hold_orders(session, admin, ids[:1], hold=False)
    services.approve_orders(session, admin, ids[:2])
    path = tmp_path / "tracking.csv"
    path.write_text(
        "订单号,快递公司,快递单号\nH0,中通,ZT1\nH1,中通,ZT2\nH2,中通,ZT3\nNOPE,中通,ZT4\n", encoding="utf-8"
    )
    result = batch.ship_from_tracking_file(session, admin, path)
    assert result["shipped"] == 2 and [r["line"] for r in result["rejected"]] == [4, 5]


def test_assignment_rules(session, admin, biz, actor_with_role):
    actor_with_role("order_clerk")
    settings.set_setting(session, admin, "assignment", [{"min_amount": 100, "user": "order_clerk_user"}])
    small, large = imp(
        session, admin, draft(biz, "A1", ("MUG-1", 1, "29.00")), draft(biz, "A2", ("TEE-1", 2, "59.00"))
    )
    assert review.assign_orders(session, admin, [small, large]) == {small: None, large: "order_clerk_user"}
    assert session.get(Order, large).assignee_id is not None
    # issue 11, defect 6: an assignment is seen in the queue, the detail and the history
    from ecerp_core.orders import queries

    rows = {r["id"]: r for r in queries.list_orders(session, admin, "review").rows}
    assert (rows[large]["assignee"], rows[small]["assignee"]) == ("order_clerk_user", None)
    detail = queries.order_detail(session, admin, large)
    assert detail["assignee"] == "order_clerk_user"
    assert [(h["event"], h["note"]) for h in detail["history"]][-1] == ("assign", "order_clerk_user")
    actor_with_role("analyst")
    with pytest.raises(ValidationError, match="analyst_user"):
        review.assign_orders(session, admin, [small], user="analyst_user")


def test_after_sales_cases(session, admin, biz, emitted):
    stocked(session, admin, biz)
    a, b, c = imp(
        session,
        admin,
        draft(biz, "C1", ("TEE-1", 1, "59.00")),
        draft(biz, "C2", ("MUG-1", 2, "29.00")),
        draft(biz, "C3", ("MUG-1", 1, "29.00")),
    )
    services.approve_orders(session, admin, [a, b, c])
    services.ship_orders(session, admin, [a, b, c])
    # return and refund into 广州仓 as damaged: stock does not become available there
    case = cases.open_case(
        session,
        admin,
        a,
        "return_refund",
        amount=Decimal("59.00"),
        warehouse_id=biz.gz,
        condition="damaged",
        platform_status="WAIT_SELLER_AGREE",
    )
    for step in ("approved", "waiting_return", "received", "done"):
        cases.advance_case(session, admin, case, step)
    assert session.get(Order, a).status == "refunded" and stock_row(session, biz.tee, biz.gz) == (0, 0)
    refunded = [e for e in emitted if e.kind == "sale.refunded"]
    assert refunded[0].damaged_cost_base == Decimal("20.00") and refunded[0].cost_base == 0
    # refund only, followed from the platform's state
    case2 = cases.open_case(session, admin, b, "refund_only", amount=Decimal("10.00"))
    cases.advance_case(session, admin, case2, "approved")
    assert cases.sync_platform_state(session, admin, case2, "SUCCESS") == "done"
    assert session.get(Order, b).refunded_amount == Decimal("10.00")
    # reship: a new zero-priced order runs through the pipeline
    case3 = cases.open_case(session, admin, c, "reship", lines=[(1, 1)], reason="破损补发")
    cases.advance_case(session, admin, case3, "approved")
    cases.advance_case(session, admin, case3, "done")
    new = session.get(
        Order, session.scalar(select(Order.id).where(Order.platform_order_id == f"C3#R{case3}"))
    )
    assert (new.status, new.total_amount) == ("paid", Decimal("0"))
    with pytest.raises(ValidationError):
        cases.advance_case(session, admin, case3, "approved")


def test_an_exchange_takes_the_goods_back_at_their_cost_and_tells_finance(session, admin, biz, emitted):
    stocked(session, admin, biz)
    (order,) = imp(session, admin, draft(biz, "X1", ("TEE-1", 2, "59.00")))
    services.approve_orders(session, admin, [order])
    services.ship_orders(session, admin, [order])
    before = stock_row(session, biz.tee, biz.gz)
    case = cases.open_case(
        session, admin, order, "exchange", lines=[(1, 1)], warehouse_id=biz.gz, reason="换尺码"
    )
    for step in ("approved", "waiting_return", "received", "done"):
        cases.advance_case(session, admin, case, step)
    assert stock_row(session, biz.tee, biz.gz)[0] == before[0] + 1
    back = [e for e in emitted if e.kind == "sale.refunded"]
    assert len(back) == 1 and back[0].key == f"after_sale:{case}:exchange_return"
    assert (back[0].refund_amount, back[0].cost_base) == (Decimal("0"), Decimal("20.00"))
    assert session.scalar(select(Order.id).where(Order.platform_order_id == f"X1#X{case}")) is not None


def test_a_batch_of_cases_completes_together_or_not_at_all(session, admin, biz, emitted):
    stocked(session, admin, biz)
    a, b, c = imp(
        session,
        admin,
        draft(biz, "B1", ("TEE-1", 1, "59.00")),
        draft(biz, "B2", ("MUG-1", 1, "29.00")),
        draft(biz, "B3", ("MUG-1", 1, "29.00")),
    )
    services.approve_orders(session, admin, [a, b, c])
    services.ship_orders(session, admin, [a, b, c])
    refund = cases.open_case(session, admin, a, "refund_only", amount=Decimal("20.00"))
    reship = cases.open_case(session, admin, b, "reship", lines=[(1, 1)])
    late = cases.open_case(session, admin, c, "refund_only", amount=Decimal("5.00"))
    before = (len(emitted), session.scalar(select(func.count()).select_from(OrderEvent)))
    with pytest.raises(ValidationError) as err:  # none was approved yet: nothing happens
        cases.advance_cases(session, admin, [refund, reship, late], "done")
    assert [p.code for p in err.value.problems] == ["problem.transition_not_allowed"] * 3
    assert (len(emitted), session.scalar(select(func.count()).select_from(OrderEvent))) == before
    cases.advance_cases(session, admin, [refund, reship], "approved")
    assert cases.advance_cases(session, admin, [refund, reship], "done") == {refund: "done", reship: "done"}
    session.expire_all()
    assert session.get(Order, a).refunded_amount == Decimal("20.00")
    assert session.scalar(select(Order.status).where(Order.platform_order_id == f"B2#R{reship}")) == "paid"
    assert [e.kind for e in emitted[before[0] :]] == ["sale.refunded"]


def test_channel_stock(session, admin, biz):
    stocked(session, admin, biz, tee=10, mug=3)
    channel_stock.set_rule(session, admin, biz.shop, coefficient=Decimal("0.8"), buffer=1)
    other = catalog.create_shop(session, admin, code="JD", name="京东", platform="jd")
    rows = {(r["shop"], r["sku"]): r["quantity"] for r in channel_stock.channel_stock(session, admin)}
    assert rows[("TB", "TEE-1")] == 7 and rows[("TB", "MUG-1")] == 1 and rows[("JD", "TEE-1")] == 10
    (oid,) = imp(session, admin, draft(biz, "CS", ("TEE-1", 5, "59.00")))
    services.approve_orders(session, admin, [oid])
    rows = {
        (r["shop"], r["sku"]): r["quantity"] for r in channel_stock.channel_stock(session, admin, [other.id])
    }
    assert rows == {("JD", "MUG-1"): 3, ("JD", "TEE-1"): 5}


def test_sku_mapping_releases_exceptions(session, admin, biz):
    (oid,) = imp(session, admin, draft(biz, "U1", ("TB-TEE-WHITE", 1, "59.00")))
    assert workflow.reasons_of(session, [oid]) == {oid: ["unmapped_sku"]}
    assert skus.map_skus(session, admin, [(biz.shop, "TB-TEE-WHITE", "TEE-1")]) == 1
    session.expire_all()
    assert workflow.reasons_of(session, [oid]) == {}
    assert session.scalar(select(OrderLine.product_id).where(OrderLine.order_id == oid)) == biz.tee
