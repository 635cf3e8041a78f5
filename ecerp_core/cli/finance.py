"""``ecerp finance``: the journal, trial balance, statements, period close, rates, settlements, and cash:
payments, receipts, transfers and aging."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import DATE, date_option
from ecerp_core.cli.output import echo_json, print_table, width
from ecerp_core.finance.periods import reopen_period
from ecerp_core.i18n import t
from ecerp_core.money import parse_money


def _date(value: str | None) -> dt.date | None:
    return None if value is None else DATE.convert(value, None, None)


REPORT_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "xlsx"]), default="table", show_default=True
)
OUT_OPTION = click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (needed for xlsx)."
)


@click.group()
def finance() -> None:
    """Books: journal, trial balance, statements, period close, exchange rates, settlements."""


@finance.command()
@click.option("--from", "start", help="First day (YYYY-MM-DD).")
@click.option("--to", "end", help="Last day (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@pass_ctx
def journal(ctx: Context, start: str | None, end: str | None, fmt: str) -> None:
    """The journal, one row per line (entry_number, date, account_code ... source)."""
    from ecerp_core.finance.ledger import JOURNAL_COLUMNS, read_journal
    from ecerp_core.sheets import write_csv

    with ctx.acting(readonly=True) as (session, actor):
        write_csv(read_journal(session, actor, _date(start), _date(end)), JOURNAL_COLUMNS, sys.stdout)


@finance.command("trial-balance")
@click.option("--as-of", "as_of", help="Cumulative debits, credits and balance up to this day (YYYY-MM-DD).")
@click.option(
    "--period", help="科目余额表 of this month (YYYY-MM, default this month): opening, period, closing."
)
@click.option("--to", "to_period", help="Last month of the range that starts at --period (YYYY-MM).")
@REPORT_FORMAT
@OUT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def trial_balance(
    ctx: Context,
    as_of: str | None,
    period: str | None,
    to_period: str | None,
    fmt: str,
    out: Path | None,
    as_json: bool,
) -> None:
    """试算平衡表: per account the opening balance, the period's debits and credits and the closing
    balance (--period); or, with --as-of, the debits, credits and balance up to a day."""
    if as_of:
        _cumulative_trial_balance(ctx, as_of, as_json)
        return
    from ecerp_core.finance.balances import TRIAL_COLUMNS, printed_rows, read_trial_balance_columns

    with ctx.acting(readonly=True) as (session, actor):
        period = period or _business_day(session, None).strftime("%Y-%m")
        data = read_trial_balance_columns(session, actor, period, to_period)
    if as_json:
        echo_json(data)
        return
    _write_report(
        printed_rows("trial_balance", data),
        TRIAL_COLUMNS,
        fmt,
        out,
        title=t("finance.ledger.trial_balance"),
        subtitle=f"{data['start']} – {data['end']}",
        column_titles=_ledger_titles(TRIAL_COLUMNS),
    )


def _cumulative_trial_balance(ctx: Context, as_of: str, as_json: bool) -> None:
    from ecerp_core.finance.statements import read_trial_balance

    with ctx.acting(readonly=True) as (session, actor):
        data = read_trial_balance(session, actor, _date(as_of))
    if as_json:
        echo_json({"as_of": data["as_of"], "rows": data["rows"]})
        return
    for r in data["rows"]:
        click.echo(
            f"{r['account_code']:<10} {r['account_name']:<30} "
            f"{r['debit']:>16} {r['credit']:>16} {r['balance']:>16}"
        )
    click.echo(f"{'':<41} {data['total_debit']:>16} {data['total_credit']:>16}")


@finance.command()
@click.option("--period", required=True, help="The month (YYYY-MM).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="Also write a formatted Excel file."
)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write CSV.")
@pass_ctx
def statements(ctx: Context, period: str, as_json: bool, xlsx: Path | None, csv_path: Path | None) -> None:
    """The balance sheet, income statement and cash-flow statement of a month."""
    from ecerp_core.finance.statements import read_statements

    with ctx.acting(readonly=True) as (session, actor):
        report = read_statements(session, actor, period)
    if xlsx:
        from ecerp_core.finance.export import write_statements_xlsx

        write_statements_xlsx(report, xlsx, *_titles())
    if csv_path:
        from ecerp_core.finance.export import statements_csv

        csv_path.write_text(statements_csv(report), encoding="utf-8-sig")
    if as_json:
        echo_json(report)
        return
    for name in ("balance_sheet", "income_statement", "cash_flow"):
        click.echo(f"\n{t('finance.statement.' + name)}  {report['period']}")
        for row in statement_text(report[name]):
            click.echo(row)


def statement_text(section: dict) -> list[str]:
    """A statement as aligned lines: the item padded to its widest (Chinese takes two columns), then each
    column right-aligned, every amount with two decimals."""
    columns = section["columns"]
    heads = [t("finance.column.item"), *(t(f"finance.column.{c}") for c in columns)]
    rows = [
        [line["label"], *("" if line.get(c) is None else f"{Decimal(line[c]):,.2f}" for c in columns)]
        for line in section["lines"]
    ]
    widths = [max(width(r[i]) for r in [heads, *rows]) for i in range(len(heads))]
    out = []
    for r in [heads, *rows]:
        item = r[0] + " " * (widths[0] - width(r[0]))
        amounts = [" " * (w - width(cell)) + cell for cell, w in zip(r[1:], widths[1:], strict=True)]
        out.append("  " + "  ".join([item, *amounts]).rstrip())
    return out


def _titles() -> tuple[dict, dict]:
    names = ("balance_sheet", "income_statement", "cash_flow")
    cols = (
        "item",
        "end_of_period",
        "start_of_year",
        "last_year",
        "this_period",
        "year_to_date",
        "last_year_to_date",
    )
    return {n: t(f"finance.statement.{n}") for n in names}, {c: t(f"finance.column.{c}") for c in cols}


@finance.command()
@click.option("--period", required=True, help="The month (YYYY-MM).")
@click.option(
    "--force",
    "early_reason",
    default="",
    metavar="REASON",
    help="Close a month that has not ended yet, for this reason (kept in the audit log). "
    "月份未结束时强制结账，须写明原因（记入审计日志）。",
)
@pass_ctx
def close(ctx: Context, period: str, early_reason: str) -> None:
    """Close a month: checks, then P&L to 本年利润 (and 利润分配 in December). A month that has not
    ended is refused unless --force gives the reason."""
    from ecerp_core.finance.closing import close_period

    with ctx.acting() as (session, actor):
        result = close_period(session, actor, period, early_reason=early_reason)
    click.echo(t("finance.cli.closed", period=result.period, entry=result.closing_entry or "-"))


@finance.command()
@click.option("--period", required=True, help="The month (YYYY-MM).")
@click.option("--reason", default="", help="Why it is reopened (kept in the audit log).")
@pass_ctx
def reopen(ctx: Context, period: str, reason: str) -> None:
    """Reopen a closed month (admins only)."""
    with ctx.acting() as (session, actor):
        reopen_period(session, actor, period, reason=reason)
    click.echo(t("finance.cli.reopened", period=period))


@finance.command()
@click.option("--period", required=True, help="The month (YYYY-MM).")
@pass_ctx
def revalue(ctx: Context, period: str) -> None:
    """Period-end FX revaluation, reversed on the first day of the next month."""
    from ecerp_core.finance.fx import revalue_period

    with ctx.acting() as (session, actor):
        numbers = revalue_period(session, actor, period)
    click.echo(t("finance.cli.revalued", period=period, entries=" / ".join(numbers) if numbers else "-"))


@finance.group()
def rates() -> None:
    """Exchange rates."""


@rates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def rates_import(ctx: Context, file: Path) -> None:
    """Import a rate CSV (currency, rate_date, rate)."""
    from ecerp_core.finance.fx import import_rates

    with ctx.acting() as (session, actor):
        count = import_rates(session, actor, file)
    click.echo(t("finance.cli.rates_imported", count=count))


@finance.command()
@click.option("--platform", required=True, help="alipay (taobao/tmall), jd, pdd or shopify.")
@click.option("--reference", default=None, help="The settlement's reference (default: the file name).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def settle(ctx: Context, platform: str, reference: str | None, file: Path) -> None:
    """Import a platform settlement or payout file and post it."""
    from ecerp_core.finance.settlement import import_settlement, unmatched_lines

    def work(session, actor):
        s = import_settlement(session, actor, platform, file, reference=reference)
        return s, [x for x in unmatched_lines(session) if x["reference"] == s.reference]

    s, unmatched = ctx.run(work)
    click.echo(
        t(
            "finance.cli.settled",
            reference=s.reference,
            matched=s.matched_lines,
            unmatched=s.unmatched_lines,
            net=s.net,
        )
    )
    if s.known_lines:
        click.echo(t("finance.cli.settlement_known", lines=s.known_lines))
    for x in unmatched:
        click.echo(f"  {x['line_no']:>5} {x['platform_order_id']:<24} {x['amount']:>14} {x['reason_text']}")


# --- cash: payments, receipts, transfers, aging ---------------------------------------------------
def _amount(value: str) -> Decimal:
    try:
        return parse_money(value)
    except ValueError:
        raise click.BadParameter(f"not an amount: {value}") from None


def _business_day(session, value: dt.date | str | None) -> dt.date:
    """``--date``: the business date of the document (default: today in the company's time zone)."""
    from ecerp_core.catalog.company import business_date

    return _date(value) or business_date(session)


DATE_OPTION = date_option()
REFERENCE_OPTION = click.option("--reference", default="", help="The bank slip's or transfer's reference.")


def _echo_movement(key: str, doc, voucher: str, as_json: bool, **extra) -> None:
    if as_json:
        echo_json({"id": doc.id, "voucher": voucher, "amount": doc.amount, "currency": doc.currency, **extra})
    else:
        click.echo(t(key, amount=doc.amount, currency=doc.currency, entry=voucher))


@finance.command("pay-supplier")
@click.argument("supplier")
@click.argument("amount")
@click.option("--bank", help="Bank account code (default: the bank account of the supplier's currency).")
@DATE_OPTION
@REFERENCE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def pay_supplier(
    ctx: Context, supplier: str, amount: str, bank: str | None, day: str | None, reference: str, as_json: bool
) -> None:
    """Pay SUPPLIER (its code) AMOUNT in its currency: Dr 应付账款 / Cr 银行存款."""
    from ecerp_core.catalog.services import record_id
    from ecerp_core.finance import payments

    with ctx.acting() as (session, actor):
        payment = payments.pay_supplier(
            session,
            actor,
            record_id(session, actor, "supplier", supplier),
            _amount(amount),
            _business_day(session, day),
            bank=bank,
            reference=reference,
        )
        voucher = payments.voucher_number(session, payment.entry_id)
        _echo_movement("finance.cli.paid", payment, voucher, as_json, bank=payment.bank_code)


@finance.command()
@click.argument("amount")
@click.option("--platform", "shop", help="The shop (its code) whose platform pays out.")
@click.option("--customer", help="The customer (its code) who pays.")
@click.option("--bank", help="Bank account code (default: the bank account of the receivable's currency).")
@DATE_OPTION
@REFERENCE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def receive(
    ctx: Context,
    amount: str,
    shop: str | None,
    customer: str | None,
    bank: str | None,
    day: str | None,
    reference: str,
    as_json: bool,
) -> None:
    """Receive AMOUNT from a platform shop (--platform SHOP) or a customer: Dr 银行存款 / Cr 应收账款."""
    from ecerp_core.catalog.services import record_id
    from ecerp_core.finance import payments

    with ctx.acting() as (session, actor):
        movement = payments.receive_payment(
            session,
            actor,
            _amount(amount),
            _business_day(session, day),
            shop_id=record_id(session, actor, "shop", shop) if shop else None,
            customer_id=record_id(session, actor, "customer", customer) if customer else None,
            bank=bank,
            reference=reference,
        )
        voucher = payments.voucher_number(session, movement.entry_id)
        _echo_movement("finance.cli.received", movement, voucher, as_json, bank=movement.bank_code)


@finance.command()
@click.argument("source")
@click.argument("target")
@click.argument("amount")
@DATE_OPTION
@REFERENCE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def transfer(
    ctx: Context, source: str, target: str, amount: str, day: str | None, reference: str, as_json: bool
) -> None:
    """Move AMOUNT (in SOURCE's currency) from bank account SOURCE to TARGET (codes: 100201 ...)."""
    from ecerp_core.finance import payments

    with ctx.acting() as (session, actor):
        movement = payments.transfer_funds(
            session, actor, source, target, _amount(amount), _business_day(session, day), reference=reference
        )
        voucher = payments.voucher_number(session, movement.entry_id)
        _echo_movement("finance.cli.transferred", movement, voucher, as_json, source=source, target=target)


def _write_report(rows: list[dict], columns: tuple[str, ...], fmt: str, out: Path | None, **titles) -> None:
    """Rows as an aligned table, CSV (stdout or ``out``) or a formatted Excel file (``out``)."""
    from ecerp_core.sheets import csv_text, write_table_xlsx

    if fmt == "xlsx":
        if out is None:
            raise click.UsageError("--format xlsx needs --out FILE")
        write_table_xlsx(rows, columns, out, **titles)
        click.echo(t("finance.cli.written", path=out, count=len(rows)))
    elif fmt == "csv":
        text = csv_text(rows, columns)
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8-sig")
            click.echo(t("finance.cli.written", path=out, count=len(rows)))
    else:
        print_table(rows, columns, "table")


@finance.command("aging")
@click.argument("side", type=click.Choice(["payables", "receivables"]))
@click.option("--as-of", "as_of", help="The day (YYYY-MM-DD, default today).")
@REPORT_FORMAT
@OUT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def aging_report(
    ctx: Context, side: str, as_of: str | None, fmt: str, out: Path | None, as_json: bool
) -> None:
    """账龄分析: open payables by supplier or receivables by platform, 0-30/31-60/61-90/90+ days (FIFO)."""
    from ecerp_core.finance.aging import COLUMNS, printed_rows, read_aging

    with ctx.acting(readonly=True) as (session, actor):
        report = read_aging(session, actor, side, _business_day(session, as_of))
    if as_json:
        echo_json(report)
        return
    _write_report(
        printed_rows(report),
        COLUMNS,
        fmt,
        out,
        title=t(f"finance.aging.{side}"),
        subtitle=report["as_of"].isoformat(),
        column_titles={c: t(f"finance.aging.col.{c}") for c in COLUMNS},
    )


def _ledger_titles(columns: tuple[str, ...]) -> dict[str, str]:
    return {c: t(f"finance.ledger.col.{c}") for c in columns}


@finance.group()
def ledger() -> None:
    """Ledgers: general ledger (总账) and subsidiary ledger (明细账)."""


@ledger.command("general")
@click.option("--period", required=True, help="The month (YYYY-MM), or the first of a range with --to.")
@click.option("--to", "to_period", help="The last month of the range (YYYY-MM).")
@click.option(
    "--account", help="One account (a heading adds up its sub-accounts); default every first-level one."
)
@REPORT_FORMAT
@OUT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def ledger_general(
    ctx: Context,
    period: str,
    to_period: str | None,
    account: str | None,
    fmt: str,
    out: Path | None,
    as_json: bool,
) -> None:
    """总账: per account and month, opening balance, debits, credits, year to date and closing balance."""
    from ecerp_core.finance.balances import GENERAL_COLUMNS, printed_rows, read_general_ledger

    with ctx.acting(readonly=True) as (session, actor):
        data = read_general_ledger(session, actor, period, to_period, account=account)
    if as_json:
        echo_json(data)
        return
    _write_report(
        printed_rows("general", data),
        GENERAL_COLUMNS,
        fmt,
        out,
        title=t("finance.ledger.general"),
        subtitle=f"{data['start']} – {data['end']}",
        column_titles=_ledger_titles(GENERAL_COLUMNS),
    )


@ledger.command("detail")
@click.option("--account", required=True, help="The account code (a heading includes its sub-accounts).")
@click.option("--from", "start", required=True, help="The first month (YYYY-MM).")
@click.option("--to", "end", help="The last month (YYYY-MM, default --from).")
@REPORT_FORMAT
@OUT_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def ledger_detail(
    ctx: Context, account: str, start: str, end: str | None, fmt: str, out: Path | None, as_json: bool
) -> None:
    """明细账: opening balance, every line (voucher, memo, counterparty) with its running balance, closing."""
    from ecerp_core.finance.balances import DETAIL_COLUMNS, printed_rows, read_subsidiary_ledger

    with ctx.acting(readonly=True) as (session, actor):
        data = read_subsidiary_ledger(session, actor, account, start, end)
    if as_json:
        echo_json(data)
        return
    _write_report(
        printed_rows("detail", data),
        DETAIL_COLUMNS,
        fmt,
        out,
        title=f"{t('finance.ledger.detail')} {data['account_code']} {data['account_name']}",
        subtitle=f"{data['start']} – {data['end']}",
        column_titles=_ledger_titles(DETAIL_COLUMNS),
    )


@finance.group()
def vat() -> None:
    """VAT month-end: move the month's VAT owed to 未交增值税, accrue the surcharges, pay them."""


@vat.command("close")
@click.argument("period")
@date_option("Voucher date (YYYY-MM-DD, default the period's last day).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def vat_close(ctx: Context, period: str, day: str | None, as_json: bool) -> None:
    """Close PERIOD's VAT (YYYY-MM): output − input VAT to 222102, 城建税 / 教育费附加 to 6403.

    A credit (more input than output) is carried forward; running it again posts only what changed."""
    from ecerp_core.finance.vat import close_vat

    with ctx.acting() as (session, actor):
        result = close_vat(session, actor, period, _date(day))
    if as_json:
        echo_json(asdict(result))
        return
    click.echo(
        t(
            "finance.vat.closed",
            period=result.period,
            output=result.output_vat,
            input=result.input_vat,
            brought_in=result.credit_brought_in,
            transferred=result.transferred,
            carried=result.credit_carried,
            surcharges=sum(result.surcharges.values()),
            voucher=result.voucher or "-",
        )
    )


@vat.command("pay")
@click.argument("period")
@click.option("--bank", help="Bank account code (default: the base currency's bank account).")
@DATE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def vat_pay(ctx: Context, period: str, bank: str | None, day: str | None, as_json: bool) -> None:
    """Pay the VAT and surcharges PERIOD's close accrued (Dr 222102, 222108-222110 / Cr 银行存款)."""
    from ecerp_core.finance.vat import pay_vat

    with ctx.acting() as (session, actor):
        voucher, amount = pay_vat(session, actor, period, _business_day(session, day), bank=bank)
    if as_json:
        echo_json({"period": period, "voucher": voucher, "amount": amount})
    else:
        click.echo(t("finance.vat.paid", period=period, amount=amount, voucher=voucher))


@finance.command("export-vouchers")
@click.option("--period", required=True, help="The month (YYYY-MM).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["u8", "kingdee"]),
    required=True,
    help="u8: 用友 U8/T+ 凭证引入 text (GBK); kingdee: 金蝶 KIS/K3 标准凭证引入 workbook (t_Voucher).",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The file to write."
)
@pass_ctx
def export_vouchers(ctx: Context, period: str, fmt: str, out: Path) -> None:
    """Export a month's vouchers for 用友 or 金蝶 (layouts: docs/voucher_export.md)."""
    from ecerp_core.finance.voucher_export import export_vouchers as export

    with ctx.acting(readonly=True) as (session, actor):
        count = export(session, actor, period, fmt, out)
    click.echo(t("finance.cli.written", path=out, count=count))
