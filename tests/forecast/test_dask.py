"""With ``ECERP_DASK_SCHEDULER`` set, the per-series work of a backtest and a forecast runs on that Dask
cluster and gives the same numbers, to the bit, as in one process; a scheduler that does not answer is
a named error."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ecerp_core.errors import EcerpError
from ecerp_core.forecast import parallel
from ecerp_core.forecast.backtest import run_backtest
from ecerp_core.forecast.baselines import BASELINES
from ecerp_core.forecast.history import Panel
from ecerp_core.forecast.services import forecast_panel

distributed = pytest.importorskip("distributed")


def _panel() -> Panel:
    rng = np.random.default_rng(5)
    y = np.vstack([rng.poisson(3, (4, 90)), rng.poisson(0.2, (4, 90)) * 5, rng.poisson(8, (4, 90))])
    y = y.astype(float)
    y[1, 30:36] = np.nan  # a stock-out
    keys = [(f"S{i}", "") for i in range(len(y))]
    return Panel(keys, pd.date_range("2025-03-01", periods=90), y, np.linspace(1, 12, len(y)))


def _run(panel):
    bt = run_backtest(panel, horizon=14, origins=2, with_ml=False, lead=3, review=3)
    run = forecast_panel(panel, horizon=14, origins=2, with_ml=False, backtest=bt)
    scores = [dataclasses.replace(s, seconds=0.0) for s in bt.scores]
    return bt, run, scores


def test_backtest_and_forecast_on_a_local_dask_cluster(monkeypatch):
    panel = _panel()
    monkeypatch.delenv(parallel.SCHEDULER_ENV, raising=False)
    serial_bt, serial_run, serial_scores = _run(panel)

    monkeypatch.setattr(parallel, "CHUNK", 5)  # 12 series: three blocks, so the cluster gets work
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        monkeypatch.setenv(parallel.SCHEDULER_ENV, cluster.scheduler_address)
        try:
            bt, run, scores = _run(panel)
            ran = {prefix for prefix in cluster.scheduler.task_prefixes}
        finally:
            for client in parallel._clients.values():
                client.close()
            parallel._clients.clear()

    assert set(BASELINES) <= ran  # every baseline's blocks ran as tasks on the cluster
    assert scores == serial_scores
    for model, f in serial_bt.forecasts.items():
        assert np.array_equal(bt.forecasts[model], f), model
    assert np.array_equal(run.mean, serial_run.mean)
    assert run.models == serial_run.models


def test_a_scheduler_that_does_not_answer_is_a_named_error(monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 5)
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1)
    monkeypatch.setenv(parallel.SCHEDULER_ENV, "tcp://127.0.0.1:9")  # the discard port: nobody listens
    with pytest.raises(EcerpError) as caught:
        parallel.map_series(BASELINES["naive"], np.ones((12, 10)), 3)
    assert caught.value.code == "error.forecast_dask_unreachable"
    assert "tcp://127.0.0.1:9" in str(caught.value) and "\n" not in str(caught.value)
