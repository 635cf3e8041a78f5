"""``ecerp backup`` and ``ecerp restore``: the whole database to one file and back."""

from __future__ import annotations

from pathlib import Path

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.config import load_settings
from ecerp_core.i18n import t


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def backup(ctx: Context, file: Path) -> None:
    """Back up the whole database to FILE (SQLite: a consistent copy while the apps run; PostgreSQL:
    pg_dump custom format). Admins only.
    备份整个数据库到 FILE（SQLite 在线备份；PostgreSQL 使用 pg_dump）。仅管理员。"""
    from ecerp_core.backup import backup_database

    with ctx.acting(readonly=True) as (_session, actor):
        pass
    done = backup_database(actor, file, load_settings().database_url)
    click.echo(t("cli.backup_written", file=str(done), size=f"{done.stat().st_size:,}"))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="Replace a database that already holds a company (everything in it is lost). "
    "替换已有数据的数据库（其中的全部数据将丢失）。",
)
@pass_ctx
def restore(ctx: Context, file: Path, replace: bool) -> None:
    """Restore the database from a backup FILE made by ``ecerp backup``, then migrate it to this
    version's schema. A database that holds a company is refused without --replace.
    从 ecerp backup 生成的备份文件恢复数据库并升级结构；已有数据的数据库须加 --replace。"""
    from ecerp_core.backup import restore_database

    if replace:  # only someone who may manage the company replaces its books
        from ecerp_core.auth import require

        with ctx.acting(readonly=True) as (_session, actor):
            require(actor, "company.manage")
    restore_database(file, load_settings().database_url, replace=replace)
    click.echo(t("cli.restored", file=str(file)))
