"""Posting rules: which account each part of a business event goes to, and the VAT arithmetic.

The defaults are :data:`DEFAULT_RULES`; a user overrides one with :func:`set_rule` (stored in
``fin_posting_rule``, optionally for one platform). ``RECEIVABLE`` stands for the platform's own
receivable sub-account, and ``BANK`` for the bank account of the line's currency.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import EXPORT_PLATFORMS
from ecerp_core.db import forget, memo
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.chart import ensure_chart, receivable_code
from ecerp_core.finance.models import Account, PostingRule
from ecerp_core.money import round_money

RECEIVABLE = "RECEIVABLE"
BANK = "BANK"
BANK_BY_CURRENCY = {"CNY": "100201", "USD": "100202"}

DEFAULT_RULES: dict[tuple[str, str], str] = {
    ("sale.shipped", "receivable"): RECEIVABLE,
    ("sale.shipped", "revenue"): "6001",
    ("sale.shipped", "output_vat"): "22210102",
    ("sale.shipped", "collected_tax"): "222105",
    ("sale.shipped", "cogs"): "6401",
    ("sale.shipped", "inventory"): "1405",
    ("sale.refunded", "receivable"): RECEIVABLE,
    ("sale.refunded", "revenue"): "6001",
    ("sale.refunded", "output_vat"): "22210102",
    ("sale.refunded", "collected_tax"): "222105",
    ("sale.refunded", "cogs"): "6401",
    ("sale.refunded", "inventory"): "1405",
    ("sale.refunded", "damaged"): "6711",
    ("stock.received", "inventory"): "1405",
    ("stock.received", "input_vat"): "22210101",
    ("stock.received", "payable"): "2202",
    ("stock.received", "landed"): "2241",
    ("stock.received", "rounding"): "660301",
    ("purchase.returned", "inventory"): "1405",
    ("purchase.returned", "input_vat"): "22210101",
    ("purchase.returned", "payable"): "2202",
    ("purchase.returned", "price_difference"): "6401",
    ("stock.adjusted", "inventory"): "1405",
    ("stock.adjusted", "gain"): "6602",
    ("stock.adjusted", "loss"): "6602",
    ("stock.adjusted", "opening"): "4001",
    ("stock.counted", "inventory"): "1405",
    ("stock.counted", "gain"): "6602",
    ("stock.counted", "loss"): "6602",
    ("stock.transferred", "inventory"): "1405",
    ("stock.transferred", "transit_loss"): "6711",
    ("settlement", "receivable"): RECEIVABLE,
    ("settlement", "bank"): BANK,
    ("settlement", "fee"): "660101",
    ("settlement", "commission"): "660101",
    ("settlement", "subsidy"): "6051",
    ("settlement", "fx"): "660301",
    ("supplier_payment", "payable"): "2202",
    ("supplier_payment", "bank"): BANK,
    ("supplier_payment", "fx"): "660301",
    ("revaluation", "fx"): "660301",
}


class RuleBook:
    """The rules in force: the defaults overlaid with the user's, loaded once per posting batch."""

    def __init__(self, session: Session) -> None:
        self.custom = memo(
            session,
            "posting_rules",
            lambda: {
                (r.kind, r.role, r.platform or ""): r.account_code
                for r in session.scalars(select(PostingRule))
            },
        )

    def account(self, kind: str, role: str, platform: str | None = None, currency: str | None = None) -> str:
        code = self.custom.get((kind, role, platform or "")) or self.custom.get((kind, role, ""))
        code = code or DEFAULT_RULES[(kind, role)]
        if code == RECEIVABLE:
            return receivable_code(platform or "other")
        if code == BANK:
            return BANK_BY_CURRENCY.get(currency or "CNY", "100201")
        return code


def set_rule(
    session: Session, actor: Actor, kind: str, role: str, account_code: str, platform: str = ""
) -> None:
    """Send ``role`` of ``kind`` events to ``account_code`` (for one platform, or all)."""
    require(actor, "finance.post")
    ensure_chart(session)
    found = []
    if (kind, role) not in DEFAULT_RULES:
        found.append(problem("role", "unknown", value=f"{kind}/{role}"))
    account = session.scalar(select(Account).where(Account.code == account_code))
    if account is None or not account.is_leaf:
        found.append(problem("account_code", "unknown_account", value=account_code))
    if found:
        raise ValidationError(found)
    rule = session.scalar(
        select(PostingRule).where(
            PostingRule.kind == kind, PostingRule.role == role, PostingRule.platform == platform
        )
    )
    old = rule.account_code if rule else DEFAULT_RULES[(kind, role)]
    if rule is None:
        session.add(PostingRule(kind=kind, role=role, platform=platform, account_code=account_code))
    else:
        rule.account_code = account_code
    session.flush()
    forget(session, "posting_rules")
    audit.record(
        session,
        actor,
        "update",
        "fin_posting_rule",
        f"{kind}/{role}/{platform}",
        {"account": [old, account_code]},
    )


def list_rules(session: Session) -> list[dict]:
    book = RuleBook(session)
    return [
        {"kind": k, "role": r, "platform": p, "account_code": c, "default": DEFAULT_RULES.get((k, r))}
        for (k, r, p), c in sorted(book.custom.items())
    ] + [
        {"kind": k, "role": r, "platform": "", "account_code": c, "default": c}
        for (k, r), c in DEFAULT_RULES.items()
        if (k, r, "") not in book.custom
    ]


def tax_role(platform: str | None) -> str:
    """Where the tax of a sale on ``platform`` goes: ``output_vat`` (销项税额) for a Chinese platform,
    ``collected_tax`` for the sales tax or VAT a cross-border shop collects for a foreign tax office.

    >>> tax_role("taobao"), tax_role("shopify")
    ('output_vat', 'collected_tax')
    """
    return "collected_tax" if platform in EXPORT_PLATFORMS else "output_vat"


def vat_rate_for(platform: str | None, company_rate: Decimal) -> Decimal:
    return Decimal(0) if platform in EXPORT_PLATFORMS else company_rate


def split_inclusive(gross: Decimal, rate: Decimal, currency: str = "CNY") -> tuple[Decimal, Decimal]:
    """A tax-inclusive amount as (不含税金额, 税额): net = gross / (1 + rate), rounded; tax the rest.

    >>> split_inclusive(Decimal("113.00"), Decimal("0.13"))
    (Decimal('100.00'), Decimal('13.00'))
    >>> split_inclusive(Decimal("99.90"), Decimal("0.13"))
    (Decimal('88.41'), Decimal('11.49'))
    """
    net = round_money(gross / (1 + rate), currency)
    return net, gross - net
