"""The demo's books: opening capital, weekly platform settlements with fees, supplier payments on
30-day terms (USD bought from the CNY account when the USD account runs short), monthly payroll,
and on the 1st of each month the previous month's FX revaluation and close.

Sales, refunds, receipts, returns and stock counts post themselves through the business events
the other areas emit; this step adds what finance does on its own.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from sqlalchemy import func, select

from ecerp_core.catalog.company import rate_on
from ecerp_core.catalog.models import Supplier
from ecerp_core.demo.context import DemoContext, DemoStep
from ecerp_core.finance import closing, fx, payments, periods, posting, settlement
from ecerp_core.finance.chart import seed_chart
from ecerp_core.finance.closing import close_problems
from ecerp_core.finance.journal import EntryDraft, LineDraft, post_entries
from ecerp_core.finance.models import Account, JournalLine, PostedEvent, SettlementLine, SupplierPayment
from ecerp_core.finance.rules import RuleBook
from ecerp_core.finance.settlement_formats import SettlementRow
from ecerp_core.money import round_money
from ecerp_core.orders.models import Order, OrderRefund

log = logging.getLogger(__name__)
CAPITAL = Decimal("8000000.00")
FEE_RATES = {
    "alipay": Decimal("0.05"),
    "jd": Decimal("0.08"),
    "pdd": Decimal("0.006"),
    "shopify": Decimal("0.029"),
}
SETTLE_WEEKDAY = {"alipay": 0, "jd": 0, "pdd": 0, "shopify": 0}
SETTLE_AFTER_DAYS = 10  # buyers confirm receipt, then the platform pays out
PAYROLL = (("6602", Decimal("60000.00")), ("660102", Decimal("45000.00")))
TERMS_DAYS = 30


def setup(ctx: DemoContext) -> None:
    seed_chart(ctx.session)
    posting.defer_posting(ctx.session)  # post the simulated days in weekly and monthly batches
    day = ctx.start - dt.timedelta(days=1)
    post_entries(
        ctx.session,
        ctx.users["accountant"],
        [
            EntryDraft(
                day,
                "manual",
                (LineDraft("100201", debit=CAPITAL), LineDraft("4001", credit=CAPITAL)),
                memo="股东投入资本金",
            )
        ],
    )


def _open_items(ctx: DemoContext, platforms: list[str], until: dt.date) -> dict[str, list[SettlementRow]]:
    """Posted sales and refunds of each platform's orders up to ``until`` that no settlement has
    cleared (one pass over the posted events for all the platforms settling that day)."""
    owner = {op: p for p in platforms for op in settlement.format_for(p).order_platforms}
    done = select(SettlementLine.order_id).where(
        SettlementLine.status == "matched", SettlementLine.line_type == "sale"
    )
    sales = ctx.session.execute(
        select(Order.platform, Order.platform_order_id, PostedEvent.receivable)
        .join(Order, (PostedEvent.source_type == "sales_order") & (Order.id == PostedEvent.source_id))
        .where(
            PostedEvent.kind == "sale.shipped",
            Order.platform.in_(sorted(owner)),
            PostedEvent.business_date <= until,
            Order.id.not_in(done),
        )
        .order_by(Order.id)
    ).all()
    done_r = select(SettlementLine.order_id).where(
        SettlementLine.status == "matched", SettlementLine.line_type == "refund"
    )
    refunds = ctx.session.execute(
        select(Order.platform, Order.platform_order_id, func.sum(PostedEvent.receivable))
        .join(
            OrderRefund,
            (PostedEvent.source_type == "sales_order_refund") & (OrderRefund.id == PostedEvent.source_id),
        )
        .join(Order, Order.id == OrderRefund.order_id)
        .where(
            PostedEvent.kind == "sale.refunded",
            PostedEvent.entry_id.is_not(None),
            Order.platform.in_(sorted(owner)),
            PostedEvent.business_date <= until,
            Order.id.in_(done),
            Order.id.not_in(done_r),
        )
        .group_by(Order.id, Order.platform, Order.platform_order_id)
        .order_by(Order.id)
    ).all()
    out: dict[str, list[SettlementRow]] = {p: [] for p in platforms}
    for platform, oid, amount in sales:
        rows = out[owner[platform]]
        rows.append(SettlementRow(len(rows) + 2, "sale", oid, amount, until))
    for platform, oid, amount in refunds:
        rows = out[owner[platform]]
        rows.append(SettlementRow(len(rows) + 2, "refund", oid, amount, until))
    return out


def flush_day(ctx: DemoContext, day: dt.date) -> None:
    """21:59 on Mondays, the last day of a month and the last demo day: post the collected events."""
    last = day == ctx.end
    if day.weekday() == 0 or (day + dt.timedelta(days=1)).day == 1 or last:
        posting.flush_deferred(ctx.session, ctx.admin, stop=last)


def settle_day(ctx: DemoContext, day: dt.date) -> None:
    """22:00: each platform pays out once a week for what buyers confirmed, less its fees."""
    due = [platform for platform, weekday in SETTLE_WEEKDAY.items() if day.weekday() == weekday]
    if not due:
        return
    open_items = _open_items(ctx, due, day - dt.timedelta(days=SETTLE_AFTER_DAYS))
    for platform in due:
        rows = open_items[platform]
        if not rows:
            continue
        rows = [SettlementRow(r.line_no, r.line_type, r.platform_order_id, r.amount, day) for r in rows]
        gross = sum((r.amount for r in rows if r.line_type == "sale"), Decimal(0))
        fee = round_money(gross * FEE_RATES[platform], settlement.format_for(platform).currency)
        rows.append(SettlementRow(len(rows) + 2, "commission", "", -fee, day))
        settlement.settle_rows(
            ctx.session, ctx.users["accountant"], platform, rows, reference=f"{platform}-{day.isoformat()}"
        )


def pay_day(ctx: DemoContext, day: dt.date) -> None:
    """22:30 on Fridays: pay each supplier what was booked more than 30 days ago."""
    if day.weekday() != 4:
        return
    accountant = ctx.users["accountant"]
    cutoff = day - dt.timedelta(days=TERMS_DAYS)
    # what each supplier was owed at the cutoff (as payments.supplier_balance) less what was paid
    # since, for all suppliers in two queries; this run's payments fall after the cutoff
    code = RuleBook(ctx.session).account("supplier_payment", "payable")
    booked = dict(
        ctx.session.execute(
            select(JournalLine.supplier_id, func.sum(JournalLine.amount_currency))
            .join(Account, Account.id == JournalLine.account_id)
            .where(
                Account.code == code, JournalLine.supplier_id.is_not(None), JournalLine.entry_date <= cutoff
            )
            .group_by(JournalLine.supplier_id)
        ).all()
    )
    paid = dict(
        ctx.session.execute(
            select(SupplierPayment.supplier_id, func.sum(SupplierPayment.amount))
            .where(SupplierPayment.payment_date > cutoff)
            .group_by(SupplierPayment.supplier_id)
        ).all()
    )
    for supplier_id, currency in ctx.session.execute(
        select(Supplier.id, Supplier.currency).order_by(Supplier.id)
    ).all():
        owed = -Decimal(booked.get(supplier_id) or 0)
        amount = owed - (paid.get(supplier_id) or Decimal(0))
        if amount <= 0:
            continue
        if currency != "CNY":
            _buy_currency(ctx, currency, amount, day)
        payments.pay_supplier(
            ctx.session, accountant, supplier_id, amount, day, memo=f"货款 {cutoff.isoformat()} 前"
        )


def _buy_currency(ctx: DemoContext, currency: str, amount: Decimal, day: dt.date) -> None:
    """Top up the USD account from the CNY account when a payment needs more than it holds."""
    have = ctx.session.scalar(
        select(func.sum(JournalLine.amount_currency))
        .join(Account, Account.id == JournalLine.account_id)
        .where(Account.code == "100202")
    ) or Decimal(0)
    short = amount - have
    if short <= 0:
        return
    rate = rate_on(ctx.session, currency, day)
    base = round_money(short * rate)
    post_entries(
        ctx.session,
        ctx.users["accountant"],
        [
            EntryDraft(
                day,
                "manual",
                (
                    LineDraft("100202", debit=base, currency=currency, amount_currency=short, rate=rate),
                    LineDraft("100201", credit=base),
                ),
                memo=f"购汇 {currency} {short}",
            )
        ],
    )


def month_day(ctx: DemoContext, day: dt.date) -> None:
    """23:00: payroll on the last day; on the 1st, revalue and close the month before."""
    accountant = ctx.users["accountant"]
    total = sum((amount for _, amount in PAYROLL), Decimal(0))
    if (day + dt.timedelta(days=1)).day == 1:
        accrued = (
            *(LineDraft(code, debit=amount) for code, amount in PAYROLL),
            LineDraft("2211", credit=total),
        )
        post_entries(ctx.session, accountant, [EntryDraft(day, "manual", accrued, memo="计提工资")])
    if day.day == 10:
        paid = (LineDraft("2211", debit=total), LineDraft("100201", credit=total))
        post_entries(ctx.session, accountant, [EntryDraft(day, "manual", paid, memo="发放上月工资")])
    if day.day != 1:
        return
    posting.flush_deferred(ctx.session, ctx.admin)
    for period in periods.list_periods(ctx.session):
        if period.status != "open" or period.end_date >= day:
            continue
        fx.revalue_period(ctx.session, accountant, period.code)
        found = close_problems(ctx.session, period)
        if found:
            log.warning("demo: %s left open: %s", period.code, "; ".join(found))
            return
        closing.close_period(ctx.session, accountant, period.code)


STEP = DemoStep(
    "finance",
    setup,
    daily=((21 * 60 + 59, flush_day), (22 * 60, settle_day), (22 * 60 + 30, pay_day), (23 * 60, month_day)),
)
