"""Opening balances (期初): the books and the stock as they stood on the go-live day.

A seller starting on ecerp brings two lists as of one day, the go-live date: the balance of each
account (:func:`post_opening_balances`, ``ecerp finance opening``) and the stock of each product in
each warehouse at its unit cost (:func:`open_stock`, ``ecerp stock opening``). The go-live date is
the last day of a month, the day before the first open period (by default: before the current
month when there is no period yet).

The balances post as one journal entry of kind ``opening`` dated the go-live day — the one
posting allowed before the first open period —, and that day's period is closed once it is in, the
next one opened. The stock becomes ``opening`` moves dated that day (:mod:`ecerp_core.stock.opening`).
Whichever of the two comes second must agree with the first on inventory (the 14xx inventory
accounts, 1405 库存商品 among them) to the cent, or it is refused. The balances must balance on
their own: nothing is credited to paid-in capital (4001) unless the file says so.

Each opening is taken once: importing the same file again changes nothing; a different one is
refused (correct it with a manual entry or a stocktake in the first open period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog import rules as catalog_rules
from ecerp_core.catalog.company import business_date, get_company
from ecerp_core.catalog.models import Supplier
from ecerp_core.db import among
from ecerp_core.errors import Problem, ValidationError, problem
from ecerp_core.finance import periods
from ecerp_core.finance.chart import account_name, accounts_by_code, ensure_chart
from ecerp_core.finance.closing import seal_balances
from ecerp_core.finance.exceptions import (
    OpeningDateDiffers,
    OpeningExists,
    OpeningInventoryMismatch,
    OpeningNotMonthEnd,
    OpeningNotPast,
    OpeningTooLate,
    OpeningUnbalanced,
)
from ecerp_core.finance.journal import OPENING_KIND, EntryDraft, LineDraft, post_entries, signed
from ecerp_core.finance.models import Account, JournalEntry, JournalLine, Period
from ecerp_core.finance.statements import INVENTORY
from ecerp_core.i18n import t
from ecerp_core.stock.opening import (
    OpeningStockLine,
    StockPosition,
    describe_stock,
    opening_stock,
    opening_stock_date,
    opening_stock_value,
    record_opening_stock,
)
from ecerp_core.tabular import Table, map_columns

ZERO = Decimal("0.00")

ALIASES = {
    "account_code": ("account", "code", "科目编码", "科目代码", "科目", "科目编号"),
    "debit": ("dr", "借方", "借方余额", "期初借方"),
    "credit": ("cr", "贷方", "贷方余额", "期初贷方"),
    "amount_currency": ("foreign amount", "原币金额", "外币金额", "原币"),
    "supplier": ("supplier code", "供应商", "供应商编码"),
}
FIELDS = (
    catalog_rules.Field("account_code", required=True, max_length=20),
    catalog_rules.Field("debit", "money", minimum=Decimal(0)),
    catalog_rules.Field("credit", "money", minimum=Decimal(0)),
    catalog_rules.Field("amount_currency", "money", minimum=Decimal(0)),
    catalog_rules.Field("supplier", "code", max_length=64),
)
RATE = Decimal("0.00000001")


@dataclass(frozen=True)
class OpeningResult:
    """What an opening did: ``created`` False when the same opening was there already.

    entry_number: the opening entry (balances); lines: accounts or stock positions; total: the
    debit total of the balances, or the stock's value; inventory: the value on inventory.
    """

    kind: str
    go_live: dt.date
    created: bool
    lines: int
    total: Decimal
    inventory: Decimal
    entry_number: str | None = None
    closed_period: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)

    def message(self, language: str | None = None) -> str:
        """What was done, in one line for a person (the CLI prints it, the app shows it)."""
        day = self.go_live.isoformat()
        if self.kind == "stock":
            key = "cli.opening_stock_recorded" if self.created else "cli.opening_stock_unchanged"
            return t(key, language, date=day, lines=self.lines, total=self.total)
        if not self.created:
            return t("cli.opening_balances_unchanged", language, entry=self.entry_number, date=day)
        return t(
            "cli.opening_balances_posted",
            language,
            entry=self.entry_number,
            date=day,
            lines=self.lines,
            total=self.total,
            inventory=self.inventory,
            period=self.closed_period,
        )


@dataclass(frozen=True)
class AccountBalance:
    """One account's opening balance as a person reads it: its code, name, debit or credit."""

    code: str
    name: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class OpeningPreview:
    """What the openings would post, or what they posted, on ``go_live``.

    accounts and stock: the balances and the stock positions (empty when not given); debit, credit:
    the balances' totals; inventory: their part on the 14xx inventory accounts; stock_value: the
    stock's worth; agrees: whether the two agree on inventory (None while one of them is missing).
    entry_number: the opening entry once posted.
    """

    go_live: dt.date
    accounts: tuple[AccountBalance, ...]
    stock: tuple[StockPosition, ...]
    debit: Decimal
    credit: Decimal
    inventory: Decimal
    stock_value: Decimal
    agrees: bool | None
    entry_number: str | None = None

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


# --- reading the files ----------------------------------------------------------------------------
def read_opening_balances(session: Session, table: Table) -> tuple[LineDraft, ...]:
    """The lines of an opening-balance file (account_code, debit, credit), checked row by row.

    An account must be a posting (leaf) account of the balance sheet; one kept in a foreign currency
    (100202 银行存款-美元户) also needs its balance in that currency (amount_currency, unsigned: the
    side is the debit's or credit's). A payable may name its supplier (supplier: the code), so paying
    the supplier later relieves it; a supplier who bills in a foreign currency needs amount_currency
    too. Rows of zero are left out. Raises :class:`ValidationError` listing every problem with its
    line: the balances are taken whole or not at all.
    """
    columns = map_columns(table, ALIASES, ["account_code"])
    ensure_chart(session)
    accounts = accounts_by_code(session)
    base = get_company(session).base_currency
    problems: list[Problem] = []
    rows = []
    for line, raw in table:
        values, found = catalog_rules.clean(FIELDS, {f: raw[col] for f, col in columns.items()})
        rows.append((line, values, found))
    suppliers = _suppliers(session, {v["supplier"] for _, v, _ in rows if v.get("supplier")})
    lines = []
    for line, values, found in rows:
        code = values.get("account_code", "")
        account = accounts.get(code)
        if code and (account is None or not account.is_leaf or not account.active):
            found.append(problem("account_code", "unknown_account", value=code))
        elif account is not None and account.account_class == "pnl":
            found.append(problem("account_code", "opening_pnl_account", value=code))
        supplier = suppliers.get(values.get("supplier"))
        if values.get("supplier") and supplier is None:
            found.append(problem("supplier", "unknown_ref", value=values["supplier"]))
        net = values.get("debit", ZERO) - values.get("credit", ZERO)
        currency = (account.currency if account is not None else None) or (supplier[1] if supplier else base)
        amount = values.get("amount_currency")
        if currency != base and net and not amount:
            found.append(problem("account_code", "opening_foreign_account", value=code, currency=currency))
        problems += [p.at_line(line) for p in found]
        if found or not net:
            continue
        dimensions = {"supplier_id": supplier[0] if supplier else None, "memo": "期初余额"}
        if currency != base:
            sign = 1 if net > 0 else -1
            rate = (abs(net) / amount).quantize(RATE)
            lines.append(
                signed(code, net, currency=currency, amount_currency=sign * amount, rate=rate, **dimensions)
            )
        else:
            lines.append(signed(code, net, **dimensions))
    if problems:
        raise ValidationError(problems)
    return tuple(lines)


# --- the go-live day ------------------------------------------------------------------------------
def opening_entry(session: Session) -> JournalEntry | None:
    """The opening entry, None before the balances are in."""
    return session.scalar(
        select(JournalEntry).where(JournalEntry.kind == OPENING_KIND).order_by(JournalEntry.id).limit(1)
    )


def go_live_date(session: Session, day: dt.date | None = None) -> dt.date:
    """The day the openings stand on: the one already used, else ``day``, else the day before the first
    open period (before the current month when there is none).

    Raises :class:`OpeningDateDiffers` when ``day`` is not the day an opening already used,
    :class:`OpeningNotMonthEnd`, :class:`OpeningNotPast`, and :class:`OpeningTooLate` when the books
    hold entries on or before the day.
    """
    entry = opening_entry(session)
    used = entry.entry_date if entry is not None else opening_stock_date(session)
    if used is not None:
        if day is not None and day != used:
            raise OpeningDateDiffers(date=day.isoformat(), opening=used.isoformat())
        return used
    today = business_date(session)
    if day is None:
        first_open = session.scalar(select(func.min(Period.start_date)).where(Period.status == "open"))
        day = (first_open or today.replace(day=1)) - dt.timedelta(days=1)
    if day != periods.month_bounds(day.year, day.month)[1]:
        raise OpeningNotMonthEnd(date=day.isoformat())
    if day >= today:
        raise OpeningNotPast(date=day.isoformat(), today=today.isoformat())
    first = session.scalar(select(func.min(JournalEntry.entry_date)).where(JournalEntry.kind != OPENING_KIND))
    if first is not None and first <= day:
        raise OpeningTooLate(date=day.isoformat(), first=first.isoformat())
    return day


def _suppliers(session: Session, codes: set[str]) -> dict[str, tuple[int, str]]:
    """``{code: (id, currency)}`` of the suppliers among ``codes``."""
    if not codes:
        return {}
    stmt = select(Supplier.code, Supplier.id, Supplier.currency).where(among(session, Supplier.code, codes))
    return {code: (sid, currency) for code, sid, currency in session.execute(stmt)}


def _is_inventory(code: str) -> bool:
    return code.startswith(INVENTORY)


def opening_balances(session: Session) -> dict[str, Decimal]:
    """``{account code: debit − credit}`` of the opening entry (empty before it is posted)."""
    stmt = (
        select(Account.code, func.sum(JournalLine.debit - JournalLine.credit))
        .join(JournalLine, JournalLine.account_id == Account.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.kind == OPENING_KIND)
        .group_by(Account.code)
    )
    return {code: Decimal(net) for code, net in session.execute(stmt) if net}


def opening_inventory(balances: dict[str, Decimal]) -> Decimal:
    """The part of opening balances on the inventory accounts (1405 库存商品 and the other 14xx)."""
    return sum((net for code, net in balances.items() if _is_inventory(code)), ZERO)


def _net(lines: Sequence[LineDraft]) -> dict[str, Decimal]:
    nets: dict[str, Decimal] = {}
    for x in lines:
        nets[x.account_code] = nets.get(x.account_code, ZERO) + x.net
    return {code: net for code, net in nets.items() if net}


# --- before and after -----------------------------------------------------------------------------
def preview_openings(
    session: Session,
    balances: Sequence[LineDraft] = (),
    stock: Sequence[OpeningStockLine] = (),
    day: dt.date | None = None,
    language: str = "zh_CN",
) -> OpeningPreview:
    """What posting ``balances`` and recording ``stock`` would do on the go-live day; writes nothing.

    A side not given is compared as already recorded (none: ``agrees`` is None). Raises the go-live
    date's errors (:func:`go_live_date`); the lines were checked when the files were read.
    """
    go_live = go_live_date(session, day)
    nets = _net(balances) if balances else opening_balances(session)
    positions = list(stock) or opening_stock(session)
    inventory = opening_inventory(nets)
    value = opening_stock_value(positions)
    return OpeningPreview(
        go_live,
        _accounts(session, nets, language),
        tuple(describe_stock(session, positions)),
        sum((n for n in nets.values() if n > 0), ZERO),
        -sum((n for n in nets.values() if n < 0), ZERO),
        inventory,
        value,
        inventory == value if nets and positions else None,
    )


def recorded_openings(session: Session, language: str = "zh_CN") -> OpeningPreview | None:
    """The openings as posted and recorded, with the opening entry's number; None before either."""
    entry = opening_entry(session)
    if entry is None and opening_stock_date(session) is None:
        return None
    found = preview_openings(session, language=language)
    return OpeningPreview(**{**found.__dict__, "entry_number": entry.entry_number if entry else None})


def _accounts(session: Session, nets: dict[str, Decimal], language: str) -> tuple[AccountBalance, ...]:
    accounts = accounts_by_code(session)
    return tuple(
        AccountBalance(
            code,
            account_name(accounts[code], language) if code in accounts else "",
            max(net, ZERO),
            max(-net, ZERO),
        )
        for code, net in sorted(nets.items())
    )


# --- the two openings -----------------------------------------------------------------------------
def post_opening_balances(
    session: Session, actor: Actor, lines: Sequence[LineDraft], day: dt.date | None = None
) -> OpeningResult:
    """Post the opening entry dated the go-live day and close that day's period.

    Needs ``finance.post`` and ``finance.close``. Raises :class:`OpeningUnbalanced` (with the
    difference), :class:`OpeningInventoryMismatch` when a stock opening is in and its value differs
    from the inventory accounts' balance, :class:`OpeningExists` when a different opening was
    posted, and the go-live date's errors (:func:`go_live_date`).

    >>> post_opening_balances(session, admin, [LineDraft("100201", debit=Decimal("5000.00")),
    ...     LineDraft("4001", credit=Decimal("5000.00"))], dt.date(2026, 10, 31)).entry_number
    '202610-00001'
    """
    require(actor, "finance.post")
    require(actor, "finance.close")
    nets = _net(lines)
    debit = sum((x.debit for x in lines), ZERO)
    credit = sum((x.credit for x in lines), ZERO)
    inventory = opening_inventory(nets)
    entry = opening_entry(session)
    if entry is not None:
        if opening_balances(session) != nets:
            raise OpeningExists(what="entity.opening_balances", date=entry.entry_date.isoformat())
        return OpeningResult(
            "balances", entry.entry_date, False, len(nets), debit, inventory, entry.entry_number
        )
    if debit != credit or not nets:
        raise OpeningUnbalanced(debit=debit, credit=credit, difference=debit - credit)
    go_live = go_live_date(session, day)
    stock = opening_stock(session)
    if stock and opening_stock_value(stock) != inventory:
        value = opening_stock_value(stock)
        raise OpeningInventoryMismatch(stock=value, books=inventory, difference=inventory - value)
    draft = EntryDraft(go_live, OPENING_KIND, tuple(lines), memo="期初余额", source_type=OPENING_KIND)
    [posted] = post_entries(session, actor, [draft])
    period = periods.ensure_period(session, go_live)
    periods.move(session, actor, period, "closed", "close")
    seal_balances(session, [period.id])  # `ecerp check` proves the opening month unchanged from here on
    periods.ensure_period(session, go_live + dt.timedelta(days=1))
    audit.record(
        session,
        actor,
        "post",
        "fin_journal_entry",
        posted.number,
        {"kind": OPENING_KIND, "debit": debit, "credit": credit, "inventory": inventory},
    )
    return OpeningResult(
        "balances", go_live, True, len(nets), debit, inventory, posted.number, closed_period=period.code
    )


def open_stock(
    session: Session, actor: Actor, lines: Sequence[OpeningStockLine], day: dt.date | None = None
) -> OpeningResult:
    """Record the opening stock dated the go-live day (needs ``stock.move``).

    Raises :class:`OpeningInventoryMismatch` when the opening balances are in and their inventory
    differs from the stock's value, :class:`OpeningExists` when a different stock opening is in,
    :class:`~ecerp_core.stock.exceptions.StockAlreadyMoved` when the stock ledger has moves, and the
    go-live date's errors (:func:`go_live_date`).
    """
    require(actor, "stock.move")
    value = opening_stock_value(lines)
    existing = opening_stock(session)
    if existing:
        if sorted(existing, key=_position) != sorted(lines, key=_position):
            raise OpeningExists(what="entity.opening_stock", date=opening_stock_date(session).isoformat())
        return OpeningResult("stock", opening_stock_date(session), False, len(lines), value, value)
    go_live = go_live_date(session, day)
    if opening_entry(session) is not None:
        books = opening_inventory(opening_balances(session))
        if books != value:
            raise OpeningInventoryMismatch(stock=value, books=books, difference=books - value)
    record_opening_stock(session, actor, lines, go_live)
    return OpeningResult("stock", go_live, True, len(lines), value, value)


def _position(line: OpeningStockLine) -> tuple[int, int]:
    return line.product_id, line.warehouse_id
