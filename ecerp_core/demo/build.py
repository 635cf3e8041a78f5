"""The seeded demo business: a realistic, deterministic company built through the services.

The demo is a composition of per-area steps (:func:`steps`, one module each in this package). Each
step may set things up once (``setup(ctx)``) and act on each simulated day (``daily``: ``(minute
of the day, fn(ctx, day))``). The days run one after another; within a day, tasks run in order of
their time, and the clock (:func:`ecerp_core.db.frozen_clock`) is set to that moment, so every
timestamp comes from the simulation and the same seed gives the same database, byte for byte. A
later area (complaints ...) adds its step to :func:`steps`; each area draws from its own random
stream (:meth:`~ecerp_core.demo.context.DemoContext.rng_for`), so adding one does not change the
data of the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core import auth
from ecerp_core.db import frozen_clock, session_scope
from ecerp_core.demo import analytics, catalog, crm, finance, orders, purchasing, stock
from ecerp_core.demo.context import TIMEZONE, DemoContext, DemoStep
from ecerp_core.schema import metadata
from ecerp_core.setup import initialise, upgrade_database
from ecerp_core.wiring import connect

log = logging.getLogger(__name__)

DEFAULT_END = dt.date(2026, 10, 31)
DEFAULT_DAYS = 730
DEFAULT_ORDERS_PER_DAY = 32.0
DEMO_COMPANY = "演示电商有限公司"
DEMO_PASSWORD = "demo1234"

DEMO_USERS = (  # username, role, display name
    ("clerk", "order_clerk", "订单专员 王芳"),
    ("warehouse", "warehouse_clerk", "仓库管理员 李强"),
    ("buyer", "purchaser", "采购 张敏"),
    ("accountant", "accountant", "会计 陈静"),
    ("analyst", "analyst", "数据分析 刘洋"),
)


@dataclass(frozen=True)
class DemoSummary:
    """What was built: the simulated period and the number of rows per table."""

    seed: int
    start: dt.date
    end: dt.date
    counts: dict[str, int]


class _Task(NamedTuple):
    """A step's daily task: at ``minute`` past midnight; within a minute, steps act in ``order``."""

    minute: int
    order: int
    run: Callable[[DemoContext, dt.date], None]


def _users_setup(ctx: DemoContext) -> None:
    for username, role, display in DEMO_USERS:
        user = auth.create_user(ctx.session, ctx.admin, username, DEMO_PASSWORD, role, display_name=display)
        ctx.users[username] = auth.actor_for(ctx.session, user)


def steps() -> list[DemoStep]:
    """The demo's steps, in the order they set up and, within a minute, act."""
    # orders set up the demand model that stock and purchasing plan with, so they come first
    return [
        DemoStep("users", _users_setup),
        catalog.STEP,
        orders.STEP,
        stock.STEP,
        purchasing.STEP,
        finance.STEP,
        crm.STEP,
        analytics.STEP,
    ]


def setup_moment(days: int | None = None, end: dt.date = DEFAULT_END) -> dt.datetime:
    """When the demo company is set up: 08:00 on the day before its first simulated day.

    >>> setup_moment(days=31).isoformat()  # 08:00 in Shanghai on 30 September
    '2026-09-30T00:00:00+00:00'
    """
    start = end - dt.timedelta(days=(days or DEFAULT_DAYS) - 1)
    local = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(8), TIMEZONE)
    return local.astimezone(dt.UTC)


def build_demo(
    session: Session,
    admin: auth.Actor,
    *,
    seed: int = 7,
    days: int | None = None,
    orders_per_day: float | None = None,
    end: dt.date = DEFAULT_END,
) -> DemoSummary:
    """Build the demo business into an initialised, empty database (the caller commits).

    ``days`` of history end on ``end`` (2026-10-31), whatever today's date is: ``build_demo(session,
    admin, seed=7, days=30)`` builds October 2026. :func:`create_demo_database` does the whole of
    ``ecerp init --demo``.
    """
    connect()
    days = days or DEFAULT_DAYS
    ctx = DemoContext(
        session=session,
        admin=admin,
        seed=seed,
        start=end - dt.timedelta(days=days - 1),
        end=end,
        orders_per_day=orders_per_day or DEFAULT_ORDERS_PER_DAY,
        rng=random.Random(seed),
    )
    all_steps = steps()
    if session.get_bind().dialect.name == "sqlite":
        # the whole demo is one transaction; a bigger page cache keeps it from spilling to disk
        session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
    with frozen_clock(ctx.at(ctx.start - dt.timedelta(days=1), 9 * 60)):
        for step in all_steps:
            if step.setup:
                step.setup(ctx)
    tasks = [_Task(minute, n, fn) for n, step in enumerate(all_steps) for minute, fn in step.daily]
    tasks.sort(key=lambda task: (task.minute, task.order))
    for day in ctx.days:
        for task in tasks:
            with frozen_clock(ctx.at(day, task.minute)):
                task.run(ctx, day)
        if day.day == 1:
            log.info("demo: %s", day)
    session.flush()
    return DemoSummary(seed, ctx.start, ctx.end, table_counts(session))


def table_counts(session: Session) -> dict[str, int]:
    """Rows per table, for the summary and for tests."""
    return {t.name: session.scalar(select(func.count()).select_from(t)) for t in metadata.sorted_tables}


def create_demo_database(
    *,
    company: str = DEMO_COMPANY,
    base_currency: str = "CNY",
    admin_password: str = DEMO_PASSWORD,
    seed: int = 7,
    days: int | None = None,
    orders_per_day: float | None = None,
    url: str | None = None,
) -> DemoSummary:
    """Migrate the schema, set up the company and build the demo business (``ecerp init --demo``,
    ``ecerp serve --demo``).

    The demo runs wholly on its simulated clock, company and admin included, so the same seed gives
    the same bytes.
    """
    upgrade_database(url)
    with session_scope(url) as session:
        with frozen_clock(setup_moment(days)):
            admin = initialise(
                session, company=company, base_currency=base_currency, admin_password=admin_password
            )
        return build_demo(session, admin, seed=seed, days=days, orders_per_day=orders_per_day)
