"""Export files in, canonical orders out: real Shopify exports, a GBK Taobao pair, JD, PDD,
WooCommerce, generic CSV/XLSX with a mapping, history, and bad files of every kind."""

from __future__ import annotations

import csv
import io
import json
import os
from decimal import Decimal

import pytest
from business_fixtures import count
from sqlalchemy import func, select

from ecerp_core.catalog import services as catalog
from ecerp_core.cli import main
from ecerp_core.connectors.base import ShopInfo
from ecerp_core.connectors.files import COLUMNS, import_files, parse_tables, read_sources
from ecerp_core.errors import ImportFileError
from ecerp_core.orders import checks as orders_checks
from ecerp_core.orders import workflow
from ecerp_core.orders.models import Order, OrderEvent, OrderLine, OrderReason, SkuMapping

SHOPIFY = {"za_vat_inclusive_orders_export.csv": "ZAR", "ca_tax_on_top_orders_export.csv": "CAD",
           "gb_tiktok_orders_export_1.csv": "GBP", "bd_cash_on_delivery_orders_export.csv": "BDT",
           "us_multi_country_orders_export_1.csv": "USD"}  # fmt: skip


def file_orders(path) -> tuple[int, Decimal]:
    with open(path, encoding="utf-8", newline="") as fh:
        heads = [r for r in csv.DictReader(fh) if r["Financial Status"]]
    assert len({r["Name"] for r in heads}) == len(heads)
    return len(heads), sum((Decimal(r["Total"]) for r in heads), Decimal(0))


@pytest.mark.parametrize("name", sorted(SHOPIFY))
def test_real_shopify_exports_import_with_the_files_counts_and_totals(session, admin, shared_data, name):
    path = shared_data / "platform_exports" / "shopify" / name
    shop = catalog.create_shop(
        session, admin, code="SHOP", name="Shopify", platform="shopify", currency=SHOPIFY[name]
    )
    summary = import_files(session, admin, "shopify", [path], shop="SHOP")
    orders, total = file_orders(path)
    assert summary["rejected"] == []
    assert summary["created"] == orders
    got = session.execute(
        select(func.count(), func.sum(Order.total_amount)).where(Order.shop_id == shop.id)
    ).one()
    assert got[0] == orders and Decimal(got[1]) == total
    lines = session.scalar(select(func.count()).select_from(OrderLine))
    with open(path, encoding="utf-8", newline="") as fh:
        assert lines == sum(1 for _ in csv.DictReader(fh))
    events = count(session, OrderEvent)
    again = import_files(session, admin, "shopify", [path], shop="SHOP")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, orders)
    assert count(session, OrderEvent) == events


def test_shopify_statuses_cod_and_tax_inclusive(session, admin, shared_data):
    catalog.create_shop(session, admin, code="BD", name="BD", platform="shopify", currency="BDT")
    catalog.create_shop(session, admin, code="ZA", name="ZA", platform="shopify", currency="ZAR")
    base = shared_data / "platform_exports" / "shopify"
    import_files(session, admin, "shopify", [base / "bd_cash_on_delivery_orders_export.csv"], shop="BD")
    import_files(session, admin, "shopify", [base / "za_vat_inclusive_orders_export.csv"], shop="ZA")
    statuses = dict(
        session.execute(
            select(Order.status, func.count()).where(Order.currency == "BDT").group_by(Order.status)
        ).all()
    )
    assert statuses == {"shipped": 34, "closed": 12, "paid": 4}
    assert session.scalar(select(func.count()).where(Order.is_cod.is_(True))) == 50
    za = session.scalars(select(Order).where(Order.currency == "ZAR", Order.tax_amount > 0)).all()
    assert za and all(o.tax_included for o in za)
    # unknown SKUs put the open orders in the exception queue, they do not fail the import
    waiting = session.scalars(select(Order).where(Order.status == "paid")).all()
    reasons = workflow.reasons_of(session, [o.id for o in waiting])
    assert waiting and all("unmapped_sku" in reasons[o.id] for o in waiting)


def test_a_vat_inclusive_export_keeps_the_order_amounts_check(session, admin, shared_data):
    # the ZA shop's prices include VAT 15%: Total = Subtotal + Shipping, with Taxes inside
    catalog.create_shop(session, admin, code="ZA", name="ZA", platform="shopify", currency="ZAR")
    import_files(
        session,
        admin,
        "shopify",
        [shared_data / "platform_exports" / "shopify" / "za_vat_inclusive_orders_export.csv"],
        shop="ZA",
    )
    assert session.scalar(select(func.count()).where(Order.tax_included.is_(True), Order.tax_amount > 0)) > 0
    assert orders_checks.amounts_add_up(session) == []


def taobao_pair(
    tmp_path, status="买家已付款，等待卖家发货", sku="TEE-1", qty="2", price="59.00", total="118.00"
):
    orders = (
        "订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,买家实际支付金额,"
        "买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址,运送方式,联系电话,联系手机,订单创建时间,订单付款时间,"
        "宝贝标题,宝贝种类,物流单号,物流公司,订单备注,宝贝总数量,店铺Id,店铺名称,订单关闭原因\r\n"
        f'="3512345678901234",小明tb,x@x.cn,{total},0.00,0,{total},0,{total},0,{status},'
        "尽快发货，谢谢！,王小明,浙江省 杭州市 西湖区 文三路 1 号(310000),快递,,'13800000000,"
        f"2026-06-18 09:00:01,2026-06-18 09:01:00,T恤,1,,,,{qty},1,测试店,\r\n"
    )
    details = (
        "订单编号,标题,价格,购买数量,外部系统编号,商品属性,套餐信息,备注,订单状态,商家编码\r\n"
        f'="3512345678901234",T恤 白色,{price},{qty},,"颜色分类：白色",,,{status},{sku}\r\n'
    )
    a, b = tmp_path / "ExportOrderList202606181200.csv", tmp_path / "ExportOrderDetailList202606181200.csv"
    a.write_bytes(orders.encode("gbk"))
    b.write_bytes(details.encode("gbk"))
    return a, b


def test_a_gbk_taobao_pair_imports_and_a_newer_export_moves_it_on(session, admin, biz, tmp_path):
    a, b = taobao_pair(tmp_path)
    summary = import_files(session, admin, "taobao", [b, a])
    assert (summary["created"], summary["exceptions"], summary["rejected"]) == (1, 0, [])
    order = session.scalar(select(Order))
    assert (order.platform_order_id, order.status, order.region, order.city) == (
        "3512345678901234",
        "paid",
        "浙江",
        "杭州",
    )
    assert order.receiver_phone == "13800000000" and order.total_amount == Decimal("118.00")
    assert order.buyer_remark == "尽快发货，谢谢！"
    assert import_files(session, admin, "taobao", [a, b])["unchanged"] == 1
    a, b = taobao_pair(tmp_path, status="交易关闭")
    assert import_files(session, admin, "taobao", [a, b])["updated"] == 1
    session.refresh(order)
    assert order.status == "cancelled"
    assert [e.event for e in session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))] == [
        "import",
        "import",
    ]


def test_taobao_needs_both_files(session, admin, biz, tmp_path):
    a, _ = taobao_pair(tmp_path)
    with pytest.raises(ImportFileError, match="ExportOrderDetailList"):
        import_files(session, admin, "taobao", [a])


def test_unmapped_sku_goes_to_exceptions_and_a_mapping_resolves_the_next_import(
    session, admin, biz, tmp_path
):
    a, b = taobao_pair(tmp_path, sku="TB-WHITE-TEE")
    summary = import_files(session, admin, "taobao", [a, b])
    assert summary["exceptions"] == 1
    assert session.scalars(select(OrderReason.code)).all() == ["unmapped_sku"]
    assert session.scalar(select(OrderLine.product_id)) is None
    session.add(SkuMapping(shop_id=biz.shop, platform_sku="TB-WHITE-TEE", product_id=biz.tee))
    session.flush()
    a, b = taobao_pair(tmp_path, sku="TB-WHITE-TEE")
    (a.parent / "n").mkdir()
    a2, b2 = a.parent / "n" / a.name, a.parent / "n" / b.name
    a2.write_bytes(a.read_bytes().replace(b"3512345678901234", b"3512345678909999"))
    b2.write_bytes(b.read_bytes().replace(b"3512345678901234", b"3512345678909999"))
    assert import_files(session, admin, "taobao", [a2, b2])["exceptions"] == 0


def test_price_below_floor_and_incomplete_address_are_exceptions(session, admin, biz, tmp_path):
    a, b = taobao_pair(tmp_path, price="1.00", qty="1", total="1.00")
    assert import_files(session, admin, "taobao", [a, b])["exceptions"] == 1
    assert session.scalars(select(OrderReason.code)).all() == ["below_price_floor"]


JD = (
    "订单号,商品ID,商品名称,订购数量,支付方式,下单时间,京东价,订单金额,结算金额,余额支付,应付金额,订单状态,订单类型,下单帐号,"
    "客户姓名,客户地址,联系电话,订单备注,发票类型,发票抬头,发票内容,商家备注,商家备注等级（等级1-5为由高到低）,运费金额,"
    "付款确认时间,增值税发票,货号,订单完成时间,订单来源,订单渠道\n"
    "JD1001,100,T恤,1,在线支付,2026-06-18 10:00:00,59.00,88.00,88.00,0,88.00,等待出库,SOP,jd_user,"
    "李雷,广东 广州市 天河区 体育西路 1 号,138,,,,,,,0.00,2026-06-18 10:01:00,,TEE-1,,,\n"
    "JD1001,101,马克杯,1,在线支付,2026-06-18 10:00:00,29.00,88.00,88.00,0,88.00,等待出库,SOP,jd_user,"
    "李雷,广东 广州市 天河区 体育西路 1 号,138,,,,,,,0.00,2026-06-18 10:01:00,,MUG-1,,,\n"
)
PDD = (
    "订单成交时间,商品,订单号,订单状态,商品总价(元),邮费(元),店铺优惠折扣(元),平台优惠折扣(元),多多支付立减金额(元),"
    "用户实付金额(元),商家实收金额(元),商品数量(件),发货时间,确认收货时间,商品id,商品规格,样式ID,商家编码-规格维度,"
    "商家编码-商品维度,商家备注,售后状态,快递单号,快递公司,省,市,区,收货人,手机,详细地址\n"
    "2026-06-18 11:00:00,马克杯,260618-001,待发货,58.00,0.00,3.00,2.00,1.00,52.00,55.00,"
    "2,,,1,,,MUG-1,,,无售后或售后取消,,,四川省,成都市,武侯区,韩梅梅,139,人民南路 4 号\n"
    "2026-06-18 11:05:00,马克杯,260618-002,待发货,29.00,0.00,0.00,0.00,0.00,29.00,29.00,"
    "1,,,1,,,MUG-1,,,无售后或售后取消,,,****,****,****,韩**,***,****\n"
)
WOO = (
    '"Order Number","Order Status","Order Date","Customer Note",'
    '"First Name (Shipping)","Last Name (Shipping)","Address 1&2 (Shipping)","City (Shipping)",'
    '"State Code (Shipping)","Country Code (Shipping)","Email (Billing)",SKU,Name,Quantity,"Item Cost",'
    '"Order Shipping Amount","Order Total Tax Amount","Cart Discount Amount","Order Total Amount"\n'
    '1001,Processing,2026-06-18 12:00,,Ann,Lee,"1 Main St",Springfield,IL,US,ann@example.com,'
    "TEE-1,Tee,2,59.00,10.00,0.00,8.00,120.00\n"
    '1002,Refunded,2026-06-18 12:30,,Bob,Ray,"2 Main St",Springfield,IL,US,bob@example.com,'
    "MUG-1,Mug,1,29.00,0.00,0.00,0.00,29.00\n"
)


def test_jd_pdd_and_woocommerce_exports(session, admin, biz, tmp_path):
    catalog.create_shop(session, admin, code="JD", name="京东店", platform="jd")
    catalog.create_shop(session, admin, code="PDD", name="拼多多店", platform="pdd")
    catalog.create_shop(session, admin, code="WOO", name="Woo", platform="woocommerce", currency="CNY")
    for platform, text, shop in (("jd", JD, "JD"), ("pdd", PDD, "PDD"), ("woocommerce", WOO, "WOO")):
        path = tmp_path / f"{platform}.csv"
        path.write_text(text, encoding="utf-8")
        summary = import_files(session, admin, platform, [path], shop=shop)
        assert summary["rejected"] == [], summary
    jd = session.scalar(select(Order).where(Order.platform_order_id == "JD1001"))
    assert (jd.status, jd.goods_amount, jd.total_amount, len(jd.lines), jd.region) == (
        "paid",
        Decimal("88.00"),
        Decimal("88.00"),
        2,
        "广东",
    )
    p1, p2 = session.scalars(select(Order).where(Order.platform == "pdd").order_by(Order.id)).all()
    assert (p1.total_amount, p1.discount_amount, p1.subsidy_amount, p1.region) == (
        Decimal("55.00"),
        Decimal("3.00"),
        Decimal("3.00"),
        "四川",
    )
    assert workflow.reasons_of(session, [p2.id]) == {
        p2.id: ["incomplete_address"]
    }  # masked address: decrypt first
    w1, w2 = session.scalars(select(Order).where(Order.platform == "woocommerce").order_by(Order.id)).all()
    assert (w1.status, w1.total_amount, w2.status, w2.refunded_amount) == (
        "paid",
        Decimal("120.00"),
        "refunded",
        Decimal("29.00"),
    )


def test_each_parser_reads_only_the_columns_it_declares(tmp_path, shared_data):
    """Reading a file narrowed to its platform's COLUMNS changes nothing the parser makes of it."""
    cases = [
        ("shopify", [shared_data / "platform_exports" / "shopify" / name], currency)
        for name, currency in SHOPIFY.items()
    ]
    cases.append(("taobao", list(taobao_pair(tmp_path)), "CNY"))
    for platform, text in (("jd", JD), ("pdd", PDD), ("woocommerce", WOO)):
        (tmp_path / f"{platform}.csv").write_text(text, encoding="utf-8")
        cases.append((platform, [tmp_path / f"{platform}.csv"], "CNY"))
    for platform, paths, currency in cases:
        shop = ShopInfo(1, platform, currency)
        full = parse_tables(platform, read_sources(paths), shop)
        assert parse_tables(platform, read_sources(paths, COLUMNS[platform]), shop) == full
        assert all(part.drafts for part in full)


def test_generic_csv_with_map_default_and_history(session, admin, biz, tmp_path):
    text = (
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
        "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom\n"
        "536366,22633,HAND WARMER,x,12/1/2010 8:28,1.85,17850,United Kingdom\n"
        "536367,22633,HAND WARMER,6,12/1/2010 8:28,1.85,13047,United Kingdom\n"
    )
    path = tmp_path / "retail.csv"
    path.write_text(text, encoding="utf-8")
    catalog.create_shop(session, admin, code="UK", name="UK", platform="other", currency="GBP")
    summary = import_files(
        session,
        admin,
        "csv",
        [path],
        shop="UK",
        history=True,
        mapping={
            "order_id": "InvoiceNo",
            "sku": "StockCode",
            "customer_id": "CustomerID",
            "ordered_at": "InvoiceDate",
        },
        defaults={"currency": "GBP", "timezone": "Europe/London"},
    )
    assert (summary["created"], summary["exceptions"]) == (2, 0)
    assert [
        (r["line"], "Quantity" in r["reason"] or "quantity" in r["reason"]) for r in summary["rejected"]
    ] == [(4, True)]
    first = session.scalar(select(Order).where(Order.platform_order_id == "536365"))
    assert (first.status, first.is_history, first.warehouse_id, first.total_amount) == (
        "finished",
        True,
        None,
        Decimal("35.64"),
    )
    assert first.created_at.isoformat() == "2010-12-01T08:26:00+00:00"


def test_generic_xlsx(session, admin, biz, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["订单号", "商家编码", "数量", "单价", "下单时间", "收货人", "省", "收货地址"])
    ws.append(["X1", "TEE-1", 1, 59, "2026-06-18 10:00:00", "张三", "上海", "上海市人民路1号"])
    path = tmp_path / "orders.xlsx"
    wb.save(path)
    summary = import_files(session, admin, "csv", [path], shop="TB")
    assert (summary["created"], summary["exceptions"], summary["rejected"]) == (1, 0, [])


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"Name,Email\n#1,a\x00b\n", "NUL"),
        (
            "Name,Email\n#1,a@b\n".encode("utf-16"),
            "Financial Status, Created at",
        ),  # read: Excel's Unicode text
        (b"Name,Email\n#1,a@b\n", "Financial Status, Created at"),
        (b"\xfa\xfb\x81\x30" * 10, "编码"),  # not UTF-8, GB18030 nor Windows-1252
        (b"", "空"),
    ],
)
def test_a_file_that_cannot_be_used_is_one_named_error_and_writes_nothing(
    session, admin, biz, tmp_path, content, reason
):
    catalog.create_shop(session, admin, code="SH2", name="S", platform="shopify", currency="CNY")
    path = tmp_path / "orders_export.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as info:
        import_files(session, admin, "shopify", [path], shop="SH2")
    assert reason in info.value.message("zh_CN")
    assert count(session, Order) == 0


def test_bad_rows_are_rejected_with_line_and_reason(session, admin, biz, tmp_path):
    text = (
        "订单号,商家编码,数量,单价,下单时间,收货人,省,收货地址,商品名称\n"
        "A1,TEE-1,1,abc,2026-06-18 10:00:00,张三,上海,上海市人民路1号,x\n"
        "A2,TEE-1,1,59,yesterday,张三,上海,上海市人民路1号,x\n"
        'A3,NOPE-9,1,59,2026-06-18 10:00:00,张三,上海,上海市人民路1号,=HYPERLINK("http://evil")\n'
        "A4,TEE-1,-2,59,2026-06-18 10:00:00,张三,上海,上海市人民路1号,x\n"
    )
    path = tmp_path / "o.csv"
    path.write_text(text, encoding="utf-8")
    summary = import_files(session, admin, "csv", [path], shop="TB")
    assert [r["line"] for r in summary["rejected"]] == [2, 3, 5]
    assert "abc" in summary["rejected"][0]["reason"] and "yesterday" in summary["rejected"][1]["reason"]
    assert (summary["created"], summary["exceptions"]) == (1, 1)  # A3: unknown SKU -> exception queue
    assert session.scalar(select(OrderLine.name)) == '=HYPERLINK("http://evil")'


def test_cli_import_json_and_export_escapes_formulas(db, tmp_path, capsys):
    from ecerp_core.db import session_scope

    with session_scope(db) as s:
        from ecerp_core.auth import resolve_actor

        a = resolve_actor(s, "admin")
        catalog.create_warehouse(s, a, code="SH", name="上海仓", region="华东")
        catalog.create_shop(s, a, code="TB", name="淘宝店", platform="taobao", default_warehouse="SH")
        catalog.create_product(s, a, sku="TEE-1", name_zh="T恤", list_price="59.00")
    path = tmp_path / "o.csv"
    path.write_text(
        "订单号,商家编码,数量,单价,下单时间,收货人,省,收货地址,买家\n"
        "A1,TEE-1,1,59,2026-06-18 10:00:00,张三,上海,上海市人民路1号,=cmd|' /C calc'!A0\n",
        encoding="utf-8",
    )
    main(["orders", "import", "--platform", "csv", "--shop", "TB", "--json", str(path)])
    summary = json.loads(capsys.readouterr().out)
    assert {k: summary[k] for k in ("created", "updated", "unchanged", "exceptions")} == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "exceptions": 0,
    }
    main(["orders", "export", "--platform", "taobao"])
    out = capsys.readouterr().out
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["buyer"] == "'=cmd|' /C calc'!A0" and row["total"] == "59.00"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(os.urandom(100) + b"\x00")
    with pytest.raises(SystemExit) as exit_:
        main(["orders", "import", "--platform", "shopify", "--shop", "TB", str(bad)])
    assert exit_.value.code == 1
    assert "bad.csv" in capsys.readouterr().err
