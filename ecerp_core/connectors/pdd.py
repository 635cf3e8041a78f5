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
    pick,
    status_in,
)  # fmt: skip
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Table, normal

REQUIRED = ("订单号", "订单状态", "商品总价(元)", "商品数量(件)")
COLUMNS = frozenset({
    *REQUIRED, "商家编码-SKU维度", "商家编码-规格维度", "商家编码-商品维度", "样式ID", "商品id", "商品", "邮费(元)",
    "店铺优惠折扣(元)", "平台优惠折扣(元)", "多多支付立减金额(元)", "售后状态", "省", "市", "区", "详细地址", "订单成交时间",
    "支付时间", "订单创建时间", "收货人", "手机", "商家备注", "快递公司", "快递单号", "发货时间",
})  # fmt: skip
"""Every column the parser reads."""
STATUS = {"待付款": "pending_payment", "待发货": "paid", "已发货,待签收": "shipped", "已发货": "shipped",
          "已签收": "finished", "已收货": "finished", "已取消": "closed", "未发货,退款成功": "refunded",
          "已发货,退款成功": "refunded", "已收货,退款成功": "refunded", "1": "paid", "2": "shipped", "3": "finished"}  # fmt: skip


def status_of(text: str, aftersale: str = "") -> str:
    found = status_in(STATUS, text)
    if normal(aftersale) == "退款成功" and found != "pending_payment":
        return "refunded"
    return found


def parse(table: Table, shop: ShopInfo) -> Parsed:
    return parse_grouped(table, REQUIRED, "订单号", lambda k, rows: _order(k, rows, shop))


def _order(number: str, rows: list, shop: ShopInfo) -> OrderDraft:
    line, r = rows[0]
    lines = []
    for _, it in rows:
        qty = count(it.get("商品数量(件)", ""), "商品数量(件)")
        goods_line = money(it.get("商品总价(元)", ""), "商品总价(元)", blank=None)
        price = (goods_line / qty).quantize(Decimal("0.01"))
        if price * qty != goods_line:
            raise RowError("bad_number", column="商品总价(元)", value=it.get("商品总价(元)", ""))
        sku = pick(it, "商家编码-SKU维度", "商家编码-规格维度", "商家编码-商品维度", "样式ID", "商品id")
        lines.append(line_draft(sku[:64], qty, price, shop.currency, it.get("商品", "")))
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(r.get("邮费(元)", ""), "邮费(元)")
    discount = money(r.get("店铺优惠折扣(元)", ""), "店铺优惠折扣(元)")
    subsidy = money(r.get("平台优惠折扣(元)", ""), "平台优惠折扣(元)") + money(
        r.get("多多支付立减金额(元)", ""), "多多支付立减金额(元)"
    )
    total = goods + shipping - discount
    status = status_of(r.get("订单状态", ""), r.get("售后状态", ""))
    paid = Decimal(0) if status == "pending_payment" else total
    region = normal(r.get("省", ""))
    region = "" if "*" in region else region.removesuffix("省").removesuffix("市")
    tz = shop.timezone
    created = moment(pick(r, "订单成交时间", "支付时间", "订单创建时间"), "订单成交时间", tz)
    return OrderDraft(
        shop_id=shop.id, platform_order_id=number, status=status, created_at=created, currency=shop.currency,
        lines=tuple(lines), goods_amount=goods, total_amount=total, shipping_amount=shipping, discount_amount=discount,
        subsidy_amount=subsidy, paid_amount=paid, paid_at=created if paid else None,
        refunded_amount=paid if status == "refunded" else Decimal(0), buyer_id=r.get("收货人", ""),
        receiver_name=r.get("收货人", ""), receiver_phone=r.get("手机", ""), region=region,
        city=normal(r.get("市", "")).removesuffix("市"),
        address=" ".join(x for x in (r.get("省", ""), r.get("市", ""), r.get("区", ""), r.get("详细地址", "")) if x),
        country="CN", tax_included=True, platform_status=normal(r.get("订单状态", "")),
        seller_remark=r.get("商家备注", ""), carrier=r.get("快递公司", ""), tracking_no=r.get("快递单号", ""),
        shipped_at=moment(r.get("发货时间", ""), "发货时间", tz, blank_ok=True), line=line,
    )  # fmt: skip
