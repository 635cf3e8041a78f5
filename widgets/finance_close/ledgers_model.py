"""The Ledgers screen's state and its calls into the finance core: which report, which months and
account, the report on screen and its downloads. No widgets here."""

from __future__ import annotations

import io

from ecerp_core.finance import balances, chart, periods
from ecerp_core.i18n import t
from ecerp_core.sheets import csv_text, write_table_xlsx
from widgets.common.actor import AppContext

REPORTS = ("trial_balance", "general", "detail")
COLUMNS = {
    "trial_balance": balances.TRIAL_COLUMNS,
    "general": balances.GENERAL_COLUMNS,
    "detail": balances.DETAIL_COLUMNS,
}


class LedgersModel:
    """The ledger on screen: ``report`` (one of :data:`REPORTS`), months ``start``..``end``, and
    ``account`` (the general ledger's filter, the subsidiary ledger's account)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.report = "trial_balance"
        self.start: str | None = None
        self.end: str | None = None
        self.account: str | None = None
        self.data: dict | None = None

    def period_codes(self) -> list[str]:
        with self.ctx.session(readonly=True) as session:
            return [p.code for p in periods.list_periods(session)]

    def account_options(self, language: str) -> list[tuple[str, str]]:
        """``[("1122 应收账款", "1122")]``: every account, headings included."""
        with self.ctx.session(readonly=True) as session:
            found = chart.accounts_by_code(session).values()
            return [(f"{a.code} {chart.account_name(a, language)}", a.code) for a in found]

    def load(self, language: str) -> dict | None:
        """Read the chosen report (the user needs ``finance.read``); None until months are chosen."""
        if not self.start:
            self.data = None
            return None
        with self.ctx.session(readonly=True) as session:
            actor = self.ctx.actor
            if self.report == "trial_balance":
                self.data = balances.read_trial_balance_columns(
                    session, actor, self.start, self.end, language=language
                )
            elif self.report == "general":
                self.data = balances.read_general_ledger(
                    session, actor, self.start, self.end, account=self.account, language=language
                )
            elif self.account:
                self.data = balances.read_subsidiary_ledger(
                    session, actor, self.account, self.start, self.end, language=language
                )
            else:
                self.data = None
        return self.data

    def rows(self, language: str) -> list[dict]:
        """The rows on screen, in words: balance sides (借/贷), the totals or opening and closing rows."""
        return balances.printed_rows(self.report, self.data, language) if self.data else []

    def columns(self) -> tuple[str, ...]:
        return COLUMNS[self.report]

    def title(self, language: str) -> str:
        if self.report == "detail" and self.data:
            account = f"{self.data['account_code']} {self.data['account_name']}"
            return f"{t('finance.ledger.detail', language)} {account}"
        return t(f"finance.ledger.{self.report}", language)

    def csv(self, language: str) -> str:
        return csv_text(self.rows(language), self.columns())

    def xlsx(self, language: str) -> bytes:
        buf = io.BytesIO()
        write_table_xlsx(
            self.rows(language),
            self.columns(),
            buf,
            title=self.title(language),
            subtitle=f"{self.data['start']} – {self.data['end']}" if self.data else "",
            column_titles={c: t(f"finance.ledger.col.{c}", language) for c in self.columns()},
        )
        return buf.getvalue()
