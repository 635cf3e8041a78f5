"""Shopify: the "Orders -> Export" CSV (one row per line item, continuation rows) -> order drafts.

Columns are found by header name; the 73-, 75-, 78- and 79-column layouts all read. The API
client lives in :mod:`ecerp_core.connectors.api`.

The order's ``Total`` is kept as exported. No column says whether a shop's prices include the tax;
the figures do: goods + shipping − discount = total means the tax is inside (a VAT-inclusive
shop), + tax = total that it comes on top. Where neither holds (or there is no tax) the shop's
``prices_include_tax`` decides, and what the total holds beyond the columns (duties, tips,
rounding) is the order's adjustment. ``Refunded Amount`` becomes the order's refund.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from decimal import Decimal
from functools import partial

from ecerp_core.connectors.base import (
    ZERO,
    Memo,
    Moments,
    Parsed,
    RowError,
    ShopInfo,
    collect,
    count,
    group_rows,
    line_amount,
    money,
    require_columns,
)
from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
from ecerp_core.orders.rules import order_total
from ecerp_core.tabular import Cells, Table, normal

REQUIRED = ("Name", "Financial Status", "Created at", "Lineitem quantity", "Lineitem price", "Total")
COD_WORDS = ("cash on delivery", "cod")
ITEM = ("Name", "Financial Status", "Lineitem quantity", "Lineitem price", "Lineitem sku", "Lineitem name")
ITEM += ("Lineitem fulfillment status",)
"""What the parser reads of every row: its order, whether it heads the order, its line item."""
ADDRESS = ("Name", "Address1", "Address2", "City", "Zip", "Province", "Province Name", "Country", "Phone")
"""The address fields, each from its shipping column, else its billing one."""
HEAD = (
    *("Email", "Currency", "Shipping", "Taxes", "Total", "Discount Amount", "Refunded Amount"),
    *("Fulfillment Status", "Cancelled at", "Payment Method", "Created at", "Paid at", "Fulfilled at"),
    *("Notes", "Phone"),
    *(f"{side} {field}" for field in ADDRESS for side in ("Shipping", "Billing")),
)
"""What it reads of the row that heads an order (the first with a financial status)."""
COLUMNS = ITEM + HEAD
"""Every column the parser reads (of the 73 to 79 an export has), in the order it reads them."""


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


def tax_inclusion(
    goods: Decimal, shipping: Decimal, discount: Decimal, tax: Decimal, total: Decimal, shop_says: bool
) -> tuple[bool, Decimal]:
    """Whether the order's prices include its tax, and the adjustment its total holds beyond goods,
    shipping, discount and tax: the figures decide where they can, else the shop's setting.

    >>> tax_inclusion(Decimal("600.00"), Decimal("99.00"), Decimal("0"), Decimal("91.17"),
    ...               Decimal("699.00"), False)
    (True, Decimal('0.00'))
    >>> tax_inclusion(Decimal("184.76"), Decimal("0"), Decimal("0"), Decimal("25.31"),
    ...               Decimal("220.06"), False)
    (False, Decimal('9.99'))
    """
    if tax and order_total(goods, shipping, discount, tax, True) == total:
        included = True
    elif tax and order_total(goods, shipping, discount, tax, False) == total:
        included = False
    else:
        included = shop_says
    return included, total - order_total(goods, shipping, discount, tax, included)


def parse(table: Table, shop: ShopInfo) -> Parsed:
    """Read a Shopify orders export; raises ImportFileError when it is not one."""
    return Reader(shop).parse(table)


MEMO_LIMIT = 100_000
"""The most texts a :class:`Reader` keeps the reading of, per column: a file's many batches repeat
its prices, but never more than this many distinct ones are kept."""


class Reader:
    """Builds orders from the rows of a shop's exports, a table (or a batch of a file) at a time;
    what a text reads as is kept for the next cell holding the same text, in this table and the
    next (the timestamps, mostly an order's own, for this table only)."""

    def __init__(self, shop: ShopInfo) -> None:
        self.shop = shop
        self.items: list[Cells] = []
        self.heads: dict[int, Cells] = {}
        self.first_line = 0
        self.quantities = Memo(partial(count, name="Lineitem quantity"))
        self.prices = Memo(partial(money, name="Lineitem price", blank=None))
        self.lines = Memo(partial(_line, self.quantities, self.prices))  # no cycle: freed as it goes
        self.shipping, self.taxes, self.discount, self.refunded = (
            Memo(partial(money, name=column))
            for column in ("Shipping", "Taxes", "Discount Amount", "Refunded Amount")
        )
        self.total = Memo(partial(money, name="Total", blank=None))
        self.statuses = Memo(_status)
        self.moments = Moments(shop.timezone)
        self.memos = (self.quantities, self.prices, self.lines, self.total, self.statuses)
        self.memos += (self.shipping, self.taxes, self.discount, self.refunded)

    def parse(self, table: Table) -> Parsed:
        """Read a Shopify orders export (or a batch of one); raises ImportFileError when it is not one."""
        require_columns(table, REQUIRED)
        items = table.select(ITEM)
        at = list(itertools.compress(itertools.count(), map(operator.itemgetter(1), items)))
        self.items, self.first_line = items, table.first_line
        self.heads = dict(zip(at, table.select(HEAD, at), strict=True))
        self.moments = Moments(self.shop.timezone)
        for memo in self.memos:
            if len(memo) > MEMO_LIMIT:
                memo.clear()
        keys = list(map(operator.itemgetter(0), items))
        try:
            return collect(Parsed(), table.name, group_rows(keys), self.build, "Name", table.first_line)
        finally:
            self.items, self.heads = [], {}

    def build(self, name: str, at: Sequence[int]) -> OrderDraft:
        items, moments = self.items, self.moments
        first = at[0] if items[at[0]][1] else next((i for i in at if items[i][1]), None)
        if first is None:
            raise RowError("no_order_row", order=name)
        financial = items[first][1]
        email, currency, shipping, taxes, total, discount, refunded, *head = self.heads[first]
        fulfillment, cancelled, method, created, paid_at, shipped_at, notes, phone, *address = head
        name_s, name_b, street1_s, street1_b, street2_s, street2_b, city_s, city_b, *address = address
        zip_s, zip_b, province_s, province_b, province_name_s, province_name_b, *address = address
        country_s, country_b, phone_s, phone_b = address
        currency = currency or self.shop.currency
        lines, goods = [], ZERO
        restocked = fulfillment.lower() == "restocked"
        for i in at:
            _, _, qty, price, sku, title, line_status = items[i]
            restocked = restocked or line_status.lower() == "restocked"
            qty, price, amount = self.lines[qty, price, currency]
            lines.append(OrderLineDraft((sku or title)[:64], qty, price, amount, ZERO, None, title))
            goods += amount
        shipping, taxes = self.shipping[shipping], self.taxes[taxes]
        total, discount, refunded = self.total[total], self.discount[discount], self.refunded[refunded]
        included, adjustment = tax_inclusion(
            goods, shipping, discount, taxes, total, self.shop.prices_include_tax
        )
        status, cod = self.statuses[financial, fulfillment, bool(cancelled), method]
        paid = ZERO if financial in ("pending", "authorized", "voided") else total
        created = moments.read(created, "Created at")
        paid_at = moments.read(paid_at, "Paid at", blank_ok=True)
        shipped_at = moments.read(shipped_at, "Fulfilled at", blank_ok=True)
        receiver, city = name_s or name_b, city_s or city_b  # shipping, else billing
        street = (street1_s or street1_b, street2_s or street2_b, city, zip_s or zip_b)
        return OrderDraft(
            shop_id=self.shop.id,
            platform_order_id=name,
            status=status,
            created_at=created,
            currency=currency,
            lines=tuple(lines),
            goods_amount=goods,
            total_amount=total,
            shipping_amount=shipping,
            discount_amount=discount,
            tax_amount=taxes,
            paid_amount=paid,
            paid_at=paid_at if paid else None,
            refunded_amount=min(refunded, paid),
            buyer_id=(email or receiver)[:120],
            receiver_name=receiver,
            receiver_phone=phone_s or phone_b or phone,
            region=province_name_s or province_name_b or province_s or province_b,
            city=city,
            address=", ".join([x for x in street if x and x != "-"]),
            country=(country_s or country_b)[:2],
            tax_included=included,
            adjustment_amount=adjustment,
            restocked=restocked,
            is_cod=cod,
            platform_status=f"{financial}/{fulfillment}",
            buyer_remark=notes[:500],
            shipped_at=shipped_at if status == "shipped" else None,
            line=self.first_line + first,
        )


def _line(quantities: Memo, prices: Memo, key: tuple[str, str, str]) -> tuple[int, Decimal, Decimal]:
    """A line's quantity, unit price and amount, from its quantity and price texts and currency."""
    qty_text, price_text, currency = key
    qty, price = quantities[qty_text], prices[price_text]
    return qty, price, line_amount(qty, price, currency)


def _status(key: tuple[str, str, bool, str]) -> tuple[str, bool]:
    """Our status and whether the courier collects the payment, from the financial and fulfillment
    statuses, whether the order was cancelled, and the payment method."""
    financial, fulfillment, cancelled, method = key
    status = status_of(financial, fulfillment, cancelled)
    folded = normal(method).lower()
    cod = any(w == folded or f"({w})" in method.lower() for w in COD_WORDS)
    if cod and status == "pending_payment":
        status = "paid"  # cash on delivery: ready to ship, the courier collects
    return status, cod
