"""The clerk's tools between approval and the courier: edit, split, scan-to-verify packing, waves,
electronic waybill numbers (issue 11)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from business_fixtures import stock_row
from sqlalchemy import select
from test_orders import all_checks, draft, stocked
from test_pipeline_cli import run

from ecerp_core.audit import AuditLog
from ecerp_core.catalog.models import Product
from ecerp_core.errors import ValidationError
from ecerp_core.orders import batch, editing, packing, services, splitting, waves, waybill, workflow
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.orders.models import Order, OrderEvent, OrderLine
from ecerp_core.stock import services as stock
from ecerp_core.stock.alerts import SettingDraft, set_stock_settings
from ecerp_core.stock.exceptions import InsufficientStock


def imp(session, admin, *drafts):
    return list(import_order_drafts(session, admin, list(drafts)).order_ids)


def events(session, oid):
    return [
        (e.event, e.note)
        for e in session.scalars(select(OrderEvent).where(OrderEvent.order_id == oid).order_by(OrderEvent.id))
    ]


def test_edit_before_shipping_moves_the_reservation_and_is_refused_after(session, admin, biz):
    stocked(session, admin, biz)
    stock.post_moves(
        session, admin, [stock.MoveDraft(biz.tee, biz.gz, 5, "receipt", unit_cost=Decimal("20"))]
    )
    (oid,) = imp(session, admin, draft(biz, "E1", ("TEE-1", 2, "59.00")))
    services.approve_orders(session, admin, [oid])
    changed = editing.edit_order(
        session,
        admin,
        oid,
        editing.OrderEdit(address="上海市南京路2号", district="黄浦区", seller_flag=1, warehouse_id=biz.gz),
    )
    assert changed == {
        "district": ("", "黄浦区"),
        "address": ("上海市人民路1号", "上海市南京路2号"),
        "seller_flag": (0, 1),
        "warehouse_id": (biz.sh, biz.gz),
    }
    assert stock_row(session, biz.tee, biz.sh) == (10, 0)
    assert stock_row(session, biz.tee, biz.gz) == (5, 2)
    assert events(session, oid)[-1] == (
        "edit",
        f"district:  → 黄浦区; address: 上海市人民路1号 → 上海市南京路2号; seller_flag: 0 → 1; "
        f"warehouse_id: {biz.sh} → {biz.gz}",
    )
    assert session.scalar(select(AuditLog.action).order_by(AuditLog.id.desc()).limit(1)) == "edit"
    assert editing.edit_order(session, admin, oid, editing.OrderEdit(address="上海市南京路2号")) == {}
    with pytest.raises(InsufficientStock):  # GZ has no mugs: nothing changes
        (other,) = imp(session, admin, draft(biz, "E2", ("MUG-1", 1, "29.00")))
        services.approve_orders(session, admin, [other])
        editing.edit_order(session, admin, other, editing.OrderEdit(warehouse_id=biz.gz))
    batch.ship_with_tracking(session, admin, [(oid, "顺丰", "SF1")])
    with pytest.raises(ValidationError) as refused:
        editing.edit_order(session, admin, oid, editing.OrderEdit(seller_remark="加急"))
    assert refused.value.problems[0].message("en") == (
        "Order E1 (Shipped) has shipped or is closed: it can no longer be edited"
    )


def test_split_shares_shipping_discount_and_payment_to_the_cent(session, admin, biz):
    stocked(session, admin, biz)
    order = draft(biz, "S1", ("TEE-1", 3, "59.00"), ("MUG-1", 1, "29.00"))
    order = order._replace(
        shipping_amount=Decimal("10.00"),
        discount_amount=Decimal("7.00"),
        total_amount=Decimal("209.00"),
        paid_amount=Decimal("209.00"),
    )
    (oid,) = imp(session, admin, order)
    services.approve_orders(session, admin, [oid])
    new = splitting.split_quantities(session, admin, oid, {"TEE-1": 1})
    session.expire_all()
    old, part = session.get(Order, oid), session.get(Order, new)
    money = ("goods_amount", "shipping_amount", "discount_amount", "total_amount", "paid_amount")
    assert [getattr(part, k) for k in money] == [
        Decimal(x) for x in ("59.00", "2.86", "2.00", "59.86", "59.86")
    ]
    assert [getattr(old, k) for k in money] == [
        Decimal(x) for x in ("147.00", "7.14", "5.00", "149.14", "149.14")
    ]
    assert (part.platform_order_id, part.status, part.split_from_id) == ("S1#S1", "approved", oid)
    lines = session.execute(
        select(OrderLine.order_id, OrderLine.platform_sku, OrderLine.quantity, OrderLine.amount).order_by(
            OrderLine.order_id, OrderLine.line_no
        )
    ).all()
    assert [tuple(r) for r in lines] == [
        (oid, "TEE-1", 2, Decimal("118.00")),
        (oid, "MUG-1", 1, Decimal("29.00")),
        (new, "TEE-1", 1, Decimal("59.00")),
    ]
    assert stock_row(session, biz.tee, biz.sh) == (10, 3)  # still reserved, now by two orders
    assert all_checks(session) == []
    assert events(session, new)[-1] == ("split", "TEE-1×1 <- S1")
    with pytest.raises(ValidationError) as refused:
        splitting.split_quantities(session, admin, oid, {"MUG-1": 2, "CAP-9": 1})
    assert [p.message("en") for p in refused.value.problems] == [
        "Order S1 does not hold 2 of MUG-1 to split off",
        "Order S1 has no SKU CAP-9",
    ]
    with pytest.raises(ValidationError):  # not everything: that is the same order
        splitting.split_quantities(session, admin, oid, {"TEE-1": 2, "MUG-1": 1})


def test_packing_refuses_a_wrong_item_and_one_too_many(session, admin, biz):
    stocked(session, admin, biz)
    session.get(Product, biz.mug).barcode = "6901234567892"
    session.flush()
    (oid,) = imp(session, admin, draft(biz, "K1", ("KIT-1", 1, "129.00"), ("MUG-1", 1, "29.00")))
    services.approve_orders(session, admin, [oid])
    check = packing.start_packing(session, admin, "K1")
    assert dict(check.expected) == {"MUG-1": 2, "TEE-1": 2}  # the bundle as what is on the shelves
    with pytest.raises(ValidationError) as wrong:
        packing.scan_item(check, "CAP-9")
    assert wrong.value.problems[0].message("zh_CN") == "CAP-9 不是订单 K1 的商品，请拿出来"
    for code in ("TEE-1", "6901234567892", "TEE-1"):
        check = packing.scan_item(check, code)
    with pytest.raises(ValidationError) as extra:
        packing.scan_item(check, "TEE-1")
    assert extra.value.problems[0].message("en") == "One TEE-1 too many: order K1 needs only 2"
    with pytest.raises(ValidationError):
        packing.finish_packing(session, admin, check)  # one mug still to scan
    check = packing.scan_item(check, "MUG-1")
    packing.finish_packing(session, admin, check)
    assert events(session, oid)[-1] == ("packed", "4 items")
    assert packing.packed_orders(session, [oid]) == {oid}
    with pytest.raises(ValidationError):
        packing.start_packing(session, admin, "K1")


def test_a_wave_picks_by_bin_and_takes_each_order_once(session, admin, biz):
    stocked(session, admin, biz)
    set_stock_settings(
        session,
        admin,
        [SettingDraft(biz.tee, biz.sh, location="B-02"), SettingDraft(biz.mug, biz.sh, location="A-01")],
    )
    ids = imp(
        session,
        admin,
        draft(biz, "W1", ("TEE-1", 1, "59.00")),
        draft(biz, "W2", ("MUG-1", 2, "29.00"), ("TEE-1", 1, "59.00")),
        draft(biz, "W3", ("MUG-1", 1, "29.00")),
    )
    services.approve_orders(session, admin, ids)
    wave = waves.create_wave(session, admin, biz.sh, limit=2)
    assert wave["orders"] == 2 and wave["number"].startswith("WV")
    detail = waves.wave_detail(session, admin, wave["number"])
    assert [(r["bin"], r["sku"], r["quantity"], r["orders"]) for r in detail["rows"]] == [
        ("A-01", "MUG-1", 2, ["W2"]),
        ("B-02", "TEE-1", 2, ["W1", "W2"]),
    ]
    assert [o["order"] for o in detail["orders"]] == ["W1", "W2"]
    assert wave["number"] in detail["html"]
    assert waves.create_wave(session, admin, biz.sh)["orders"] == 1  # W3 only
    with pytest.raises(ValidationError):
        waves.create_wave(session, admin, biz.sh)
    assert [(r["orders"], r["shipped"]) for r in waves.list_waves(session, admin)] == [(1, 0), (2, 0)]


def test_waybill_numbers_from_the_stub_carrier_and_from_a_file(session, admin, biz, tmp_path):
    stocked(session, admin, biz)
    a, b = imp(
        session, admin, draft(biz, "TB1001", ("TEE-1", 1, "59.00")), draft(biz, "B2", ("MUG-1", 1, "9"))
    )
    services.approve_orders(session, admin, [a, b])
    assert waybill.assign_waybills(session, admin, [a]) == {"TB1001": "ST4528745641"}
    assert waybill.assign_waybills(session, admin, [a]) == {}  # numbered already
    assert packing.start_packing(session, admin, "ST4528745641").number == "TB1001"
    carrier_file = tmp_path / "zto.csv"
    carrier_file.write_text("订单号,快递单号\nB2,ZT778899\nNOPE,ZT1\n", encoding="utf-8")
    result = waybill.assign_from_file(session, admin, carrier_file, carrier="中通")
    assert result["assigned"] == 1 and [r["line"] for r in result["rejected"]] == [3]
    assert session.get(Order, b).tracking_no == "ZT778899"
    assert waybill.ship_assigned(session, admin, [a, b]) == 2
    assert {session.get(Order, i).status for i in (a, b)} == {"shipped"}
    with pytest.raises(ValidationError):
        waybill.assign_waybills(session, admin, [a], "nosuch")


def test_the_tools_from_the_command_line(session, admin, biz, capsys, tmp_path):
    stocked(session, admin, biz)
    imp(session, admin, draft(biz, "C1", ("TEE-1", 2, "59.00"), ("MUG-1", 1, "29.00")))
    session.commit()
    code, out, err = run(capsys, "orders", "edit", "C1", "--remark", "加急", "--flag", "1", "--json")
    assert code == 0, err
    assert json.loads(out) == {"seller_remark": ["", "加急"], "seller_flag": [0, 1]}
    code, out, err = run(capsys, "orders", "split", "C1", "--line", "TEE-1=1")
    assert (code, out) == (
        0,
        "Order C1 split into C1#S1: C1 totals 88.00 (paid 88.00), C1#S1 59.00 (paid 59.00)\n",
    )
    run(capsys, "orders", "approve", "C1", "C1#S1")
    code, out, err = run(capsys, "orders", "wave", "create", "--warehouse", "SH", "--json")
    assert code == 0 and json.loads(out)["orders"] == 2, err
    number = json.loads(out)["number"]
    code, out, _ = run(capsys, "orders", "wave", "show", number)
    assert code == 0 and out.splitlines()[-1] == "  C1 C1#S1"
    code, out, _ = run(capsys, "orders", "waybill", "assign", "C1", "--json")
    assert code == 0 and list(json.loads(out)) == ["C1"]
    code, out, err = run(capsys, "orders", "pack", "C1", "--item", "TEE-1", "--item", "CAP-9")
    assert code == 1 and "CAP-9 is not an item of order C1: take it out" in out + err
    code, out, _ = run(capsys, "orders", "pack", "C1", "--item", "TEE-1", "--item", "MUG-1")
    assert (code, out) == (0, "Order C1 verified (2 items) and packed\n")
    code, out, _ = run(capsys, "orders", "waybill", "ship", "C1")
    assert code == 0
    code, out, err = run(capsys, "orders", "edit", "C1", "--remark", "晚了")
    assert code == 1 and "has shipped or is closed" in out + err


def test_completing_the_address_takes_the_order_out_of_the_exception_queue(session, admin, biz):
    (oid,) = imp(session, admin, draft(biz, "A1", ("TEE-1", 1, "59.00"), address=""))
    assert workflow.reasons_of(session, [oid]) == {oid: ["incomplete_address"]}
    editing.edit_order(session, admin, oid, editing.OrderEdit(address="上海市人民路9号"))
    assert workflow.reasons_of(session, [oid]) == {}
