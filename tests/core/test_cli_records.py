"""Base data from zero through the CLI: warehouses, shops, categories, products and bundles."""

import json
from decimal import Decimal

from cli_run import run

from ecerp_core.catalog.models import Shop
from ecerp_core.db import session_scope


def test_every_kind_has_add_list_edit_deactivate_and_help(db, capsys):
    for group in ("warehouses", "shops", "categories", "products", "suppliers", "customers"):
        for command in ("add", "list", "edit", "deactivate", "activate"):
            code, out, _ = run(capsys, group, command, "--help")
            assert code == 0 and "Usage:" in out, (group, command)
    for group in ("warehouses", "shops", "products", "suppliers", "customers"):
        assert run(capsys, group, "import", "--help")[0] == 0


def test_warehouse_and_shop_from_zero(db, capsys):
    code, out, _ = run(
        capsys, "--lang", "en", "warehouses", "add", "SH", "--name", "上海仓", "--priority", "10"
    )
    assert code == 0 and out.strip() == "Added warehouse SH"
    code, out, _ = run(
        capsys,
        "--lang",
        "en",
        "shops",
        "add",
        "SHOPIFY1",
        "--name",
        "My Shopify",
        "--platform",
        "shopify",
        "--currency",
        "usd",
        "--warehouse",
        "SH",
    )
    assert code == 0 and out.strip() == "Added shop SHOPIFY1"
    code, out, _ = run(capsys, "shops", "list", "--json")
    assert json.loads(out) == [
        {
            "code": "SHOPIFY1",
            "name": "My Shopify",
            "platform": "shopify",
            "currency": "USD",
            "default_warehouse": "SH",
            "active": True,
        }
    ]
    code, out, _ = run(capsys, "warehouses", "list", "--json")
    assert [(w["code"], w["priority"]) for w in json.loads(out)] == [("SH", 10)]
    with session_scope(db, readonly=True) as session:
        shop = session.query(Shop).one()
        assert shop.default_warehouse_id is not None


def test_bad_input_is_one_named_line_and_writes_nothing(db, capsys):
    code, _, err = run(
        capsys,
        "--lang",
        "en",
        "shops",
        "add",
        "S1",
        "--name",
        "s",
        "--platform",
        "shopify",
        "--warehouse",
        "NO",
    )
    assert code == 1 and err.strip().splitlines() == [
        "error: The input has 1 problem(s):",
        "  Default warehouse 'NO' does not exist",
    ]
    code, _, err = run(capsys, "--lang", "en", "shops", "add", "S1", "--name", "s", "--platform", "ebay")
    assert code == 2 and "Invalid value for '--platform'" in err
    assert json.loads(run(capsys, "shops", "list", "--json")[1]) == []
    code, _, err = run(capsys, "--lang", "en", "warehouses", "deactivate", "NOPE")
    assert code == 1 and err.strip() == "error: No warehouse 'NOPE'"


def test_edit_deactivate_and_list_all(db, capsys):
    run(capsys, "warehouses", "add", "SH", "--name", "上海仓")
    run(capsys, "warehouses", "add", "BJ", "--name", "北京仓")
    run(capsys, "shops", "add", "TM1", "--name", "天猫店", "--platform", "tmall", "--warehouse", "SH")
    assert run(capsys, "shops", "edit", "TM1", "--warehouse", "BJ")[0] == 0
    assert json.loads(run(capsys, "shops", "list", "--json")[1])[0]["default_warehouse"] == "BJ"
    code, out, _ = run(capsys, "--lang", "en", "warehouses", "deactivate", "SH")
    assert code == 0 and out.strip() == "Deactivated warehouse SH"
    assert [w["code"] for w in json.loads(run(capsys, "warehouses", "list", "--json")[1])] == ["BJ"]
    listed = json.loads(run(capsys, "warehouses", "list", "--all", "--json")[1])
    assert [(w["code"], w["active"]) for w in listed] == [("BJ", True), ("SH", False)]
    assert run(capsys, "warehouses", "activate", "SH")[0] == 0
    code, out, _ = run(capsys, "warehouses", "list", "--format", "csv")
    assert out.splitlines()[0] == "code,name,region,priority,allow_negative,active"


def test_categories_and_bundles(db, capsys):
    assert run(capsys, "categories", "add", "CLOTHES", "--name", "服装")[0] == 0
    assert run(capsys, "categories", "add", "TEE", "--name", "T恤", "--parent", "CLOTHES")[0] == 0
    paths = {c["code"]: c["path"] for c in json.loads(run(capsys, "categories", "list", "--json")[1])}
    assert paths == {"CLOTHES": "服装", "TEE": "服装/T恤"}
    assert (
        run(capsys, "products", "add", "TEE-1", "--name", "T恤", "--price", "59.00", "--category", "TEE")[0]
        == 0
    )
    assert run(capsys, "products", "add", "MUG-1", "--name", "杯子", "--cost", "8.20")[0] == 0
    code, _, _ = run(capsys, "products", "add", "SET-1", "--name", "礼盒", "--components", "TEE-1*2; MUG-1")
    assert code == 0
    rows = {p["sku"]: p for p in json.loads(run(capsys, "products", "list", "--json")[1])}
    assert rows["SET-1"]["is_bundle"] is True and rows["TEE-1"]["list_price"] == "59.00"
    assert (rows["SET-1"]["components"], rows["TEE-1"]["components"]) == ("TEE-1*2; MUG-1*1", "")
    assert Decimal(rows["MUG-1"]["cost"]) == Decimal("8.20")
    code, _, err = run(
        capsys, "--lang", "en", "products", "add", "SET-2", "--name", "x", "--components", "SET-1"
    )
    assert code == 1 and "SET-1" in err
    code, out, _ = run(capsys, "check", "--json")
    assert code == 0 and json.loads(out)["ok"] is True


def test_warehouses_and_shops_import(db, tmp_path, capsys):
    warehouses = tmp_path / "warehouses.csv"
    warehouses.write_text(
        "仓库编码,仓库名称,地区,优先级\nSH,上海仓,上海,10\nGZ,广州仓,广东,x\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "warehouses", "import", str(warehouses), "--json")
    report = json.loads(out)
    assert code == 1 and report["created"] == 1 and [r["line"] for r in report["rejected"]] == [3]
    shops = tmp_path / "shops.csv"
    shops.write_text(
        "code,name,platform,currency,warehouse\nTM1,天猫店,tmall,CNY,SH\nJD1,京东店,jd,,GZ\nXX,x,ebay,,\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "--lang", "en", "shops", "import", str(shops))
    assert code == 1
    assert out.splitlines() == [
        "1 created, 0 updated, 0 unchanged, 2 rejected",
        "shops.csv line 3: Default warehouse 'GZ' does not exist",
        out.splitlines()[2],
    ]
    assert out.splitlines()[2].startswith("shops.csv line 4: ")
    code, out, _ = run(capsys, "shops", "import", str(shops), "--json")
    assert json.loads(out)["unchanged"] == 1 and json.loads(out)["created"] == 0  # twice changes nothing
    assert json.loads(run(capsys, "shops", "list", "--json")[1])[0]["default_warehouse"] == "SH"


def test_a_clerk_may_not_add_warehouses(db, capsys, actor_with_role, session):
    actor_with_role("order_clerk")
    session.commit()
    code, _, err = run(
        capsys, "--lang", "en", "--user", "order_clerk_user", "warehouses", "add", "SH", "--name", "x"
    )
    assert code == 3 and err.startswith("error: User order_clerk_user may not")


def test_importing_orders_before_any_shop_says_how_to_add_one(db, tmp_path, capsys):
    export = tmp_path / "orders_export.csv"
    export.write_text(
        "Name,Financial Status,Created at,Lineitem quantity,Lineitem price,Total\n"
        "#1,paid,2026-11-20 10:01:13 -0800,1,8.00,8.00\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "--lang", "en", "orders", "import", "--platform", "shopify", str(export))
    assert code == 1 and err.strip() == (
        "error: No active shop sells on shopify yet: add one first (ecerp shops add CODE --name NAME "
        "--platform shopify --warehouse W, or the Base Data app)"
    )
