"""``ecerp finance``: the journal, trial balance, statements, period close, rates and settlements."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.output import echo_json
from ecerp_core.finance.periods import reopen_period
from ecerp_core.i18n import t


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value}") from None


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
    from ecerp_core.finance.export import write_csv
    from ecerp_core.finance.ledger import JOURNAL_COLUMNS, read_journal

    with ctx.acting(readonly=True) as (session, actor):
        write_csv(read_journal(session, actor, _date(start), _date(end)), JOURNAL_COLUMNS, sys.stdout)


@finance.command("trial-balance")
@click.option("--as-of", "as_of", required=True, help="The day (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def trial_balance(ctx: Context, as_of: str, as_json: bool) -> None:
    """试算平衡表: debits, credits and balance per account up to a day."""
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
        section = report[name]
        click.echo(f"\n{t('finance.statement.' + name)}  {report['period']}")
        first = section["columns"][0]
        for line in section["lines"]:
            click.echo(f"  {line['label']:<40} {line[first]:>18}")


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
@pass_ctx
def close(ctx: Context, period: str) -> None:
    """Close a month: checks, then P&L to 本年利润 (and 利润分配 in December)."""
    from ecerp_core.finance.closing import close_period

    with ctx.acting() as (session, actor):
        result = close_period(session, actor, period)
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

    with ctx.acting() as (session, actor):
        s = import_settlement(session, actor, platform, file, reference=reference)
        unmatched = [x for x in unmatched_lines(session) if x["reference"] == s.reference]
    click.echo(
        t(
            "finance.cli.settled",
            reference=s.reference,
            matched=s.matched_lines,
            unmatched=s.unmatched_lines,
            net=s.net,
        )
    )
    for x in unmatched:
        click.echo(f"  {x['line_no']:>5} {x['platform_order_id']:<24} {x['amount']:>14} {x['reason_text']}")
