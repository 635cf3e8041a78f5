"""Migrations, settings and the project root."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from ecerp_core.config import load_settings, project_root
from ecerp_core.db import get_engine, session_scope
from ecerp_core.schema import metadata
from ecerp_core.setup import create_database, is_initialised, upgrade_database


def _assert_migrations_match_models(url: str) -> None:
    upgrade_database(url)
    with get_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], "the models changed without a migration: " + repr(diff[:5])


def test_migrations_build_the_schema_of_the_models_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'm.db'}"
    _assert_migrations_match_models(url)
    upgrade_database(url)  # a second upgrade is a no-op
    assert not is_initialised(url)
    create_database(company="迁移测试", admin_password="password-123", url=url.replace("m.db", "n.db"))
    assert is_initialised(url.replace("m.db", "n.db"))


@pytest.mark.postgres
def test_migrations_on_postgresql():
    base = os.environ.get("ECERP_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("ECERP_TEST_DATABASE_URL is not a PostgreSQL URL")
    name = f"ecerp_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        _assert_migrations_match_models(url)
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name}"))


def test_settings_come_from_env_then_file_then_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("ECERP_DATABASE_URL", raising=False)
    monkeypatch.delenv("ECERP_LANGUAGE", raising=False)
    assert load_settings().database_url == f"sqlite:///{project_root() / 'data' / 'ecerp.db'}"
    config = tmp_path / "ecerp.toml"
    config.write_text('database_url = "sqlite:////tmp/x.db"\nlanguage = "en"\n', encoding="utf-8")
    monkeypatch.setenv("ECERP_CONFIG", str(config))
    assert (load_settings().database_url, load_settings().language) == ("sqlite:////tmp/x.db", "en")
    monkeypatch.setenv("ECERP_DATABASE_URL", "sqlite:////tmp/y.db")
    assert load_settings().database_url == "sqlite:////tmp/y.db"


def test_project_root_is_the_checkout_whatever_the_working_directory(tmp_path, monkeypatch):
    root = project_root()
    assert (root / "ecerp_core").is_dir() and (root / "notebooks").is_dir()
    monkeypatch.chdir(tmp_path)
    assert project_root() == root


def test_a_failed_use_case_leaves_nothing(db):
    from sqlalchemy import func, select

    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.catalog.models import Warehouse

    with pytest.raises(RuntimeError), session_scope(db) as session:
        catalog.create_warehouse(session, resolve_actor(session), code="GZ", name="广州仓")
        raise RuntimeError("crash after the write")
    with session_scope(db, readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Warehouse)) == 0


def test_the_default_engine_follows_the_configured_database(tmp_path, monkeypatch):
    monkeypatch.setenv("ECERP_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    first = get_engine()
    monkeypatch.setenv("ECERP_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    assert get_engine() is not first and get_engine().url.database.endswith("b.db")


def test_migrations_carry_an_orders_data_down_and_up_again(tmp_path):
    """A database that already holds orders, lines, history and reasons to wait migrates down and
    up again without losing a row (SQLite rebuilds the orders table to drop a column)."""
    import datetime as dt
    from decimal import Decimal

    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services as catalog
    from ecerp_core.orders import workflow
    from ecerp_core.orders.drafts import OrderDraft, OrderLineDraft
    from ecerp_core.orders.intake import import_order_drafts
    from ecerp_core.setup import migrate

    url = f"sqlite:///{tmp_path / 'orders.db'}"
    create_database(company="迁移测试", admin_password="password-123", url=url)
    with session_scope(url) as session:
        admin = resolve_actor(session, "admin")
        catalog.create_warehouse(session, admin, code="SH", name="上海仓")
        shop = catalog.create_shop(session, admin, code="TB", name="淘宝店", platform="taobao")
        line = OrderLineDraft("NOT-OURS", 1, Decimal("10.00"), Decimal("10.00"))
        placed = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
        draft = OrderDraft(shop.id, "M1", "paid", placed, "CNY", (line,), Decimal("10.00"), Decimal("10.00"))
        (order_id,) = import_order_drafts(session, admin, [draft]).order_ids

    migrate(url, "0004", down=True)
    with get_engine(url).connect() as conn:
        # the rules' order survives both ways
        assert conn.execute(text("SELECT exception_reason FROM sales_order")).scalar() == (
            "unmapped_sku,incomplete_address"
        )
    migrate(url, "head")
    with session_scope(url, readonly=True) as session:
        assert workflow.reasons_of(session, [order_id]) == {order_id: ["unmapped_sku", "incomplete_address"]}
        counts = [session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in
                  ("sales_order_line", "sales_order_event")]  # fmt: skip
        assert counts == [1, 1]
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_new_home_gets_its_data_folder(tmp_path, monkeypatch):
    """`ecerp init` in a fresh ECERP_HOME used to fail with sqlite3's "unable to open database file"."""
    from click.testing import CliRunner

    from ecerp_core.cli import cli

    monkeypatch.setenv("ECERP_DATABASE_URL", f"sqlite:///{tmp_path / 'new' / 'data' / 'ecerp.db'}")
    result = CliRunner().invoke(
        cli, ["init", "--company", "新公司", "--admin-password-stdin"], input="pw123456\n"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "data" / "ecerp.db").is_file()
