"""The demo business: builds through the services, keeps every invariant, and is deterministic."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ecerp_core import auth
from ecerp_core.db import Base, frozen_clock, session_scope
from ecerp_core.demo.build import DEFAULT_ORDERS_PER_DAY, DEMO_PASSWORD, build_demo
from ecerp_core.orders import checks as order_checks
from ecerp_core.purchasing import checks as purchasing_checks
from ecerp_core.setup import initialise
from ecerp_core.stock import checks as stock_checks
from ecerp_core.testing import empty_database

SETUP_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _build(url: str, days: int) -> None:
    empty_database(url)
    with session_scope(url) as session:
        with frozen_clock(SETUP_TIME):
            admin = initialise(session, company="演示电商有限公司", admin_password=DEMO_PASSWORD)
        build_demo(session, admin, seed=7, days=days)


def _dump(url: str) -> dict[str, list[tuple]]:
    with session_scope(url, readonly=True) as session:
        out = {}
        for table in Base.metadata.sorted_tables:
            stmt = select(*table.columns).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in session.execute(stmt)]
        return out


@pytest.mark.slow
def test_small_demo_builds_keeps_invariants_and_is_deterministic(db_url, monkeypatch):
    monkeypatch.setenv("ECERP_DATABASE_URL", db_url)
    _build(db_url, 21)
    first = _dump(db_url)
    with session_scope(db_url, readonly=True) as session:
        failures = [
            f
            for c in (*stock_checks.CHECKS, *order_checks.CHECKS, *purchasing_checks.CHECKS)
            for f in c(session)
        ]
        assert failures == []
        assert auth.authenticate(session, "clerk", DEMO_PASSWORD).role == "order_clerk"
    assert len(first["product"]) >= 280 and len(first["warehouse"]) == 3 and len(first["shop"]) == 5
    assert len(first["sales_order"]) > 21 * DEFAULT_ORDERS_PER_DAY
    assert {r[0] for r in first["stock_move"]} and any(r for r in first["sales_order_refund"])
    status = [c.name for c in Base.metadata.tables["sales_order"].columns].index("status")
    assert {"shipped", "finished", "refunded"} <= {row[status] for row in first["sales_order"]}
    assert max(r[1] for r in first["audit_log"]) <= dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    _build(db_url, 21)
    assert _dump(db_url) == first


@pytest.mark.slow
def test_ecerp_init_demo_twice_gives_the_same_data_and_passes_check(tmp_path, monkeypatch, capsys):
    """The user's path: ``ecerp init --demo --seed 7`` into two new databases, then ``ecerp check``."""
    from ecerp_core.cli import main

    dumps = []
    for name in ("one", "two"):
        url = f"sqlite:///{tmp_path / name}.db"
        monkeypatch.setenv("ECERP_DATABASE_URL", url)
        main(["init", "--demo", "--seed", "7", "--days", "10"])
        try:
            main(["check"])
        except SystemExit as exc:
            pytest.fail(f"ecerp check failed ({exc.code}): {capsys.readouterr().out}")
        dumps.append(_dump(url))
    assert dumps[0] == dumps[1]
    assert dumps[0]["app_user"][0][4].startswith("scrypt$")  # hashed, and the same both times


def test_a_demo_longer_than_a_year_builds(db_url):
    """The default demo is two years long: its weekly rates are set a year at a time, none more than
    a year after the simulated today (the date window every importer keeps)."""
    empty_database(db_url)
    with session_scope(db_url) as session:
        with frozen_clock(SETUP_TIME):
            admin = initialise(session, company="演示电商有限公司", admin_password=DEMO_PASSWORD)
        summary = build_demo(session, admin, seed=7, days=400, orders_per_day=0.2)
    assert summary.counts["exchange_rate"] == 59  # a rate a week from a week before the start
