"""Baselines, demand classes, metrics, censoring and order rounding against values worked out by hand
on tiny series; a backtest of three short series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ecerp_core.forecast import baselines as b
from ecerp_core.forecast import metrics as m
from ecerp_core.forecast import ml
from ecerp_core.forecast.backtest import CHOSEN, run_backtest
from ecerp_core.forecast.dates import calendar_features
from ecerp_core.forecast.history import Panel, build_panel
from ecerp_core.forecast.replenish import round_order, simulate

NAN = np.nan
Y = np.array([[0.0, 2, 0, 0, 3]])


def test_naive_and_moving_average_skip_censored_days():
    y = np.array([[4.0, 1, NAN], [NAN, NAN, NAN]])
    assert b.naive(y, 2).tolist() == [[1.0, 1.0], [0.0, 0.0]]
    # mean of the observed days in the window: (4 + 1) / 2, the censored day left out
    assert b.moving_average(y, 1, window=3).tolist() == [[2.5], [0.0]]


def test_seasonal_naive_repeats_the_last_week():
    y = np.arange(10.0)[None, :]  # days 0..9; day 10 is the weekday of day 3
    assert b.seasonal_naive(y, 8).tolist() == [[3, 4, 5, 6, 7, 8, 9, 3]]
    y[0, 3] = NAN  # a censored day falls back to the same weekday a week earlier (none: 0)
    assert b.seasonal_naive(y, 1).tolist() == [[0.0]]


def test_ses_by_hand():
    # level 2 after the first day, then 0.1 · 4 + 0.9 · 2 = 2.2, the censored day skipped, 0.1 · 1 + 0.9 · 2.2
    assert b.ses(np.array([[2.0, 4, NAN, 1]]), 1)[0].tolist() == pytest.approx([2.08])


def test_croston_sba_by_hand():
    # first demand 2 after 2 observed days: size 2, interval 2; then 3 after 3 days:
    # size 2 + 0.1 · (3 − 2) = 2.1, interval 2 + 0.1 · (3 − 2) = 2.1; forecast 0.95 · 2.1 / 2.1
    assert b.croston_sba(Y, 2)[0].tolist() == pytest.approx([0.95, 0.95])
    # a censored day is not a day without demand: the interval to the 3 stays 2 → 0.95 · 2.1 / 2.0
    assert b.croston_sba(np.array([[0.0, 2, 0, NAN, 3]]), 1)[0].tolist() == pytest.approx([0.9975])


def test_tsb_by_hand():
    # probability 0, 0.1, 0.09, 0.081, 0.081 + 0.1 · 0.919 = 0.1729; size 2 then 2.1 → 0.36309
    assert b.tsb(Y, 1)[0].tolist() == pytest.approx([0.36309])


def test_demand_classes_by_adi_and_cv2():
    y = np.array(
        [
            [3, 3, 4, 3, 3, 3.0],  # ADI 1, CV² small
            [1, 9, 1, 9, 1, 9.0],  # ADI 1, CV² 0.64
            [0, 0, 4, 0, 0, 4.0],  # ADI 4 / 2 = 2 (days counted from the first demand), CV² 0
            [0, 1, 0, 0, 12, 0.0],  # ADI 5 / 2, CV² of (1, 12) large
            [0, 0, 0, 0, 0, NAN],
        ]
    )
    assert b.demand_classes(y).tolist() == ["smooth", "erratic", "intermittent", "lumpy", "inactive"]


def test_metrics_known_examples():
    actual = np.array([[2.0, 4.0], [0.0, NAN]])
    forecast = np.array([[3.0, 3.0], [1.0, 5.0]])
    train = np.array([[1.0, 3.0, 1.0], [0.0, 2.0, 0.0]])
    assert m.mase(actual, forecast, train).tolist() == [0.5, 0.5]
    assert m.rmsse(actual, forecast, train).tolist() == [0.5, 0.5]
    assert m.weighted(np.array([0.5, 1.0]), np.array([3.0, 1.0])) == 0.625
    assert m.wape(actual, forecast) == 0.5  # (1 + 1 + 1) / 6, the censored cell left out
    assert m.bias(actual, forecast) == pytest.approx(1 / 6)
    assert m.pinball(actual, forecast, 0.9) == pytest.approx((0.1 + 0.9 + 0.1) / 3)


def test_censored_days_are_not_zero_demand():
    sales = pd.DataFrame(
        {
            "sku": ["A", "B"],
            "warehouse": ["W", ""],
            "qty": [3.0, 1.0],
            "revenue": [30.0, 5.0],
            "day": [dt.date(2025, 3, 1), dt.date(2025, 3, 2)],
        }
    )
    # A: 3 in stock, all sold on the 1st, 5 more on the 3rd: the 2nd had nothing to sell
    stock = pd.DataFrame(
        {
            "sku": ["A", "A", "A"],
            "warehouse": ["W"] * 3,
            "change": [3.0, -3.0, 5.0],
            "day": [dt.date(2025, 2, 20), dt.date(2025, 3, 1), dt.date(2025, 3, 3)],
        }
    )
    panel = build_panel(sales, stock, dt.date(2025, 3, 1), dt.date(2025, 3, 4))
    assert panel.keys == [("A", "W"), ("B", "")]
    a, bb = panel.y.tolist()
    assert a[0] == 3.0 and np.isnan(a[1]) and a[2:] == [0.0, 0.0]
    assert bb == [0.0, 1.0, 0.0, 0.0]  # history without a warehouse has no stock to censor by
    assert panel.price.tolist() == [10.0, 5.0]
    # the censored day moves no forecast: the moving average is over the observed days only
    assert b.moving_average(panel.y[:1], 1).tolist() == [[1.0]]


def test_calendar_knows_chinese_holidays_swaps_and_promotions():
    f = calendar_features(pd.DatetimeIndex(["2024-10-01", "2024-10-12", "2024-11-11", "2024-06-18"]))
    assert f["holiday"].tolist() == [1, 0, 0, 0]
    assert f["workday_swap"].tolist() == [0, 1, 0, 0]  # Saturday 12 Oct 2024 was worked (调休)
    assert f["promo_peak"].tolist() == [0, 0, 1, 1]
    own = calendar_features(pd.DatetimeIndex(["2024-03-08"]), [(dt.date(2024, 3, 7), dt.date(2024, 3, 9))])
    assert own["promo"].tolist() == [1]


def test_order_rounds_to_moq_and_pack():
    assert round_order(0.4, 50, 12) == 60  # any need: at least the MOQ, in whole packs
    assert round_order(-3, 50, 12) == 0
    assert round_order(130, 50, 12) == 132
    assert round_order(7, 1, None) == 7


def test_simulation_reports_the_fill_reached():
    actual = np.array([[0.0, 0, 30, 0, 0, 0, 0, 0, 0, 30]])  # lumpy: nothing, then 30 at once
    sim = simulate(actual, np.full((1, 10), 6.0), np.zeros((1, 10)), lead=1, review=1, service_level=0.95)
    # normal theory with no error holds 12 (two days of 6): each burst of 30 finds 12 on the shelf
    assert sim.fill_rate == pytest.approx(24 / 60)


def test_backtest_of_three_short_series(monkeypatch):
    monkeypatch.setattr(ml, "MAX_ITER", 10)  # the model's quality is the benchmark's business, not CI's
    monkeypatch.setattr(ml, "TRAIN_ORIGINS", 3)
    rng = np.random.default_rng(1)
    days = pd.date_range("2025-01-01", periods=60)
    y = np.vstack([rng.poisson(5, 60), rng.poisson(0.3, 60) * 4, np.tile([0, 0, 0, 9, 0, 0, 1], 9)[:60]])
    y = y.astype(float)
    y[0, 10:13] = NAN
    panel = Panel([("A", "W"), ("B", "W"), ("C", "")], days, y, np.array([10.0, 2.0, 1.0]), [1, 2, None])
    bt = run_backtest(panel, horizon=7, origins=2, with_ml=True, lead=2, review=2)
    assert [d.isoformat() for d in bt.origin_days] == ["2025-02-16", "2025-02-23"]
    models = {s.model for s in bt.scores if s.demand_class == "all"}
    assert models == {*b.BASELINES, "ml_hgb", CHOSEN}
    for c, choice in bt.choices.items():
        assert choice.model in {*b.BASELINES, "ml_hgb"}, c
        if choice.reason == "ml_beats":
            assert choice.ml_score < choice.baseline_score
    assert all(0 <= r["points"][-1][0] <= 1 for r in bt.stock)
    assert bt.forecasts[CHOSEN].shape == (2, 3, 7)
