"""Setting up a database: schema migrations, standard roles and currencies, company and admin."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ecerp_core import auth
from ecerp_core.catalog.company import seed_currencies, setup_company
from ecerp_core.catalog.models import Company
from ecerp_core.config import load_settings
from ecerp_core.db import get_engine, session_scope
from ecerp_core.errors import EcerpError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config  # Alembic loads only for a command that migrates

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or load_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade_database(url: str | None = None) -> None:
    """Bring the schema to the newest migration (creates the SQLite file and its folder)."""
    url = url or load_settings().database_url
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    migrate(url, "head")


def migrate(url: str, revision: str, *, down: bool = False) -> None:
    """Upgrade (or with ``down`` downgrade) the schema to ``revision``, in one transaction.

    On SQLite, Alembic changes a table by copying it into a new one and dropping the old, which the
    foreign keys of the rows pointing at it would refuse: they are switched off for the migration
    (before it begins — SQLite ignores the switch inside a transaction), checked whole before it
    commits, and switched on again.
    """
    from alembic import command

    engine = get_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                cfg = alembic_config(url)
                cfg.attributes["connection"] = connection
                (command.downgrade if down else command.upgrade)(cfg, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all() if sqlite else []
                if broken:
                    raise RuntimeError(f"the migration left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


def is_initialised(url: str | None = None) -> bool:
    engine = get_engine(url)
    if not inspect(engine).has_table("company"):
        return False
    with engine.connect() as conn:
        return conn.execute(select(Company.id).limit(1)).first() is not None


def initialise(
    session: Session,
    *,
    company: str,
    base_currency: str = "CNY",
    timezone: str = "Asia/Shanghai",
    admin_username: str = "admin",
    admin_password: str,
) -> auth.Actor:
    """Seed roles and currencies, create the first admin and the company; return the admin actor."""
    if session.scalar(select(Company.id).limit(1)) is not None:
        raise EcerpError("error.already_initialised", company=session.scalar(select(Company.name).limit(1)))
    auth.seed_roles(session)
    seed_currencies(session)
    user = auth.create_user(session, None, admin_username, admin_password, "admin", display_name="管理员")
    admin = auth.actor_for(session, user)
    setup_company(session, admin, name=company, base_currency=base_currency, timezone=timezone)
    return admin


def create_database(
    *, company: str, base_currency: str = "CNY", admin_password: str, url: str | None = None
) -> None:
    """Migrate the schema and set up a company and its first admin (``ecerp init``).

    The demo business is built by :func:`ecerp_core.demo.build.create_demo_database`.
    """
    upgrade_database(url)
    with session_scope(url) as session:
        initialise(session, company=company, base_currency=base_currency, admin_password=admin_password)
