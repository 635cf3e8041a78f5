"""Finance Close's state and its calls into the finance core. No widgets here."""

from __future__ import annotations

from dataclasses import dataclass

from ecerp_core.finance import closing, fx, ledger, periods, settlement, statements
from ecerp_core.finance.memos import shown
from ecerp_core.query import Page, paginate
from widgets.common.actor import AppContext
from widgets.common.grid import Column, PageRequest

STATEMENTS = ("balance_sheet", "income_statement", "cash_flow")
LINE_COLUMNS = (
    Column("entry_number", "finance_close.col.entry"),
    Column("date", "finance_close.col.date"),
    Column("account_code", "finance_close.col.account"),
    Column("account_name", "finance_close.col.account_name"),
    Column("debit", "finance_close.col.debit", "right"),
    Column("credit", "finance_close.col.credit", "right"),
    Column("memo", "finance_close.col.memo"),
)
UNMATCHED_COLUMNS = (
    Column("reference", "finance_close.col.reference"),
    Column("platform_order_id", "finance_close.col.order"),
    Column("line_type", "finance_close.col.type"),
    Column("amount", "finance_close.col.amount", "right"),
    Column("reason_text", "finance_close.col.reason"),
)


@dataclass(frozen=True)
class Checklist:
    """What is left before a period can close."""

    period: str
    status: str
    unposted: int
    unmatched: int
    revaluation_due: bool
    unbalanced: int

    @property
    def ready(self) -> bool:
        return self.status == "open" and not (
            self.unposted or self.unmatched or self.revaluation_due or self.unbalanced
        )


class FinanceCloseModel:
    """The period on screen, its checklist, the statement on screen and the drill-down selection."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.period: str | None = None
        self.statement = "income_statement"
        self.report: dict | None = None
        self.line_key: str | None = None
        self.entry_of_line: dict[str, int] = {}  # journal line -> its entry, for the lines on screen

    # --- periods and the checklist --------------------------------------------------------------
    def period_options(self) -> list[tuple[str, str]]:
        with self.ctx.session() as session:
            found = periods.list_periods(session)
            return [(p.code, p.status) for p in found]

    def default_period(self) -> str | None:
        options = self.period_options()
        open_ = [code for code, status in options if status == "open"]
        return open_[0] if open_ else (options[-1][0] if options else None)

    def checklist(self) -> Checklist | None:
        if not self.period:
            return None
        with self.ctx.session(readonly=True) as session:
            p = periods.get_period(session, self.period)
            return Checklist(
                p.code,
                p.status,
                len(closing.unposted_shipments(session, p.start_date, p.end_date)),
                closing.unmatched_settlement_lines(session, p.end_date),
                closing.revaluation_due(session, p),
                len(closing.unbalanced_entries(session, p.start_date, p.end_date)),
            )

    def revalue(self) -> tuple[str, str] | None:
        with self.ctx.session() as session:
            return fx.revalue_period(session, self.ctx.actor, self.period)

    def close(self) -> closing.CloseResult:
        with self.ctx.session() as session:
            return closing.close_period(session, self.ctx.actor, self.period)

    def reopen(self, reason: str = "") -> None:
        with self.ctx.session() as session:
            periods.reopen_period(session, self.ctx.actor, self.period, reason=reason)

    def fetch_unmatched(self, request: PageRequest) -> Page:
        with self.ctx.session(readonly=True) as session:
            rows = settlement.unmatched_lines(session)
        return Page(
            rows[request.offset : request.offset + request.limit], len(rows), request.offset, request.limit
        )

    def write_off_unmatched(self) -> int:
        with self.ctx.session() as session:
            ids = [x["id"] for x in settlement.unmatched_lines(session)]
            return settlement.write_off_unmatched(session, self.ctx.actor, ids)

    # --- statements and drill-down --------------------------------------------------------------
    def load_statements(self) -> dict | None:
        if not self.period:
            self.report = None
            return None
        with self.ctx.session(readonly=True) as session:
            self.report = statements.statements(session, self.ctx.actor, self.period)
        return self.report

    def lines(self) -> list[dict]:
        return self.report[self.statement]["lines"] if self.report else []

    def drillable(self) -> list[dict]:
        return [x for x in self.lines() if x.get("accounts")]

    def selected_accounts(self) -> list[str]:
        line = next((x for x in self.lines() if x["key"] == self.line_key), None)
        return list(line["accounts"]) if line else []

    def fetch_lines(self, request: PageRequest) -> Page:
        """The period's journal lines on the accounts of the selected statement line."""
        codes = self.selected_accounts()
        with self.ctx.session(readonly=True) as session:
            if not codes or not self.period:
                return Page([], 0, 0, request.limit)
            p = periods.get_period(session, self.period)
            stmt = ledger.account_lines_stmt(codes, p.start_date, p.end_date, self.ctx.i18n.language)
            page = paginate(session, stmt, offset=request.offset, limit=request.limit)
        self.entry_of_line = {str(r["id"]): r["entry_id"] for r in page.rows}
        language = self.ctx.i18n.language
        rows = [{**r, "memo": shown(r["memo"], language)} for r in page.rows]
        return Page(rows, page.total, page.offset, page.limit, page.columns)

    def entry(self, entry_id: int) -> dict:
        """An entry with its lines and up to 20 of its source documents described."""
        with self.ctx.session(readonly=True) as session:
            found = ledger.entry_with_sources(session, entry_id)
            language = self.ctx.i18n.language
            found["memo"] = shown(found["memo"], language)
            found["lines"] = [{**x, "memo": shown(x["memo"], language)} for x in found["lines"]]
            found["described"] = [
                ledger.source_document(session, d["source_type"], d["source_id"])
                for d in found["documents"][:20]
            ]
            return found

    def entry_id_of(self, line_id: str) -> int:
        """The entry of a journal line on screen (the rows carry it: no need to ask the database)."""
        return self.entry_of_line[str(line_id)]
