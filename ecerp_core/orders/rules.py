"""Pure rules of orders: the status workflow, draft checks and warehouse routing."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ecerp_core.errors import Problem, problem
from ecerp_core.money import round_money

STATUSES = (
    "pending_payment", "paid", "approved", "shipped", "finished", "cancelled", "closed", "refunded",
)  # fmt: skip

TRANSITIONS: frozenset[tuple[str, str]] = frozenset({
    ("pending_payment", "paid"),      # the buyer paid (platform import)
    ("pending_payment", "closed"),    # never paid, the platform closed it
    ("paid", "approved"),             # a clerk approved it: stock is reserved
    ("paid", "cancelled"),
    ("approved", "cancelled"),        # reservation released
    ("paid", "refunded"),             # refunded in full before shipping
    ("approved", "refunded"),
    ("approved", "shipped"),          # reservation consumed, shipment moves written
    ("shipped", "finished"),          # the buyer confirmed receipt
    ("shipped", "refunded"),          # refunded in full after shipping (with or without return)
    ("finished", "refunded"),
})  # fmt: skip
"""The order workflow, declared once: every status change is checked against this set."""

IMPORT_TRANSITIONS = frozenset({("pending_payment", "paid"), ("pending_payment", "closed")})
"""The changes a newer platform export may make by itself; the rest are our staff's actions."""

NEW_ORDER_STATUSES = ("pending_payment", "paid", "closed")

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


def transition_problem(order: object, current: str, target: str) -> Problem | None:
    """The problem with moving an order from ``current`` to ``target``, or None if allowed.

    >>> transition_problem("T1", "paid", "approved") is None
    True
    >>> transition_problem("T1", "shipped", "cancelled").code
    'problem.transition_not_allowed'
    """
    if (current, target) in TRANSITIONS:
        return None
    return problem("status", "transition_not_allowed", order=order,
                   from_status=f"status.{current}", to_status=f"status.{target}")  # fmt: skip


def check_amounts(
    currency: str,
    lines: Sequence[tuple[int, Decimal, Decimal, Decimal]],
    goods: Decimal,
    shipping: Decimal,
    discount: Decimal,
    tax: Decimal,
    total: Decimal,
    paid: Decimal,
) -> list[Problem]:
    """Check that ``(qty, unit_price, discount, amount)`` lines and the order's amounts add up.

    >>> check_amounts("CNY", [(2, Decimal("10"), Decimal("1"), Decimal("19"))], Decimal("19"),
    ...               Decimal("0"), Decimal("0"), Decimal("0"), Decimal("19"), Decimal("19"))
    []
    """
    found = []
    for no, (qty, price, line_discount, amount) in enumerate(lines, start=1):
        if not isinstance(qty, int) or qty <= 0:
            found.append(problem("quantity", "below_minimum", value=qty, min=1))
            continue
        if price < 0 or line_discount < 0:
            found.append(problem("unit_price", "below_minimum", value=price, min=0))
        if round_money(qty * price - line_discount, currency) != amount:
            found.append(problem("amount", "line_amount_mismatch", line_no=no, value=amount))
    if not lines:
        found.append(problem("lines", "required"))
    if sum((a for *_, a in lines), Decimal(0)) != goods:
        found.append(problem("goods_amount", "sum_mismatch", value=goods))
    if goods + shipping - discount + tax != total:
        found.append(problem("total_amount", "sum_mismatch", value=total))
    for name, value in (("shipping_amount", shipping), ("discount_amount", discount), ("tax_amount", tax),
                        ("paid_amount", paid)):  # fmt: skip
        if value < 0:
            found.append(problem(name, "below_minimum", value=value, min=0))
    if paid > total:
        found.append(problem("paid_amount", "above_maximum", value=paid, max=total))
    return found


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


def status_rank(status: str) -> int:
    """How far along the workflow a status is, so an older platform export never moves it back."""
    return {"pending_payment": 0, "paid": 1, "approved": 2, "shipped": 3}.get(status, 4)


# --- review, routing, merge: pure checks over values ---------------------------------------------
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


def split_plan(
    need: dict[int, int], candidates: Sequence[int], available: dict[tuple[int, int], int]
) -> dict[int, dict[int, int]] | None:
    """Fill ``need`` from several warehouses in candidate order (whole products per warehouse).

    Returns ``{warehouse: {product: qty}}``, or None when even all together cannot fill it.

    >>> split_plan({1: 1, 2: 1}, [10, 20], {(1, 10): 1, (2, 20): 3})
    {10: {1: 1}, 20: {2: 1}}
    """
    plan: dict[int, dict[int, int]] = {}
    for pid, qty in need.items():
        wid = next((w for w in candidates if available.get((pid, w), 0) >= qty), None)
        if wid is None:
            return None
        plan.setdefault(wid, {})[pid] = qty
    return plan


def assign_staff(amount: Decimal, tier: str, categories: set[str], rules_: Sequence[dict]) -> str | None:
    """The user the first matching assignment rule names (by amount, customer tier or category).

    >>> assign_staff(Decimal("900"), "vip", set(), [{"min_amount": 1000, "user": "a"}, {"tier": "vip", "user": "b"}])
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
