"""``ecerp stock opening`` and ``ecerp finance opening``: the openings (期初) of a company going live.

Both commands read a file, hand its checked lines to :mod:`ecerp_core.finance.opening` and print
what it did; they live together because each is refused when it disagrees with the other.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import date_option
from ecerp_core.cli.output import echo_json

_AGREEMENT = (
    "The go-live date is the last day of a month: --date, else the day before the first open period "
    "(before the current month when there is none). Whichever opening comes second must agree with the "
    "first on inventory to the cent. The same file again changes nothing; a different one is refused "
    "(correct an opening with an entry or a stocktake in the first open period). A file with any bad "
    "row is refused whole, every problem listed with its line."
)
_FILE = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_DATE = date_option("The go-live date (YYYY-MM-DD, a month's last day).")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.command(
    "opening",
    help="Record the opening stock (期初库存) from a CSV/XLSX file with the columns sku, warehouse, "
    "quantity, unit_cost (base currency, at most 2 decimals): one row per product and warehouse, as of "
    "the go-live date, before any other stock move. It posts no entry: the inventory accounts' "
    "opening balance (ecerp finance opening) carries its value. " + _AGREEMENT,
)
@_FILE
@_DATE
@_JSON
@pass_ctx
def stock_opening(ctx: Context, file: Path, day: dt.date | None, as_json: bool) -> None:
    from ecerp_core.finance.opening import open_stock
    from ecerp_core.stock.opening import read_opening_stock
    from ecerp_core.tabular import read_table

    table = read_table(file)
    with ctx.acting() as (session, actor):
        result = open_stock(session, actor, read_opening_stock(session, table), day)
    if as_json:
        echo_json(result.as_dict())
        return
    click.echo(result.message())


@click.command(
    "opening",
    help="Post the opening balances (期初余额) from a CSV/XLSX file with the columns account_code, debit, "
    "credit (base currency), and amount_currency for an account kept in a foreign currency (its balance in "
    "that currency), and supplier (its code) on a payable owed to a supplier: the balance of each "
    "balance-sheet account on the go-live date, as one entry "
    "of kind 'opening' dated that day; that day's period is closed once it is in. The debits must equal "
    "the credits: nothing is put on paid-in capital (4001) unless the file says so. " + _AGREEMENT,
)
@_FILE
@_DATE
@_JSON
@pass_ctx
def finance_opening(ctx: Context, file: Path, day: dt.date | None, as_json: bool) -> None:
    from ecerp_core.finance.opening import post_opening_balances, read_opening_balances
    from ecerp_core.tabular import read_table

    table = read_table(file)
    with ctx.acting() as (session, actor):
        result = post_opening_balances(session, actor, read_opening_balances(session, table), day)
    if as_json:
        echo_json(result.as_dict())
        return
    click.echo(result.message())
