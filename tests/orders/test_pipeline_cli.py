"""The order pipeline from the command line: review, pick, hold, ship, cancel, map SKUs, rules."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from ecerp_core.cli import main
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.intake import import_order_drafts
from ecerp_core.stock.services import MoveDraft, post_moves


def run(capsys, *args):
    try:
        main(["--lang", "en", *args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    return (code, *capsys.readouterr())


def _orders(session, admin, biz, n=3):
    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    at = dt.datetime(2026, 6, 18, 2, tzinfo=dt.UTC)
    drafts = [
        OrderDraft(
            biz.shop,
            f"TB-{i}",
            "paid",
            at + dt.timedelta(minutes=i),
            "CNY",
            (OrderLineDraft("TEE-1", 1, Decimal("59.00"), Decimal("59.00")),),
            Decimal("59.00"),
            Decimal("59.00"),
            paid_amount=Decimal("59.00"),
            buyer_id=f"b{i}",
            receiver_name=f"买家{i}",
            region="上海",
            address=f"上海市人民路{i}号",
        )
        for i in range(1, n + 1)
    ]
    import_order_drafts(session, admin, drafts)
    session.commit()


def test_review_names_the_orders_that_wait_and_why(session, admin, biz, capsys):
    """Issue 11, defect 18: `orders review --json` keyed waiting orders by database id."""
    _orders(session, admin, biz, n=12)  # 10 units of stock: TB-11 and TB-12 wait
    code, out, err = run(capsys, "orders", "review", "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "approved": 10,
        "waiting": {"TB-11": ["out_of_stock"], "TB-12": ["out_of_stock"]},
    }
    code, out, _ = run(capsys, "orders", "review")
    assert code == 0 and "TB-11: not enough stock" in out


def test_review_pick_hold_ship_and_export(session, admin, biz, capsys, tmp_path):
    _orders(session, admin, biz)
    code, out, err = run(capsys, "orders", "review", "--json")
    assert code == 0, err
    assert json.loads(out)["approved"] == 3
    code, out, _ = run(capsys, "orders", "pick-list", "--queue", "to_ship")
    assert code == 0 and "SH,,TEE-1,T恤,3,TB-1 TB-2 TB-3" in out  # no English name: the Chinese one
    assert run(capsys, "orders", "hold", "TB-1", "--reason", "买家要求改地址")[0] == 0
    assert run(capsys, "orders", "release", "TB-1")[0] == 0
    code, out, _ = run(capsys, "orders", "ship", "TB-1", "--carrier", "SF", "--tracking", "SF123", "--json")
    assert code == 0 and json.loads(out)["shipped"] == 1
    tracking = tmp_path / "tracking.csv"
    tracking.write_text("订单号,快递公司,快递单号\nTB-2,YTO,YT1\nNOPE,YTO,YT2\n", encoding="utf-8")
    code, out, _ = run(capsys, "orders", "ship", "--tracking-file", str(tracking), "--json")
    data = json.loads(out)
    assert code == 1 and data["shipped"] == 1 and data["rejected"][0]["line"] == 3
    assert run(capsys, "orders", "cancel", "TB-3", "--reason", "缺货")[0] == 0
    code, out, _ = run(capsys, "orders", "export", "--format", "json")
    status = {row["platform_order_id"]: row["status"] for row in json.loads(out)}
    assert status == {"TB-1": "shipped", "TB-2": "shipped", "TB-3": "cancelled"}


def test_bad_pipeline_input_is_one_clear_line(session, admin, biz, capsys):
    _orders(session, admin, biz, n=1)
    code, _, err = run(capsys, "orders", "cancel", "NO-SUCH")
    assert code == 1 and "Order 'NO-SUCH' does not exist" in err
    code, _, err = run(capsys, "orders", "approve")
    assert code != 0 and "--queue" in err
    code, _, err = run(capsys, "orders", "set-rule", "auto_approve", "{not json")
    assert code != 0 and "not JSON" in err
    code, _, err = run(capsys, "orders", "set-rule", "no_such_rule", "1")
    assert code == 1 and "no_such_rule" in err
    code, _, err = run(capsys, "--user", "nobody", "orders", "review")
    assert code == 1 and "nobody" in err


def test_channel_stock_and_sku_mapping(session, admin, biz, capsys):
    _orders(session, admin, biz, n=1)
    code, out, _ = run(capsys, "orders", "channel-stock", "--format", "json")
    assert code == 0 and any(r["sku"] == "TEE-1" for r in json.loads(out))
    code, out, _ = run(capsys, "orders", "map-sku", "TB-TEE-WHITE", "TEE-1", "--shop", "TB")
    assert code == 0 and "TB-TEE-WHITE → TEE-1" in out
