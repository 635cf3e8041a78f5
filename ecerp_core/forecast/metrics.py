"""Forecast accuracy over many series: MASE, RMSSE, revenue-weighted RMSSE, WAPE, bias and pinball loss.

``actual`` and ``forecast`` have shape (series, horizon); censored actual days are NaN and left out.
The scales of MASE and RMSSE are the in-sample one-day naive errors of each series' training history.
"""

from __future__ import annotations

import warnings

import numpy as np


def scale(train: np.ndarray, power: int) -> np.ndarray:
    """Each series' in-sample mean absolute (``power`` 1) or squared (2) one-day change, NaN when 0:
    what :func:`mase` and :func:`rmsse` divide by (pass it as ``scale`` to reuse it)."""
    diffs = np.abs(np.diff(train, axis=1)) ** power
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        s = np.nanmean(diffs, axis=1) if diffs.shape[1] else np.full(train.shape[0], np.nan)
    return np.where(s > 0, s, np.nan)


def _mean(x: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, axis=1)


def mase(
    actual: np.ndarray, forecast: np.ndarray, train: np.ndarray | None, *, scale1: np.ndarray | None = None
) -> np.ndarray:
    """Per series: mean absolute error / in-sample mean absolute one-day change (NaN when that is 0).

    >>> mase(np.array([[2.0, 4.0]]), np.array([[3.0, 3.0]]), np.array([[1.0, 3.0, 1.0]])).tolist()
    [0.5]
    """
    return _mean(np.abs(actual - forecast)) / (scale(train, 1) if scale1 is None else scale1)


def rmsse(
    actual: np.ndarray, forecast: np.ndarray, train: np.ndarray | None, *, scale2: np.ndarray | None = None
) -> np.ndarray:
    """Per series: root of mean squared error / in-sample mean squared one-day change.

    >>> rmsse(np.array([[2.0, 4.0]]), np.array([[3.0, 3.0]]), np.array([[1.0, 3.0, 1.0]])).tolist()
    [0.5]
    """
    return np.sqrt(_mean((actual - forecast) ** 2) / (scale(train, 2) if scale2 is None else scale2))


def weighted(values: np.ndarray, weights: np.ndarray) -> float:
    """The ``weights``-weighted mean of the non-NaN ``values`` (NaN when no weight is left).

    >>> weighted(np.array([1.0, 3.0, np.nan]), np.array([1.0, 3.0, 5.0]))
    2.5
    """
    ok = ~np.isnan(values) & (weights > 0)
    total = weights[ok].sum()
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else float("nan")


def wape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Sum of absolute errors / sum of actual demand, over every observed cell.

    >>> wape(np.array([[2.0, 4.0, np.nan]]), np.array([[3.0, 3.0, 9.0]]))
    0.3333333333333333
    """
    seen = ~np.isnan(actual)
    total = actual[seen].sum()
    return float(np.abs(actual - forecast)[seen].sum() / total) if total > 0 else float("nan")


def bias(actual: np.ndarray, forecast: np.ndarray) -> float:
    """(Forecast − actual) / actual, summed over observed cells: > 0 over-forecasts.

    >>> bias(np.array([[2.0, 4.0]]), np.array([[3.0, 6.0]]))
    0.5
    """
    seen = ~np.isnan(actual)
    total = actual[seen].sum()
    return float((forecast - actual)[seen].sum() / total) if total > 0 else float("nan")


def pinball(actual: np.ndarray, quantile: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss of the ``q`` quantile forecast over observed cells.

    >>> pinball(np.array([[2.0, 4.0]]), np.array([[3.0, 3.0]]), 0.9)
    0.5
    """
    seen = ~np.isnan(actual)
    err = (actual - quantile)[seen]
    return float(np.maximum(q * err, (q - 1) * err).mean()) if err.size else float("nan")
