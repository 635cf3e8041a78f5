"""The global scikit-learn model: one ``HistGradientBoostingRegressor`` with Poisson loss for every
series, **direct multi-horizon** (the day ahead ``h`` = 1..horizon is a feature, so one model predicts
all 28 days from what was known at the origin; nothing is fed back recursively).

Features at the origin: the last 7 days, means over 7/28/90 observed days, the share of zero days and of
censored days in the last 28, days since the last sale, log price, the SES, Croston-SBA and TSB levels;
of the target day: weekday, month, day of month, Chinese holiday, 调休 working day, promotion and its
peak. Training rows come from weekly
pseudo-origins before the origin whose whole horizon lies before it, so a backtest never sees its
future. scikit-learn is imported inside :func:`fit_predict` only: opening an app must not pay for it.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ecerp_core.forecast import baselines
from ecerp_core.forecast.dates import FEATURES, Promotion, calendar_features

if TYPE_CHECKING:
    import pandas as pd

NAME = "ml_hgb"
MAX_TRAIN_ROWS = 150_000
TRAIN_ORIGINS = 12
"""Weekly pseudo-origins the model learns from (a quarter)."""
MIN_HISTORY = 28
FEATURE_COUNT = 17 + len(FEATURES) + 1
"""Origin features, target-day calendar, days ahead."""
MAX_ITER = 100
"""Boosting rounds."""
THREADS = int(os.environ.get("ECERP_FORECAST_THREADS", "1"))
"""OpenMP threads of one fit (``ECERP_FORECAST_THREADS``)."""


def _nanmean(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=1)


def level_paths(y: np.ndarray) -> np.ndarray:
    """The SES, Croston-SBA and TSB levels of every series after each day, in one pass over the days:
    shape (3, series, days + 1); column ``o`` is what the baseline forecasts from origin ``o``
    (``baselines.ses(y[:, :o], 1)[:, 0]`` and so on, to the bit). One pass instead of one per
    pseudo-origin is what lets the model's features scale to 10,000 series."""
    n, days = y.shape
    out = np.zeros((3, n, days + 1))
    a, b = baselines.ALPHA, baselines.BETA
    level = np.full(n, np.nan)
    size = np.full(n, np.nan)
    interval = np.full(n, np.nan)
    since = np.zeros(n)
    prob = np.full(n, np.nan)
    tsb_size = np.full(n, np.nan)
    for t in range(days):
        v = y[:, t]
        # the same updates as baselines.ses, .croston_sba and .tsb, in the same order
        level = np.where(np.isnan(v), level, np.where(np.isnan(level), v, a * v + (1 - a) * level))
        seen = ~np.isnan(v)
        since = since + seen
        demand = seen & (v > 0)
        first = demand & np.isnan(size)
        later = demand & ~first
        size = np.where(first, v, np.where(later, size + a * (v - size), size))
        interval = np.where(first, since, np.where(later, interval + a * (since - interval), interval))
        since = np.where(demand, 0, since)
        hit = (v > 0).astype(float)
        prob = np.where(seen, np.where(np.isnan(prob), hit, prob + b * (hit - prob)), prob)
        tsb_size = np.where(demand, np.where(np.isnan(tsb_size), v, tsb_size + a * (v - tsb_size)), tsb_size)
        out[0, :, t + 1] = np.nan_to_num(level, nan=0.0)
        out[1, :, t + 1] = np.nan_to_num((1 - a / 2) * size / interval, nan=0.0)
        out[2, :, t + 1] = np.nan_to_num(prob * tsb_size, nan=0.0)
    return out


def origin_features(
    y: np.ndarray, price: np.ndarray, origin: int, paths: np.ndarray | None = None
) -> np.ndarray:
    """What each series' history says at ``origin`` (the first day not known), shape (series, 17).
    ``paths``: :func:`level_paths` of ``y`` (computed here when not given)."""
    past = y[:, :origin]
    lags = past[:, -7:][:, ::-1]
    if lags.shape[1] < 7:
        lags = np.hstack([lags, np.full((y.shape[0], 7 - lags.shape[1]), np.nan)])
    last28 = past[:, -28:]
    sold = past > 0  # NaN (censored) is not a sale
    latest = past.shape[1] - 1 - np.argmax(sold[:, ::-1], axis=1) if past.shape[1] else 0
    last_sale = np.where(sold.any(axis=1), latest, -1)
    recency = np.where(last_sale >= 0, origin - last_sale, 999)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        zero_share = np.nanmean(np.where(np.isnan(last28), np.nan, last28 == 0), axis=1)
    return np.column_stack(
        [
            lags,
            _nanmean(past[:, -7:]),
            _nanmean(last28),
            _nanmean(past[:, -90:]),
            zero_share,
            np.isnan(last28).mean(axis=1),
            np.minimum(recency, 999),
            np.log1p(np.maximum(price, 0)),
            # the intermittent-demand baselines' levels: the model starts from what they know
            *(paths[:, :, origin] if paths is not None else _levels_at(past)),
        ]
    )


def _levels_at(past: np.ndarray) -> list[np.ndarray]:
    return [baselines.ses(past, 1)[:, 0], baselines.croston_sba(past, 1)[:, 0], baselines.tsb(past, 1)[:, 0]]


def design(
    y, price, calendar: pd.DataFrame, origin: int, horizon: int, paths=None, rows: np.ndarray | None = None
) -> np.ndarray:
    """Rows (series × horizon, series-major) of origin features + target-day calendar + ``h``; ``rows``:
    only these of them (built without the others: 10,000 series × 28 days × 12 origins would not fit)."""
    n = y.shape[0]
    base = origin_features(y, price, origin, paths)
    days = calendar.iloc[origin : origin + horizon][list(FEATURES)].to_numpy(dtype=float)
    target = np.column_stack([days, np.arange(1, horizon + 1)])
    if rows is None:
        rows = np.arange(n * horizon)
    return np.hstack([base[rows // horizon], target[rows % horizon]])


def extended_calendar(days: pd.DatetimeIndex, horizon: int, promotions=()) -> pd.DataFrame:
    """Calendar features of ``days`` and the ``horizon`` days after them."""
    import pandas as pd

    more = pd.date_range(days[0], periods=len(days) + horizon, freq="D")
    return calendar_features(more, promotions)


def fit_predict(
    y: np.ndarray,
    price: np.ndarray,
    days: pd.DatetimeIndex,
    origin: int,
    horizon: int,
    *,
    promotions: tuple[Promotion, ...] = (),
    seed: int = 0,
    paths: np.ndarray | None = None,
) -> np.ndarray:
    """Train on everything before ``origin`` and forecast the ``horizon`` days from it, (series, horizon).

    Falls back to zeros when the history is too short to learn from. ``paths``: :func:`level_paths`
    of ``y`` when the caller has them (a backtest computes them once for all its origins).
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    calendar = extended_calendar(days, horizon, promotions)
    if paths is None:
        paths = level_paths(y[:, :origin])
    # the training rows: every observed target day of every pseudo-origin, a sample of them when too
    # many; the features are then built for the rows kept only
    starts = [o for k in range(TRAIN_ORIGINS) if (o := origin - horizon - 7 * k) >= MIN_HISTORY]
    if not starts:
        return np.zeros((y.shape[0], horizon))
    kept = [np.flatnonzero(~np.isnan(y[:, o : o + horizon].reshape(-1))) for o in starts]
    bounds = np.cumsum([0] + [len(r) for r in kept])
    pick = np.arange(bounds[-1])
    if len(pick) > MAX_TRAIN_ROWS:
        pick = np.random.default_rng(seed).choice(len(pick), MAX_TRAIN_ROWS, replace=False)
    xs = np.empty((len(pick), FEATURE_COUNT))
    ts = np.empty(len(pick))
    for j, o in enumerate(starts):
        at = np.flatnonzero((pick >= bounds[j]) & (pick < bounds[j + 1]))
        rows = kept[j][pick[at] - bounds[j]]
        xs[at] = design(y, price, calendar, o, horizon, paths, rows)
        ts[at] = y[:, o : o + horizon].reshape(-1)[rows]
    x, t = xs, ts
    model = HistGradientBoostingRegressor(
        loss="poisson",
        max_iter=MAX_ITER,
        learning_rate=0.08,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        random_state=seed,
    )
    # OpenMP threads spin-wait on a shared, loaded machine: one thread was 40x faster than all cores here
    with threadpool_limits(limits=THREADS):
        model.fit(x, t)
        return model.predict(design(y, price, calendar, origin, horizon, paths)).reshape(y.shape[0], horizon)
