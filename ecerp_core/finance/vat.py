"""VAT month-end (增值税月末结转): what the month owes, its surcharges, and their payment.

:func:`close_vat` reads 应交增值税 (222101: 进项税额, 销项税额, 已交税金, 转出未交增值税) up to the
period's last day. A credit balance is what the month owes: it moves to 未交增值税 —
Dr 22210104 转出未交增值税 / Cr 222102 — and the surcharges on it are accrued as 税金及附加 —
Dr 6403 / Cr 222108 城建税 (7%), 222109 教育费附加 (3%), 222110 地方教育附加 (2%), the company's
rates. A debit balance (more input than output VAT) is not moved: it stays on 222101 as input credit
carried forward (留抵), and next month's close nets it off. Running the close again posts only what
changed since (nothing, when nothing did), so it is idempotent per period.

:func:`pay_vat` pays what the period's closes accrued and is not paid yet: Dr 222102, 222108,
222109, 222110 / Cr 银行存款.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import get_company
from ecerp_core.errors import ValidationError, problem
from ecerp_core.finance.chart import ensure_chart
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entries
from ecerp_core.finance.memos import memo
from ecerp_core.finance.models import Account, JournalEntry, JournalLine, Period
from ecerp_core.finance.payments import cash_account
from ecerp_core.finance.periods import get_period
from ecerp_core.money import round_money

ZERO = Decimal("0.00")
VAT = "222101"
INPUT_VAT, OUTPUT_VAT, TRANSFERRED_OUT, UNPAID_VAT = "22210101", "22210102", "22210104", "222102"
TAXES_AND_SURCHARGES = "6403"
SURCHARGES = (
    ("city_tax", "city_tax_rate", "222108"),
    ("education_surcharge", "education_surcharge_rate", "222109"),
    ("local_education_surcharge", "local_education_surcharge_rate", "222110"),
)
"""Each surcharge: its name, the company setting holding its rate, the account it accrues to."""
CLOSE, PAYMENT = "fin_vat_close", "fin_vat_payment"


@dataclass(frozen=True)
class VatClose:
    """A month's VAT: the output and input VAT of the month, the input credit brought in, what the
    month owes (moved to 222102 by this close), the credit carried out, the surcharges accrued by
    this close and its voucher (None when nothing changed)."""

    period: str
    output_vat: Decimal
    input_vat: Decimal
    credit_brought_in: Decimal
    transferred: Decimal
    credit_carried: Decimal
    surcharges: dict[str, Decimal]
    voucher: str | None


def _net(session: Session, prefix: str, start: dt.date | None, end: dt.date) -> Decimal:
    """Σ(debit − credit) of the accounts under ``prefix`` dated ``start``..``end``."""
    stmt = (
        select(func.sum(JournalLine.debit - JournalLine.credit, type_=JournalLine.debit.type))
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.code.startswith(prefix), JournalLine.entry_date <= end)
    )
    if start is not None:
        stmt = stmt.where(JournalLine.entry_date >= start)
    return Decimal(session.scalar(stmt) or ZERO)


def vat_position(session: Session, period: Period) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(output VAT of the month, input VAT of the month, credit brought in, balance owed on 222101
    at the month's end: positive owes, negative is credit)."""
    output = -_net(session, OUTPUT_VAT, period.start_date, period.end_date)
    input_ = _net(session, INPUT_VAT, period.start_date, period.end_date)
    before = -_net(session, VAT, None, period.start_date - dt.timedelta(days=1))
    owed = -_net(session, VAT, None, period.end_date)
    return output, input_, max(-before, ZERO), owed


def close_vat(session: Session, actor: Actor, period_text: str, day: dt.date | None = None) -> VatClose:
    """Move the month's VAT owed to 未交增值税 and accrue its surcharges (see the module); ``day``
    (default the period's last day) must lie in the period, which must be open."""
    require(actor, "finance.close")
    ensure_chart(session)
    period = get_period(session, period_text)
    day = day or period.end_date
    if not period.start_date <= day <= period.end_date:
        raise ValidationError([problem("date", "not_in_period", value=day.isoformat(), period=period.code)])
    company = get_company(session)
    base = company.base_currency
    output, input_, brought_in, owed = vat_position(session, period)
    transferred = max(owed, ZERO)
    surcharges = {
        name: round_money(transferred * getattr(company, setting), base) for name, setting, _ in SURCHARGES
    }
    voucher = None
    if transferred:
        lines = [
            LineDraft(TRANSFERRED_OUT, debit=transferred),
            LineDraft(UNPAID_VAT, credit=transferred),
            LineDraft(TAXES_AND_SURCHARGES, debit=sum(surcharges.values(), ZERO)),
            *(LineDraft(code, credit=surcharges[name]) for name, _, code in SURCHARGES),
        ]
        draft = EntryDraft(
            day,
            "vat_close",
            tuple(lines),
            memo=memo("finance.memo.vat_close", period=period.code),
            source_type=CLOSE,
            source_id=period.id,
        )
        [posted] = post_entries(session, actor, [draft])
        voucher = posted.number
    result = VatClose(
        period.code, output, input_, brought_in, transferred, max(-owed, ZERO), surcharges, voucher
    )
    audit.record(
        session,
        actor,
        "vat_close",
        "fin_period",
        period.code,
        {"transferred": transferred, "credit_carried": result.credit_carried, "voucher": voucher},
    )
    return result


def vat_due(session: Session, period: Period) -> dict[str, Decimal]:
    """Per account (222102 and the surcharges'), what the period's closes accrued less what was paid."""
    codes = [UNPAID_VAT, *(code for _, _, code in SURCHARGES)]
    stmt = (
        select(Account.code, func.sum(JournalLine.credit - JournalLine.debit, type_=JournalLine.debit.type))
        .join(JournalLine, JournalLine.account_id == Account.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            Account.code.in_(codes),
            JournalEntry.source_type.in_([CLOSE, PAYMENT]),
            JournalEntry.source_id == period.id,
        )
        .group_by(Account.code)
    )
    due = {code: Decimal(amount or ZERO) for code, amount in session.execute(stmt)}
    return {code: due.get(code, ZERO) for code in codes}


def pay_vat(
    session: Session, actor: Actor, period_text: str, day: dt.date, *, bank: str | None = None
) -> tuple[str, Decimal]:
    """Pay the VAT and surcharges the period's close accrued and nobody paid yet, from ``bank``
    (default the base currency's bank account) on ``day``; returns (voucher, amount paid)."""
    require(actor, "finance.post")
    ensure_chart(session)
    period = get_period(session, period_text)
    base = get_company(session).base_currency
    due = {code: amount for code, amount in vat_due(session, period).items() if amount > 0}
    if not due:
        raise ValidationError([problem("period", "nothing_to_pay", value=period.code)])
    bank_account = cash_account(session, bank, base)
    total = sum(due.values(), ZERO)
    lines = (
        *(LineDraft(code, debit=amount) for code, amount in due.items()),
        LineDraft(bank_account.code, credit=total),
    )
    draft = EntryDraft(
        day,
        "vat_payment",
        lines,
        memo=memo("finance.memo.vat_payment", period=period.code),
        source_type=PAYMENT,
        source_id=period.id,
    )
    [posted] = post_entries(session, actor, [draft])
    audit.record(
        session, actor, "vat_payment", "fin_period", period.code, {"amount": total, "voucher": posted.number}
    )
    return posted.number, total
