"""What the demo's steps share: the context they act in and the shape of a step.

Every step module of the demo imports this one, and only :mod:`ecerp_core.demo.build` imports the
steps, so the demo's files form no loop.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ecerp_core import auth

TIMEZONE = ZoneInfo("Asia/Shanghai")


class DemoProduct(NamedTuple):
    """A product as the steps plan with it (``ctx.data["products"]``, in creation order)."""

    id: int
    sku: str
    list_price: Decimal
    cost: Decimal
    is_bundle: bool
    category_id: int | None


@dataclass
class DemoContext:
    """What the demo steps share.

    rng: the demo's main random stream (``random.Random(seed)``); areas use :meth:`rng_for`.
    admin / users: the actors steps act as (``users["clerk"]`` ...).
    start / end: the first and last simulated business day (company-local).
    orders_per_day: the average number of orders a day, before trend and seasonality.
    ids: created records by kind and code (``ids["warehouse"]["SH"]``).
    data: whatever one area leaves for another (demand rates, planned refunds ...).
    """

    session: Session
    admin: auth.Actor
    seed: int
    start: dt.date
    end: dt.date
    orders_per_day: float
    rng: random.Random
    users: dict[str, auth.Actor] = field(default_factory=dict)
    ids: dict[str, dict[str, int]] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def rng_for(self, area: str) -> random.Random:
        """A random stream of one area, fixed by the seed."""
        return random.Random(f"{self.seed}:{area}")

    def at(self, day: dt.date, minute: int = 0) -> dt.datetime:
        """The UTC moment of ``minute`` past local midnight on ``day``."""
        local = dt.datetime.combine(day, dt.time(), TIMEZONE) + dt.timedelta(minutes=minute)
        return local.astimezone(dt.UTC)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


DailyTask = tuple[int, Callable[[DemoContext, dt.date], None]]


@dataclass(frozen=True)
class DemoStep:
    """One area's part of the demo."""

    name: str
    setup: Callable[[DemoContext], None] | None = None
    daily: Sequence[DailyTask] = ()
