"""A generic CSV/XLSX of order lines (sellers leaving spreadsheets) -> order drafts.

Each canonical field is found by its usual names or by ``mapping`` (``{"order_id": "InvoiceNo"}``,
the CLI's ``--map FIELD=COLUMN``); ``defaults`` fill fields the file does not have (``--default
currency=GBP``). Rows of one order share ``order_id``; order-level fields come from its first row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
)
from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import lazy
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Table, map_columns, normal

FIELDS: dict[str, tuple[str, ...]] = {
    "order_id": ("order no", "order number", "订单号", "订单编号", "invoiceno", "invoice"),
    "sku": ("商家编码", "stockcode", "sku code", "货号"),
    "name": ("description", "product", "product name", "title", "商品名称", "宝贝标题"),
    "quantity": ("qty", "数量", "购买数量"),
    "unit_price": ("price", "unitprice", "单价", "价格"),
    "line_discount": ("line discount",),
    "ordered_at": ("order date", "date", "created_at", "invoicedate", "下单时间", "created"),
    "paid_at": ("payment date", "付款时间"),
    "customer_id": ("customer", "customerid", "buyer", "buyer_id", "买家"),
    "receiver_name": ("receiver", "收货人"),
    "phone": ("手机", "电话", "mobile"),
    "country": ("国家",),
    "region": ("province", "state", "省", "省份"),
    "city": ("市", "城市"),
    "address": ("收货地址", "地址"),
    "currency": ("币种",),
    "status": ("order status", "状态", "订单状态"),
    "shipping": ("shipping amount", "运费", "邮费"),
    "discount": ("discount amount", "优惠"),
    "tax": ("tax amount", "税额"),
    "total": ("total amount", "order total", "总金额", "订单金额"),
    "note": ("remark", "备注", "buyer note"),
}
REQUIRED = ("order_id", "quantity", "unit_price", "ordered_at")
OPTIONS = ("date_format", "timezone", "tax_included")
STATUS_WORDS = {
    "pending": "pending_payment", "unpaid": "pending_payment", "待付款": "pending_payment",
    "paid": "paid", "processing": "paid", "待发货": "paid", "已付款": "paid",
    "shipped": "shipped", "fulfilled": "shipped", "已发货": "shipped",
    "finished": "finished", "completed": "finished", "complete": "finished", "delivered": "finished",
    "已完成": "finished", "交易成功": "finished",
    "closed": "closed", "cancelled": "closed", "canceled": "closed", "已取消": "closed",
    "refunded": "refunded", "已退款": "refunded",
}  # fmt: skip


def status_of(text: str) -> str:
    found = STATUS_WORDS.get(normal(text).lower())
    if found is None:
        raise RowError("unknown_status", value=text)
    return found


def parse(
    table: Table,
    shop: ShopInfo,
    mapping: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    *,
    history: bool = False,
) -> Parsed:
    """Read a generic order-lines file; ``mapping`` names columns, ``defaults`` fills blanks."""
    mapping, defaults = dict(mapping or {}), dict(defaults or {})
    unknown = [f for f in (*mapping, *defaults) if f not in FIELDS and f not in OPTIONS]
    if unknown:
        raise ImportFileError(
            file=table.name,
            reason=lazy("reason.unknown_fields", fields=", ".join(unknown), known=", ".join(FIELDS)),
        )
    missing_cols = [c for c in mapping.values() if c not in table.header]
    if missing_cols:
        raise ImportFileError(
            file=table.name, reason=lazy("reason.missing_columns", columns=", ".join(missing_cols))
        )
    columns = map_columns(table, {f: names for f, names in FIELDS.items() if f not in mapping})
    columns.update(mapping)
    absent = [f for f in REQUIRED if f not in columns and f not in defaults]
    if absent:
        raise ImportFileError(
            file=table.name, reason=lazy("reason.missing_columns", columns=", ".join(absent))
        )
    try:
        tz = ZoneInfo(defaults["timezone"]) if "timezone" in defaults else shop.timezone
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFileError(
            file=table.name, reason=lazy("reason.unknown_timezone", value=defaults["timezone"])
        ) from None
    fields = list(columns)
    rows = []
    for cells in table.select([columns[f] for f in fields]):
        values = dict(zip(fields, cells, strict=True))
        rows.append({f: values.get(f) or defaults.get(f, "") for f in {*values, *defaults}})

    first = table.first_line

    def build(number: str, at: Sequence[int]) -> OrderDraft:
        return _order(number, [rows[i] for i in at], first + at[0], shop, defaults, tz, history)

    groups = group_rows([r.get("order_id", "").strip() for r in rows])
    return collect(Parsed(), table.name, groups, build, "order_id", first)


def key_column(
    header: tuple[str, ...], mapping: Mapping[str, str] | None, defaults: Mapping[str, str] | None
) -> str | None:
    """The column :func:`parse` reads the order number from, to read a file in batches cut between
    orders; None when there is none or a default fills blank ones (the file is then read whole)."""
    if "order_id" in (defaults or {}):
        return None
    if "order_id" in (mapping or {}):
        return mapping["order_id"]
    table = Table("", header, header, ())
    return map_columns(table, {"order_id": FIELDS["order_id"]}).get("order_id")


def _order(
    number: str, rows: list, line: int, shop: ShopInfo, defaults: Mapping[str, str], tz, history: bool
) -> OrderDraft:
    r = rows[0]
    currency = (r.get("currency") or shop.currency).upper()
    lines = []
    for it in rows:
        qty = count(it.get("quantity", ""), "quantity")
        price = money(it.get("unit_price", ""), "unit_price", blank=None)
        sku = it.get("sku") or it.get("name") or ""
        if not sku:
            raise RowError("missing", column="sku")
        lines.append(
            line_draft(
                sku[:64],
                qty,
                price,
                currency,
                it.get("name", ""),
                money(it.get("line_discount", ""), "line_discount"),
            )
        )
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping, discount, tax = (money(r.get(f, ""), f) for f in ("shipping", "discount", "tax"))
    flag = normal(defaults.get("tax_included", "")).lower()
    included = flag in ("1", "true", "yes", "y") if flag else shop.prices_include_tax
    total = money(
        r.get("total", ""), "total", blank=goods + shipping - discount + (Decimal(0) if included else tax)
    )
    status = status_of(r["status"]) if r.get("status") else ("finished" if history else "paid")
    paid = Decimal(0) if status in ("pending_payment", "closed") else total
    fmt = defaults.get("date_format") or None
    created = moment(r.get("ordered_at", ""), "ordered_at", tz, fmt=fmt)
    return OrderDraft(
        shop_id=shop.id,
        platform_order_id=number[:64],
        status=status,
        created_at=created,
        currency=currency,
        lines=tuple(lines),
        goods_amount=goods,
        total_amount=total,
        shipping_amount=shipping,
        discount_amount=discount,
        tax_amount=tax,
        tax_included=included,
        paid_amount=paid,
        paid_at=moment(r.get("paid_at", ""), "paid_at", tz, fmt=fmt, blank_ok=True) if paid else None,
        refunded_amount=paid if status == "refunded" else Decimal(0),
        buyer_id=r.get("customer_id", ""),
        receiver_name=r.get("receiver_name", "") or r.get("customer_id", ""),
        receiver_phone=r.get("phone", ""),
        region=r.get("region", ""),
        city=r.get("city", ""),
        address=r.get("address", ""),
        country=r.get("country", "")[:2] if len(r.get("country", "")) == 2 else "",
        note=r.get("note", ""),
        line=line,
    )
