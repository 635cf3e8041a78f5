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
MAX_ITER = 100
"""Boosting rounds."""
THREADS = int(os.environ.get("ECERP_FORECAST_THREADS", "1"))
"""OpenMP threads of one fit (``ECERP_FORECAST_THREADS``)."""


def _nanmean(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=1)


def origin_features(y: np.ndarray, price: np.ndarray, origin: int) -> np.ndarray:
    """What each series' history says at ``origin`` (the first day not known), shape (series, 18)."""
    past = y[:, :origin]
    lags = past[:, -7:][:, ::-1]
    if lags.shape[1] < 7:
        lags = np.hstack([lags, np.full((y.shape[0], 7 - lags.shape[1]), np.nan)])
    last28 = past[:, -28:]
    sold = np.where(np.nan_to_num(past) > 0)
    last_sale = np.full(y.shape[0], -1)
    np.maximum.at(last_sale, sold[0], sold[1])
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
            baselines.ses(past, 1)[:, 0],
            baselines.croston_sba(past, 1)[:, 0],
            baselines.tsb(past, 1)[:, 0],
        ]
    )


def design(y, price, calendar: pd.DataFrame, origin: int, horizon: int) -> np.ndarray:
    """Rows (series × horizon, series-major) of origin features + target-day calendar + ``h``."""
    n = y.shape[0]
    base = np.repeat(origin_features(y, price, origin), horizon, axis=0)
    days = calendar.iloc[origin : origin + horizon][list(FEATURES)].to_numpy(dtype=float)
    target = np.tile(np.column_stack([days, np.arange(1, horizon + 1)]), (n, 1))
    return np.hstack([base, target])


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
) -> np.ndarray:
    """Train on everything before ``origin`` and forecast the ``horizon`` days from it, (series, horizon).

    Falls back to zeros when the history is too short to learn from.
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    calendar = extended_calendar(days, horizon, promotions)
    xs, ts = [], []
    for k in range(TRAIN_ORIGINS):
        o = origin - horizon - 7 * k
        if o < MIN_HISTORY:
            break
        x = design(y, price, calendar, o, horizon)
        t = y[:, o : o + horizon].reshape(-1)
        keep = ~np.isnan(t)
        xs.append(x[keep])
        ts.append(t[keep])
    if not xs:
        return np.zeros((y.shape[0], horizon))
    x, t = np.vstack(xs), np.concatenate(ts)
    if len(t) > MAX_TRAIN_ROWS:
        pick = np.random.default_rng(seed).choice(len(t), MAX_TRAIN_ROWS, replace=False)
        x, t = x[pick], t[pick]
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
        return model.predict(design(y, price, calendar, origin, horizon)).reshape(y.shape[0], horizon)
