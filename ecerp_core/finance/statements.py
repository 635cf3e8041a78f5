"""Statements: trial balance, the three statements (一般企业财务报表格式) and their columns.

Everything is computed from one set-based aggregate of the journal: per account, per period,
per cash-flow item and per activity (:func:`period_totals`), so a statement over a million lines
is one GROUP BY. Amounts are ``Decimal``; statement lines carry the account codes they add up, so
an app can drill from a line to its journal lines (:func:`ledger.account_lines`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.finance.chart import ensure_chart
from ecerp_core.finance.journal import CASH_FLOW_SECTIONS
from ecerp_core.finance.models import Account, JournalLine, Period
from ecerp_core.finance.periods import month_bounds, parse_period
from ecerp_core.i18n import current_language, t

ZERO = Decimal("0")
INVENTORY = ("1401", "1402", "1403", "1404", "1405", "1406", "1407", "1408", "1411", "1471")
# key, account-code prefixes (None = a total); the label is the catalogue's finance.bs.<key>
BS_ASSETS = (
    ("cash", ("1001", "1002", "1012")),
    ("receivables", ("1122", "1121")),
    ("prepayments", ("1123",)),
    ("other_receivables", ("1221",)),
    ("inventories", INVENTORY),
    ("other_current_assets", ("1901",)),
    ("current_assets", None),
    ("fixed_assets", ("1601", "1602", "1604")),
    ("intangible_assets", ("1701", "1702")),
    ("total_assets", None),
)
BS_LIABILITIES = (
    ("short_term_loans", ("2001",)),
    ("payables", ("2202", "2201")),
    ("advances", ("2203",)),
    ("payroll", ("2211",)),
    ("taxes", ("2221",)),
    ("other_payables", ("2241", "2231", "2232")),
    ("current_liabilities", None),
    ("long_term_loans", ("2501",)),
    ("total_liabilities", None),
)
BS_EQUITY = (
    ("paid_in_capital", ("4001",)),
    ("capital_reserve", ("4002",)),
    ("surplus_reserve", ("4101",)),
    ("undistributed_profit", ("4103", "4104")),
    ("total_equity", None),
    ("total_liabilities_equity", None),
)
BS_RECLASSIFIED = (
    (("1122",), "receivables", "advances"),
    (("1123",), "prepayments", "payables"),
    (("1221",), "other_receivables", "other_payables"),
    (("2202",), "payables", "prepayments"),
    (("2203",), "advances", "receivables"),
    (("2221",), "taxes", "other_current_assets"),
    (("2241",), "other_payables", "other_receivables"),
)
"""An account group whose balance is on the other side moves from the first line to the second."""
# key, account-code prefixes (None = the running total), sign (1 adds to the total, -1 subtracts)
IS_LINES = (
    ("revenue", ("6001", "6051"), 1),
    ("cost_of_sales", ("6401", "6402"), -1),
    ("taxes_surcharges", ("6403",), -1),
    ("selling_expenses", ("6601",), -1),
    ("admin_expenses", ("6602",), -1),
    ("finance_expenses", ("6603",), -1),
    ("operating_profit", None, 1),
    ("non_operating_income", ("6301",), 1),
    ("non_operating_expenses", ("6711",), -1),
    ("total_profit", None, 1),
    ("income_tax", ("6801",), -1),
    ("net_profit", None, 1),
)
CF_SECTIONS = tuple(CASH_FLOW_SECTIONS.items())
CF_INFLOWS = {
    "sales_receipts",
    "tax_refunds",
    "other_operating_in",
    "investing_in",
    "capital_in",
    "borrowing_in",
}


class PeriodSum(NamedTuple):
    """What one account's lines of a period, cash-flow item and activity add up to (debit − credit).

    period: the month as an index (``year * 12 + month - 1``), so windows are ranges of integers.
    """

    period: int
    cash_flow: str | None
    activity: str
    amount: Decimal


class Totals:
    """The journal summed per (account, period, cash-flow item, activity), with the chart."""

    def __init__(self, sums: Iterable[tuple[int, PeriodSum]], accounts: dict[int, Account]) -> None:
        self.accounts = accounts
        self.by_account: dict[int, list[PeriodSum]] = defaultdict(list)
        for account_id, period_sum in sums:
            self.by_account[account_id].append(period_sum)

    def net(
        self, select_account, lo: int | None, hi: int, *, cf=None, activity=None, closing=True
    ) -> Decimal:
        """Σ(debit − credit) over periods lo..hi (lo None = from the beginning)."""
        total = ZERO
        for account_id, sums in self.by_account.items():
            if not select_account(self.accounts[account_id]):
                continue
            for p, item, act, amount in sums:
                if p > hi or (lo is not None and p < lo):
                    continue
                if (cf is not None and item not in cf) or (activity is not None and act != activity):
                    continue
                if not closing and act == "closing":
                    continue
                total += amount
        return total


def _index(year: int, month: int) -> int:
    return year * 12 + month - 1


def period_totals(session: Session, end: dt.date) -> Totals:
    """One GROUP BY over the journal up to ``end``."""
    ensure_chart(session)
    keys = (JournalLine.account_id, JournalLine.period_id, JournalLine.cash_flow, JournalLine.activity)
    debit = func.sum(JournalLine.debit).label("debit")
    credit = func.sum(JournalLine.credit).label("credit")
    stmt = select(*keys, debit, credit).where(JournalLine.entry_date <= end).group_by(*keys)
    periods = session.execute(select(Period.id, Period.year, Period.month))
    months = {p.id: _index(p.year, p.month) for p in periods}
    sums = []
    for row in session.execute(stmt):
        amount = Decimal(row.debit or 0) - Decimal(row.credit or 0)
        sums.append((row.account_id, PeriodSum(months[row.period_id], row.cash_flow, row.activity, amount)))
    return Totals(sums, {a.id: a for a in session.scalars(select(Account))})


def _prefixed(prefixes):
    return lambda a: a.code.startswith(prefixes)


def _label(section: str, key: str) -> str:
    return t(f"finance.{section}.{key}")


def _columns(year: int, month: int) -> dict[str, tuple[int | None, int]]:
    """The period windows (first, last period index) of the three columns."""
    this = _index(year, month)
    return {
        "this_period": (this, this),
        "year_to_date": (_index(year, 1), this),
        "last_year": (this - 12, this - 12),
        "last_year_to_date": (_index(year - 1, 1), this - 12),
    }


def balance_sheet(tot: Totals, year: int, month: int) -> dict:
    """资产负债表 at the end of the month, the start of the year and a year earlier.

    An account group whose balance sits on the other side is shown where Chinese statements show it
    (:data:`BS_RECLASSIFIED`): 应付账款 in debit among 预付款项, 应交税费 in debit among other current
    assets, 其他应付款 in debit among 其他应收款, and the mirror images.
    """
    points = {
        "end_of_period": _index(year, month),
        "start_of_year": _index(year, 1) - 1,
        "last_year": _index(year, month) - 12,
    }
    mapped = tuple(p for _, ps in BS_ASSETS + BS_LIABILITIES + BS_EQUITY if ps for p in ps)
    sides = (("assets", BS_ASSETS, 1), ("liabilities", BS_LIABILITIES, -1), ("equity", BS_EQUITY, -1))
    values: dict[str, dict[str, Decimal]] = {}
    for side, spec, sign in sides:
        cls = {"assets": "asset", "liabilities": "liability", "equity": "equity"}[side]
        for key, prefixes in spec:
            if prefixes is None:
                continue
            fallback = key in ("other_current_assets", "other_payables", "undistributed_profit")

            def pick(a, prefixes=prefixes, fallback=fallback, cls=cls):
                return a.code.startswith(prefixes) or (
                    fallback and a.account_class == cls and not a.code.startswith(mapped)
                )

            values[key] = {c: sign * tot.net(pick, None, p) for c, p in points.items()}
            if key == "undistributed_profit":  # profit not yet carried to 本年利润 belongs here too
                values[key] = {
                    c: v - tot.net(lambda a: a.account_class == "pnl", None, points[c])
                    for c, v in values[key].items()
                }
    for prefixes, source, target in BS_RECLASSIFIED:
        on_asset_side = source in {key for key, _ in BS_ASSETS}
        for c, p in points.items():
            net = tot.net(_prefixed(prefixes), None, p)  # debit − credit of the group
            wrong_side = -net if on_asset_side else net
            if wrong_side > 0:
                values[source][c] += wrong_side
                values[target][c] += wrong_side
    lines, totals = [], {}
    for side, spec, _ in sides:
        running = {c: ZERO for c in points}
        for key, prefixes in spec:
            if prefixes is None:
                if key == "total_liabilities_equity":
                    row = {c: totals["total_liabilities"][c] + totals["total_equity"][c] for c in points}
                else:
                    row = dict(running)
                totals[key] = row
            else:
                row = values[key]
                for c in points:
                    running[c] += row[c]
            accounts = list(prefixes) if prefixes else []
            accounts += [p for ps, _, target in BS_RECLASSIFIED if target == key for p in ps]
            lines.append(
                {
                    "key": key,
                    "label": _label("bs", key),
                    "section": side,
                    "total": prefixes is None,
                    "accounts": accounts,
                    **row,
                }
            )
    end = "end_of_period"
    return {
        "total_assets": totals["total_assets"][end],
        "total_liabilities": totals["total_liabilities"][end],
        "total_equity": totals["total_equity"][end],
        "columns": list(points),
        "lines": lines,
    }


def income_statement(tot: Totals, year: int, month: int) -> dict:
    """利润表 for the month, the year to date, and the same month and year-to-date a year earlier."""
    cols = _columns(year, month)
    lines, acc = [], {c: ZERO for c in cols}
    by_key = {}
    for key, prefixes, sign in IS_LINES:
        if prefixes is None:
            values = dict(acc)
        else:
            values = {
                c: -sign * tot.net(_prefixed(prefixes), lo, hi, closing=False) for c, (lo, hi) in cols.items()
            }
            for c in cols:
                acc[c] += sign * values[c]
        by_key[key] = values
        lines.append(
            {
                "key": key,
                "label": _label("is", key),
                "total": prefixes is None,
                "sign": sign,
                "accounts": list(prefixes or ()),
                **values,
            }
        )
    return {
        "revenue": by_key["revenue"]["this_period"],
        "net_profit": by_key["net_profit"]["this_period"],
        "columns": list(cols),
        "lines": lines,
    }


def cash_flow(tot: Totals, year: int, month: int) -> dict:
    """现金流量表, direct method from the cash lines, with the indirect reconciliation."""
    cols = _columns(year, month)
    is_cash = lambda a: a.is_cash  # noqa: E731
    lines = []
    net_by_section = {}
    for section, items in CF_SECTIONS:
        net = {c: ZERO for c in cols}
        for item in items:
            values = {c: tot.net(is_cash, lo, hi, cf={item}) for c, (lo, hi) in cols.items()}
            shown = values if item in CF_INFLOWS else {c: -v for c, v in values.items()}
            for c in cols:
                net[c] += values[c]
            lines.append(
                {
                    "key": item,
                    "label": _label("cf", item),
                    "section": section,
                    "total": False,
                    "inflow": item in CF_INFLOWS,
                    "accounts": [],
                    **shown,
                }
            )
        net_by_section[section] = net
        lines.append(
            {
                "key": f"{section}_net",
                "label": _label("cf", f"{section}_net"),
                "section": section,
                "total": True,
                "accounts": [],
                **net,
            }
        )
    fx = {c: tot.net(is_cash, lo, hi, cf={"fx_effect"}) for c, (lo, hi) in cols.items()}
    lines.append(
        {
            "key": "fx_effect",
            "label": _label("cf", "fx_effect"),
            "section": "fx",
            "total": False,
            "accounts": [],
            **fx,
        }
    )
    change = {c: sum((n[c] for n in net_by_section.values()), ZERO) + fx[c] for c in cols}
    opening = {c: tot.net(is_cash, None, lo - 1) for c, (lo, _) in cols.items()}
    closing = {c: tot.net(is_cash, None, hi) for c, (_, hi) in cols.items()}
    for key, values in (("net_change", change), ("opening_cash", opening), ("closing_cash", closing)):
        lines.append(
            {
                "key": key,
                "label": _label("cf", key),
                "section": "total",
                "total": True,
                "accounts": [],
                **values,
            }
        )
    return {
        "opening_cash": opening["this_period"],
        "closing_cash": closing["this_period"],
        "net_change_in_cash": change["this_period"],
        "columns": list(cols),
        "lines": lines,
        "indirect": indirect(tot, cols, net_by_section["operating"], fx),
    }


INDIRECT = (
    ("depreciation", ("1602", "1702")),
    ("inventory_decrease", INVENTORY),
    ("receivables_decrease", ("1122", "1121", "1123", "1221", "1901")),
    ("payables_increase", ("2202", "2201", "2203", "2211", "2221", "2241")),
)


def indirect(tot: Totals, cols, operating: dict, fx: dict) -> list[dict]:
    """净利润 adjusted to the operating cash flow; ``other`` is what no line explains (0 when whole)."""
    lines = []
    profit = {
        c: -tot.net(lambda a: a.account_class == "pnl", lo, hi, closing=False) for c, (lo, hi) in cols.items()
    }
    lines.append({"key": "net_profit", "label": _label("cf", "ind_net_profit"), **profit})
    explained = dict(profit)
    fx_line = {c: -fx[c] for c in cols}
    lines.append({"key": "fx_loss", "label": _label("cf", "ind_fx_loss"), **fx_line})
    for c in cols:
        explained[c] += fx_line[c]
    for key, prefixes in INDIRECT:
        values = {
            c: -tot.net(_prefixed(prefixes), lo, hi, activity="operating") for c, (lo, hi) in cols.items()
        }
        lines.append({"key": key, "label": _label("cf", f"ind_{key}"), **values})
        for c in cols:
            explained[c] += values[c]
    other = {c: operating[c] - explained[c] for c in cols}
    lines.append({"key": "other", "label": _label("cf", "ind_other"), **other})
    lines.append({"key": "operating_net", "label": _label("cf", "operating_net"), **operating})
    return lines


def _no_negative_zero(section: dict) -> dict:
    for line in [*section["lines"], *section.get("indirect", [])]:
        for c in section["columns"]:
            if isinstance(line.get(c), Decimal):
                line[c] = line[c] + ZERO  # -0 + 0 is 0
    return section


def statements(session: Session, actor: Actor, period: str) -> dict:
    """The three statements of a month (``"2026-10"``), each with its comparison columns
    (``finance.read``)."""
    require(actor, "finance.read")
    year, month = parse_period(period)
    _, end = month_bounds(year, month)
    tot = period_totals(session, end)
    return {
        "period": f"{year:04d}-{month:02d}",
        "balance_sheet": _no_negative_zero(balance_sheet(tot, year, month)),
        "income_statement": _no_negative_zero(income_statement(tot, year, month)),
        "cash_flow": _no_negative_zero(cash_flow(tot, year, month)),
    }


def trial_balance(
    session: Session,
    actor: Actor,
    as_of: dt.date,
    *,
    language: str | None = None,
    start: dt.date | None = None,
) -> dict:
    """试算平衡表: per posting account, debits and credits up to ``as_of`` and the balance (debit − credit).

    With ``start``, only lines from ``start`` count (a period's movements). Needs ``finance.read``.
    """
    require(actor, "finance.read")
    language = language or current_language()
    ensure_chart(session)
    stmt = (
        select(JournalLine.account_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
        .where(JournalLine.entry_date <= as_of)
        .group_by(JournalLine.account_id)
    )
    if start:
        stmt = stmt.where(JournalLine.entry_date >= start)
    sums = {a: (Decimal(d or 0), Decimal(c or 0)) for a, d, c in session.execute(stmt)}
    rows = []
    for account in session.scalars(select(Account).where(Account.id.in_(list(sums))).order_by(Account.code)):
        dr, cr = sums[account.id]
        rows.append(
            {
                "account_code": account.code,
                "account_name": account.name_zh if language == "zh_CN" else account.name_en,
                "debit": dr,
                "credit": cr,
                "balance": dr - cr,
            }
        )
    total_dr = sum((r["debit"] for r in rows), ZERO)
    total_cr = sum((r["credit"] for r in rows), ZERO)
    return {
        "as_of": as_of,
        "rows": rows,
        "total_debit": total_dr,
        "total_credit": total_cr,
        "balanced": total_dr == total_cr,
    }


def ratios(report: dict) -> dict[str, Decimal | None]:
    """Key ratios of a month's statements: margins, current ratio, debt ratio."""
    bs = {x["key"]: x["end_of_period"] for x in report["balance_sheet"]["lines"]}
    inc = {x["key"]: x["this_period"] for x in report["income_statement"]["lines"]}

    def div(a, b):
        return (a / b).quantize(Decimal("0.0001")) if b else None

    return {
        "gross_margin": div(inc["revenue"] - inc["cost_of_sales"], inc["revenue"]),
        "net_margin": div(inc["net_profit"], inc["revenue"]),
        "current_ratio": div(bs["current_assets"], bs["current_liabilities"]),
        "debt_ratio": div(bs["total_liabilities"], bs["total_assets"]),
    }


def month_ends(session: Session) -> list[dt.date]:
    return [p.end_date for p in session.scalars(select(Period).order_by(Period.year, Period.month))]


def group_lines(lines: list[dict], key: str = "section") -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for x in lines:
        out[x.get(key, "")].append(x)
    return dict(out)


def read_statements(session: Session, actor: Actor, period: str) -> dict:
    """:func:`statements` of a month for a user who may read the books (``finance.read``)."""
    return statements(session, actor, period)


def read_trial_balance(session: Session, actor: Actor, as_of: dt.date) -> dict:
    """:func:`trial_balance` up to a day for a user who may read the books (``finance.read``)."""
    return trial_balance(session, actor, as_of)
