"""Finance Close's state and its calls into the finance core. No widgets here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ecerp_core import documents
from ecerp_core.finance import closing, fx, ledger, periods, settlement, statements
from ecerp_core.finance.memos import shown
from ecerp_core.i18n import t
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
ACCOUNT_COLUMNS = (
    Column("code", "finance_close.col.account"),
    Column("name", "finance_close.col.account_name"),
    Column("debit", "finance_close.col.debit", "right"),
    Column("credit", "finance_close.col.credit", "right"),
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
        self.account_code: str | None = None  # the account clicked under the statement line
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

    def statement_columns(self) -> list[Column]:
        """The item, then the statement's own columns (this period, year to date ...)."""
        section = self.report[self.statement] if self.report else {"columns": []}
        money = [Column(c, f"finance.column.{c}", "right") for c in section["columns"]]
        return [Column("item", "finance.column.item"), *money]

    def fetch_statement(self, request: PageRequest) -> Page:
        """The statement's lines as grid rows (key: the line's key), amounts to the cent."""
        language = self.ctx.i18n.language
        section = {"balance_sheet": "bs", "income_statement": "is", "cash_flow": "cf"}[self.statement]
        cent = Decimal("0.01")
        rows = []
        for x in self.lines():
            row = {"id": x["key"], "item": t(f"finance.{section}.{x['key']}", language)}
            for c in self.report[self.statement]["columns"]:
                row[c] = None if x.get(c) is None else Decimal(x[c]).quantize(cent)
            rows.append(row)
        return Page(rows, len(rows), 0, max(len(rows), 1))

    def fetch_accounts(self, request: PageRequest) -> Page:
        """The accounts under the statement line picked, with their debits and credits in the period."""
        codes = self.selected_accounts()
        if not codes or not self.period:
            return Page([], 0, 0, request.limit)
        with self.ctx.session(readonly=True) as session:
            p = periods.get_period(session, self.period)
            rows = ledger.account_totals(session, codes, p.start_date, p.end_date, self.ctx.i18n.language)
        for r in rows:
            r["id"] = r["code"]
        return Page(
            rows[request.offset : request.offset + request.limit], len(rows), request.offset, request.limit
        )

    def fetch_lines(self, request: PageRequest) -> Page:
        """The period's journal lines on the account clicked (else on every account of the statement
        line picked)."""
        codes = [self.account_code] if self.account_code else self.selected_accounts()
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

    def document(self, kind: str, doc_id: int) -> documents.Document | None:
        """A source document with its lines; a finance document (settlement, payment, period) as
        :func:`ledger.source_document` describes it."""
        with self.ctx.session(readonly=True) as session:
            if kind in documents.DETAILED:
                return documents.document_detail(session, self.ctx.actor, kind, doc_id)
            d = ledger.source_document(session, kind, doc_id)
        return documents.Document(
            kind, doc_id, d["number"], d["platform"], "", d["date"], d["status"], d["amount"], d["currency"]
        )

    def entry_id_of(self, line_id: str) -> int:
        """The entry of a journal line on screen (the rows carry it: no need to ask the database)."""
        return self.entry_of_line[str(line_id)]
