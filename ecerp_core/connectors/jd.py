"""JD (京东) merchant backend export (one row per item, order fields repeated) -> order drafts."""

from __future__ import annotations

from decimal import Decimal

from ecerp_core.connectors.base import (
    Parsed,
    ShopInfo,
    count,
    line_draft,
    moment,
    money,
    parse_grouped,
    pick,
    split_cn_address,
    status_in,
)  # fmt: skip
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Table, normal

REQUIRED = ("订单号", "订购数量", "下单时间", "订单状态", "应付金额")
COLUMNS = frozenset({
    *REQUIRED, "京东价", "商品单价", "货号", "商家SKU", "商品ID", "商品名称", "运费金额", "客户地址", "付款确认时间",
    "下单帐号", "客户姓名", "联系电话", "订单备注", "商家备注",
})  # fmt: skip
"""Every column the parser reads."""
STATUS = {
    "等待付款": "pending_payment", "等待出库": "paid", "等待发货": "paid", "暂停": "paid", "已锁定": "paid",
    "等待确认收货": "shipped", "配送退货": "shipped", "完成": "finished", "已完成": "finished",
    "取消": "closed", "已取消": "closed", "(删除)取消": "closed",
    "WAIT_SELLER_STOCK_OUT": "paid", "WAIT_SELLER_DELIVERY": "paid", "PAUSE": "paid", "LOCKED": "paid",
    "SEND_TO_DISTRIBUTION_CENER": "shipped", "DISTRIBUTION_CENTER_RECEIVED": "shipped",
    "WAIT_GOODS_RECEIVE_CONFIRM": "shipped", "RECEIPTS_CONFIRM": "finished", "FINISHED_L": "finished",
    "TRADE_CANCELED": "closed",
}  # fmt: skip


def status_of(text: str) -> str:
    return status_in(STATUS, text)


def parse(table: Table, shop: ShopInfo) -> Parsed:
    return parse_grouped(table, REQUIRED, "订单号", lambda k, rows: _order(k, rows, shop))


def _order(number: str, rows: list, shop: ShopInfo) -> OrderDraft:
    line, r = rows[0]
    lines = []
    for _, it in rows:
        qty = count(it.get("订购数量", ""), "订购数量")
        price = money(pick(it, "京东价", "商品单价"), "京东价", blank=None)
        lines.append(
            line_draft(
                pick(it, "货号", "商家SKU", "商品ID")[:64], qty, price, shop.currency, it.get("商品名称", "")
            )
        )
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(r.get("运费金额", ""), "运费金额")
    total = money(r.get("应付金额", ""), "应付金额", blank=None)
    status = status_of(r.get("订单状态", ""))
    region, city = split_cn_address(r.get("客户地址", ""))
    paid = Decimal(0) if status == "pending_payment" else total
    return OrderDraft(
        shop_id=shop.id, platform_order_id=number, status=status,
        created_at=moment(r.get("下单时间", ""), "下单时间", shop.timezone), currency=shop.currency, lines=tuple(lines),
        goods_amount=goods, total_amount=total, shipping_amount=shipping,
        discount_amount=max(Decimal(0), goods + shipping - total), paid_amount=paid,
        paid_at=moment(r.get("付款确认时间", ""), "付款确认时间", shop.timezone, blank_ok=True) if paid else None,
        buyer_id=pick(r, "下单帐号", "客户姓名"), receiver_name=r.get("客户姓名", ""), receiver_phone=r.get("联系电话", ""),
        region=region, city=city, address=normal(r.get("客户地址", "")), country="CN", tax_included=True,
        platform_status=normal(r.get("订单状态", "")), buyer_remark=r.get("订单备注", ""),
        seller_remark=r.get("商家备注", ""), line=line,
    )  # fmt: skip
