"""JD (京东) merchant backend export (one row per item, order fields repeated) -> order drafts.

JD marks an order deleted on the platform with ``(删除)`` before any status (``(删除)已取消``,
``(删除)等待出库`` ...). The prefix is read off and kept: the order's platform status is the text
as exported and its note says "deleted on JD". A deleted order that has not shipped is closed, as
聚水潭 does (it must not go out: a new one never enters the pipeline, a known one waiting to ship
is cancelled and its stock released); one that shipped or finished keeps its status, since the
goods left and the sale stands.
"""

from __future__ import annotations

from decimal import Decimal

from ecerp_core.connectors.base import (
    Parsed,
    RowError,
    ShopInfo,
    count,
    line_draft,
    moment,
    money,
    parse_grouped,
    split_cn_address,
    status_in,
)
from ecerp_core.i18n import t
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Cells, Table, normal

REQUIRED = ("订单号", "订购数量", "下单时间", "订单状态", "应付金额")
ITEM = ("订单号", "订购数量", "京东价", "商品单价", "货号", "商家SKU", "商品ID", "商品名称")
"""What the parser reads of each row for its item (the order key first)."""
ORDER = ("下单时间", "订单状态", "应付金额", "运费金额", "客户地址", "付款确认时间", "下单帐号", "客户姓名")
ORDER += ("联系电话", "订单备注", "商家备注")
"""What it reads of an order's first row for the order."""
COLUMNS = ITEM + ORDER
"""Every column the parser reads, in the order it reads them."""
STATUS = {
    "等待付款": "pending_payment", "等待出库": "paid", "等待发货": "paid", "暂停": "paid", "已锁定": "paid",
    "等待确认收货": "shipped", "配送退货": "shipped", "完成": "finished", "已完成": "finished",
    "取消": "closed", "已取消": "closed",
    "WAIT_SELLER_STOCK_OUT": "paid", "WAIT_SELLER_DELIVERY": "paid", "PAUSE": "paid", "LOCKED": "paid",
    "SEND_TO_DISTRIBUTION_CENER": "shipped", "DISTRIBUTION_CENTER_RECEIVED": "shipped",
    "WAIT_GOODS_RECEIVE_CONFIRM": "shipped", "RECEIPTS_CONFIRM": "finished", "FINISHED_L": "finished",
    "TRADE_CANCELED": "closed",
}  # fmt: skip


DELETED = "(删除)"
"""What JD writes before the status of an order deleted on the platform (full-width brackets fold to it)."""
NOT_SHIPPED = ("pending_payment", "paid")


def deleted_on_platform(text: str) -> bool:
    """Whether JD marks the order deleted (``(删除)`` or ``（删除）`` before its status).

    >>> deleted_on_platform("（删除）等待出库"), deleted_on_platform("等待出库")
    (True, False)
    """
    return normal(text).replace(" ", "").startswith(DELETED)


def platform_status_of(text: str) -> str:
    """Our status for JD's own status, ignoring a ``(删除)`` mark (see :func:`status_of`).

    >>> platform_status_of("(删除)等待付款")
    'pending_payment'
    """
    try:
        return status_in(STATUS, normal(text).replace(" ", "").removeprefix(DELETED))
    except RowError:
        raise RowError("unknown_status", value=text) from None  # named as exported, mark and all


def status_of(text: str) -> str:
    """Our status for a JD status text: a deleted order that has not shipped is closed, any other
    keeps the status JD gives it.

    >>> [status_of(x) for x in ("等待出库", "(删除)等待出库", "(删除)已取消", "(删除)完成")]
    ['paid', 'closed', 'closed', 'finished']
    >>> status_of("(删除)等待确认收货")
    'shipped'
    """
    status = platform_status_of(text)
    return "closed" if deleted_on_platform(text) and status in NOT_SHIPPED else status


def parse(table: Table, shop: ShopInfo) -> Parsed:
    return parse_grouped(table, REQUIRED, ITEM + ORDER, lambda k, rows, line: _order(k, rows, line, shop))


def _order(number: str, rows: list[Cells], line: int, shop: ShopInfo) -> OrderDraft:
    lines = []
    for _, qty, jd_price, unit_price, item_no, merchant_sku, item_id, title, *_ in rows:
        qty = count(qty, "订购数量")
        price = money(jd_price or unit_price, "京东价", blank=None)
        lines.append(line_draft((item_no or merchant_sku or item_id)[:64], qty, price, shop.currency, title))
    created, status_text, total, shipping, address, paid_at, account, *order = rows[0][len(ITEM) :]
    receiver, phone, remark, seller_remark = order
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(shipping, "运费金额")
    total = money(total, "应付金额", blank=None)
    status, deleted = status_of(status_text), deleted_on_platform(status_text)
    region, city = split_cn_address(address)
    paid = Decimal(0) if platform_status_of(status_text) == "pending_payment" else total
    return OrderDraft(
        shop_id=shop.id,
        platform_order_id=number,
        status=status,
        created_at=moment(created, "下单时间", shop.timezone),
        currency=shop.currency,
        lines=tuple(lines),
        goods_amount=goods,
        total_amount=total,
        shipping_amount=shipping,
        discount_amount=max(Decimal(0), goods + shipping - total),
        paid_amount=paid,
        paid_at=moment(paid_at, "付款确认时间", shop.timezone, blank_ok=True) if paid else None,
        buyer_id=account or receiver,
        receiver_name=receiver,
        receiver_phone=phone,
        region=region,
        city=city,
        address=normal(address),
        country="CN",
        tax_included=True,
        platform_status=normal(status_text),
        note=t("orders.jd_deleted", None) if deleted else "",
        buyer_remark=remark,
        seller_remark=seller_remark,
        line=line,
    )
