"""Tables of the books. Writes go through :mod:`journal`, :mod:`posting`, :mod:`settlement`,
:mod:`fx` and :mod:`periods`; posted journal entries and their lines are never updated or deleted.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecerp_core.db import Base, CurrencyCode, Timestamp, bigpk, intpk, utcnow
from ecerp_core.money import Money, Rate

ZERO = Decimal("0")
ACCOUNT_CLASSES = ("asset", "liability", "common", "equity", "cost", "pnl")
PERIOD_STATES = ("open", "closed", "locked")


class Account(Base):
    """An account of the chart (企业会计准则 codes; sub-accounts extend the parent's code).

    account_class: 资产/负债/共同/所有者权益/成本/损益 (``asset`` ... ``pnl``).
    normal_side: ``debit`` or ``credit``: the side its balance normally sits on.
    parent_code: the account one level up (``1122`` for ``112201``); postings go to leaves only.
    platform: for a platform receivable sub-account, the platform it belongs to.
    currency: for an account kept in a foreign currency (a USD bank account), that currency.
    is_cash: cash and cash equivalents (库存现金, 银行存款, 其他货币资金) for the cash-flow statement.
    user_added: added by a user rather than by the template.
    """

    __tablename__ = "fin_account"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    account_class: Mapped[str] = mapped_column(String(12))
    normal_side: Mapped[str] = mapped_column(String(6))
    parent_code: Mapped[str | None] = mapped_column(String(20))
    is_leaf: Mapped[bool] = mapped_column(default=True)
    platform: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    is_cash: Mapped[bool] = mapped_column(default=False)
    user_added: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)


class Period(Base):
    """An accounting month. ``last_number`` is the last entry number used: entries are numbered
    without gaps per period because the counter moves in the posting's own transaction;
    ``last_voucher`` is the same for the manual vouchers' own numbers (记-0001)."""

    __tablename__ = "fin_period"
    __table_args__ = (UniqueConstraint("year", "month"),)

    id: Mapped[intpk]
    year: Mapped[int]
    month: Mapped[int]
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    last_voucher: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[Timestamp | None]
    closed_by: Mapped[int | None]

    @property
    def code(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class JournalEntry(Base):
    """A voucher (凭证): balanced lines, posted once and never changed.

    entry_number: ``YYYYMM-NNNNN``, gapless within the period.
    kind: the event kind it comes from (``sale.shipped``), or ``manual``, ``settlement``,
    ``supplier_payment``, ``revaluation``, ``reversal``, ``closing``.
    source_type / source_id: the document behind it (``sales_order`` 42), or ``batch`` for an entry
    that posts a day's events of one kind (its documents are in ``fin_posted_event``).
    reverses_id: the entry this one reverses.
    voucher_no: a manual voucher's number in its period (``记-0001``), given by the voucher service.
    memo: text a person wrote, or a catalogue message stored language-neutral (:mod:`memos`).
    """

    __tablename__ = "fin_journal_entry"
    __table_args__ = (
        UniqueConstraint("period_id", "number"),
        UniqueConstraint("period_id", "voucher_no"),
        Index("ix_fin_journal_entry_date", "entry_date"),
        Index("ix_fin_journal_entry_source", "source_type", "source_id"),
    )

    id: Mapped[bigpk]
    period_id: Mapped[int] = mapped_column(ForeignKey("fin_period.id"))
    number: Mapped[int]
    entry_number: Mapped[str] = mapped_column(String(20), unique=True)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    memo: Mapped[str] = mapped_column(String(300), default="")
    source_type: Mapped[str] = mapped_column(String(40), default="")
    source_id: Mapped[int | None]
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("fin_journal_entry.id"))
    voucher_no: Mapped[str | None] = mapped_column(String(20))
    posted_at: Mapped[Timestamp] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None]

    lines: Mapped[list[JournalLine]] = relationship(order_by="JournalLine.line_no", viewonly=True)


class JournalLine(Base):
    """One line: ``debit`` or ``credit`` in base currency; ``amount_currency`` is the signed amount
    in ``currency`` (+ debit, − credit) at ``rate``. entry_date / period_id repeat the entry's so
    balances are one indexed scan. activity classifies the entry (``operating``, ``investing``,
    ``financing``, ``closing``) for the indirect cash flow. shop_id / platform / warehouse_id /
    supplier_id are dimensions."""

    __tablename__ = "fin_journal_line"
    __table_args__ = (
        # covers the trial balance and the statements' one GROUP BY: an index-only scan
        Index(
            "ix_fin_journal_line_account",
            "account_id",
            "period_id",
            "cash_flow",
            "activity",
            "entry_date",
            "debit",
            "credit",
        ),
        CheckConstraint("debit >= 0 AND credit >= 0", name="not_negative"),
    )

    id: Mapped[bigpk]
    entry_id: Mapped[int] = mapped_column(ForeignKey("fin_journal_entry.id"), index=True)
    line_no: Mapped[int]
    account_id: Mapped[int] = mapped_column(ForeignKey("fin_account.id"))
    entry_date: Mapped[dt.date] = mapped_column(Date)
    period_id: Mapped[int] = mapped_column(ForeignKey("fin_period.id"))
    debit: Mapped[Money] = mapped_column(default=ZERO)
    credit: Mapped[Money] = mapped_column(default=ZERO)
    currency: Mapped[CurrencyCode]
    amount_currency: Mapped[Money] = mapped_column(default=ZERO)
    rate: Mapped[Rate] = mapped_column(default=Decimal(1))
    memo: Mapped[str] = mapped_column(String(200), default="")
    shop_id: Mapped[int | None]
    platform: Mapped[str | None] = mapped_column(String(20))
    warehouse_id: Mapped[int | None]
    supplier_id: Mapped[int | None]
    cash_flow: Mapped[str | None] = mapped_column(String(30))
    activity: Mapped[str] = mapped_column(String(10), default="operating")


class EntryAttachment(Base):
    """A document a voucher refers to by name (an invoice scan, a contract), in the order given."""

    __tablename__ = "fin_entry_attachment"

    entry_id: Mapped[int] = mapped_column(ForeignKey("fin_journal_entry.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class PeriodBalance(Base):
    """A closed period's balances sealed at its close: per account, Σ(debit − credit) of every line
    up to the period's end. ``ecerp check`` compares them with the journal as it stands now."""

    __tablename__ = "fin_period_balance"

    period_id: Mapped[int] = mapped_column(ForeignKey("fin_period.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("fin_account.id"), primary_key=True)
    balance: Mapped[Money]


class PostedEvent(Base):
    """A business event that has been posted: its unique key makes posting happen exactly once.

    order_id: for sales and refunds, the sales order it concerns (finance's own record of what was
    posted for which order: refunds and settlement read it instead of the orders' tables).
    receivable / receivable_base: for sales and refunds, the platform receivable it moved, in the
    order's currency and in base, so settlement clears exactly what was booked.
    """

    __tablename__ = "fin_posted_event"
    __table_args__ = (
        Index("ix_fin_posted_event_source", "source_type", "source_id"),
        Index("ix_fin_posted_event_order", "order_id", "kind"),
    )

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    source_type: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[int]
    business_date: Mapped[dt.date] = mapped_column(Date)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("fin_journal_entry.id"), index=True)
    order_id: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    receivable: Mapped[Money] = mapped_column(default=ZERO)
    receivable_base: Mapped[Money] = mapped_column(default=ZERO)
    value_base: Mapped[Money] = mapped_column(default=ZERO)


class PostingRule(Base):
    """Which account a posting role goes to: ``(kind, role)`` → account code. Users may change it;
    ``platform`` narrows a rule to one platform (a blank platform is the default)."""

    __tablename__ = "fin_posting_rule"
    __table_args__ = (UniqueConstraint("kind", "role", "platform"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(30))
    role: Mapped[str] = mapped_column(String(30))
    platform: Mapped[str] = mapped_column(String(20), default="")
    account_code: Mapped[str] = mapped_column(String(20))


class Settlement(Base):
    """One imported settlement or payout file of a platform (对账单)."""

    __tablename__ = "fin_settlement"
    __table_args__ = (UniqueConstraint("platform", "reference"),)

    id: Mapped[bigpk]
    platform: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(120))
    settlement_date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[CurrencyCode]
    gross: Mapped[Money] = mapped_column(default=ZERO)
    fees: Mapped[Money] = mapped_column(default=ZERO)
    net: Mapped[Money] = mapped_column(default=ZERO)
    matched_lines: Mapped[int] = mapped_column(default=0)
    unmatched_lines: Mapped[int] = mapped_column(default=0)
    known_lines: Mapped[int] = mapped_column(default=0)
    """Lines of the file imported before (by another settlement): skipped, not posted again."""
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("fin_journal_entry.id"))
    imported_at: Mapped[Timestamp] = mapped_column(default=utcnow)


class SettlementLine(Base):
    """A line of a settlement: an order's sale or refund, a fee, a commission or a subsidy.

    amount: signed, in the settlement's currency (+ money to us, − money taken).
    status: ``matched``, ``unmatched`` (reason says why) or ``resolved``.
    """

    __tablename__ = "fin_settlement_line"

    id: Mapped[bigpk]
    settlement_id: Mapped[int] = mapped_column(ForeignKey("fin_settlement.id"), index=True)
    line_no: Mapped[int]
    line_type: Mapped[str] = mapped_column(String(20))
    platform_order_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    order_id: Mapped[int | None]
    amount: Mapped[Money]
    business_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(60), default="")
    natural_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    """What the line is, whatever the file's name: a digest of platform, type, order, amount, day
    and its occurrence among identical lines of its file. The same line imported again is known."""


class SupplierPayment(Base):
    """Money paid to a supplier from the bank, in the supplier's currency."""

    __tablename__ = "fin_supplier_payment"

    id: Mapped[bigpk]
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    payment_date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[CurrencyCode]
    amount: Mapped[Money]
    rate: Mapped[Rate]
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("fin_journal_entry.id"))
    memo: Mapped[str] = mapped_column(String(200), default="")
    bank_code: Mapped[str] = mapped_column(String(20), default="")
    reference: Mapped[str] = mapped_column(String(120), default="")


class BankMovement(Base):
    """Money in or between the company's bank accounts, other than a supplier payment or a settlement.

    kind: ``receipt`` (a platform's or a customer's payment into ``bank_code``, clearing
    ``counter_code``, their receivable) or ``transfer`` (from ``counter_code`` into ``bank_code``).
    amount: in ``currency`` (the paying side's), at ``rate`` to the base currency.
    """

    __tablename__ = "fin_bank_movement"

    id: Mapped[bigpk]
    kind: Mapped[str] = mapped_column(String(12))
    movement_date: Mapped[dt.date] = mapped_column(Date, index=True)
    bank_code: Mapped[str] = mapped_column(String(20))
    counter_code: Mapped[str] = mapped_column(String(20))
    platform: Mapped[str | None] = mapped_column(String(20))
    shop_id: Mapped[int | None]
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    currency: Mapped[CurrencyCode]
    amount: Mapped[Money]
    rate: Mapped[Rate]
    reference: Mapped[str] = mapped_column(String(120), default="")
    memo: Mapped[str] = mapped_column(String(200), default="")
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("fin_journal_entry.id"))
