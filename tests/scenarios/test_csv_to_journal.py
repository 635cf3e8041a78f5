"""Two weeks of a cross-border shop, from the platforms' export files to the journal, through the CLI.

The company (base CNY, VAT 13%) sells on Taobao (淘宝店 TB, CNY) and on Shopify (US shop, USD)
from one warehouse, 上海仓 SH. Nothing is stubbed: every business event reaches finance's posting.

2022-01-10 buy stock from 义乌杯业 (S1), tax-exclusive prices, input VAT 13%:
           CUP-500 10 × 38.50 = 385.00, SLEEVE-1 20 × 6.20 = 124.00, ENPT007BRL 3 × 260.00 = 780.00
           goods 1,289.00 + VAT 167.57 = 1,456.57 payable
2022-01-12 import one real Shopify row (#1411: Velour Wide-Leg Pant 159.00 − discount 63.60
           + shipping 30.00 = 125.40 USD, DE MwSt 19% 20.02 included) and a Taobao pair
           (2 × CUP-500 at 89.00 + SLEEVE-1 at 19.90 + postage 8.00 = 205.90 CNY);
           review, ship both from a tracking file. USD 6.3700.
           Taobao: revenue 205.90 / 1.13 = 182.21, output VAT 23.69; cost 2 × 38.50 + 6.20 = 83.20
           Shopify: 125.40 × 6.37 = 798.80; the platform's tax figure 20.02 × 6.37 = 127.53 is German
           VAT collected for a foreign tax office, not Chinese output VAT: 222105 代收境外销售税;
           revenue 798.80 − 127.53 = 671.27; cost 260.00
2022-01-15 the Taobao buyer confirms receipt: Alipay pays 205.90, takes 淘宝客佣金 9.90 and 服务费 2.06
2022-01-18 Taobao partial refund without return, 20.00 (a scratch): revenue 20.00 / 1.13 = 17.70, VAT 2.30
2022-01-20 the Shopify pants come back (wrong size), sellable; the goods are refunded, the
           shipping kept: 95.40 USD at 6.3500 = 605.79, of which the order's tax share
           20.02 × 95.40 / 125.40 = 15.23 USD = 96.71 CNY; revenue 605.79 − 96.71 = 509.08;
           the pants go back to stock at the 260.00 they left with
2022-01-25 settle the Alipay bill (dated to its last line, 01-18): 205.90 − 9.90 − 2.06 − 20.00
           = 173.94 to the bank; and the Shopify payout (last line 01-20, 6.3500): 125.40 − fee 3.94
           − 95.40 = 26.06 USD = 165.48 CNY; fee 3.94 × 6.35 = 25.02; the receivable booked
           798.80 − 605.79 = 193.01 CNY for 30.00 USD is worth 190.50 now: exchange loss 2.51
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from contextlib import AbstractContextManager
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.cli import main
from ecerp_core.db import frozen_clock, session_scope
from ecerp_core.finance.ledger import entry_with_sources
from ecerp_core.finance.models import JournalEntry

SHANGHAI = ZoneInfo("Asia/Shanghai")
CNY, USD, ZERO = "CNY", "USD", D("0.00")
SHOPIFY_ORDER = "#1411"  # paid, unfulfilled: it enters our pipeline as it is in the file
TAOBAO_ORDER = "2395028137465019283"


def at(day: int, hour: int = 10) -> AbstractContextManager[None]:
    """The office clock on a day of January 2022 (company time, Asia/Shanghai)."""
    return frozen_clock(dt.datetime(2022, 1, day, hour, tzinfo=SHANGHAI))


def run(capsys, *args: str) -> str:
    """Run ``ecerp ARGS`` in-process; it must succeed. Returns what it printed."""
    try:
        main(["--lang", "en", *args])
    except SystemExit as exc:
        out, err = capsys.readouterr()
        assert not exc.code, f"ecerp {' '.join(args)} exited {exc.code}: {err or out}"
        return out
    return capsys.readouterr().out


def run_json(capsys, *args: str):
    return json.loads(run(capsys, *args, "--json"))


def shopify_export(shared_data, tmp_path):
    """The real export's header and the rows of one order (the shared files stay where they are)."""
    source = shared_data / "platform_exports" / "shopify" / "us_multi_country_orders_export_1.csv"
    with source.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for r in reader if r[header.index("Name")] == SHOPIFY_ORDER]
    path = tmp_path / "orders_export_1.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def taobao_export(tmp_path):
    """已卖出的宝贝 → 批量导出: the order report and the item report, GBK, ids armoured for Excel."""
    orders = (
        "订单编号,买家会员名,买家支付宝账号,支付单号,支付详情,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,"
        "买家实际支付金额,买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址,运送方式,联系电话,联系手机,"
        "订单创建时间,订单付款时间,宝贝标题,宝贝种类,物流单号,物流公司,订单备注,宝贝总数量,店铺Id,店铺名称,订单关闭原因\r\n"
        f'="{TAOBAO_ORDER}",tb_xiaoyu88,xiaoyu***@163.com,="2022011122001412345678901234",'
        "支付宝:205.90,197.90,8.00,0,205.90,0,205.90,0,买家已付款，等待卖家发货,,林小雨,"
        "浙江省 宁波市 鄞州区 天童南路 88 号(315100),快递,,'13900000000,"
        "2022-01-11 20:15:03,2022-01-11 20:15:41,真空保温杯 500ml 等,2,,,,3,1,杯子工厂店,\r\n"
    )
    details = (
        "订单编号,标题,价格,购买数量,外部系统编号,商品属性,套餐信息,备注,订单状态,商家编码\r\n"
        f'="{TAOBAO_ORDER}",真空保温杯 500ml,89.00,2,,"颜色分类：雾蓝",,,买家已付款，等待卖家发货,CUP-500\r\n'
        f'="{TAOBAO_ORDER}",保温杯硅胶杯套,19.90,1,,"颜色分类：米白",,,买家已付款，等待卖家发货,SLEEVE-1\r\n'
    )
    a, b = tmp_path / "ExportOrderList202201120900.csv", tmp_path / "ExportOrderDetailList202201120900.csv"
    a.write_bytes(orders.encode("gbk"))
    b.write_bytes(details.encode("gbk"))
    return a, b


def write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding)
    return str(path)


def set_up(db, capsys, tmp_path) -> None:
    """The warehouse and shops (no CLI command makes them), then base data, rates and stock by the CLI."""
    with session_scope(db) as s:
        admin = resolve_actor(s, "admin")
        catalog.create_warehouse(s, admin, code="SH", name="上海仓", region="华东")
        catalog.create_shop(s, admin, code="TB", name="杯子工厂店", platform="taobao", default_warehouse="SH")
        catalog.create_shop(
            s, admin, code="US", name="US shop", platform="shopify", currency="USD", default_warehouse="SH"
        )
    products = write(
        tmp_path / "products.csv",
        "sku,name,price\nCUP-500,真空保温杯 500ml,89.00\n"
        "SLEEVE-1,保温杯硅胶杯套,19.90\nENPT007BRL,Velour Wide-Leg Pant - Tanned Brown / L,1099.00\n",
    )
    assert run_json(capsys, "products", "import", products)["created"] == 3
    suppliers = write(tmp_path / "suppliers.csv", "code,name,currency\nS1,义乌杯业有限公司,CNY\n")
    assert run_json(capsys, "suppliers", "import", suppliers)["created"] == 1
    rates = write(
        tmp_path / "rates.csv", "currency,rate_date,rate\nUSD,2022-01-12,6.3700\nUSD,2022-01-20,6.3500\n"
    )
    run(capsys, "finance", "rates", "import", rates)
    out = run(
        capsys,
        "purchase",
        "create",
        "S1",
        "SH",
        "CUP-500=10@38.50",
        "SLEEVE-1=20@6.20",
        "ENPT007BRL=3@260.00",
        "--confirm",
    )
    purchase_order = out.split()[-1]
    assert run(capsys, "purchase", "receive", purchase_order).strip() == "received 33 units"


def journal(db) -> list[tuple]:
    """Every entry in number order: (kind, date, [(account, debit, credit, currency, amount in currency)])."""
    with session_scope(db, readonly=True) as s:
        ids = s.scalars(select(JournalEntry.id).order_by(JournalEntry.entry_number)).all()
        entries = [entry_with_sources(s, i) for i in ids]
    return [
        (
            e["kind"],
            e["date"],
            [(x["code"], x["debit"], x["credit"], x["currency"], x["amount_currency"]) for x in e["lines"]],
        )
        for e in entries
    ]


def test_exports_through_review_shipping_refunds_and_settlement_give_the_exact_journal(
    db, capsys, tmp_path, shared_data
):
    with at(10):
        set_up(db, capsys, tmp_path)

    with at(12, 9):
        shopify = shopify_export(shared_data, tmp_path)
        summary = run_json(capsys, "orders", "import", "--platform", "shopify", str(shopify), "--shop", "US")
        assert (summary["created"], summary["exceptions"], summary["rejected"]) == (1, 0, [])
        orders, items = taobao_export(tmp_path)
        summary = run_json(
            capsys, "orders", "import", "--platform", "taobao", str(orders), str(items), "--shop", "TB"
        )
        assert (summary["created"], summary["exceptions"], summary["rejected"]) == (1, 0, [])
        assert run_json(capsys, "orders", "review") == {"approved": 2, "waiting": {}}
        tracking = write(
            tmp_path / "tracking.csv",
            f"订单号,快递公司,快递单号\n{TAOBAO_ORDER},中通快递,78321456901234\n"
            f"{SHOPIFY_ORDER},DHL Express,4417283950\n",
        )
        assert run_json(capsys, "orders", "ship", "--tracking-file", tracking) == {
            "shipped": 2,
            "rejected": [],
        }

    with at(17):
        back = run_json(
            capsys,
            "orders",
            "cases",
            "open",
            SHOPIFY_ORDER,
            "--shop",
            "US",
            "--kind",
            "return_refund",
            "--amount",
            "95.40",
            "--lines",
            "1:1",
            "--reason",
            "Wrong size",
        )["case"]
        assert run_json(capsys, "orders", "cases", "approve", str(back))["status"] == "waiting_return"

    with at(18):  # 杯身有划痕: the buyer keeps the cup, the shop gives 20.00 back
        case = run_json(
            capsys,
            "orders",
            "cases",
            "open",
            TAOBAO_ORDER,
            "--shop",
            "TB",
            "--kind",
            "refund_only",
            "--amount",
            "20.00",
            "--reason",
            "杯身划痕，部分退款",
        )["case"]
        assert run_json(capsys, "orders", "cases", "approve", str(case))["status"] == "approved"
        assert run_json(capsys, "orders", "cases", "complete", str(case))["status"] == "done"

    with at(20, 16):
        assert (
            run_json(
                capsys,
                "orders",
                "cases",
                "receive",
                str(back),
                "--warehouse",
                "SH",
                "--condition",
                "sellable",
            )["status"]
            == "received"
        )
        assert run_json(capsys, "orders", "cases", "complete", str(back))["status"] == "done"

    with at(25):
        bill = write(
            tmp_path / "alipay_bill.csv",
            "#支付宝账务明细查询\n#账号：[20881234567890120156]\n"
            "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,"
            "收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注\n"
            f"20220115200040011100560012345678,2022011122001412345678901234,T200P{TAOBAO_ORDER},"
            "真空保温杯 500ml 等,2022-01-15 14:02:11,xiaoyu***@163.com,205.90,,205.90,支付宝,交易付款,\n"
            f"20220115200040011100560012345679,2022011122001412345678901234,T200P{TAOBAO_ORDER},"
            "淘宝客佣金代扣款,2022-01-15 14:02:12,taobaoke@alimama.com,,9.90,196.00,支付宝,淘宝客佣金,\n"
            f"20220115200040011100560012345680,2022011122001412345678901234,T200P{TAOBAO_ORDER},"
            "信用卡支付服务费,2022-01-15 14:02:12,alipay,,2.06,193.94,支付宝,服务费,\n"
            f"20220118200040011100560012345681,2022011122001412345678901234,T200P{TAOBAO_ORDER},"
            "退款-真空保温杯,2022-01-18 10:31:40,xiaoyu***@163.com,,20.00,173.94,支付宝,交易退款,\n"
            "#导出时间：[2022年01月25日 10:00:00]\n",
            encoding="gbk",
        )
        run(capsys, "finance", "settle", "--platform", "taobao", bill)
        payout = write(
            tmp_path / "payment_transactions_export_1.csv",
            "Transaction Date,Type,Order,Card Brand,Card Source,Payout Status,Payout Date,Payout ID,"
            "Available On,Amount,Fee,Net,Currency\n"
            f"2022-01-11 04:32:31 -0500,charge,{SHOPIFY_ORDER},visa,online,paid,2022-01-24,82839201,"
            "2022-01-13,125.40,3.94,121.46,USD\n"
            f"2022-01-20 03:05:12 -0500,refund,{SHOPIFY_ORDER},visa,online,paid,2022-01-24,82839201,"
            "2022-01-20,-95.40,0.00,-95.40,USD\n"
            "2022-01-24 03:00:00 -0500,payout,,,,paid,2022-01-24,82839201,"
            "2022-01-24,-26.06,0.00,-26.06,USD\n",
        )
        run(capsys, "finance", "settle", "--platform", "shopify", payout)

    def dr(code, amount, currency=CNY, in_currency=None):
        """A debit line; ``in_currency`` is the amount in a foreign ``currency``."""
        return (code, D(amount), ZERO, currency, D(in_currency or amount))

    def cr(code, amount, currency=CNY, in_currency=None):
        return (code, ZERO, D(amount), currency, -D(in_currency or amount))

    assert journal(db) == [
        (
            "stock.received",
            dt.date(2022, 1, 10),
            [
                dr("1405", "1289.00"),
                dr("22210101", "167.57"),
                cr("2202", "1456.57"),
            ],
        ),
        # both shipments of the day are one voucher; the Shopify order was imported first
        (
            "sale.shipped",
            dt.date(2022, 1, 12),
            [
                dr("112205", "798.80", USD, "125.40"),
                cr("6001", "671.27"),
                cr("222105", "127.53"),
                dr("6401", "260.00"),
                cr("1405", "260.00"),
                dr("112201", "205.90"),
                cr("6001", "182.21"),
                cr("22210102", "23.69"),
                dr("6401", "83.20"),
                cr("1405", "83.20"),
            ],
        ),
        (
            "sale.refunded",
            dt.date(2022, 1, 18),
            [
                cr("112201", "20.00"),
                dr("6001", "17.70"),
                dr("22210102", "2.30"),
            ],
        ),
        (
            "sale.refunded",
            dt.date(2022, 1, 20),
            [
                cr("112205", "605.79", USD, "95.40"),
                dr("6001", "509.08"),
                dr("222105", "96.71"),
                dr("1405", "260.00"),
                cr("6401", "260.00"),
            ],
        ),
        (
            "settlement",
            dt.date(2022, 1, 18),
            [
                cr("112201", "205.90"),
                dr("660101", "9.90"),
                dr("660101", "2.06"),
                dr("112201", "20.00"),
                dr("100201", "173.94"),
            ],
        ),
        (
            "settlement",
            dt.date(2022, 1, 20),
            [
                cr("112205", "798.80", USD, "125.40"),
                dr("660101", "25.02"),
                dr("112205", "605.79", USD, "95.40"),
                dr("100202", "165.48", USD, "26.06"),
                dr("660301", "2.51"),
            ],
        ),
    ]

    # what is left: receivables settled to nothing; revenue 671.27 − 509.08 (pants) + 182.21 − 17.70
    # (cups) = 326.70; output VAT 23.69 − 2.30 = 21.39; the German VAT held 127.53 − 96.71 = 30.82;
    # stock 1,289.00 − 83.20 (cups)
    balances = run_json(capsys, "finance", "trial-balance", "--as-of", "2022-01-31")
    assert {r["account_code"]: D(r["balance"]) for r in balances["rows"]} == {
        "100201": D("173.94"),
        "100202": D("165.48"),
        "112201": ZERO,
        "112205": ZERO,
        "1405": D("1205.80"),
        "2202": D("-1456.57"),
        "22210101": D("167.57"),
        "22210102": D("-21.39"),
        "222105": D("-30.82"),
        "6001": D("-326.70"),
        "6401": D("83.20"),
        "660101": D("36.98"),
        "660301": D("2.51"),
    }
    assert run_json(capsys, "check")["ok"] is True  # and it exits 0
