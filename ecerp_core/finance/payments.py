"""Cash: pay a supplier, receive a platform's or a customer's payment, move money between banks.

Each is one service that checks the actor's permission (``finance.post``), posts one voucher
dated on its business day (a closed period refuses it: :class:`~ecerp_core.finance.exceptions.PeriodClosed`),
keeps its document (``fin_supplier_payment`` or ``fin_bank_movement``) and writes an audit row.

Foreign currency: an amount is in the party's currency (a USD supplier is paid in USD, a Shopify
receivable is received in USD). The bank is credited or debited at the day's rate; the payable or
receivable is relieved at its average booked rate, and the difference is realized exchange gain or
loss (财务费用-汇兑损益, 660301).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import get_company, rate_on
from ecerp_core.catalog.models import Customer, Shop, Supplier
from ecerp_core.errors import NotFound, ValidationError, problem
from ecerp_core.finance.chart import ensure_chart
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entries, signed
from ecerp_core.finance.memos import memo
from ecerp_core.finance.models import Account, BankMovement, JournalEntry, JournalLine, SupplierPayment
from ecerp_core.finance.rules import RuleBook
from ecerp_core.money import round_money

ZERO = Decimal("0")


def account_balance(
    session: Session,
    code: str,
    *,
    supplier_id: int | None = None,
    platform: str | None = None,
    as_of: dt.date | None = None,
) -> tuple[Decimal, Decimal]:
    """The balance of a leaf account (debit − credit), optionally of one supplier or platform:
    (in the lines' own currency, in base)."""
    stmt = (
        select(
            func.sum(JournalLine.amount_currency), func.sum(JournalLine.debit) - func.sum(JournalLine.credit)
        )
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.code == code)
    )
    if supplier_id is not None:
        stmt = stmt.where(JournalLine.supplier_id == supplier_id)
    if platform is not None:
        stmt = stmt.where(JournalLine.platform == platform)
    if as_of:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    amount, base = session.execute(stmt).one()
    return Decimal(amount or 0), Decimal(base or 0)


def supplier_balance(
    session: Session, supplier_id: int, as_of: dt.date | None = None
) -> tuple[Decimal, Decimal]:
    """What we owe a supplier on the payable account: (in its currency, in base), both positive."""
    code = RuleBook(session).account("supplier_payment", "payable")
    amount, base = account_balance(session, code, supplier_id=supplier_id, as_of=as_of)
    return -amount, -base


def cash_account(session: Session, code: str | None, currency: str) -> Account:
    """The bank (or cash) posting account ``code``, which must be kept in ``currency``; without a
    code, the bank account of that currency (:data:`~ecerp_core.finance.rules.BANK_BY_CURRENCY`)."""
    ensure_chart(session)
    code = code or RuleBook(session).account("supplier_payment", "bank", currency=currency)
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None or not account.is_cash or not account.is_leaf or not account.active:
        raise ValidationError([problem("bank", "not_a_bank_account", value=code)])
    base = get_company(session).base_currency
    if (account.currency or base) != currency:
        raise ValidationError(
            [
                problem(
                    "bank", "bank_currency", value=code, currency=account.currency or base, expected=currency
                )
            ]
        )
    return account


def _check_amount(amount: Decimal, currency: str) -> None:
    if not isinstance(amount, Decimal) or amount <= 0:
        raise ValidationError([problem("amount", "not_positive", value=amount)])
    if round_money(amount, currency) != amount:
        raise ValidationError([problem("amount", "too_many_decimals", value=amount)])


def _relieved(amount: Decimal, owed: Decimal, owed_base: Decimal, rate: Decimal, base: str) -> Decimal:
    """The base value of ``amount`` of an open balance: at its average booked rate while one is
    open, else at the day's rate."""
    if owed > 0 and owed_base > 0:
        return round_money(amount * owed_base / owed, base)
    return round_money(amount * rate, base)


def _book(session: Session, actor: Actor, document, day: dt.date, kind: str, lines, memo: str, what: dict):
    """Save a cash document (a supplier payment, a bank movement), post its entry, link the two and
    write the audit row; returns the document."""
    session.add(document)
    session.flush()
    table = document.__tablename__
    draft = EntryDraft(day, kind, tuple(lines), memo=memo, source_type=table, source_id=document.id)
    [posted] = post_entries(session, actor, [draft])
    document.entry_id = posted.id
    audit.record(session, actor, "create", table, document.id, what)
    return document


def pay_supplier(
    session: Session,
    actor: Actor,
    supplier_id: int,
    amount: Decimal,
    day: dt.date,
    *,
    bank: str | None = None,
    reference: str = "",
    memo: str = "",
) -> SupplierPayment:
    """Pay ``amount`` (in the supplier's currency) on ``day``: Dr 应付账款, Cr 银行存款, FX to 660301.

    The payable is relieved at its average booked rate, the bank at the day's rate. ``bank`` is the
    bank account's code (default: the bank account of the supplier's currency).
    """
    require(actor, "finance.post")
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(entity="entity.supplier", key=supplier_id)
    cur = supplier.currency
    _check_amount(amount, cur)
    bank_account = cash_account(session, bank, cur)
    base = get_company(session).base_currency
    rate = rate_on(session, cur, day)
    owed, owed_base = supplier_balance(session, supplier_id)
    relieved = _relieved(amount, owed, owed_base, rate, base)
    paid_base = round_money(amount * rate, base)
    book = RuleBook(session)
    lines = [
        signed(
            book.account("supplier_payment", "payable"),
            relieved,
            currency=cur,
            amount_currency=amount,
            rate=rate,
            supplier_id=supplier_id,
        ),
        signed(bank_account.code, -paid_base, currency=cur, amount_currency=-amount, rate=rate),
    ]
    if paid_base != relieved:
        lines.append(signed(book.account("supplier_payment", "fx"), paid_base - relieved))
    payment = SupplierPayment(
        supplier_id=supplier_id,
        payment_date=day,
        currency=cur,
        amount=amount,
        rate=rate,
        memo=memo,
        bank_code=bank_account.code,
        reference=reference,
    )
    return _book(
        session,
        actor,
        payment,
        day,
        "supplier_payment",
        lines,
        memo or _memo("finance.memo.supplier_payment", supplier.code, reference),
        {"supplier": supplier.code, "amount": amount, "currency": cur, "bank": bank_account.code},
    )


def _memo(key: str, party: str, reference: str) -> str:
    """A payment's memo, stored language-neutral (:mod:`~ecerp_core.finance.memos`)."""
    return memo("finance.memo.payment", what=key, party=party, reference=reference)


def receive_payment(
    session: Session,
    actor: Actor,
    amount: Decimal,
    day: dt.date,
    *,
    shop_id: int | None = None,
    customer_id: int | None = None,
    bank: str | None = None,
    reference: str = "",
    memo: str = "",
) -> BankMovement:
    """Money in from a platform shop (its payout) or a customer: Dr 银行存款, Cr 应收账款.

    A shop's payment clears its platform's receivable (112201 淘宝 ...), in that receivable's
    currency; a customer's clears 应收账款-其他平台 (112299) in the base currency. Exactly one of
    ``shop_id`` / ``customer_id``.
    """
    require(actor, "finance.post")
    if (shop_id is None) == (customer_id is None):
        raise ValidationError([problem("payer", "shop_or_customer")])
    ensure_chart(session)
    base = get_company(session).base_currency
    if shop_id is not None:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise NotFound(entity="entity.shop", key=shop_id)
        platform, party = shop.platform, shop.code
    else:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(entity="entity.customer", key=customer_id)
        platform, party = "other", customer.code
    code = RuleBook(session).account("settlement", "receivable", platform)
    receivable = session.scalar(select(Account).where(Account.code == code))
    cur = receivable.currency or base
    _check_amount(amount, cur)
    bank_account = cash_account(session, bank, cur)
    rate = rate_on(session, cur, day)
    owed, owed_base = account_balance(session, code, platform=platform)
    relieved = _relieved(amount, owed, owed_base, rate, base)
    got_base = round_money(amount * rate, base)
    dims = {"platform": platform, "shop_id": shop_id}
    lines = [
        signed(bank_account.code, got_base, currency=cur, amount_currency=amount, rate=rate),
        signed(code, -relieved, currency=cur, amount_currency=-amount, rate=rate, **dims),
    ]
    if got_base != relieved:
        lines.append(signed(RuleBook(session).account("settlement", "fx"), relieved - got_base))
    movement = BankMovement(
        kind="receipt",
        movement_date=day,
        bank_code=bank_account.code,
        counter_code=code,
        platform=platform,
        shop_id=shop_id,
        customer_id=customer_id,
        currency=cur,
        amount=amount,
        rate=rate,
        reference=reference,
        memo=memo,
    )
    return _book(
        session,
        actor,
        movement,
        day,
        "receipt",
        lines,
        memo or _memo("finance.memo.receipt", party, reference),
        {"kind": "receipt", "payer": party, "amount": amount, "currency": cur, "bank": bank_account.code},
    )


def transfer_funds(
    session: Session,
    actor: Actor,
    source: str,
    target: str,
    amount: Decimal,
    day: dt.date,
    *,
    reference: str = "",
    memo: str = "",
) -> BankMovement:
    """Move ``amount`` (in the currency of ``source``) from one bank or cash account to another.

    Between currencies (CNY → USD account), the target receives the base value at the day's rate
    of its own currency.
    """
    require(actor, "finance.post")
    ensure_chart(session)
    base = get_company(session).base_currency
    accounts = {
        a.code: a
        for a in session.scalars(select(Account).where(Account.code.in_([source, target])))
        if a.is_cash and a.is_leaf and a.active
    }
    found = [problem("bank", "not_a_bank_account", value=c) for c in (source, target) if c not in accounts]
    if source == target:
        found.append(problem("bank", "same_bank_account", value=source))
    if found:
        raise ValidationError(found)
    cur_from = accounts[source].currency or base
    cur_to = accounts[target].currency or base
    _check_amount(amount, cur_from)
    rate_from = rate_on(session, cur_from, day)
    moved_base = round_money(amount * rate_from, base)
    rate_to = rate_on(session, cur_to, day)
    to_amount = amount if cur_to == cur_from else round_money(moved_base / rate_to, cur_to)
    lines = (
        LineDraft(target, debit=moved_base, currency=cur_to, amount_currency=to_amount, rate=rate_to),
        LineDraft(source, credit=moved_base, currency=cur_from, amount_currency=-amount, rate=rate_from),
    )
    movement = BankMovement(
        kind="transfer",
        movement_date=day,
        bank_code=target,
        counter_code=source,
        currency=cur_from,
        amount=amount,
        rate=rate_from,
        reference=reference,
        memo=memo,
    )
    return _book(
        session,
        actor,
        movement,
        day,
        "transfer",
        lines,
        memo or _memo("finance.memo.transfer", f"{source} → {target}", reference),
        {"kind": "transfer", "from": source, "to": target, "amount": amount, "currency": cur_from},
    )


def voucher_number(session: Session, entry_id: int | None) -> str:
    """The number (``202610-00007``) of the voucher a payment posted."""
    return session.scalar(select(JournalEntry.entry_number).where(JournalEntry.id == entry_id)) or ""


def cash_accounts(session: Session) -> list[Account]:
    """The active bank and cash posting accounts, by code (what a payment may use)."""
    ensure_chart(session)
    stmt = select(Account).where(
        Account.is_cash.is_(True), Account.is_leaf.is_(True), Account.active.is_(True)
    )
    return list(session.scalars(stmt.order_by(Account.code)))
