"""Finance benchmark: trial balance and the three statements over 1,000,000 journal lines.

Setup writes balanced two-line entries over 24 months with a fast raw insert. Ours is
:func:`statements.trial_balance` plus :func:`statements.statements` for the last month (balance
sheet, income statement, cash flow with three comparison columns and the indirect reconciliation).
The baseline, in the same run on the same lines, is one raw ``SELECT account_id, SUM(debit),
SUM(credit) ... GROUP BY account_id``.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select, text

from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from benchmarks.fresh import dispose, fresh_url
from ecerp_core.auth import resolve_actor
from ecerp_core.db import get_engine, session_scope
from ecerp_core.finance import statements
from ecerp_core.finance.chart import seed_chart
from ecerp_core.finance.models import Account
from ecerp_core.finance.periods import ensure_period
from ecerp_core.setup import initialise

LINES = 1_000_000
MONTHS = 24
TEMPLATES = (  # debit account, credit account, cash-flow item of a cash line
    ("112201", "6001", None), ("6401", "1405", None), ("100201", "112201", "sales_receipts"),
    ("1405", "2202", None), ("2202", "100201", "purchase_payments"), ("660101", "112201", None),
    ("6602", "100201", "other_operating_out"), ("22210101", "2202", None), ("112201", "22210102", None),
)  # fmt: skip


def _fill(url: str, lines: int, seed: int) -> None:
    with session_scope(url) as session:
        initialise(session, company="基准测试", admin_password="bench-pass-1")
        seed_chart(session)
        ids = dict(session.execute(select(Account.code, Account.id)).all())
        start = dt.date(2025, 1, 1)
        periods = []
        for m in range(MONTHS):
            p = ensure_period(session, dt.date(start.year + m // 12, m % 12 + 1, 1))
            periods.append((p.id, p.start_date, p.year, p.month))
    rng = random.Random(seed)
    engine = get_engine(url)
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        entries, rows = [], []
        for n in range(lines // 2):
            pid, first, year, month = periods[n * MONTHS // (lines // 2)]
            day = first + dt.timedelta(days=rng.randrange(28))
            dr, cr, cf = TEMPLATES[n % len(TEMPLATES)]
            amount = f"{rng.randrange(100, 100000) / 100:.2f}"
            eid = n + 1
            entries.append(
                (
                    eid,
                    pid,
                    n + 1,
                    f"B{year}{month:02d}-{eid:07d}",
                    day.isoformat(),
                    "bench",
                    "",
                    "",
                    "2025-01-01 00:00:00",
                )
            )
            for no, (code, d, c) in enumerate(((dr, amount, "0"), (cr, "0", amount)), start=1):
                is_cash = code.startswith("1002")
                rows.append(
                    (
                        eid,
                        no,
                        ids[code],
                        day.isoformat(),
                        pid,
                        d,
                        c,
                        "CNY",
                        d if c == "0" else f"-{c}",
                        "1",
                        "",
                        cf if is_cash else None,
                        "operating",
                    )
                )
        cur.executemany(
            "INSERT INTO fin_journal_entry (id, period_id, number, entry_number, entry_date, kind, memo, "
            f"source_type, posted_at) VALUES ({', '.join([mark] * 9)})",
            entries,
        )
        for i in range(0, len(rows), 100_000):
            cur.executemany(
                "INSERT INTO fin_journal_line (entry_id, line_no, account_id, entry_date, period_id, "
                "debit, credit, currency, amount_currency, rate, memo, cash_flow, activity) "
                f"VALUES ({', '.join([mark] * 13)})",
                rows[i : i + 100_000],
            )
        raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


@benchmark("finance-statements")
def finance_statements(cfg: BenchConfig) -> BenchResult:
    lines = max(2_000, int(LINES * cfg.scale)) // 2 * 2
    backend = "postgresql" if cfg.database_url else "sqlite"
    result = BenchResult(
        "trial balance + 3 statements",
        lines,
        "journal lines",
        backend=backend,
        baseline_name="raw SQL GROUP BY account",
    )
    url = fresh_url(cfg.workdir, cfg.database_url, "finance")
    try:
        _fill(url, lines, cfg.seed)
        last = dt.date(2026, 12, 31)

        def ours() -> None:
            with session_scope(url, readonly=True) as session:
                reader = resolve_actor(session, "admin")
                statements.trial_balance(session, reader, last)
                statements.statements(session, reader, "2026-12")

        def baseline() -> None:
            with get_engine(url).connect() as conn:
                conn.execute(
                    text(
                        "SELECT account_id, SUM(debit), SUM(credit) FROM fin_journal_line GROUP BY account_id"
                    )
                ).all()

        ours()  # warm the page cache for both sides alike
        baseline()
        for _ in range(cfg.repeat):
            result.ours.append(timed(ours))
            result.baseline.append(timed(baseline))
        result.note = "ours: trial balance + balance sheet, income statement, cash flow (3 columns each)"
    finally:
        dispose(url)
    return result
