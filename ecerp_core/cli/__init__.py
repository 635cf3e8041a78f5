"""The ``ecerp`` command: the group, the commands of every module of this package, the entry point.

Each area's commands live in a module of this package (``base``, ``stock``, ``orders`` ...); this
module imports each one and adds its commands to :func:`cli`. The console script and
``python -m ecerp_core`` run :func:`main`.

Commands hold no SQL and no permission checks: they parse their arguments, call the core's
services and queries (which check the acting user's permission) and print.

Imports inside functions are allowed in this package for one reason only: a command imports the
area use-case modules it runs (``ecerp_core.orders.review``, ``ecerp_core.demo.build`` ...) inside
its body, so that ``ecerp --help`` and each command load only what they use. Everything cheap is
imported at the top: the standard library, click, the house's bottom floor (config, db, auth,
errors, i18n, query) and what every start loads anyway (setup, catalog.company, and
finance.periods through ``wiring``).

Errors people can cause print one line (in the chosen language) and exit non-zero; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import logging
import sys

import click

from ecerp_core.cli import (
    backup,
    base,
    bench,
    crm,
    finance,
    forecast,
    opening,
    order_tools,
    orders,
    purchase,
    records,
    report,
    serve,
    stock,
    vouchers,
)
from ecerp_core.cli.context import Context
from ecerp_core.db import is_database_error, named_database_error
from ecerp_core.errors import EcerpError
from ecerp_core.i18n import set_language
from ecerp_core.wiring import connect

COMMANDS = (
    base.init,
    base.db,
    base.users,
    records.warehouses,
    records.shops,
    records.categories,
    records.products,
    records.suppliers,
    records.customers,
    crm.complaints,
    base.check,
    stock.stock,
    purchase.purchase,
    forecast.forecast,
    orders.orders,
    finance.finance,
    report.report,
    serve.serve,
    bench.bench,
    backup.backup,
    backup.restore,
)
"""Every top-level command, by the module that holds it (``--help`` lists them by name)."""
finance.finance.add_command(vouchers.voucher)  # ecerp finance voucher ...
for _command in order_tools.COMMANDS:  # ecerp orders edit | split | pack | wave | waybill
    orders.orders.add_command(_command)

# the two openings sit in their areas' groups; they share one module because each checks the other
stock.stock.add_command(opening.stock_opening)
finance.finance.add_command(opening.finance_opening)


@click.group(
    commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--user",
    envvar="ECERP_USER",
    help="Act as this user: needs their password (asked for, or --password-stdin) or ECERP_TOKEN. "
    "Default: the token's user; on SQLite without a token, the first admin. "
    "以该用户身份操作（需其密码或 ECERP_TOKEN）。",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the --user's password from the first line of standard input. 从标准输入读取密码。",
)
@click.option(
    "--lang", type=click.Choice(["zh_CN", "en"]), envvar="ECERP_LANGUAGE", help="Language of messages."
)
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="ecerp")
@click.pass_context
def cli(ctx: click.Context, user: str | None, password_stdin: bool, lang: str | None, debug: bool) -> None:
    """ecerp — an e-commerce ERP: orders, stock, purchasing and books for online sellers."""
    if lang:
        set_language(lang)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")
    connect()
    ctx.obj = Context(user, debug, password_stdin=password_stdin)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: run the group, turn named errors into one line."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except EcerpError as exc:
        if debug:
            raise
        if exc.exit_code == 0:  # not a failure: "nothing to do" said as such
            click.echo(exc.message())
            sys.exit(0)
        click.echo(f"error: {exc.message()}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debug:
            raise
        if not is_database_error(exc):
            click.echo(
                f"error: {type(exc).__name__}: {str(exc)[:200]} (run with --debug for details)", err=True
            )
            sys.exit(2)
        # the last line of defence: never the statement, its parameters or the driver's text
        logging.getLogger("ecerp").info("database error", exc_info=True)
        named = named_database_error(exc)
        click.echo(f"error: {named.message()}", err=True)
        sys.exit(named.exit_code)
