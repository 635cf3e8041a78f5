"""Foundation commands: init, db, users, check (base records: :mod:`ecerp_core.cli.records`)."""

from __future__ import annotations

import os
import secrets
import sys
import time

import click
from sqlalchemy.engine import make_url

from ecerp_core import auth, signin
from ecerp_core.catalog.company import get_company
from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.output import echo_json
from ecerp_core.config import load_settings
from ecerp_core.db import session_scope
from ecerp_core.errors import EcerpError
from ecerp_core.i18n import t
from ecerp_core.setup import create_database, is_initialised, upgrade_database


@click.command()
@click.option("--company", default=None, help="Company name (default: the demo company with --demo).")
@click.option("--base-currency", default="CNY", show_default=True, help="ISO code of the base currency.")
@click.option("--admin-password", hidden=True, help="Refused: a password on the command line is visible.")
@click.option(
    "--admin-password-stdin",
    is_flag=True,
    help="Read the first admin's password from standard input (else ECERP_ADMIN_PASSWORD, asked on a "
    "terminal, or generated and printed). 从标准输入读取管理员密码。",
)
@click.option("--demo", is_flag=True, help="Also build the demo business (orders, stock, purchasing...).")
@click.option("--seed", default=7, show_default=True, help="Random seed of the demo: same seed, same data.")
@click.option(
    "--days", type=click.IntRange(1, 3650), default=None, help="Days of demo history (default 730)."
)
@click.option(
    "--orders",
    "orders_per_day",
    type=click.FloatRange(1, 100_000),
    default=None,
    help="Average demo orders a day before seasonality (default 40); scales the demo up for benchmarks.",
)
def init(
    company: str | None,
    base_currency: str,
    admin_password: str | None,
    admin_password_stdin: bool,
    demo: bool,
    seed: int,
    days: int | None,
    orders_per_day: float | None,
) -> None:
    """Create the database, the company and the first admin user (``admin``)."""
    _refuse_password_argument("--admin-password", admin_password)
    if is_initialised():
        with session_scope(readonly=True) as session:
            raise EcerpError("error.already_initialised", company=get_company(session).name)
    # imported here, not at the top: the demo's steps load every area, which no other command needs
    from ecerp_core.demo.build import DEMO_COMPANY, DEMO_PASSWORD, create_demo_database

    generated = False
    if admin_password_stdin:
        admin_password = _stdin_password()
    else:
        admin_password = os.environ.get("ECERP_ADMIN_PASSWORD") or None
    if not admin_password:
        if demo:
            admin_password = DEMO_PASSWORD
        elif _on_terminal():
            admin_password = _prompt_twice(t("cli.admin_password_prompt"))
        else:
            admin_password, generated = secrets.token_urlsafe(12), True
    started = time.perf_counter()
    if demo:
        create_demo_database(
            company=company or DEMO_COMPANY,
            base_currency=base_currency,
            admin_password=admin_password,
            seed=seed,
            days=days,
            orders_per_day=orders_per_day,
        )
    else:
        create_database(
            company=company or "我的公司", base_currency=base_currency, admin_password=admin_password
        )
    click.echo(t("cli.initialised", None, url=_safe_url(), seconds=f"{time.perf_counter() - started:.1f}"))
    if generated:
        click.echo(t("cli.generated_password", None, password=admin_password))
    elif demo:
        click.echo(t("cli.demo_password", None, password=admin_password))


NEW_PASSWORD_ENV = "ECERP_NEW_PASSWORD"
"""A new user's password may come from this environment variable (not shown in the process list)."""


def _refuse_password_argument(option: str, value: str | None) -> None:
    """A password given as an argument shows in the process list: refuse it and name the safe ways."""
    if value is not None:
        raise EcerpError("error.password_on_command_line", option=option)


def _on_terminal() -> bool:
    return sys.stdin.isatty()


def _stdin_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise EcerpError("error.password_stdin_empty")
    return password


def _prompt_twice(prompt: str) -> str:
    """Ask for a password (hidden) and again, until the two agree."""
    while True:
        first = click.prompt(prompt, hide_input=True)
        if click.prompt(t("cli.password_repeat"), hide_input=True) == first:
            return first
        click.echo(t("cli.passwords_differ"), err=True)


def _new_password(username: str, from_stdin: bool) -> str:
    """A new password for ``username``: standard input, ECERP_NEW_PASSWORD, or asked twice on a terminal.

    Called once the acting user is signed in, so that with the group's ``--password-stdin`` too the
    acting user's password is the first line of standard input and the new password the second.
    """
    if from_stdin:
        return _stdin_password()
    from_env = os.environ.get(NEW_PASSWORD_ENV)
    if from_env:
        return from_env
    if _on_terminal():
        return _prompt_twice(t("cli.new_password_prompt", None, user=username))
    raise EcerpError("error.new_password_needed", user=username)


def _safe_url() -> str:
    return make_url(load_settings().database_url).render_as_string(hide_password=True)


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations that this database does not have yet."""
    upgrade_database()
    click.echo(t("cli.upgraded", None, url=_safe_url()))


@click.group()
def users() -> None:
    """Users and their roles."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(sorted(auth.ROLES)), help="The user's role.")
@click.option("--password", hidden=True, help="Refused: a password on the command line is visible.")
@click.option(
    "--password-stdin",
    "new_password_stdin",
    is_flag=True,
    help="Read the new user's password from standard input (else ECERP_NEW_PASSWORD or asked twice on "
    "a terminal). 从标准输入读取新用户的密码（否则读 ECERP_NEW_PASSWORD 或在终端提示输入两次）。",
)
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--language", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@pass_ctx
def users_add(
    ctx: Context,
    username: str,
    role: str,
    password: str | None,
    new_password_stdin: bool,
    display_name: str,
    language: str,
) -> None:
    """Add a user with a role. 添加用户并指定角色。"""
    _refuse_password_argument("--password", password)
    with ctx.acting() as (session, actor):
        auth.require(actor, "users.manage")  # before asking for a password nobody may set
        auth.create_user(
            session,
            actor,
            username,
            _new_password(username, new_password_stdin),
            role,
            display_name=display_name,
            language=language,
        )
    click.echo(t("cli.user_added", None, user=username, role=f"role.{role}"))


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def users_list(ctx: Context, as_json: bool) -> None:
    """List users, their roles and whether they are active."""
    with ctx.acting(readonly=True) as (session, actor):
        rows = [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role_code,
                "active": u.active,
                "language": u.language,
            }
            for u in auth.list_users(session, actor)
        ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        state = "" if row["active"] else f"  ({t('cli.inactive')})"
        click.echo(f"{row['username']:<20} {t('role.' + row['role']):<12} {row['display_name']}{state}")


@users.command("set-password")
@click.argument("username")
@click.option("--password", hidden=True, help="Refused: a password on the command line is visible.")
@click.option(
    "--password-stdin",
    "new_password_stdin",
    is_flag=True,
    help="Read the new password from standard input (else ECERP_NEW_PASSWORD or asked twice on a "
    "terminal). 从标准输入读取新密码（否则读 ECERP_NEW_PASSWORD 或在终端提示输入两次）。",
)
@pass_ctx
def users_set_password(ctx: Context, username: str, password: str | None, new_password_stdin: bool) -> None:
    """Set a user's password (your own, or anyone's as an admin). 设置用户密码。"""
    _refuse_password_argument("--password", password)
    with ctx.acting() as (session, actor):
        auth.set_password(session, actor, username, _new_password(username, new_password_stdin))
    click.echo(t("cli.password_set", None, user=username))


@users.command("deactivate")
@click.argument("username")
@pass_ctx
def users_deactivate(ctx: Context, username: str) -> None:
    """Stop a user from signing in; their history stays."""
    with ctx.acting() as (session, actor):
        auth.set_user_active(session, actor, username, False)
    click.echo(t("cli.user_deactivated", None, user=username))


@users.group("token")
def users_token() -> None:
    """API tokens for scripts (ECERP_TOKEN); stored hashed. 脚本用的 API 令牌（仅存哈希）。"""


@users_token.command("create")
@click.argument("username")
@click.option("--label", default="", help="What the token is for (a script's name). 用途说明。")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def users_token_create(ctx: Context, username: str, label: str, as_json: bool) -> None:
    """Issue an API token for USERNAME and print it once. 为用户签发 API 令牌（只显示一次）。"""
    with ctx.acting() as (session, actor):
        token = signin.create_token(session, actor, username, label=label)
    if as_json:
        echo_json({"username": username, "token": token})
        return
    click.echo(t("cli.token_created", None, user=username), err=True)
    click.echo(token)


@users_token.command("revoke")
@click.argument("username")
@pass_ctx
def users_token_revoke(ctx: Context, username: str) -> None:
    """Revoke every API token of USERNAME. 吊销该用户的全部 API 令牌。"""
    with ctx.acting() as (session, actor):
        count = signin.revoke_tokens(session, actor, username)
    click.echo(t("cli.tokens_revoked", None, user=username, count=count))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def check(as_json: bool) -> None:
    """Verify the system's invariants; print what failed and exit 1 if anything did."""
    from ecerp_core.checks import run_checks

    with session_scope(readonly=True) as session:
        results = run_checks(session)
    failed = [r for r in results if not r.ok]
    if as_json:
        echo_json({"ok": not failed, "checks": [{"name": r.name, "failures": r.failures} for r in results]})
    else:
        for result in results:
            mark = "ok  " if result.ok else "FAIL"
            click.echo(f"{mark} {result.name}")
            for failure in result.failures[:20]:
                click.echo(f"     - {failure}")
            if len(result.failures) > 20:
                click.echo(f"     ... {len(result.failures) - 20} more")
        click.echo(t("cli.check_summary", None, passed=len(results) - len(failed), failed=len(failed)))
    if failed:
        sys.exit(1)
