"""Taobao/Tmall: the seller backend's export pair -> order drafts.

``ExportOrderList*.csv`` (订单报表, one row per order) and ``ExportOrderDetailList*.csv`` (宝贝报表,
one row per item), GBK, ids armoured as ``="..."`` (undone by :mod:`ecerp_core.tabular`), full-width
punctuation in status texts. Both the 2019 and the older layouts read, by header name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from ecerp_core.connectors.base import (
    Parsed,
    RowError,
    ShopInfo,
    collect,
    count,
    group_rows,
    line_draft,
    moment,
    money,
    require_columns,
    split_cn_address,
    status_in,
)
from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import lazy
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Cells, Table, normal

ORDER_COLUMNS = ("订单编号", "订单状态", "订单创建时间", "总金额")
DETAIL_COLUMNS = ("订单编号", "价格", "购买数量")
ORDER = ("订单编号", "买家应付邮费", "总金额", "买家实际支付金额", "订单状态", "退款金额", "订单关闭原因")
ORDER += ("收货地址", "订单创建时间", "订单付款时间", "买家会员名", "收货人姓名", "联系手机", "联系电话")
ORDER += ("买家留言", "订单备注", "物流公司", "物流单号")
"""What the parser reads of the order report (the order key first)."""
DETAIL = ("订单编号", "购买数量", "价格", "商家编码", "外部系统编号", "标题")
"""What it reads of the item report."""
COLUMNS = ORDER + DETAIL
"""Every column the parser reads, of both reports, in the order it reads them."""
STATUS = {
    "等待买家付款": "pending_payment",
    "买家已付款,等待卖家发货": "paid",
    "卖家已发货,等待买家确认": "shipped",
    "买家已签收": "shipped",
    "交易成功": "finished",
    "交易关闭": "closed",
    # TOP API trade status
    "WAIT_BUYER_PAY": "pending_payment",
    "TRADE_NO_CREATE_PAY": "pending_payment",
    "PAY_PENDING": "pending_payment",
    "WAIT_SELLER_SEND_GOODS": "paid",
    "SELLER_CONSIGNED_PART": "paid",
    "PAID_FORBID_CONSIGN": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped",
    "TRADE_BUYER_SIGNED": "shipped",
    "TRADE_FINISHED": "finished",
    "TRADE_CLOSED": "closed",
    "TRADE_CLOSED_BY_TAOBAO": "closed",
}
"""Export texts (after folding full-width punctuation) and TOP API values -> our status."""


def status_of(text: str) -> str:
    """Our status for an export text or a TOP ``trade.status``.

    >>> status_of("买家已付款，等待卖家发货")
    'paid'
    """
    return status_in(STATUS, text)


def is_detail(table: Table) -> bool:
    return all(c in table.header for c in DETAIL_COLUMNS) and "收货地址" not in table.header


def parse_pair(orders: Table, details: Table | None, shop: ShopInfo) -> Parsed:
    """Read the order report with its item report (both needed)."""
    require_columns(orders, ORDER_COLUMNS)
    if details is None:
        raise ImportFileError(file=orders.name, reason=lazy("reason.taobao_pair"))
    return parse_orders(orders, index_items([details]), shop)


SEP, END = "\x1f", "\x1e"
"""What joins an item's cells, and ends each item, in an :class:`Items` index."""


class Items(dict):
    """The item report's rows by order number, each order's items packed in one string (a file's
    items take about their size in text, not a tuple and strings per cell): the order report is
    then read in batches, each picking its orders' items (:func:`parse_orders`). An order with an
    item whose cells hold the packing's own marks keeps its items as tuples instead."""

    def of(self, number: str) -> list[Cells]:
        packed = self.get(number)
        if not packed:
            return []
        if isinstance(packed, list):
            return packed
        return [(number, *item.split(SEP)) for item in packed[:-1].split(END)]


def index_items(batches: Iterable[Table]) -> Items:
    """Index the item report, read as tables (its batches, or the whole file as one)."""
    items = Items()
    get = items.get
    seps = len(DETAIL) - 2
    for table in batches:
        require_columns(table, DETAIL_COLUMNS)
        for item in table.select(DETAIL):
            number = item[0]
            text = SEP.join(item[1:])
            held = get(number, "")
            if isinstance(held, str) and text.count(SEP) == seps and END not in text:
                items[number] = held + text + END
            else:  # a cell holds a mark: this order's items as tuples
                items[number] = [*items.of(number), item]
    return items


def parse_orders(orders: Table, items: Items, shop: ShopInfo) -> Parsed:
    """Read the order report (or a batch of it) with the items of its orders."""
    require_columns(orders, ORDER_COLUMNS)
    rows = orders.select(ORDER)
    first = orders.first_line

    def build(number: str, at: Sequence[int]) -> OrderDraft:
        return _order(number, rows[at[0]], first + at[0], items.of(number), shop)

    return collect(Parsed(), orders.name, group_rows([r[0] for r in rows]), build, "订单编号", first)


def _order(number: str, row: Cells, line: int, items: list[Cells], shop: ShopInfo) -> OrderDraft:
    if not items:
        raise RowError("no_items", order=number)
    lines = []
    for _, qty, price, merchant_code, outer_id, title in items:
        qty = count(qty, "购买数量")
        price = money(price, "价格", blank=None)
        sku = merchant_code or outer_id or title
        lines.append(line_draft(sku[:64], qty, price, shop.currency, title))
    _, shipping, total, paid, status_text, refunded, close_reason, address, created, paid_at, *order = row
    buyer, receiver, mobile, phone, remark, seller_remark, carrier, tracking_no = order
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(shipping, "买家应付邮费")
    total = money(total, "总金额", blank=None)
    paid = money(paid, "买家实际支付金额")
    status = status_of(status_text)
    refunded = money(refunded, "退款金额")
    if status == "closed" and paid > 0:
        status = "refunded" if refunded >= paid or "退款" in close_reason else "closed"
        refunded = paid if status == "refunded" else refunded
    if status == "pending_payment":
        paid = Decimal(0)
    region, city = split_cn_address(address)
    created = moment(created, "订单创建时间", shop.timezone)
    return OrderDraft(
        shop_id=shop.id,
        platform_order_id=number,
        status=status,
        created_at=created,
        currency=shop.currency,
        lines=tuple(lines),
        goods_amount=goods,
        total_amount=total,
        shipping_amount=shipping,
        discount_amount=max(Decimal(0), goods + shipping - total),
        paid_amount=min(paid, total),
        paid_at=moment(paid_at, "订单付款时间", shop.timezone, blank_ok=True),
        refunded_amount=min(refunded, paid),
        buyer_id=buyer,
        receiver_name=receiver,
        receiver_phone=(mobile or phone).lstrip("'"),
        region=region,
        city=city,
        address=normal(address),
        country="CN",
        tax_included=True,
        platform_status=normal(status_text),
        buyer_remark=remark,
        seller_remark=seller_remark,
        carrier=carrier,
        tracking_no=tracking_no,
        line=line,
    )
