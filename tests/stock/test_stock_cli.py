"""``ecerp stock`` and ``ecerp purchase`` end to end, in-process through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from ecerp_core.cli import main
from ecerp_core.stock.services import MoveDraft, post_moves


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_purchase_receive_transfer_count_and_levels(session, biz, capsys):
    session.commit()
    assert run(capsys, "purchase", "create", "S1", "SH", "TEE-1=10@18.00", "--confirm")[0] == 0
    code, out, _ = run(capsys, "purchase", "receive", "1", "--landed-cost", "20.00")
    assert (code, out.strip()) == (0, "received 10 units")
    code, out, _ = run(capsys, "purchase", "list", "--status", "received", "--format", "json")
    (po,) = json.loads(out)
    assert (po["supplier"], po["warehouse"], po["total_amount"]) == ("S1", "SH", "180.00")
    assert run(capsys, "stock", "transfer", "SH", "GZ", "TEE-1=4", "--ship")[0] == 0
    assert (
        run(capsys, "stock", "receive-transfer", "1", "TEE-1=3", "--close")[1].strip() == "lost value: 20.00"
    )
    code, out, _ = run(capsys, "stock", "levels", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["sku"], r["warehouse"], r["on_hand"], r["unit_cost"], r["value"]) for r in rows] == [
        ("TEE-1", "GZ", "3", "20.0000", "60.00"),
        ("TEE-1", "SH", "6", "20.0000", "120.00"),
    ]
    number = run(capsys, "stock", "count", "create", "SH", "--threshold", "5")[1].strip()
    assert number.startswith("ST") and number.endswith("-0001")  # its number, not its database id
    assert run(capsys, "stock", "count", "enter", number, "TEE-1", "TEE-1=5")[1].split() == [
        "TEE-1",
        "1",
        "TEE-1",
        "5",
    ]
    assert run(capsys, "stock", "count", "submit", "1")[1].strip() == "submitted"
    assert "loss 20.00" in run(capsys, "stock", "count", "approve", "1")[1]
    code, out, _ = run(capsys, "stock", "moves", "--sku", "TEE-1", "--type", "count_loss", "--format", "json")
    assert [m["quantity"] for m in json.loads(out)] == [-1]
    code, out, _ = run(capsys, "stock", "value", "--by", "warehouse", "--format", "json")
    nothing_on_the_way = {"in_transit": 0, "in_transit_value": "0.00"}
    assert json.loads(out) == [
        {"warehouse": "GZ", "quantity": 3, "value": "60.00", **nothing_on_the_way, "total_value": "60.00"},
        {"warehouse": "SH", "quantity": 5, "value": "100.00", **nothing_on_the_way, "total_value": "100.00"},
    ]
    code, _, err = run(capsys, "stock", "transfer", "SH", "GZ", "TEE-1=99", "--ship")
    assert code == 1 and "库存不足" in err
    code, _, err = run(capsys, "--user", "nobody", "stock", "levels")
    assert code != 0


def test_goods_in_transit_in_levels_value_and_their_own_list(session, admin, biz, capsys):
    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    session.commit()
    assert run(capsys, "stock", "transfer", "SH", "GZ", "TEE-1=6", "--ship")[0] == 0
    code, out, _ = run(capsys, "stock", "levels", "--format", "json")
    assert [
        (r["warehouse"], r["on_hand"], r["in_transit"], r["in_transit_value"]) for r in json.loads(out)
    ] == [
        ("GZ", 0, 6, "120.00"),
        ("SH", 4, 0, "0.00"),
    ]
    code, out, _ = run(capsys, "stock", "value", "--as-of", "2099-12-31", "--format", "json")
    assert [
        (r["warehouse"], r["value"], r["in_transit_value"], r["total_value"]) for r in json.loads(out)
    ] == [
        ("GZ", "0.00", "120.00", "120.00"),
        ("SH", "80.00", "0.00", "80.00"),
    ]
    code, out, _ = run(capsys, "stock", "transit", "--warehouse", "GZ", "--format", "json")
    assert (code, json.loads(out)) == (
        0,
        [
            {
                "number": json.loads(out)[0]["number"],
                "from_warehouse": "SH",
                "to_warehouse": "GZ",
                "sku": "TEE-1",
                "quantity": 6,
                "unit_cost": "20.00",
                "value": "120.00",
            }
        ],
    )
    code, out, _ = run(capsys, "stock", "transit", "--as-of", "2020-01-31", "--format", "json")
    assert (code, json.loads(out)) == (0, [])
    assert run(capsys, "stock", "receive-transfer", "1")[0] == 0
    code, out, _ = run(capsys, "stock", "transit", "--format", "json")
    assert json.loads(out) == []


def test_a_count_reviews_and_posts_on_top_of_what_moved_during_it(session, admin, biz, capsys):
    post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00"))])
    session.commit()
    code, out, _ = run(capsys, "stock", "count", "create", "SH", "--json")
    assert json.loads(out)["id"] == 1 and json.loads(out)["number"].startswith("ST")
    code, _, err = run(capsys, "stock", "count", "create", "SH", "--scope", "abc")
    assert code == 1 and "请先审核或作废该盘点单" in err  # the tee is on count 1 already
    # 10 counted on the shelf; 2 leave for Guangzhou before the count is typed in
    assert run(capsys, "stock", "transfer", "SH", "GZ", "TEE-1=2", "--ship")[0] == 0
    assert run(capsys, "stock", "count", "enter", "1", "TEE-1=10")[1].split() == ["TEE-1", "10"]
    assert run(capsys, "stock", "count", "submit", "1")[1].strip() == "submitted"
    code, out, _ = run(capsys, "stock", "count", "review", "1", "--format", "json")
    tee = next(r for r in json.loads(out) if r["sku"] == "TEE-1")
    assert (tee["book"], tee["counted"], tee["variance"], tee["moved"], tee["after"]) == (10, 10, 0, -2, 8)
    code, out, _ = run(capsys, "stock", "count", "moves", "1", "--format", "json")
    assert [(m["sku"], m["move_type"], m["quantity"], m["source_type"]) for m in json.loads(out)] == [
        ("TEE-1", "transfer_out", -2, "transfer")
    ]
    assert run(capsys, "stock", "count", "approve", "1")[1].strip() == "gain 0.00  loss 0.00  moves 0"
    code, out, _ = run(capsys, "stock", "levels", "--warehouse", "SH", "--format", "json")
    assert [(r["sku"], r["on_hand"]) for r in json.loads(out)] == [("TEE-1", 8)]
    code, _, err = run(capsys, "stock", "count", "moves", "99")
    assert code == 1 and err.strip()
