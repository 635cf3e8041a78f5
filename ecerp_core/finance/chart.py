"""The chart of accounts template: 企业会计准则 (the 2006 CAS application guidance codes), not
小企业会计准则. First-level codes are the standard's; sub-accounts add two digits per level.

Platform receivables are sub-accounts of 1122 应收账款 (one per sales platform), the bank has a
CNY and a USD account, and 2221 应交税费 carries the VAT columns 进项税额 / 销项税额 / 已交税金 and,
apart from VAT, 222105 the sales tax a cross-border shop collects for a foreign tax office.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import forget, insert_rows, memo
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.models import ACCOUNT_CLASSES, Account, JournalLine

STANDARD = "企业会计准则 (CAS 2006, 应用指南会计科目)"


@dataclass(frozen=True)
class AccountTemplate:
    code: str
    name_zh: str
    name_en: str
    account_class: str
    normal_side: str = "debit"
    is_cash: bool = False
    platform: str | None = None
    currency: str | None = None


def _a(code, zh, en, cls, side="debit", **kw) -> AccountTemplate:
    return AccountTemplate(code, zh, en, cls, side, **kw)


class Receivable(NamedTuple):
    """A platform's receivable sub-account of 1122 (``currency`` None: the base currency)."""

    code: str
    name_zh: str
    name_en: str
    currency: str | None


PLATFORM_RECEIVABLES = {
    "taobao": Receivable("112201", "应收账款-淘宝(支付宝)", "Receivable - Taobao (Alipay)", None),
    "tmall": Receivable("112202", "应收账款-天猫", "Receivable - Tmall", None),
    "jd": Receivable("112203", "应收账款-京东", "Receivable - JD", None),
    "pdd": Receivable("112204", "应收账款-拼多多", "Receivable - Pinduoduo", None),
    "shopify": Receivable("112205", "应收账款-Shopify", "Receivable - Shopify", "USD"),
    "woocommerce": Receivable("112206", "应收账款-WooCommerce", "Receivable - WooCommerce", "USD"),
    "other": Receivable("112299", "应收账款-其他平台", "Receivable - other platforms", None),
}

TEMPLATE: tuple[AccountTemplate, ...] = (
    _a("1001", "库存现金", "Cash on hand", "asset", is_cash=True),
    _a("1002", "银行存款", "Bank deposits", "asset", is_cash=True),
    _a("100201", "银行存款-人民币户", "Bank - CNY account", "asset", is_cash=True),
    _a("100202", "银行存款-美元户", "Bank - USD account", "asset", is_cash=True, currency="USD"),
    _a("1012", "其他货币资金", "Other monetary funds", "asset", is_cash=True),
    _a("1122", "应收账款", "Accounts receivable", "asset"),
    *(
        _a(r.code, r.name_zh, r.name_en, "asset", platform=p, currency=r.currency)
        for p, r in PLATFORM_RECEIVABLES.items()
    ),
    _a("1123", "预付账款", "Prepayments", "asset"),
    _a("1221", "其他应收款", "Other receivables", "asset"),
    _a("1405", "库存商品", "Merchandise inventory", "asset"),
    _a("1601", "固定资产", "Fixed assets", "asset"),
    _a("1602", "累计折旧", "Accumulated depreciation", "asset", "credit"),
    _a("1901", "待处理财产损溢", "Assets pending disposal", "asset"),
    _a("2001", "短期借款", "Short-term borrowings", "liability", "credit"),
    _a("2202", "应付账款", "Accounts payable", "liability", "credit"),
    _a("2203", "预收账款", "Advances from customers", "liability", "credit"),
    _a("2211", "应付职工薪酬", "Employee benefits payable", "liability", "credit"),
    _a("2221", "应交税费", "Taxes payable", "liability", "credit"),
    _a("222101", "应交税费-应交增值税", "Taxes payable - VAT", "liability", "credit"),
    _a("22210101", "应交增值税-进项税额", "VAT - input tax", "liability", "credit"),
    _a("22210102", "应交增值税-销项税额", "VAT - output tax", "liability", "credit"),
    _a("22210103", "应交增值税-已交税金", "VAT - tax paid", "liability", "credit"),
    _a("22210104", "应交增值税-转出未交增值税", "VAT - transferred to VAT unpaid", "liability", "credit"),
    _a("222102", "应交税费-未交增值税", "Taxes payable - VAT unpaid", "liability", "credit"),
    _a(
        "222105",
        "应交税费-代收境外销售税",
        "Taxes payable - foreign sales tax collected",
        "liability",
        "credit",
    ),
    _a("222108", "应交税费-应交城市维护建设税", "Taxes payable - city tax", "liability", "credit"),
    _a("222109", "应交税费-应交教育费附加", "Taxes payable - education surcharge", "liability", "credit"),
    _a("222110", "应交税费-应交地方教育附加", "Taxes payable - local education", "liability", "credit"),
    _a("2241", "其他应付款", "Other payables", "liability", "credit"),
    _a("2501", "长期借款", "Long-term borrowings", "liability", "credit"),
    _a("4001", "实收资本", "Paid-in capital", "equity", "credit"),
    _a("4002", "资本公积", "Capital reserve", "equity", "credit"),
    _a("4101", "盈余公积", "Surplus reserve", "equity", "credit"),
    _a("4103", "本年利润", "Current year profit", "equity", "credit"),
    _a("4104", "利润分配", "Profit distribution", "equity", "credit"),
    _a("410401", "利润分配-未分配利润", "Retained earnings", "equity", "credit"),
    _a("6001", "主营业务收入", "Main operating revenue", "pnl", "credit"),
    _a("6051", "其他业务收入", "Other operating revenue", "pnl", "credit"),
    _a("6301", "营业外收入", "Non-operating income", "pnl", "credit"),
    _a("6401", "主营业务成本", "Main operating costs", "pnl"),
    _a("6402", "其他业务成本", "Other operating costs", "pnl"),
    _a("6403", "税金及附加", "Taxes and surcharges", "pnl"),
    _a("6601", "销售费用", "Selling expenses", "pnl"),
    _a("660101", "销售费用-平台佣金及服务费", "Selling - platform commissions and fees", "pnl"),
    _a("660102", "销售费用-其他", "Selling - other", "pnl"),
    _a("6602", "管理费用", "Administrative expenses", "pnl"),
    _a("6603", "财务费用", "Financial expenses", "pnl"),
    _a("660301", "财务费用-汇兑损益", "Financial - exchange gains and losses", "pnl"),
    _a("660302", "财务费用-手续费", "Financial - bank charges", "pnl"),
    _a("6711", "营业外支出", "Non-operating expenses", "pnl"),
    _a("6801", "所得税费用", "Income tax expense", "pnl"),
)


def parent_of(code: str, codes: set[str]) -> str | None:
    """The nearest shorter code in ``codes`` that ``code`` extends (``112201`` → ``1122``)."""
    for cut in range(len(code) - 2, 3, -2):
        if code[:cut] in codes:
            return code[:cut]
    return None


def seed_chart(session: Session) -> int:
    """Create the template's accounts that are missing (idempotent); returns how many were added."""
    have = set(session.scalars(select(Account.code)))
    codes = {t.code for t in TEMPLATE} | have
    parents = {parent_of(c, codes) for c in codes} - {None}
    rows = [
        {
            "code": t.code,
            "name_zh": t.name_zh,
            "name_en": t.name_en,
            "account_class": t.account_class,
            "normal_side": t.normal_side,
            "parent_code": parent_of(t.code, codes),
            "is_leaf": t.code not in parents,
            "platform": t.platform,
            "currency": t.currency,
            "is_cash": t.is_cash,
            "user_added": False,
            "active": True,
        }
        for t in TEMPLATE
        if t.code not in have
    ]
    if rows:
        insert_rows(session, Account, rows)
    return len(rows)


def ensure_chart(session: Session) -> None:
    """Seed the chart on first use."""

    def check() -> bool:
        if session.scalar(select(Account.id).limit(1)) is None:
            seed_chart(session)
        return True

    memo(session, "chart", check)


class PostingAccount(NamedTuple):
    """What posting needs to know of an account."""

    id: int
    is_leaf: bool
    active: bool
    is_cash: bool


def posting_accounts(session: Session) -> dict[str, PostingAccount]:
    """``{code: (id, is_leaf, active, is_cash)}`` of every account (read once per transaction)."""
    ensure_chart(session)

    def read() -> dict[str, PostingAccount]:
        stmt = select(Account.id, Account.code, Account.is_leaf, Account.active, Account.is_cash)
        return {
            row.code: PostingAccount(row.id, row.is_leaf, row.active, row.is_cash)
            for row in session.execute(stmt)
        }

    return memo(session, "chart_accounts", read)


def add_account(session: Session, actor: Actor, values: Mapping[str, object]) -> Account:
    """Add a user account under an existing parent (``{"code": "660103", "name_zh": ..., ...}``).

    The parent must have no postings of its own, since it becomes a heading; the new account takes
    the parent's class and normal side unless given.
    """
    require(actor, "finance.post")
    ensure_chart(session)
    code = str(values.get("code", "")).strip()
    found = []
    if not code.isdigit() or len(code) < 4:
        found.append(problem("code", "invalid_account_code", value=code))
    elif session.scalar(select(Account.id).where(Account.code == code)) is not None:
        found.append(problem("code", "duplicate", value=code))
    codes = set(session.scalars(select(Account.code)))
    parent_code = parent_of(code, codes) if code else None
    parent = session.scalar(select(Account).where(Account.code == parent_code)) if parent_code else None
    cls = values.get("account_class") or (parent.account_class if parent else None)
    if cls not in ACCOUNT_CLASSES:
        found.append(problem("account_class", "unknown", value=cls))
    if not values.get("name_zh"):
        found.append(problem("name_zh", "required"))
    posted_to = select(JournalLine.id).where(JournalLine.account_id == parent.id).limit(1) if parent else None
    if parent is not None and parent.is_leaf and session.scalar(posted_to):
        found.append(problem("code", "parent_has_postings", value=parent.code))
    if found:
        raise ValidationError(found)
    side = values.get("normal_side") or (parent.normal_side if parent else "debit")
    account = Account(
        code=code,
        name_zh=str(values["name_zh"]),
        name_en=str(values.get("name_en") or values["name_zh"]),
        account_class=cls,
        normal_side=side,
        parent_code=parent_code,
        is_leaf=True,
        platform=values.get("platform") or (parent.platform if parent else None),
        currency=values.get("currency"),
        is_cash=bool(values.get("is_cash", parent.is_cash if parent else False)),
        user_added=True,
        active=True,
    )
    session.add(account)
    if parent is not None:
        parent.is_leaf = False
    session.flush()
    forget(session, "chart_accounts")
    audit.record(
        session, actor, "create", "fin_account", code, {"name_zh": account.name_zh, "parent": parent_code}
    )
    return account


def accounts_by_code(session: Session) -> dict[str, Account]:
    return {a.code: a for a in session.scalars(select(Account).order_by(Account.code))}


def account_name(account: Account, language: str) -> str:
    return account.name_zh if language == "zh_CN" else account.name_en


def receivable_code(platform: str) -> str:
    """The receivable sub-account of a platform (unknown platforms use 应收账款-其他平台)."""
    return PLATFORM_RECEIVABLES.get(platform, PLATFORM_RECEIVABLES["other"]).code
