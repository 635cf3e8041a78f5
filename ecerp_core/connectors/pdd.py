"""Pinduoduo (拼多多) 订单明细 export (one row per order) -> order drafts.

The platform's discounts (平台优惠, 多多支付立减) are paid by the platform: they are a subsidy, not a
discount the seller gives. A masked province (``****``, PDD desensitises addresses) leaves the
region blank, so the order waits in the exception queue until the address is decrypted.
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
    status_in,
)
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Cells, Table, normal

REQUIRED = ("订单号", "订单状态", "商品总价(元)", "商品数量(件)")
SKUS = ("商家编码-SKU维度", "商家编码-规格维度", "商家编码-商品维度", "样式ID", "商品id")
"""Where an item's SKU is, in the order looked for."""
ITEM = ("订单号", "商品数量(件)", "商品总价(元)", *SKUS, "商品")
"""What the parser reads of each row for its item (the order key first)."""
ORDER = ("邮费(元)", "店铺优惠折扣(元)", "平台优惠折扣(元)", "多多支付立减金额(元)", "订单状态", "售后状态")
ORDER += ("省", "市", "区", "详细地址", "订单成交时间", "支付时间", "订单创建时间", "收货人", "手机")
ORDER += ("商家备注", "快递公司", "快递单号", "发货时间")
"""What it reads of an order's first row for the order."""
COLUMNS = ITEM + ORDER
"""Every column the parser reads, in the order it reads them."""
STATUS = {
    "待付款": "pending_payment", "待发货": "paid", "已发货,待签收": "shipped", "已发货": "shipped",
    "已签收": "finished", "已收货": "finished", "已取消": "closed",
    "未发货,退款成功": "refunded", "已发货,退款成功": "refunded", "已收货,退款成功": "refunded",
    "1": "paid", "2": "shipped", "3": "finished",
}  # fmt: skip


def status_of(text: str, aftersale: str = "") -> str:
    found = status_in(STATUS, text)
    if normal(aftersale) == "退款成功" and found != "pending_payment":
        return "refunded"
    return found


def parse(table: Table, shop: ShopInfo) -> Parsed:
    return parse_grouped(table, REQUIRED, ITEM + ORDER, lambda k, rows, line: _order(k, rows, line, shop))


def _order(number: str, rows: list[Cells], line: int, shop: ShopInfo) -> OrderDraft:
    lines = []
    for _, qty_text, goods_text, *skus, title in (r[: len(ITEM)] for r in rows):
        qty = count(qty_text, "商品数量(件)")
        goods_line = money(goods_text, "商品总价(元)", blank=None)
        price = (goods_line / qty).quantize(Decimal("0.01"))
        if price * qty != goods_line:
            raise RowError("bad_number", column="商品总价(元)", value=goods_text)
        sku = next((x for x in skus if x), "")
        lines.append(line_draft(sku[:64], qty, price, shop.currency, title))
    shipping, discount, platform_discount, pay_discount, status_text, aftersale, *order = rows[0][len(ITEM) :]
    province, city, district, street, dealt, paid_time, created_time, receiver, phone, *order = order
    seller_remark, carrier, tracking_no, shipped = order
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(shipping, "邮费(元)")
    discount = money(discount, "店铺优惠折扣(元)")
    subsidy = money(platform_discount, "平台优惠折扣(元)") + money(pay_discount, "多多支付立减金额(元)")
    total = goods + shipping - discount
    status = status_of(status_text, aftersale)
    paid = Decimal(0) if status == "pending_payment" else total
    region = normal(province)
    region = "" if "*" in region else region.removesuffix("省").removesuffix("市")
    tz = shop.timezone
    created = moment(dealt or paid_time or created_time, "订单成交时间", tz)
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
        discount_amount=discount,
        subsidy_amount=subsidy,
        paid_amount=paid,
        paid_at=created if paid else None,
        refunded_amount=paid if status == "refunded" else Decimal(0),
        buyer_id=receiver,
        receiver_name=receiver,
        receiver_phone=phone,
        region=region,
        city=normal(city).removesuffix("市"),
        address=" ".join(x for x in (province, city, district, street) if x),
        country="CN",
        tax_included=True,
        platform_status=normal(status_text),
        seller_remark=seller_remark,
        carrier=carrier,
        tracking_no=tracking_no,
        shipped_at=moment(shipped, "发货时间", tz, blank_ok=True),
        line=line,
    )
