"""Replenishment from a forecast: safety stock, reorder point, order-up-to level, the quantity rounded
to the supplier's minimum order and pack size — and an inventory simulation that says which fill rate
the policy *achieved* on real demand and how much stock it took.

Policy: periodic review every ``review`` days, lead time ``lead`` days. At a review, when the
inventory position (on hand + on order) is at or below the reorder point (the lead-time demand plus
safety stock), order up to the order-up-to level (lead + review days of demand plus safety stock).
Safety stock is normal theory, z(service level) · σ(daily error) · √(lead + review); lumpy demand is
not normal, which is why the simulation reports the fill rate reached, not the one asked for.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def z_value(service_level: float) -> float:
    """The standard normal quantile of ``service_level``.

    >>> round(z_value(0.95), 4)
    1.6449
    """
    return NormalDist().inv_cdf(service_level)


def safety_stock(sigma_daily, lead: int, review: int, service_level: float):
    """z · σ · √(lead + review).

    >>> round(float(safety_stock(2.0, 7, 2, 0.95)), 3)
    9.869
    """
    return z_value(service_level) * np.asarray(sigma_daily) * math.sqrt(lead + review)


def reorder_point(mean_daily, lead: int, safety):
    """Demand over the lead time plus safety stock.

    >>> float(reorder_point(3.0, 7, 5.0))
    26.0
    """
    return np.asarray(mean_daily) * lead + safety


def order_up_to(mean_daily, lead: int, review: int, safety):
    """Demand over lead time and review period plus safety stock.

    >>> float(order_up_to(3.0, 7, 7, 5.0))
    47.0
    """
    return np.asarray(mean_daily) * (lead + review) + safety


def round_order(quantity: float, moq: int | None = None, pack: int | None = None) -> int:
    """The quantity to order: at least the minimum order quantity, then up to whole packs; 0 stays 0.

    >>> round_order(0.0, 50, 12)
    0
    >>> round_order(13.2, 1, 1)
    14
    >>> round_order(13.2, 50, 12)
    60
    >>> round_order(61, 50, 12)
    72
    >>> round_order(5, None, 6)
    6
    """
    need = math.ceil(quantity - 1e-9)
    if need <= 0:
        return 0
    need = max(need, moq or 1)
    pack = pack or 1
    return -(-need // pack) * pack


@dataclass(frozen=True)
class Simulated:
    """What a policy did on real demand: ``fill_rate`` served / demanded (observed days), ``days_of_cover``
    average stock on hand / average daily demand, per series and overall."""

    fill_rate: float
    days_of_cover: float
    series_fill: np.ndarray
    series_cover: np.ndarray


def simulate(
    actual: np.ndarray, mean: np.ndarray, sigma: np.ndarray, *, lead: int, review: int, service_level: float
) -> Simulated:
    """Run the policy day by day over ``actual`` demand (series, days; NaN: censored, left out) with the
    forecast daily ``mean`` and error ``sigma`` known on each day (same shape). Stock starts at the
    first day's order-up-to level; demand not served is lost.

    >>> s = simulate(np.array([[5.0] * 14]), np.full((1, 14), 5.0), np.zeros((1, 14)), lead=2, review=7,
    ...              service_level=0.9)
    >>> (s.fill_rate, round(s.days_of_cover, 2))
    (1.0, 4.0)
    """
    n, days = actual.shape
    demand = np.nan_to_num(actual)
    safety = safety_stock(sigma, lead, review, service_level)
    rop = reorder_point(mean, lead, safety)
    top = order_up_to(mean, lead, review, safety)
    on_hand = np.ceil(top[:, 0])
    arriving = np.zeros((n, days + lead + 1))
    served = np.zeros(n)
    stock_sum = np.zeros(n)
    for d in range(days):
        on_hand += arriving[:, d]
        if d % review == 0 and d > 0:
            position = on_hand + arriving[:, d + 1 : d + lead + 1].sum(axis=1)
            order = np.where(position <= rop[:, d], np.ceil(np.maximum(top[:, d] - position, 0)), 0)
            arriving[:, d + lead] += order
        sold = np.minimum(on_hand, demand[:, d])
        served += sold
        on_hand -= sold
        stock_sum += on_hand
    wanted = demand.sum(axis=1)
    rate = demand.mean(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        series_fill = np.where(wanted > 0, served / wanted, np.nan)
        series_cover = np.where(rate > 0, stock_sum / days / rate, np.nan)
    total = wanted.sum()
    return Simulated(
        float(served.sum() / total) if total > 0 else float("nan"),
        float(stock_sum.sum() / days / rate.sum()) if rate.sum() > 0 else float("nan"),
        series_fill,
        series_cover,
    )


def cover_at_fill(points: list[tuple[float, float]], target: float) -> float | None:
    """Days of cover needed to reach ``target`` fill, interpolated between simulated (fill, cover)
    points; None when no point reaches it.

    >>> cover_at_fill([(0.8, 10.0), (0.9, 14.0), (0.97, 20.0)], 0.95)
    18.285714285714285
    """
    pts = sorted(points)
    for (f0, c0), (f1, c1) in itertools.pairwise(pts):
        if f0 <= target <= f1:
            return c0 if f1 == f0 else c0 + (c1 - c0) * (target - f0) / (f1 - f0)
    if pts and pts[0][0] >= target:
        return pts[0][1]
    return None
