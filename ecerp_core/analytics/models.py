"""Tables of analytics. Writes go through :mod:`ecerp_core.analytics.services`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecerp_core.db import Base, Timestamp, UTCDateTime, bigpk, created_at, intpk, updated_at
from ecerp_core.money import Money

ZERO = Decimal("0")


class SavedReport(Base):
    """A custom report's definition (自定义报表), shared with every user who may read analytics.

    name: unique, what ``ecerp report run NAME`` and the builder's list use.
    definition: :meth:`ecerp_core.analytics.reports.ReportSpec.as_dict` — names of the semantic
    layer only, checked again every time it runs.
    chart: how the builder draws it (``bar``, ``line`` or ``table``).
    created_by / updated_by: user ids.
    """

    __tablename__ = "saved_report"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[dict] = mapped_column(JSON, default=dict)
    chart: Mapped[str] = mapped_column(String(10), default="bar")
    created_by: Mapped[int | None]
    updated_by: Mapped[int | None]
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class ReportSchedule(Base):
    """When a saved report is rendered on its own (``ecerp report run-due``, from cron or a timer).

    every: ``daily``, ``weekly`` (Mondays) or ``monthly`` (the 1st); at: ``HH:MM`` in the company's
    time zone. params: filter overrides (name -> value) the runs use; without ``date_from`` /
    ``date_to`` a run covers the period that just ended (yesterday, last week, last month).
    created_at: slots before it are never run (a new schedule waits for its first slot).
    """

    __tablename__ = "saved_report_schedule"

    report_id: Mapped[int] = mapped_column(ForeignKey("saved_report.id"), primary_key=True)
    every: Mapped[str] = mapped_column(String(10))
    at: Mapped[str] = mapped_column(String(5), default="07:00")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None]
    created_at: Mapped[created_at]


class ReportRun(Base):
    """One rendering of a saved report to a notebook and its HTML: when, by whom, the files, how it ended.

    slot: the due moment (UTC) a scheduled run stands for — unique per report, so no slot runs twice
    (a manual ``ecerp report render`` has none). outcome: ``running``, ``ok`` or ``failed`` (then
    ``error`` says why). notebook / html: the files written.
    """

    __tablename__ = "saved_report_run"
    __table_args__ = (UniqueConstraint("report_id", "slot"),)

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(ForeignKey("saved_report.id"), index=True)
    slot: Mapped[Timestamp | None]
    started_at: Mapped[Timestamp]
    finished_at: Mapped[Timestamp | None]
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(10), default="running")
    notebook: Mapped[str] = mapped_column(String(500), default="")
    html: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(String(500), default="")


class SalesRollup(Base):
    """The sales fact table the dashboards read (日/月销售汇总), kept equal to the orders by
    :mod:`ecerp_core.analytics.rollup` (the only writer); every measure adds up.

    level: ``o`` one row per (day, currency, status, platform, shop, province, country) over the
    orders; ``s`` per (day, currency, status, platform, shop, SKU) over their lines; ``c`` the same
    per category. period: ``d`` a day, ``m`` a month (``day`` its first day; the sum of its days).
    product_id / platform_sku: the SKU at level ``s`` (platform_sku only for lines without a
    product); category_id at level ``c`` (None: none).
    orders: sales orders (at ``s`` / ``c``: distinct orders with a line there); line_orders those with
    lines; returned / line_returned the same with a refund; goods_amount, refunded_amount of the
    orders (level ``o``); units, amount, cost (from the stock ledger, where known) and
    costed_amount (the amount of the lines whose cost is known) of their lines.
    """

    __tablename__ = "analytics_sales_rollup"
    __table_args__ = (Index("ix_analytics_sales_rollup_level", "level", "period", "day"),)

    id: Mapped[bigpk]
    level: Mapped[str] = mapped_column(String(1))
    period: Mapped[str] = mapped_column(String(1))
    day: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    platform: Mapped[str] = mapped_column(String(20))
    shop_id: Mapped[int]
    region: Mapped[str] = mapped_column(String(60), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    product_id: Mapped[int | None]
    platform_sku: Mapped[str] = mapped_column(String(64), default="")
    category_id: Mapped[int | None]
    orders: Mapped[int] = mapped_column(Integer, default=0)
    line_orders: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    line_returned: Mapped[int] = mapped_column(Integer, default=0)
    goods_amount: Mapped[Money] = mapped_column(default=ZERO)
    refunded_amount: Mapped[Money] = mapped_column(default=ZERO)
    units: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Money] = mapped_column(default=ZERO)
    cost: Mapped[Money] = mapped_column(default=ZERO)
    costed_amount: Mapped[Money] = mapped_column(default=ZERO)


class CustomerKey(Base):
    """Who bought, as a number for :class:`CustomerRollup` (a surrogate: no two buyers ever share
    one): the linked customer (``customer_id``; shop 0, buyer ""), else the buyer id within its
    shop (customer 0), as :func:`ecerp_core.analytics.layer.customer_key` tells them apart. Added by
    :mod:`ecerp_core.analytics.rollup` (the only writer) when it first meets a buyer; never changed."""

    __tablename__ = "analytics_customer_key"
    __table_args__ = (UniqueConstraint("customer_id", "shop_id", "buyer_id"),)

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(Integer, default=0)
    shop_id: Mapped[int] = mapped_column(Integer, default=0)
    buyer_id: Mapped[str] = mapped_column(String(120), default="")


class CustomerRollup(Base):
    """The sales orders added up per buyer (:class:`CustomerKey`; None: unknown) per day and per
    month, currency, province and country, so distinct customers, repeat buyers and cohorts count
    rows of it instead of reading every order. Kept with :class:`SalesRollup` in the same refresh by
    :mod:`ecerp_core.analytics.rollup` (the only writer). period ``d`` / ``m`` as there (``day`` the
    first day of a month row); ``month`` the month as a number (year × 12 + month − 1); orders and
    their goods amount."""

    __tablename__ = "analytics_customer_rollup"
    __table_args__ = (
        Index("ix_analytics_customer_rollup_day", "period", "day"),
        # covering: a dashboard walks buyers (or provinces and buyers) in order, with no sort
        Index(
            "ix_analytics_customer_rollup_customer",
            "period",
            "currency",
            "customer",
            "month",
            "day",
            "orders",
        ),
        # covering every column customers by province or country read (country last: the
        # province's order stays), so neither reads the table row by row
        Index(
            "ix_analytics_customer_rollup_region",
            "period",
            "currency",
            "region",
            "customer",
            "day",
            "orders",
            "goods_amount",
            "country",
        ),
    )

    id: Mapped[bigpk]
    period: Mapped[str] = mapped_column(String(1))
    day: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    region: Mapped[str] = mapped_column(String(60), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    customer: Mapped[int | None] = mapped_column(Integer)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    goods_amount: Mapped[Money] = mapped_column(default=ZERO)


class RollupMark(Base):
    """How far :class:`SalesRollup` has read the orders (one row, id 1): the latest ``updated_at`` of
    an order and how many orders were updated in the :data:`~ecerp_core.analytics.rollup.LAG` before
    it, the last stock move, a fingerprint of the products' categories, and when it ran."""

    __tablename__ = "analytics_rollup_mark"

    id: Mapped[intpk]
    orders_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True))
    orders_recent: Mapped[int] = mapped_column(Integer, default=0)
    move_id: Mapped[int] = mapped_column(BigInteger, default=0)
    products: Mapped[str] = mapped_column(String(80), default="")
    refreshed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(timezone=True))
