"""After-sales cases from the command line: open on an order by its number, list, move along."""

from __future__ import annotations

import json
from decimal import Decimal

from business_fixtures import stock_row
from test_pipeline_cli import _orders, run

from ecerp_core.orders import services
from ecerp_core.orders.models import AfterSale, Order


def _shipped(session, admin, biz, n=2):
    _orders(session, admin, biz, n=n)
    ids = [o.id for o in session.query(Order).order_by(Order.id)]
    services.approve_orders(session, admin, ids)
    services.ship_orders(session, admin, ids)
    session.commit()


def test_a_return_and_a_reship_from_open_to_done(session, admin, biz, capsys):
    _shipped(session, admin, biz)
    code, out, err = run(
        capsys,
        "orders",
        "cases",
        "open",
        "TB-1",
        "--kind",
        "return_refund",
        "--amount",
        "59.00",
        "--lines",
        "1:1",
        "--reason",
        "七天无理由退货",
        "--json",
    )
    assert code == 0, err
    ret = json.loads(out)["case"]
    code, out, _ = run(capsys, "orders", "cases", "open", "TB-2", "--shop", "TB", "--kind", "reship")
    reship = ret + 1
    assert code == 0 and out.strip() == f"Case #{reship} opened on order TB-2"
    code, out, _ = run(capsys, "orders", "cases", "list", "--json")
    assert [(c["id"], c["platform_order_id"], c["kind"], c["status"]) for c in json.loads(out)] == [
        (ret, "TB-1", "return_refund", "requested"),
        (reship, "TB-2", "reship", "requested"),
    ]
    code, out, _ = run(capsys, "orders", "cases", "list")
    assert f"#{ret}  TB-1  TB  Return and refund  Requested  59.00 CNY  -  七天无理由退货" in out

    assert (
        run(capsys, "orders", "cases", "approve", str(ret))[1].strip() == f"Case #{ret}: Waiting for return"
    )
    code, out, _ = run(
        capsys,
        "orders",
        "cases",
        "receive",
        str(ret),
        "--warehouse",
        "GZ",
        "--condition",
        "damaged",
        "--json",
    )
    assert code == 0 and json.loads(out) == {"case": ret, "status": "received"}
    assert run(capsys, "orders", "cases", "complete", str(ret), "--note", "已退款")[0] == 0
    assert (
        json.loads(run(capsys, "orders", "cases", "approve", str(reship), "--json")[1])["status"]
        == "approved"
    )
    assert run(capsys, "orders", "cases", "complete", str(reship))[1].strip() == f"Case #{reship}: Done"

    assert run(capsys, "orders", "cases", "list", "--json")[1].strip() == "[]"
    code, out, _ = run(capsys, "orders", "cases", "list", "--all", "--search", "TB-1", "--json")
    assert [(c["id"], c["status"], c["warehouse"], c["condition"]) for c in json.loads(out)] == [
        (ret, "done", "GZ", "damaged")
    ]
    session.expire_all()
    assert session.get(Order, session.get(AfterSale, ret).order_id).refunded_amount == Decimal("59.00")
    assert stock_row(session, biz.tee, biz.gz) == (0, 0)  # damaged goods never become stock
    assert session.query(Order).filter(Order.platform_order_id == f"TB-2#R{reship}").count() == 1


def test_case_commands_fail_in_one_clear_line(session, admin, biz, capsys, actor_with_role):
    _shipped(session, admin, biz, n=1)
    code, _, err = run(capsys, "orders", "cases", "open", "NOPE", "--kind", "reship")
    assert code == 1 and "Order 'NOPE' does not exist" in err
    code, _, err = run(capsys, "orders", "cases", "open", "TB-1", "--kind", "refund_only", "--amount", "lots")
    assert code != 0 and "'lots' is not an amount" in err
    code, _, err = run(capsys, "orders", "cases", "open", "TB-1", "--kind", "reship", "--lines", "1-1")
    assert code != 0 and "'1-1': write LINE:QTY" in err
    code, out, _ = run(
        capsys, "orders", "cases", "open", "TB-1", "--kind", "refund_only", "--amount", "9.00", "--json"
    )
    case = json.loads(out)["case"]
    code, _, err = run(capsys, "orders", "cases", "receive", str(case), "--warehouse", "SH")
    assert code == 1 and f"case #{case} is Requested: Receive return is not possible now" in err
    code, _, err = run(capsys, "orders", "cases", "approve", "999999")
    assert code == 1 and "999999" in err and "Traceback" not in err
    actor_with_role("warehouse_clerk")
    session.commit()
    code, _, err = run(capsys, "--user", "warehouse_clerk_user", "orders", "cases", "approve", str(case))
    assert code == 3 and len(err.strip().splitlines()) == 1 and "warehouse_clerk_user" in err
    code, _, err = run(capsys, "orders", "cases", "approve", str(case), "--warehouse", "SH")
    assert code != 0 and "--warehouse" in err  # only receive books goods to a warehouse
    for args in (["cases"], ["cases", "open"], ["cases", "receive"], ["cases", "close"]):
        code, out, _ = run(capsys, "orders", *args, "--help")
        assert code == 0 and "Usage:" in out, args
