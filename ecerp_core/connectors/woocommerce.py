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
    pick,
)  # fmt: skip
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.tabular import Table, normal

REQUIRED = ("Order Number", "Order Status", "Order Date", "Quantity")
COLUMNS = frozenset({
    *REQUIRED, "Currency", "Order Currency", "Item Cost", "Item Price", "Name", "Item Name", "SKU",
    "Order Shipping Amount", "Order Total Tax Amount", "Order Tax Amount", "Cart Discount Amount", "Discount Amount",
    "Order Total Amount", "Order Refund Amount", "Payment Method Title", "Email (Billing)", "Customer User ID",
    "Phone (Billing)", "Customer Note",
    *(f"{field} ({side})" for side in ("Shipping", "Billing") for field in
      ("First Name", "Last Name", "State Code", "City", "Address 1&2", "Country Code")),
})  # fmt: skip
"""Every column the parser reads (the plugin's labels are configurable: each field has several)."""
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
    return parse_grouped(table, REQUIRED, "Order Number", lambda k, rows: _order(k, rows, shop))


def _order(number: str, rows: list, shop: ShopInfo) -> OrderDraft:
    line, r = rows[0]
    currency = r.get("Currency") or r.get("Order Currency") or shop.currency
    lines = []
    for _, it in rows:
        qty = count(it.get("Quantity", ""), "Quantity")
        price = money(pick(it, "Item Cost", "Item Price"), "Item Cost", blank=None)
        title = pick(it, "Name", "Item Name")
        lines.append(line_draft((it.get("SKU") or title)[:64], qty, price, currency, title))
    goods = sum((x.amount for x in lines), Decimal(0))
    shipping = money(r.get("Order Shipping Amount", ""), "Order Shipping Amount")
    tax = money(pick(r, "Order Total Tax Amount", "Order Tax Amount"), "Order Total Tax Amount")
    discount = money(pick(r, "Cart Discount Amount", "Discount Amount"), "Cart Discount Amount")
    total = money(
        r.get("Order Total Amount", ""), "Order Total Amount", blank=goods + shipping - discount + tax
    )
    status = status_of(r.get("Order Status", ""))
    paid = Decimal(0) if status in ("pending_payment", "closed") else total
    refunded = money(r.get("Order Refund Amount", ""), "Order Refund Amount")
    refunded = paid if status == "refunded" and not refunded else refunded
    name = " ".join(x for x in (pick(r, "First Name (Shipping)", "First Name (Billing)"),
                                pick(r, "Last Name (Shipping)", "Last Name (Billing)")) if x)  # fmt: skip
    method = r.get("Payment Method Title", "")
    return OrderDraft(
        shop_id=shop.id, platform_order_id=number, status=status,
        created_at=moment(r.get("Order Date", ""), "Order Date", shop.timezone), currency=currency,
        lines=tuple(lines), goods_amount=goods, total_amount=total, shipping_amount=shipping,
        discount_amount=discount, tax_amount=tax, paid_amount=paid, refunded_amount=min(refunded, paid),
        paid_at=None, buyer_id=pick(r, "Email (Billing)", "Customer User ID"), receiver_name=name,
        receiver_phone=r.get("Phone (Billing)", ""), region=pick(r, "State Code (Shipping)", "State Code (Billing)"),
        city=pick(r, "City (Shipping)", "City (Billing)"),
        address=pick(r, "Address 1&2 (Shipping)", "Address 1&2 (Billing)"),
        country=pick(r, "Country Code (Shipping)", "Country Code (Billing)")[:2],
        is_cod="cash on delivery" in method.lower(), platform_status=r.get("Order Status", ""),
        buyer_remark=r.get("Customer Note", ""), line=line,
    )  # fmt: skip
