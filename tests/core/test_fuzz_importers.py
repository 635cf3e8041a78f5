"""Hostile files through every importer: a named error or rows rejected with their reason, never a
raw error (Python's, SQLAlchemy's or the driver's) and never half a document.

Each importer gets a header and a good row of its format; hypothesis replaces cells with hostile
text (huge and tiny numbers, NaN, dates of year 1 and 9999, NUL, 100,000-character fields, formula
text, bidi marks), writes the file in one of the encodings sellers use — or gives random bytes — and
imports it in a savepoint that is rolled back. Sized for CI (a few examples per importer); set
``ECERP_FUZZ_EXAMPLES=500`` for a long run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from decimal import Decimal

import pytest
from business_fixtures import biz  # noqa: F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import rate_on, set_exchange_rates
from ecerp_core.catalog.importers import import_file
from ecerp_core.connectors.files import import_files
from ecerp_core.errors import EcerpError
from ecerp_core.finance import checks as finance_checks
from ecerp_core.finance.fx import import_rates
from ecerp_core.finance.settlement import import_settlement
from ecerp_core.finance.vouchers import import_vouchers

EXAMPLES = int(os.environ.get("ECERP_FUZZ_EXAMPLES", "10"))

# (header, good row) of each format: tiny, hand-made
FORMATS: dict[str, tuple[list[str], list[str]]] = {
    "orders-csv": (
        ["订单号", "商家编码", "数量", "单价", "下单时间", "收货人", "省", "收货地址", "买家"],
        ["F1", "TEE-1", "1", "59", "2026-06-18 10:00:00", "张三", "上海", "上海市人民路1号", "tb_1"],
    ),
    "orders-jd": (
        [
            "订单号",
            "商品名称",
            "订购数量",
            "下单时间",
            "京东价",
            "订单金额",
            "应付金额",
            "订单状态",
            "下单帐号",
            "客户姓名",
            "客户地址",
            "联系电话",
            "运费金额",
            "付款确认时间",
            "货号",
        ],
        [
            "JD1",
            "T恤",
            "1",
            "2026-06-18 10:00:00",
            "59.00",
            "59.00",
            "59.00",
            "等待出库",
            "jd_u",
            "李雷",
            "广东 广州市 天河区 体育西路 1 号",
            "138",
            "0.00",
            "2026-06-18 10:01:00",
            "TEE-1",
        ],
    ),
    "orders-pdd": (
        [
            "订单成交时间",
            "商品",
            "订单号",
            "订单状态",
            "商品总价(元)",
            "邮费(元)",
            "用户实付金额(元)",
            "商家实收金额(元)",
            "商品数量(件)",
            "商家编码-规格维度",
            "省",
            "市",
            "区",
            "收货人",
            "手机",
            "详细地址",
        ],
        [
            "2026-06-18 11:00:00",
            "马克杯",
            "P1",
            "待发货",
            "29.00",
            "0.00",
            "29.00",
            "29.00",
            "1",
            "MUG-1",
            "四川省",
            "成都市",
            "武侯区",
            "韩梅梅",
            "139",
            "人民南路 4 号",
        ],
    ),
    "orders-woocommerce": (
        [
            "Order Number",
            "Order Status",
            "Order Date",
            "First Name (Shipping)",
            "Address 1&2 (Shipping)",
            "Country Code (Shipping)",
            "SKU",
            "Name",
            "Quantity",
            "Item Cost",
            "Order Total Amount",
        ],
        [
            "1001",
            "Processing",
            "2026-06-18 12:00",
            "Ann",
            "1 Main St",
            "US",
            "TEE-1",
            "Tee",
            "2",
            "59.00",
            "118.00",
        ],
    ),
    "products": (
        ["sku", "name", "price", "cost", "barcode", "weight"],
        ["Z-1", "杯子", "9.90", "3.10", "", "0.2"],
    ),
    "customers": (
        ["code", "name", "phone", "province", "city"],
        ["C-1", "张伟", "13800000001", "浙江", "杭州"],
    ),
    "suppliers": (["code", "name", "currency", "lead_time", "moq"], ["S-9", "恒达", "CNY", "7", "200"]),
    "rates": (["currency", "rate_date", "rate"], ["USD", "2026-06-01", "7.10"]),
    "vouchers": (
        ["凭证号", "日期", "科目", "借方", "贷方", "摘要"],
        ["V1", "2026-06-18", "1001", "10.00", "", "备用金"],
    ),
    "settlement-alipay": (
        ["商户订单号", "业务类型", "收入金额（+元）", "支出金额（-元）", "发生时间"],
        ["T200P1", "服务费", "", "1.50", "2026-06-18 10:00:00"],
    ),
    "settlement-shopify": (
        ["Order", "Type", "Amount", "Fee", "Transaction Date", "Currency"],
        ["#1", "charge", "10.00", "0.59", "2026-06-18", "USD"],
    ),
}

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1e30",
    "-1E+999",
    "NaN",
    "inf",
    "123456789012345678901234",
    "99999999999",
    "2147483648",
    "0.000000001",
    "1,2,3",
    "(5.10)",
    "￥1,299.50",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "A\x00B",
    "x" * 100_000,
    "长" * 5000,
    "0001-01-01",
    "9999-12-31 23:59:59",
    "2026-02-30",
    "1970-01-01T00:00:00Z",
    "Müller Straße",
    "\u202etxt",
    "\ufeff",
    "'0183",
    '="0123"',
    "\r\n",
    '"',
    "NULL",
    "None",
    "🙂" * 50,
]

cells = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.dates().map(str),
    st.datetimes().map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@st.composite
def files(draw, name: str) -> bytes:
    header, good = FORMATS[name]
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=400))
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        row = list(good)
        for i in draw(st.lists(st.integers(0, len(row) - 1), max_size=4)):
            row[i] = draw(cells)
        rows.append(row)
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "cp1252"]))
    return buf.getvalue().encode(encoding, errors="replace")


@pytest.fixture
def world(session, admin, biz):  # noqa: F811
    """Shops of every platform, a USD rate, an open June: what the good rows need."""
    catalog.create_shop(session, admin, code="JD", name="京东店", platform="jd")
    catalog.create_shop(session, admin, code="PDD", name="拼多多店", platform="pdd")
    catalog.create_shop(session, admin, code="WOO", name="Woo", platform="woocommerce", currency="CNY")
    set_exchange_rates(session, admin, [{"currency": "USD", "rate_date": "2026-06-01", "rate": "7.10"}])
    session.flush()
    return session


def _import(session, admin, name: str, path) -> None:
    if name.startswith("orders-"):
        platform = name.removeprefix("orders-")
        shop = {"csv": "TB", "jd": "JD", "pdd": "PDD", "woocommerce": "WOO"}[platform]
        import_files(session, admin, platform, [path], shop=shop)
    elif name == "rates":
        import_rates(session, admin, path)
    elif name == "vouchers":
        import_vouchers(session, admin, path)
    elif name.startswith("settlement-"):
        import_settlement(session, admin, name.removeprefix("settlement-"), path)
    else:
        import_file(session, admin, name.removesuffix("s"), path)


def _half_documents(session) -> list[str]:
    """What a half-written import would leave: orders without lines, entries that do not balance,
    settlements without their entry."""
    found = []
    if session.scalar(
        text(
            "SELECT count(*) FROM sales_order o WHERE NOT EXISTS "
            "(SELECT 1 FROM sales_order_line l WHERE l.order_id = o.id)"
        )
    ):
        found.append("order without lines")
    if session.scalar(text("SELECT count(*) FROM fin_settlement WHERE entry_id IS NULL")):
        found.append("settlement without entry")
    return found + finance_checks.every_entry_balances(session)


def _fuzz(session, admin, path, name: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(data=files(name))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        savepoint = session.begin_nested()
        try:
            _import(session, admin, name, path)
        except EcerpError as exc:
            assert exc.message("en") and exc.message("zh_CN")
        else:
            session.flush()
            assert _half_documents(session) == []
        finally:
            savepoint.rollback()

    check()


def test_no_hostile_file_gives_a_raw_error_or_half_a_document(world, admin, tmp_path):
    """Every format in turn (one test, one database set-up: CI time is scarce)."""
    for name in sorted(FORMATS):
        _fuzz(world, admin, tmp_path / f"{name}.csv", name)


def test_the_good_rows_import(world, admin, tmp_path):
    """The fuzz starts from files that work: each good row imports without a rejection."""
    for name in ("orders-csv", "products", "rates", "vouchers"):
        header, good = FORMATS[name]
        path = tmp_path / f"{name}.csv"
        buf = io.StringIO()
        csv.writer(buf).writerows([header, good])
        path.write_text(buf.getvalue(), encoding="utf-8")
        _import(world, admin, name, path)
    assert world.scalar(text("SELECT count(*) FROM sales_order")) == 1
    assert rate_on(world, "USD", dt.date(2026, 6, 1)) == Decimal("7.10")


WORST = ["x" * 100_000, "99999999999"] + (
    ["A\x00B", "1e30", "0001-01-01", "9999-12-31 23:59:59", "-0.001"] if EXAMPLES > 50 else []
)


def test_every_column_takes_the_worst_values(world, admin, tmp_path):
    """Each column of each format in turn holds each worst value (the 100,000-character PDD
    receiver, the quantity beyond an integer): a rejected row or a named error, never a raw one."""
    session = world
    for name, (header, good) in sorted(FORMATS.items()):
        _worst(session, admin, tmp_path / f"{name}.csv", name, header, good)


def _worst(session, admin, path, name: str, header: list[str], good: list[str]) -> None:
    for i in range(len(header)):
        for value in WORST:
            row = list(good)
            row[i] = value
            buf = io.StringIO()
            csv.writer(buf).writerows([header, row])
            path.write_text(buf.getvalue(), encoding="utf-8")
            savepoint = session.begin_nested()
            try:
                _import(session, admin, name, path)
                session.flush()
                assert _half_documents(session) == []
            except EcerpError:
                pass
            finally:
                savepoint.rollback()
