"""Rolling-origin backtest: every model forecasts ``horizon`` days from each of ``origins`` origins
(the last ``origins × horizon`` days, back to back), and is scored overall and per demand class.

Per model and class: mean MASE, mean RMSSE, revenue-weighted RMSSE (weights: each series' revenue in
the 28 days before the origin), WAPE, bias, pinball loss at the service-level quantile, the spread of
RMSSE over the origins and the fit + predict seconds. Quantiles are empirical: the forecast plus the
quantile of the model's scaled errors (error / the series' recent level) on the *other* origins of the
same class. Each class then uses the model with the best revenue-weighted RMSSE among the baselines,
and the scikit-learn model only where it beats that. A series' class is computed at each origin
from what was known then.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ecerp_core.errors import EcerpError
from ecerp_core.forecast import metrics, ml
from ecerp_core.forecast.baselines import BASELINES, CLASSES, DEFAULT_MODEL, demand_classes
from ecerp_core.forecast.dates import Promotion
from ecerp_core.forecast.history import Panel
from ecerp_core.forecast.parallel import map_series
from ecerp_core.forecast.replenish import cover_at_fill, simulate

QUANTILES = (0.05, 0.5, 0.8, 0.95)
"""The quantiles ``ecerp forecast run`` prints beside the mean."""
MIN_TRAIN_DAYS = 28
LEVEL_DAYS = 90
MIN_LEVEL = 0.1
SIM_LEVELS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)
CHOSEN = "chosen"


@dataclass(frozen=True)
class Score:
    """One model on one class (``all``: every series): the backtest figures, means over origins."""

    model: str
    demand_class: str
    series: int
    mase: float
    rmsse: float
    rw_rmsse: float
    wape: float
    bias: float
    pinball: float
    rmsse_spread: float
    seconds: float


@dataclass(frozen=True)
class Choice:
    """The model a class uses and why: ``reason`` is ``ml_beats`` (the scikit-learn model beat the best
    baseline), ``best_baseline``, or ``default`` (no series of the class in the backtest)."""

    model: str
    reason: str
    best_baseline: str
    baseline_score: float
    ml_score: float


@dataclass
class Backtest:
    """The backtest of a panel. ``forecasts[model]``: (origins, series, horizon); ``classes``: (origins,
    series); ``series_rmse[model]``: each series' RMSE over the origins (σ for safety stock)."""

    horizon: int
    origin_days: list
    service_level: float
    scores: list[Score]
    choices: dict[str, Choice]
    classes: np.ndarray
    forecasts: dict[str, np.ndarray] = field(repr=False)
    series_rmse: dict[str, np.ndarray] = field(repr=False)
    offsets: dict[tuple[str, str], dict[float, float]] = field(repr=False)
    stock: list[dict] = field(default_factory=list)

    def score(self, model: str, demand_class: str = "all") -> Score | None:
        return next((s for s in self.scores if s.model == model and s.demand_class == demand_class), None)


def origins_of(days: int, horizon: int, origins: int) -> list[int]:
    """Origin columns: the last ``origins`` blocks of ``horizon`` days.

    >>> origins_of(200, 28, 4)
    [88, 116, 144, 172]
    """
    first = days - horizon * origins
    if first < MIN_TRAIN_DAYS:
        raise EcerpError("error.forecast_history_short", days=days, needed=MIN_TRAIN_DAYS + horizon * origins)
    return [first + horizon * k for k in range(origins)]


def levels(train: np.ndarray) -> np.ndarray:
    """Each series' recent level (mean of its last 90 observed days, at least 0.1): errors are scaled by
    it so that one error distribution serves series of every size."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.maximum(np.nan_to_num(np.nanmean(train[:, -LEVEL_DAYS:], axis=1)), MIN_LEVEL)


def forecast_with(
    model: str,
    y: np.ndarray,
    price: np.ndarray,
    days,
    origin: int,
    horizon: int,
    promotions: Sequence[Promotion] = (),
    n_jobs: int | None = None,
    paths: np.ndarray | None = None,
) -> np.ndarray:
    """``model``'s forecast (series, horizon) from ``origin`` (baselines see only the days before it);
    ``paths``: :func:`ml.level_paths` of ``y``, when the caller has them."""
    if model == ml.NAME:
        return ml.fit_predict(y, price, days, origin, horizon, promotions=tuple(promotions), paths=paths)
    return map_series(BASELINES[model], y[:, :origin], horizon, n_jobs=n_jobs)


def run_backtest(
    panel: Panel,
    *,
    horizon: int = 28,
    origins: int = 4,
    service_level: float = 0.95,
    models: Sequence[str] | None = None,
    with_ml: bool = True,
    promotions: Sequence[Promotion] = (),
    lead: int = 7,
    review: int = 7,
    n_jobs: int | None = None,
) -> Backtest:
    """Backtest ``models`` (default: every baseline, plus the scikit-learn model ``with_ml``)."""
    y = panel.y
    cols = origins_of(y.shape[1], horizon, origins)
    names = list(models or BASELINES) + ([ml.NAME] if with_ml and ml.NAME not in (models or ()) else [])
    forecasts = {m: np.zeros((origins, len(panel), horizon)) for m in names}
    seconds = dict.fromkeys(names, 0.0)
    classes = np.empty((origins, len(panel)), dtype=object)
    paths = None
    if ml.NAME in names:
        started = time.perf_counter()
        paths = ml.level_paths(y[:, : cols[-1]])  # the model's baseline features, once for every origin
        seconds[ml.NAME] += time.perf_counter() - started
    for k, o in enumerate(cols):
        classes[k] = demand_classes(y[:, :o]) if len(panel) else []
        for m in names:
            started = time.perf_counter()
            forecasts[m][k] = np.maximum(
                forecast_with(m, y, panel.price, panel.days, o, horizon, promotions, n_jobs, paths), 0
            )
            seconds[m] += time.perf_counter() - started
    del paths
    actual = np.stack([y[:, o : o + horizon] for o in cols])
    scale = np.stack([levels(y[:, :o]) for o in cols])
    offsets = _offsets(names, forecasts, actual, scale, classes, service_level)
    quantile_cache: dict = {}
    scores = []
    for m in names:
        for c in ("all", *CLASSES):
            score = _score(
                m,
                c,
                forecasts[m],
                actual,
                scale,
                classes,
                y,
                panel.price,
                cols,
                service_level,
                offsets,
                seconds[m],
                quantile_cache,
            )
            if score is not None:
                scores.append(score)
    choices = choose(scores, with_ml and ml.NAME in names)
    chosen = np.zeros_like(forecasts[names[0]])
    for k in range(origins):
        for c in CLASSES:
            rows = classes[k] == c
            chosen[k, rows] = forecasts[choices[c].model][k, rows]
    forecasts[CHOSEN] = chosen
    for c in CLASSES:
        offsets[(CHOSEN, c)] = offsets.get((choices[c].model, c), {})
    for c in ("all", *CLASSES):
        score = _score(
            CHOSEN,
            c,
            chosen,
            actual,
            scale,
            classes,
            y,
            panel.price,
            cols,
            service_level,
            offsets,
            sum(seconds.values()),
            quantile_cache,
        )
        if score is not None:
            scores.append(score)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        rmse = {m: np.sqrt(np.nanmean((actual - f) ** 2, axis=(0, 2))) for m, f in forecasts.items()}
    result = Backtest(
        horizon,
        [panel.days[o].date() for o in cols],
        service_level,
        scores,
        choices,
        classes,
        forecasts,
        rmse,
        offsets,
    )
    result.stock = stock_frontier(result, actual, lead=lead, review=review)
    return result


def _offsets(names, forecasts, actual, scale, classes, service_level) -> dict:
    """(model, class) -> {q: quantile of scaled errors over every origin} (used by ``run``)."""
    out: dict[tuple[str, str], dict[float, float]] = {}
    for m in names:
        err = (actual - forecasts[m]) / scale[:, :, None]
        for c in CLASSES:
            e = err[classes == c]
            e = e[~np.isnan(e)]
            if e.size:
                out[(m, c)] = {q: float(np.quantile(e, q)) for q in {*QUANTILES, service_level}}
    return out


def _quantile_forecast(m, f, actual, scale, classes, k, q) -> np.ndarray:
    """The ``q`` quantile forecast at origin ``k`` from the errors of the other origins, per class."""
    others = [j for j in range(len(f)) if j != k] or [k]
    out = f[k].copy()
    for c in CLASSES:
        rows = classes[k] == c
        if not rows.any():
            continue
        e = np.concatenate(
            [((actual[j] - f[j]) / scale[j][:, None])[classes[j] == c].ravel() for j in others]
        )
        e = e[~np.isnan(e)]
        if e.size:
            out[rows] = np.maximum(f[k][rows] + float(np.quantile(e, q)) * scale[k][rows][:, None], 0)
    return out


def _score(m, c, f, actual, scale, classes, y, price, cols, q, offsets, seconds, cache) -> Score | None:
    """``cache``: (model, origin) -> its quantile forecast, the same for every class it is scored on;
    ("scale", origin) -> every series' MASE and RMSSE scales and revenue weight at that origin."""
    per_origin = []
    for k, o in enumerate(cols):
        rows = np.ones(y.shape[0], bool) if c == "all" else classes[k] == c
        if not rows.any():
            continue
        a, p = actual[k][rows], f[k][rows]
        if ("scale", k) not in cache:  # the series' in-sample scales at origin k, for every model
            train = y[:, :o]
            cache[("scale", k)] = (
                metrics.scale(train, 1),
                metrics.scale(train, 2),
                price * np.nansum(train[:, -28:], axis=1),
            )
        scale1, scale2, revenue = (v[rows] for v in cache[("scale", k)])
        rm = metrics.rmsse(a, p, None, scale2=scale2)
        if (m, k) not in cache:
            cache[(m, k)] = _quantile_forecast(m, f, actual, scale, classes, k, q)
        quant = cache[(m, k)][rows]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            per_origin.append(
                (
                    rows.sum(),
                    np.nanmean(metrics.mase(a, p, None, scale1=scale1)),
                    np.nanmean(rm),
                    metrics.weighted(rm, revenue),
                    metrics.wape(a, p),
                    metrics.bias(a, p),
                    metrics.pinball(a, quant, q),
                )
            )
    if not per_origin:
        return None
    table = np.array(per_origin, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(table, axis=0)
        spread = float(np.nanstd(table[:, 2]))
    return Score(m, c, int(table[:, 0].max()), *map(float, means[1:]), spread, seconds)


def choose(scores: list[Score], with_ml: bool) -> dict[str, Choice]:
    """Per class: the best baseline by revenue-weighted RMSSE (mean RMSSE where the class earned
    nothing), and the scikit-learn model instead where it scores lower."""

    def key(s: Score) -> float:
        v = s.rw_rmsse if not np.isnan(s.rw_rmsse) else s.rmsse
        return np.inf if np.isnan(v) else v

    out = {}
    for c in CLASSES:
        base = [s for s in scores if s.demand_class == c and s.model in BASELINES]
        if not base or all(key(s) == np.inf for s in base):
            out[c] = Choice(DEFAULT_MODEL[c], "default", DEFAULT_MODEL[c], float("nan"), float("nan"))
            continue
        best = min(base, key=key)
        learned = next((s for s in scores if s.demand_class == c and s.model == ml.NAME), None)
        ml_score = key(learned) if with_ml and learned else float("nan")
        if learned is not None and ml_score < key(best):
            out[c] = Choice(ml.NAME, "ml_beats", best.model, key(best), ml_score)
        else:
            out[c] = Choice(best.model, "best_baseline", best.model, key(best), ml_score)
    return out


def stock_frontier(bt: Backtest, actual: np.ndarray, *, lead: int, review: int) -> list[dict]:
    """Per model: the fill rate achieved and days of cover at each of :data:`SIM_LEVELS` over the
    backtest days, and the days of cover needed for 90% and 95% fill (interpolated)."""
    days_actual = np.concatenate(list(actual), axis=1)
    out = []
    for m, f in bt.forecasts.items():
        mean = np.concatenate(list(f), axis=1)
        err = (actual - f) ** 2
        sig = []
        for k in range(len(f)):
            others = [j for j in range(len(f)) if j != k] or [k]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                s = np.sqrt(np.nanmean(np.concatenate([err[j] for j in others], axis=1), axis=1))
            sig.append(np.repeat(np.nan_to_num(s)[:, None], f.shape[2], axis=1))
        sigma = np.concatenate(sig, axis=1)
        points = []
        for level in SIM_LEVELS:
            sim = simulate(days_actual, mean, sigma, lead=lead, review=review, service_level=level)
            points.append((sim.fill_rate, sim.days_of_cover))
        row = {"model": m, "points": points}
        row["cover_90"] = cover_at_fill(points, 0.90)
        row["cover_95"] = cover_at_fill(points, 0.95)
        out.append(row)
    return out
