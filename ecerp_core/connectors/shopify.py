"""Shopify: the "Orders -> Export" CSV (one row per line item, continuation rows) -> order drafts.

Columns are found by header name; the 73-, 75-, 78- and 79-column layouts all read. The API
client lives in :mod:`ecerp_core.connectors.api`.
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
from ecerp_core.tabular import Table, normal

REQUIRED = ("Name", "Financial Status", "Created at", "Lineitem quantity", "Lineitem price", "Total")
COD_WORDS = ("cash on delivery", "cod")
ADDRESS = tuple((k, f"Shipping {k}", f"Billing {k}") for k in
                ("Name", "Address1", "Address2", "City", "Province", "Province Name", "Country", "Phone", "Zip"))  # fmt: skip
"""Each address field, and the columns it comes from: shipping, else billing."""
COLUMNS = frozenset({
    *REQUIRED, "Email", "Phone", "Currency", "Subtotal", "Shipping", "Taxes", "Discount Amount", "Refunded Amount",
    "Fulfillment Status", "Cancelled at", "Payment Method", "Paid at", "Fulfilled at", "Notes", "Lineitem name",
    "Lineitem sku", *(c for _, *columns in ADDRESS for c in columns),
})  # fmt: skip
"""Every column the parser reads (of the 73 to 79 an export has)."""


def status_of(financial: str, fulfillment: str, cancelled: bool) -> str:
    """Our status for a Shopify financial + fulfillment status.

    >>> status_of("paid", "fulfilled", False)
    'shipped'
    >>> status_of("voided", "unfulfilled", True)
    'closed'
    """
    financial, fulfillment = financial.lower(), (fulfillment or "").lower()
    if financial == "refunded":
        return "refunded"
    if financial == "voided" or cancelled:
        return "closed"
    shipped = fulfillment in ("fulfilled", "partial", "shipped")
    if financial in ("pending", "authorized", "expired", ""):
        return "pending_payment" if not shipped else "shipped"
    return "shipped" if shipped else "paid"


def parse(table: Table, shop: ShopInfo) -> Parsed:
    """Read a Shopify orders export; raises ImportFileError when it is not one."""
    return parse_grouped(table, REQUIRED, "Name", lambda k, rows: _order(k, rows, shop))


def _order(name: str, rows: list[tuple[int, dict]], shop: ShopInfo) -> OrderDraft:
    first = next(((line, r) for line, r in rows if r.get("Financial Status")), None)
    if first is None:
        raise RowError("no_order_row", order=name)
    line, head = first
    currency = head.get("Currency") or shop.currency
    lines = []
    for _, r in rows:
        qty = count(r.get("Lineitem quantity", ""), "Lineitem quantity")
        price = money(r.get("Lineitem price", ""), "Lineitem price", blank=None)
        title = r.get("Lineitem name", "")
        lines.append(line_draft((r.get("Lineitem sku") or title)[:64], qty, price, currency, title))
    goods = sum((x.amount for x in lines), Decimal(0))
    subtotal = money(head.get("Subtotal", ""), "Subtotal")
    shipping = money(head.get("Shipping", ""), "Shipping")
    taxes = money(head.get("Taxes", ""), "Taxes")
    total = money(head.get("Total", ""), "Total", blank=None)
    discount = money(head.get("Discount Amount", ""), "Discount Amount")
    refunded = money(head.get("Refunded Amount", ""), "Refunded Amount")
    financial = head.get("Financial Status", "")
    cancelled = bool(head.get("Cancelled at"))
    status = status_of(financial, head.get("Fulfillment Status", ""), cancelled)
    method = head.get("Payment Method", "")
    folded = normal(method).lower()
    cod = any(w == folded or f"({w})" in method.lower() for w in COD_WORDS)
    if cod and status == "pending_payment":
        status = "paid"  # cash on delivery: ready to ship, the courier collects
    paid = Decimal(0) if financial in ("pending", "authorized", "voided", "") else total
    created = moment(head.get("Created at", ""), "Created at", shop.timezone)
    paid_at = moment(head.get("Paid at", ""), "Paid at", shop.timezone, blank_ok=True)
    shipped_at = moment(head.get("Fulfilled at", ""), "Fulfilled at", shop.timezone, blank_ok=True)
    ship = {k: head.get(shipping, "") or head.get(billing, "") for k, shipping, billing in ADDRESS}
    address = ", ".join(
        x for x in (ship["Address1"], ship["Address2"], ship["City"], ship["Zip"]) if x and x != "-"
    )
    return OrderDraft(
        shop_id=shop.id, platform_order_id=name, status=status, created_at=created, currency=currency,
        lines=tuple(lines), goods_amount=goods, total_amount=total, shipping_amount=shipping,
        discount_amount=discount, tax_amount=taxes, paid_amount=paid, paid_at=paid_at if paid else None,
        refunded_amount=min(refunded, paid), buyer_id=(head.get("Email") or ship["Name"])[:120],
        receiver_name=ship["Name"], receiver_phone=ship["Phone"] or head.get("Phone", ""),
        region=ship["Province Name"] or ship["Province"], city=ship["City"], address=address,
        country=ship["Country"][:2], tax_included=bool(taxes) and subtotal + shipping == total,
        is_cod=cod, platform_status=f"{financial}/{head.get('Fulfillment Status', '')}",
        buyer_remark=head.get("Notes", "")[:500], shipped_at=shipped_at if status == "shipped" else None, line=line,
    )  # fmt: skip
