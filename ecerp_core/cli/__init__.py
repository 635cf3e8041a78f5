"""The ``ecerp`` command. Each area adds its commands in a module of this package.

Errors people can cause print one line (in the chosen language) and exit non-zero; ``--debug``
shows the traceback instead.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import click

from ecerp_core.auth import Actor, resolve_actor
from ecerp_core.config import load_settings
from ecerp_core.db import session_scope
from ecerp_core.errors import EcerpError
from ecerp_core.i18n import set_language
from ecerp_core.wiring import connect


class Context:
    """What every command shares: the chosen user, language and debug flag."""

    def __init__(self, user: str | None, debug: bool) -> None:
        self.user = user or load_settings().user
        self.debug = debug

    @contextmanager
    def acting(self, *, readonly: bool = False) -> Iterator[tuple[Any, Actor]]:
        """Open a session and resolve the acting user; commits when the block ends."""
        with session_scope(readonly=readonly) as session:
            yield session, resolve_actor(session, self.user)


pass_ctx = click.make_pass_decorator(Context)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def echo_json(data: object) -> None:
    """Print ``data`` as JSON; Decimals stay exact (as strings)."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--user", envvar="ECERP_USER", help="Act as this user (default: the first admin).")
@click.option("--lang", type=click.Choice(["zh_CN", "en"]), envvar="ECERP_LANGUAGE",
              help="Language of messages.")  # fmt: skip
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="ecerp")
@click.pass_context
def cli(ctx: click.Context, user: str | None, lang: str | None, debug: bool) -> None:
    """ecerp — an e-commerce ERP: orders, stock, purchasing and books for online sellers."""
    if lang:
        set_language(lang)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(message)s")
    connect()
    ctx.obj = Context(user, debug)


COMMAND_MODULES = ("base", "bench", "serve", "stock", "purchase", "orders", "finance")
"""Modules of this package that add commands; one not written yet is skipped."""


def _register() -> None:
    import importlib
    import importlib.util

    for name in COMMAND_MODULES:
        if importlib.util.find_spec(f"ecerp_core.cli.{name}") is not None:
            importlib.import_module(f"ecerp_core.cli.{name}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script: run the group, turn named errors into one line."""
    _register()
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
        click.echo(f"error: {exc.message()}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if debug:
            raise
        click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        sys.exit(2)


Command = Callable[..., Any]
