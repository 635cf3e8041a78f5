"""Supplier payments: pay what a supplier is owed from the bank, with realized FX on foreign ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import get_company, rate_on
from ecerp_core.catalog.models import Supplier
from ecerp_core.errors import NotFound, ValidationError, problem
from ecerp_core.finance.journal import EntryDraft, post_entries, signed
from ecerp_core.finance.models import Account, JournalLine, SupplierPayment
from ecerp_core.finance.rules import RuleBook
from ecerp_core.i18n import t
from ecerp_core.money import round_money

ZERO = Decimal("0")


def supplier_balance(
    session: Session, supplier_id: int, as_of: dt.date | None = None
) -> tuple[Decimal, Decimal]:
    """What we owe a supplier on the payable account: (in its currency, in base), both positive."""
    code = RuleBook(session).account("supplier_payment", "payable")
    stmt = (
        select(
            func.sum(JournalLine.amount_currency), func.sum(JournalLine.credit) - func.sum(JournalLine.debit)
        )
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.code == code, JournalLine.supplier_id == supplier_id)
    )
    if as_of:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    amount, base = session.execute(stmt).one()
    return -Decimal(amount or 0), Decimal(base or 0)


def pay_supplier(
    session: Session, actor: Actor, supplier_id: int, amount: Decimal, day: dt.date, *, memo: str = ""
) -> SupplierPayment:
    """Pay ``amount`` (in the supplier's currency) on ``day``: Dr 应付账款, Cr 银行存款, FX to 660301.

    The payable is relieved at its average booked rate, the bank at the day's rate.
    """
    require(actor, "finance.post")
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound(entity="entity.supplier", key=supplier_id)
    if amount <= 0:
        raise ValidationError([problem("amount", "not_positive", value=amount)])
    base = get_company(session).base_currency
    cur = supplier.currency
    rate = rate_on(session, cur, day)
    owed, owed_base = supplier_balance(session, supplier_id)
    relieved = round_money(amount * owed_base / owed, base) if owed > 0 else round_money(amount * rate, base)
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
        signed(
            book.account("supplier_payment", "bank", currency=cur),
            -paid_base,
            currency=cur,
            amount_currency=-amount,
            rate=rate,
        ),
    ]
    if paid_base != relieved:
        lines.append(signed(book.account("supplier_payment", "fx"), paid_base - relieved))
    payment = SupplierPayment(
        supplier_id=supplier_id, payment_date=day, currency=cur, amount=amount, rate=rate, memo=memo
    )
    session.add(payment)
    session.flush()
    draft = EntryDraft(
        day,
        "supplier_payment",
        tuple(lines),
        memo=memo or f"{t('finance.memo.supplier_payment')} {supplier.code}",
        source_type="fin_supplier_payment",
        source_id=payment.id,
    )
    [posted] = post_entries(session, actor, [draft])
    payment.entry_id = posted.id
    audit.record(
        session,
        actor,
        "create",
        "fin_supplier_payment",
        payment.id,
        {"supplier": supplier.code, "amount": amount, "currency": cur},
    )
    return payment
