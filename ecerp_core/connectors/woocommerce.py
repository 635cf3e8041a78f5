"""WooCommerce: the "Advanced Order Export" plugin's CSV (one row per item) -> order drafts.

WooCommerce has no built-in order export; the plugin's column labels are user-configurable, so
several labels are accepted for each field. Statuses come as labels (``Processing``) or slugs.
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
)
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Cells, Table, normal

REQUIRED = ("Order Number", "Order Status", "Order Date", "Quantity")
ITEM = ("Order Number", "Quantity", "Item Cost", "Item Price", "SKU", "Name", "Item Name")
"""What the parser reads of each row for its item (the order key first)."""
ADDRESS = ("First Name", "Last Name", "State Code", "City", "Address 1&2", "Country Code")
"""The address fields, each from its shipping column, else its billing one."""
ORDER = ("Currency", "Order Currency", "Order Shipping Amount", "Order Total Tax Amount", "Order Tax Amount")
ORDER += ("Cart Discount Amount", "Discount Amount", "Order Total Amount", "Order Status")
ORDER += ("Order Refund Amount", "Payment Method Title", "Order Date", "Email (Billing)", "Customer User ID")
ORDER += ("Phone (Billing)", "Customer Note")
ORDER += tuple(f"{field} ({side})" for field in ADDRESS for side in ("Shipping", "Billing"))
"""What it reads of an order's first row for the order (the plugin's labels are configurable: each
field has several)."""
COLUMNS = ITEM + ORDER
"""Every column the parser reads, in the order it reads them."""
STATUS = {"pending": "pending_payment", "pending payment": "pending_payment", "on-hold": "pending_payment",
          "on hold": "pending_payment", "checkout-draft": "pending_payment", "processing": "paid",
          "completed": "finished", "cancelled": "closed", "failed": "closed", "trash": "closed",
          "refunded": "refunded"}  # fmt: skip


def status_of(text: str) -> str:
    found = STATUS.get(normal(text).lower().removeprefix("wc-"))
    if found is None:
        raise RowError("unknown_status", value=text)
    return found


def parse(table: Table, shop: ShopInfo) -> Parsed:
    return parse_grouped(table, REQUIRED, ITEM + ORDER, lambda k, rows, line: _order(k, rows, line, shop))


def _order(number: str, rows: list[Cells], line: int, shop: ShopInfo) -> OrderDraft:
    currency, order_currency, shipping, total_tax, tax, cart_discount, discount, *order = rows[0][len(ITEM) :]
    total, status_text, refunded, method, ordered, email, customer, phone, note, *address = order
    first_name, last_name, region, city, street, country = (  # shipping, else billing
        ship or bill for ship, bill in zip(address[::2], address[1::2], strict=True)
    )
    currency = currency or order_currency or shop.currency
    lines = []
    for _, qty, cost, price, sku, name, item_name, *_ in rows:
        qty = count(qty, "Quantity")
        price = money(cost or price, "Item Cost", blank=None)
        title = name or item_name
        lines.append(line_draft((sku or title)[:64], qty, price, currency, title))
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(shipping, "Order Shipping Amount")
    tax = money(total_tax or tax, "Order Total Tax Amount")
    discount = money(cart_discount or discount, "Cart Discount Amount")
    total = money(total, "Order Total Amount", blank=goods + shipping - discount + tax)
    status = status_of(status_text)
    paid = Decimal(0) if status in ("pending_payment", "closed") else total
    refunded = money(refunded, "Order Refund Amount")
    refunded = paid if status == "refunded" and not refunded else refunded
    return OrderDraft(
        shop_id=shop.id,
        platform_order_id=number,
        status=status,
        created_at=moment(ordered, "Order Date", shop.timezone),
        currency=currency,
        lines=tuple(lines),
        goods_amount=goods,
        total_amount=total,
        shipping_amount=shipping,
        discount_amount=discount,
        tax_amount=tax,
        paid_amount=paid,
        refunded_amount=min(refunded, paid),
        paid_at=None,
        buyer_id=email or customer,
        receiver_name=" ".join(x for x in (first_name, last_name) if x),
        receiver_phone=phone,
        region=region,
        city=city,
        address=street,
        country=country[:2],
        is_cod="cash on delivery" in method.lower(),
        platform_status=status_text,
        buyer_remark=note,
        line=line,
    )
