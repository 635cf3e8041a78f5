"""Pure rules of orders: checks of a draft, why an order must wait, review, routing, assignment.

Each function looks at values only and returns what it finds; the use cases read the database and
act. The workflow of statuses is declared in :mod:`ecerp_core.orders.workflow`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from operator import attrgetter

from ecerp_core.errors import Problem, problem
from ecerp_core.money import round_money
from ecerp_core.orders.drafts import OrderDraft
from ecerp_core.orders.workflow import STATUSES

ZERO = Decimal("0")
BUYER_ID_LENGTH = 120
"""The longest buyer id an order keeps (``sales_order.buyer_id``); the free text of an order (names,
address, remarks) is cut to its column instead."""
NON_NEGATIVE = ("shipping_amount", "discount_amount", "tax_amount", "paid_amount", "refunded_amount")
_non_negative = attrgetter(*NON_NEGATIVE)

# 省份 -> 大区, for routing an order to the warehouse of its region.
PROVINCE_REGION: dict[str, str] = {
    **dict.fromkeys(("上海", "江苏", "浙江", "安徽", "山东", "江西", "福建"), "华东"),
    **dict.fromkeys(("广东", "广西", "海南"), "华南"),
    **dict.fromkeys(("四川", "重庆", "云南", "贵州", "西藏"), "西南"),
    **dict.fromkeys(("北京", "天津", "河北", "山西", "内蒙古"), "华北"),
    **dict.fromkeys(("湖北", "湖南", "河南"), "华中"),
    **dict.fromkeys(("辽宁", "吉林", "黑龙江"), "东北"),
    **dict.fromkeys(("陕西", "甘肃", "青海", "宁夏", "新疆"), "西北"),
}


def draft_problems(d: OrderDraft, shop_currency: str | None) -> list[Problem]:
    """Why a draft cannot be an order at all; ``shop_currency`` None: its shop is unknown."""
    found = []
    if shop_currency is None:
        found.append(problem("shop", "unknown_ref", value=d.shop_id))
    elif d.currency != shop_currency:
        found.append(problem("currency", "currency_mismatch", value=d.currency, expected=shop_currency))
    if not d.platform_order_id or len(d.platform_order_id) > 64:
        found.append(problem("platform_order_id", "required"))
    if len(d.buyer_id) > BUYER_ID_LENGTH:  # an identity, not text to cut: the customer it names
        found.append(problem("buyer_id", "too_long", max=BUYER_ID_LENGTH))
    if d.status not in STATUSES:
        found.append(problem("status", "not_a_choice", value=d.status, choices=", ".join(STATUSES)))
    if d.created_at is None or d.created_at.tzinfo is None:
        found.append(problem("created_at", "not_aware", value=d.created_at))
    if not d.lines:
        found.append(problem("lines", "required"))
    for x in d.lines:
        if not isinstance(x.quantity, int) or x.quantity <= 0:
            found.append(problem("quantity", "below_minimum", value=x.quantity, min=1))
        elif x.unit_price < 0 or x.amount < 0:
            found.append(problem("unit_price", "below_minimum", value=x.unit_price, min=0))
        elif round_money(x.quantity * x.unit_price - x.discount, d.currency) != x.amount:
            found.append(problem("amount", "line_amount_mismatch", line_no=x.platform_sku, value=x.amount))
    amounts = _non_negative(d)
    if min(amounts) < 0:
        found += [
            problem(name, "below_minimum", value=value, min=0)
            for name, value in zip(NON_NEGATIVE, amounts, strict=True)
            if value < 0
        ]
    if d.refunded_amount > d.paid_amount:
        found.append(problem("refunded_amount", "above_maximum", value=d.refunded_amount, max=d.paid_amount))
    return found


REASONS = ("unmapped_sku", "incomplete_address", "below_price_floor", "amount_mismatch")
"""The reasons an order waits for a person, in the order they are listed (catalogue keys ``exception.*``)."""


def draft_reasons(d: OrderDraft) -> tuple[str, ...]:
    """Why a person must look at an order before it can go on, of what its draft alone tells (the
    others need the catalogue: :func:`exception_reasons`)."""
    incomplete = not d.receiver_name or not d.address or (d.country in ("", "CN") and not d.region)
    total = order_total(
        d.goods_amount,
        d.shipping_amount,
        d.discount_amount,
        d.tax_amount,
        d.tax_included,
        d.adjustment_amount,
    )
    if total != d.total_amount:
        return ("incomplete_address", "amount_mismatch") if incomplete else ("amount_mismatch",)
    return ("incomplete_address",) if incomplete else ()


def exception_reasons(
    found: Sequence[str],
    products: Sequence[int | None],
    prices: Sequence[Decimal],
    floors: Mapping[int, Decimal],
    floor_ratio: Decimal,
) -> list[str]:
    """Why a person must look at an order before it can go on: ``found`` (:func:`draft_reasons`),
    and what the catalogue says of its lines, in the order of :data:`REASONS`.

    ``products`` and ``prices`` follow the order's lines (a product None: an unmapped SKU);
    ``floors`` the list prices a line may not go below ``floor_ratio`` of.

    >>> exception_reasons(("amount_mismatch",), [7, None], [Decimal("1"), Decimal("5")],
    ...                   {7: Decimal("10")}, Decimal("0.5"))
    ['unmapped_sku', 'below_price_floor', 'amount_mismatch']
    """
    reasons = set(found)
    if None in products:
        reasons.add("unmapped_sku")
    for pid, price in zip(products, prices, strict=True):
        if pid is not None and floors.get(pid) and price < floors[pid] * floor_ratio:
            reasons.add("below_price_floor")
            break
    return [reason for reason in REASONS if reason in reasons]


def import_warnings(d: OrderDraft, shop: str, prices_include_tax: bool) -> list[Problem]:
    """What a person should know of a draft that becomes an order as the platform said: the total
    holds an adjustment no column explains, or its tax inclusion differs from its shop's setting.

    >>> d = OrderDraft(1, "#1058", "paid", None, "CAD", (), Decimal("184.76"), Decimal("220.06"),
    ...                tax_amount=Decimal("25.31"), adjustment_amount=Decimal("9.99"))
    >>> [p.code for p in import_warnings(d, "CA", prices_include_tax=True)]
    ['problem.adjusted', 'problem.tax_inclusion_differs']
    """
    found = []
    if d.adjustment_amount:
        found.append(
            problem("adjustment_amount", "adjusted", order=d.platform_order_id, value=d.adjustment_amount)
        )
    if d.tax_amount and d.tax_included != prices_include_tax:
        code = "tax_inclusion_differs" if prices_include_tax else "tax_inclusion_found"
        found.append(problem("tax_included", code, order=d.platform_order_id, shop=shop))
    return found


def order_total(
    goods: Decimal,
    shipping: Decimal,
    discount: Decimal,
    tax: Decimal,
    tax_included: bool,
    adjustment: Decimal = ZERO,
) -> Decimal:
    """What an order's amounts say the buyer pays: goods + shipping − discount, plus the tax only
    when it comes on top (a VAT-inclusive export's tax is already inside the prices), plus the
    adjustment the platform charged beyond those (duties, tips, rounding).

    >>> order_total(Decimal("159.00"), Decimal("30.00"), Decimal("63.60"), Decimal("20.02"), True)
    Decimal('125.40')
    >>> order_total(Decimal("100.00"), Decimal("10.00"), Decimal("0"), Decimal("14.30"), False)
    Decimal('124.30')
    >>> order_total(Decimal("184.76"), Decimal("0"), Decimal("0"), Decimal("25.31"), False, Decimal("9.99"))
    Decimal('220.06')
    """
    return goods + shipping - discount + (ZERO if tax_included else tax) + adjustment


def sale_at_shipping(
    goods: Decimal,
    shipping: Decimal,
    discount: Decimal,
    tax: Decimal,
    tax_included: bool,
    adjustment: Decimal,
    refunded: Decimal,
    currency: str,
) -> tuple[Decimal, Decimal, Decimal]:
    """What a shipment sells: the goods as the buyer paid them (tax and adjustment inside), the
    shipping, and the tax in them — less what the platform refunded before it shipped (an imported
    partial refund), taken from the goods first, with its share of the tax (:func:`refund_tax`).

    >>> sale_at_shipping(Decimal("143.72"), Decimal("9.99"), Decimal("11.40"), Decimal("7.13"), False,
    ...                  Decimal("0"), Decimal("1.54"), "CAD")
    (Decimal('137.91'), Decimal('9.99'), Decimal('7.06'))
    >>> sale_at_shipping(Decimal("184.76"), Decimal("0"), Decimal("0"), Decimal("25.31"), False,
    ...                  Decimal("9.99"), Decimal("0"), "CAD")
    (Decimal('220.06'), Decimal('0'), Decimal('25.31'))
    """
    gross = order_total(goods, ZERO, discount, tax, tax_included, adjustment)
    if refunded:
        total = gross + shipping
        tax -= refund_tax(tax, total, ZERO, refunded, currency) if tax else ZERO
        gross -= refunded
        if gross < 0:
            shipping, gross = shipping + gross, ZERO
    return gross, shipping, tax


def refund_tax(
    tax: Decimal, total: Decimal, refunded_before: Decimal, amount: Decimal, currency: str
) -> Decimal:
    """The part of a refund that is the order's tax: the tax in proportion to everything refunded
    so far, less what earlier refunds took, so refunds that reach the total give back the tax exactly.

    >>> refund_tax(Decimal("20.02"), Decimal("125.40"), Decimal("0"), Decimal("95.40"), "USD")
    Decimal('15.23')
    >>> refund_tax(Decimal("20.02"), Decimal("125.40"), Decimal("95.40"), Decimal("30.00"), "USD")
    Decimal('4.79')
    """

    def share(refunded: Decimal) -> Decimal:
        return round_money(tax * refunded / total, currency)

    return share(refunded_before + amount) - share(refunded_before)


def returned_value(
    lines_value: Decimal, goods: Decimal, discount: Decimal, tax: Decimal, tax_included: bool, currency: str
) -> Decimal:
    """What the buyer paid for returned goods whose lines are worth ``lines_value`` (quantity ×
    the line's amount per unit): their share of the goods after the order's discount, with the tax
    when it came on top; shipping stays with the order.

    >>> returned_value(Decimal("226.00"), Decimal("3390.00"), Decimal("0"), Decimal("0"), True, "CNY")
    Decimal('226.00')
    >>> returned_value(Decimal("50.00"), Decimal("100.00"), Decimal("10.00"), Decimal("8.00"), False, "USD")
    Decimal('49.00')
    """
    if not goods:
        return ZERO
    paid_for_goods = goods - discount + (ZERO if tax_included else tax)
    return round_money(lines_value * paid_for_goods / goods, currency)


def route_warehouse(province: str, warehouses: Sequence[tuple[int, str]], fallback: int | None) -> int | None:
    """The warehouse serving the order's province: the first ``(id, region)`` of its region.

    >>> route_warehouse("广东", [(1, "华东"), (2, "华南")], 1)
    2
    >>> route_warehouse("北京", [(1, "华东"), (2, "华南")], 1)
    1
    """
    region = PROVINCE_REGION.get(province)
    for warehouse_id, warehouse_region in warehouses:
        if region and warehouse_region == region:
            return warehouse_id
    return fallback


def warehouse_candidates(province: str, warehouses: Sequence[tuple[int, str]]) -> list[int]:
    """Warehouses in the order routing tries them: those of the province's region first, then the
    rest, each group in the order given (priority).

    >>> warehouse_candidates("广东", [(1, "华东"), (2, "华南"), (3, "华南")])
    [2, 3, 1]
    """
    home = PROVINCE_REGION.get(province)
    near = [w for w, region in warehouses if home and region == home]
    return near + [w for w, _ in warehouses if w not in near]


def review_problems(
    amount: Decimal,
    remarks: str,
    address_complete: bool,
    stock_ok: bool,
    blacklisted: bool,
    cfg: dict,
) -> list[str]:
    """Why an order may not be approved automatically (catalogue keys ``review.<reason>``).

    >>> review_problems(Decimal("50"), "", True, True, False, {"amount_max": 100})
    []
    >>> review_problems(Decimal("500"), "改地址", True, False, True, {"amount_max": 100})
    ['amount_out_of_range', 'has_remarks', 'out_of_stock', 'blacklisted']
    """
    found = []
    if not (Decimal(str(cfg.get("amount_min", 0))) <= amount <= Decimal(str(cfg.get("amount_max", 10**9)))):
        found.append("amount_out_of_range")
    if remarks.strip() and cfg.get("block_remarks", True):
        found.append("has_remarks")
    if not address_complete and cfg.get("require_address", True):
        found.append("incomplete_address")
    if not stock_ok and cfg.get("require_stock", True):
        found.append("out_of_stock")
    if blacklisted:
        found.append("blacklisted")
    return found


def choose_warehouse(
    need: dict[int, int], candidates: Sequence[int], available: dict[tuple[int, int], int]
) -> int | None:
    """The first candidate warehouse that can fill every product of ``need`` on its own.

    >>> choose_warehouse({1: 2}, [10, 20], {(1, 10): 1, (1, 20): 5})
    20
    """
    for wid in candidates:
        if all(available.get((pid, wid), 0) >= qty for pid, qty in need.items()):
            return wid
    return None


def assign_staff(amount: Decimal, tier: str, categories: set[str], rules_: Sequence[dict]) -> str | None:
    """The user the first matching assignment rule names (by amount, customer tier or category).

    >>> rules_ = [{"min_amount": 1000, "user": "a"}, {"tier": "vip", "user": "b"}]
    >>> assign_staff(Decimal("900"), "vip", set(), rules_)
    'b'
    """
    for rule in rules_:
        if "min_amount" in rule and amount < Decimal(str(rule["min_amount"])):
            continue
        if "max_amount" in rule and amount > Decimal(str(rule["max_amount"])):
            continue
        if "tier" in rule and rule["tier"] != tier:
            continue
        if "category" in rule and rule["category"] not in categories:
            continue
        return rule.get("user")
    return None


def channel_quantity(available: int, coefficient: Decimal, buffer: int) -> int:
    """What a shop may publish: available × coefficient − buffer, never below zero.

    >>> channel_quantity(10, Decimal("0.8"), 2)
    6
    """
    return max(0, int(Decimal(available) * coefficient) - buffer)
