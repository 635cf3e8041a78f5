"""Taobao/Tmall: the seller backend's export pair -> order drafts.

``ExportOrderList*.csv`` (订单报表, one row per order) and ``ExportOrderDetailList*.csv`` (宝贝报表,
one row per item), GBK, ids armoured as ``="..."`` (undone by :mod:`ecerp_core.tabular`), full-width
punctuation in status texts. Both the 2019 and the older layouts read, by header name.
"""

from __future__ import annotations

from decimal import Decimal

from ecerp_core.connectors.base import (
    Parsed,
    RowError,
    ShopInfo,
    collect,
    count,
    line_draft,
    moment,
    money,
    pick,
    require_columns,
    split_cn_address,
    status_in,
)  # fmt: skip
from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import lazy
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Table, normal

ORDER_COLUMNS = ("订单编号", "订单状态", "订单创建时间", "总金额")
DETAIL_COLUMNS = ("订单编号", "价格", "购买数量")
COLUMNS = frozenset({
    *ORDER_COLUMNS, "买家应付邮费", "买家实际支付金额", "退款金额", "订单关闭原因", "收货地址", "订单付款时间", "买家会员名",
    "收货人姓名", "联系手机", "联系电话", "买家留言", "订单备注", "物流公司", "物流单号",
    *DETAIL_COLUMNS, "商家编码", "外部系统编号", "标题",
})  # fmt: skip
"""Every column the parser reads, of both reports."""
STATUS = {
    "等待买家付款": "pending_payment",
    "买家已付款,等待卖家发货": "paid",
    "卖家已发货,等待买家确认": "shipped",
    "买家已签收": "shipped",
    "交易成功": "finished",
    "交易关闭": "closed",
    "WAIT_BUYER_PAY": "pending_payment", "TRADE_NO_CREATE_PAY": "pending_payment", "PAY_PENDING": "pending_payment",
    "WAIT_SELLER_SEND_GOODS": "paid", "SELLER_CONSIGNED_PART": "paid", "PAID_FORBID_CONSIGN": "paid",
    "WAIT_BUYER_CONFIRM_GOODS": "shipped", "TRADE_BUYER_SIGNED": "shipped", "TRADE_FINISHED": "finished",
    "TRADE_CLOSED": "closed", "TRADE_CLOSED_BY_TAOBAO": "closed",
}  # fmt: skip
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
    require_columns(details, DETAIL_COLUMNS)
    items: dict[str, list[dict]] = {}
    for _, r in details:
        items.setdefault(r.get("订单编号", ""), []).append(r)
    groups: dict[str, list] = {}
    for line, r in orders:
        groups.setdefault(r.get("订单编号", ""), []).append((line, r))
    return collect(
        Parsed(), orders.name, groups, lambda k, rows: _order(k, rows, items.get(k, []), shop), "订单编号"
    )


def _order(number: str, rows: list, items: list[dict], shop: ShopInfo) -> OrderDraft:
    line, r = rows[0]
    if not items:
        raise RowError("no_items", order=number)
    lines = []
    for it in items:
        qty = count(it.get("购买数量", ""), "购买数量")
        price = money(it.get("价格", ""), "价格", blank=None)
        sku = pick(it, "商家编码", "外部系统编号", "标题")
        lines.append(line_draft(sku[:64], qty, price, shop.currency, it.get("标题", "")))
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(r.get("买家应付邮费", ""), "买家应付邮费")
    total = money(r.get("总金额", ""), "总金额", blank=None)
    paid = money(r.get("买家实际支付金额", ""), "买家实际支付金额")
    status = status_of(r.get("订单状态", ""))
    refunded = money(r.get("退款金额", ""), "退款金额")
    if status == "closed" and paid > 0:
        status = "refunded" if refunded >= paid or "退款" in r.get("订单关闭原因", "") else "closed"
        refunded = paid if status == "refunded" else refunded
    if status == "pending_payment":
        paid = Decimal(0)
    region, city = split_cn_address(r.get("收货地址", ""))
    created = moment(r.get("订单创建时间", ""), "订单创建时间", shop.timezone)
    return OrderDraft(
        shop_id=shop.id, platform_order_id=number, status=status, created_at=created, currency=shop.currency,
        lines=tuple(lines), goods_amount=goods, total_amount=total, shipping_amount=shipping,
        discount_amount=max(Decimal(0), goods + shipping - total), paid_amount=min(paid, total),
        paid_at=moment(r.get("订单付款时间", ""), "订单付款时间", shop.timezone, blank_ok=True),
        refunded_amount=min(refunded, paid), buyer_id=r.get("买家会员名", ""), receiver_name=r.get("收货人姓名", ""),
        receiver_phone=pick(r, "联系手机", "联系电话").lstrip("'"), region=region, city=city,
        address=normal(r.get("收货地址", "")), country="CN", tax_included=True, platform_status=normal(r.get("订单状态", "")),
        buyer_remark=r.get("买家留言", ""), seller_remark=r.get("订单备注", ""), carrier=r.get("物流公司", ""),
        tracking_no=r.get("物流单号", ""), line=line,
    )  # fmt: skip
