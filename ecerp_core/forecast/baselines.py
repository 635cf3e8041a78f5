"""Baseline forecasts over many series at once, and the demand classes that pick a series' default.

A panel is a float array ``Y`` of shape (series, days); ``NaN`` marks a censored day (a stock-out: no
sales because nothing was there to sell), which every method skips instead of reading as zero demand.
Each method returns the forecast of the next ``horizon`` days, shape (series, horizon); a series with no
observed day forecasts 0. The loops run over days, vectorised over series, so 10,000 series cost about
what one does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ALPHA = 0.1
"""Smoothing weight of SES, Croston-SBA (size and interval) and TSB's size."""
BETA = 0.1
"""TSB's smoothing weight of the probability of a demand."""
WINDOW = 28
"""Days the moving average looks back."""
CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "inactive")
"""Demand classes by ADI and CV² (Syntetos–Boylan); inactive: no demand in the history."""
ADI_CUT = 1.32
CV2_CUT = 0.49


def last_observed(y: np.ndarray) -> np.ndarray:
    """The last non-NaN value of each row (NaN when the row has none).

    >>> last_observed(np.array([[1.0, np.nan], [np.nan, np.nan]])).tolist()
    [1.0, nan]
    """
    if y.shape[1] == 0:
        return np.full(y.shape[0], np.nan)
    seen = ~np.isnan(y)
    last = y.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1)
    out = y[np.arange(y.shape[0]), last]
    out[~seen.any(axis=1)] = np.nan
    return out


def _flat(level: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(np.nan_to_num(level, nan=0.0)[:, None], horizon, axis=1)


def naive(y: np.ndarray, horizon: int) -> np.ndarray:
    """Tomorrow and every later day sell what the last observed day sold."""
    return _flat(last_observed(y), horizon)


def seasonal_naive(y: np.ndarray, horizon: int, season: int = 7) -> np.ndarray:
    """Each day sells what the last observed same weekday sold (``season`` days apart)."""
    t = y.shape[1]
    out = np.empty((y.shape[0], horizon))
    phases = np.arange(t) % season
    for k in range(horizon):
        out[:, k] = last_observed(y[:, phases == (t + k) % season])
    return np.nan_to_num(out, nan=0.0)


def moving_average(y: np.ndarray, horizon: int, window: int = WINDOW) -> np.ndarray:
    """The mean of the observed days among the last ``window``."""
    tail = y[:, -window:]
    seen = (~np.isnan(tail)).sum(axis=1)
    level = np.where(seen > 0, np.nansum(tail, axis=1) / np.maximum(seen, 1), np.nan)
    return _flat(level, horizon)


def ses(y: np.ndarray, horizon: int, alpha: float = ALPHA) -> np.ndarray:
    """Simple exponential smoothing, started at the first observed value."""
    level = np.full(y.shape[0], np.nan)
    for t in range(y.shape[1]):
        v = y[:, t]
        level = np.where(np.isnan(v), level, np.where(np.isnan(level), v, alpha * v + (1 - alpha) * level))
    return _flat(level, horizon)


def croston_sba(y: np.ndarray, horizon: int, alpha: float = ALPHA) -> np.ndarray:
    """Croston's method with the Syntetos–Boylan correction: (1 − α/2) · size / interval.

    Size and interval are smoothed at each demand; the first demand starts them (interval: observed
    days up to and including it). Censored days do not count in the interval.
    """
    n = y.shape[0]
    size = np.full(n, np.nan)
    interval = np.full(n, np.nan)
    since = np.zeros(n)
    for t in range(y.shape[1]):
        v = y[:, t]
        seen = ~np.isnan(v)
        since = since + seen
        demand = seen & (v > 0)
        first = demand & np.isnan(size)
        later = demand & ~first
        size = np.where(first, v, np.where(later, size + alpha * (v - size), size))
        interval = np.where(first, since, np.where(later, interval + alpha * (since - interval), interval))
        since = np.where(demand, 0, since)
    return _flat((1 - alpha / 2) * size / interval, horizon)


def tsb(y: np.ndarray, horizon: int, alpha: float = ALPHA, beta: float = BETA) -> np.ndarray:
    """Teunter–Syntetos–Babai: probability of a demand (updated every observed day) × its size.

    The probability starts at the first observed day's (0 or 1), the size at the first demand.
    """
    n = y.shape[0]
    prob = np.full(n, np.nan)
    size = np.full(n, np.nan)
    for t in range(y.shape[1]):
        v = y[:, t]
        seen = ~np.isnan(v)
        hit = (v > 0).astype(float)
        prob = np.where(seen, np.where(np.isnan(prob), hit, prob + beta * (hit - prob)), prob)
        demand = seen & (v > 0)
        size = np.where(demand, np.where(np.isnan(size), v, size + alpha * (v - size)), size)
    return _flat(prob * size, horizon)


BASELINES: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "moving_average": moving_average,
    "ses": ses,
    "croston_sba": croston_sba,
    "tsb": tsb,
}
"""Every baseline by the name the backtest and the CLI show."""

DEFAULT_MODEL = {
    "smooth": "ses",
    "erratic": "moving_average",
    "intermittent": "croston_sba",
    "lumpy": "tsb",
    "inactive": "naive",
}
"""A class's model before the backtest has spoken."""


def demand_classes(y: np.ndarray) -> np.ndarray:
    """Each series' class: ADI (observed days from the first demand on / days with demand) against
    1.32 and CV² of the demand sizes against 0.49.

    Computed over all series at once; the few whose CV² lies within a hair of the cut are worked out
    one by one, as :func:`_class_of` does, so that summation order cannot move a series across it.

    >>> demand_classes(np.array([[1, 1, 1, 1.0], [0, 5, 0, 0], [1, 9, 1, 9], [0, 0, 0, 0]])).tolist()
    ['smooth', 'intermittent', 'erratic', 'inactive']
    """
    n = y.shape[0]
    if n == 0 or y.shape[1] == 0:
        return np.array(["inactive"] * n, dtype=object)
    seen = ~np.isnan(y)
    demand = y > 0  # NaN is not a demand
    hits = demand.sum(axis=1)
    first = np.argmax(demand, axis=1)
    seen_before = np.cumsum(seen, axis=1)[np.arange(n), first] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        adi = (seen.sum(axis=1) - seen_before) / hits
        sizes = np.where(demand, y, 0.0)
        mean = sizes.sum(axis=1) / hits
        var = np.where(demand, (y - mean[:, None]) ** 2, 0.0).sum(axis=1) / hits
        cv2 = var / mean**2
    out = np.where(
        adi < ADI_CUT,
        np.where(cv2 < CV2_CUT, "smooth", "erratic"),
        np.where(cv2 < CV2_CUT, "intermittent", "lumpy"),
    ).astype(object)
    out[hits == 0] = "inactive"
    for i in np.flatnonzero((hits > 0) & (np.abs(cv2 - CV2_CUT) < 1e-9)):
        out[i] = _class_of(y[i])
    return out


def _class_of(row: np.ndarray) -> str:
    """One series' class, the plain way (the reference :func:`demand_classes` agrees with)."""
    seen = row[~np.isnan(row)]
    hits = np.flatnonzero(seen > 0)
    if hits.size == 0:
        return "inactive"
    adi = (seen.size - hits[0]) / hits.size
    sizes = seen[hits]
    cv2 = (sizes.std() / sizes.mean()) ** 2
    if adi < ADI_CUT:
        return "smooth" if cv2 < CV2_CUT else "erratic"
    return "intermittent" if cv2 < CV2_CUT else "lumpy"
