"""``ecerp finance voucher``: manual vouchers (记账凭证): add, import, list, show, reverse, accounts.

Every command calls :mod:`ecerp_core.finance.vouchers`, which checks the user's permission, the
balance and the period lock, and writes the audit rows.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import date_option
from ecerp_core.cli.output import FORMAT, echo_json, print_table
from ecerp_core.i18n import t

DATE = date_option(
    "Business date of the voucher (YYYY-MM-DD; default today). Its period must be open.", "on_date"
)
PERIOD = click.option(
    "--period", help="The month (YYYY-MM) of a voucher number such as 记-0001 (default: this month)."
)
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
LIST_COLUMNS = ("entry_number", "voucher_no", "date", "total", "memo", "reversed_by")


@click.group()
def voucher() -> None:
    """Manual vouchers (记账凭证): balanced or refused, numbered 记-0001 per period, reversed by a new one."""


@voucher.command()
@DATE
@click.option("--memo", default="", help="The voucher's memo (摘要).")
@click.option(
    "--line",
    "lines",
    multiple=True,
    required=True,
    metavar="ACCOUNT:DEBIT:CREDIT[:MEMO]",
    help="A line (repeat, at least two): account code, debit, credit (blank = 0), optional line memo. "
    "Example: --line 6602:300.00: --line 100201::300.00",
)
@click.option(
    "--attachment", "attachments", multiple=True, help="The name of a document it refers to (repeat)."
)
@AS_JSON
@pass_ctx
def add(
    ctx: Context,
    on_date: dt.date | None,
    memo: str,
    lines: tuple[str, ...],
    attachments: tuple[str, ...],
    as_json: bool,
) -> None:
    """Post a manual voucher; it must balance and its day fall in an open period."""
    from ecerp_core.finance.vouchers import VoucherDraft, parse_line, post_voucher

    drafts = tuple(parse_line(x) for x in lines)
    with ctx.acting() as (session, actor):
        posted = post_voucher(session, actor, VoucherDraft(on_date, drafts, memo, attachments))
    if as_json:
        echo_json(
            {"entry_number": posted.entry_number, "voucher_no": posted.voucher_no, "date": posted.entry_date}
        )
        return
    click.echo(
        t(
            "finance.cli.voucher_posted",
            voucher=posted.voucher_no,
            entry=posted.entry_number,
            date=posted.entry_date,
        )
    )


@voucher.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DATE
@AS_JSON
@pass_ctx
def import_(ctx: Context, file: Path, on_date: dt.date | None, as_json: bool) -> None:
    """Import vouchers from CSV/XLSX: columns 凭证号 (voucher), 日期 (date), 科目 (account), 借方 (debit),
    贷方 (credit), 摘要 (memo), 附件 (attachments, ';'-separated). The rows of one voucher number are its
    lines; each voucher posts or is refused with its reason on its own (exit code 1 when any is
    refused); a voucher imported before is not posted again. --date: for rows without a date."""
    from ecerp_core.finance.vouchers import import_vouchers

    with ctx.acting() as (session, actor):
        report = import_vouchers(session, actor, file, on_date=on_date)
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(
            t(
                "finance.cli.vouchers_imported",
                posted=len(report.posted),
                unchanged=report.unchanged,
                refused=len(report.refused),
            )
        )
        for v in report.posted:
            click.echo(f"  {v.voucher_no}  {v.entry_number}  {v.entry_date}")
        for r in report.refused:
            click.echo(
                "  " + t("finance.cli.voucher_refused", reference=r.reference, line=r.line, reason=r.reason)
            )
    if report.refused:
        sys.exit(1)


@voucher.command("list")
@click.option("--period", help="Only this month (YYYY-MM).")
@FORMAT
@pass_ctx
def list_(ctx: Context, period: str | None, fmt: str) -> None:
    """The manual vouchers, by period and number."""
    from ecerp_core.finance.vouchers import list_vouchers

    with ctx.acting(readonly=True) as (session, actor):
        rows = list_vouchers(session, actor, period)
    print_table(rows, LIST_COLUMNS, fmt)


@voucher.command()
@click.argument("number")
@PERIOD
@AS_JSON
@pass_ctx
def show(ctx: Context, number: str, period: str | None, as_json: bool) -> None:
    """A voucher by entry number (202610-00003) or voucher number (记-0001, with --period)."""
    from ecerp_core.finance.vouchers import voucher_detail

    with ctx.acting(readonly=True) as (session, actor):
        v = voucher_detail(session, actor, number, period=period)
    if as_json:
        echo_json(v)
        return
    click.echo(f"{v['voucher_no']}  {v['entry_number']}  {v['date']}  {v['memo']}")
    for x in v["lines"]:
        account = f"{x['account_code']:<10} {x['account_name']:<24}"
        click.echo(f"  {account} {x['debit']:>14} {x['credit']:>14}  {x['memo']}")
    click.echo(f"  {'':<35} {v['total_debit']:>14} {v['total_credit']:>14}")
    if v["attachments"]:
        click.echo(t("finance.cli.voucher_attachments", names=", ".join(v["attachments"])))
    if v["reverses"]:
        click.echo(t("finance.cli.voucher_reverses", entry=v["reverses"]))
    if v["reversed_by"]:
        click.echo(t("finance.cli.voucher_reversed_by", entry=v["reversed_by"]))


@voucher.command()
@click.argument("number")
@DATE
@PERIOD
@AS_JSON
@pass_ctx
def reverse(ctx: Context, number: str, on_date: dt.date | None, period: str | None, as_json: bool) -> None:
    """Reverse a voucher by a new voucher (red-letter, 红字冲销) dated --date (default today)."""
    from ecerp_core.finance.vouchers import reverse_voucher

    with ctx.acting() as (session, actor):
        posted = reverse_voucher(session, actor, number, on_date, period=period)
    if as_json:
        echo_json(
            {"entry_number": posted.entry_number, "voucher_no": posted.voucher_no, "date": posted.entry_date}
        )
        return
    click.echo(
        t("finance.cli.voucher_reversed", voucher=posted.voucher_no, entry=posted.entry_number, number=number)
    )


@voucher.command()
@click.argument("text", required=False, default="")
@FORMAT
@pass_ctx
def accounts(ctx: Context, text: str, fmt: str) -> None:
    """Posting accounts whose code starts with TEXT or whose name holds it (科目查询)."""
    from ecerp_core.finance.vouchers import search_accounts

    with ctx.acting(readonly=True) as (session, actor):
        rows = search_accounts(session, actor, text, limit=200)
    print_table(rows, ("code", "name"), fmt)
