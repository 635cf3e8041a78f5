"""statsforecast's side of ``ecerp bench forecast-backtest``: run by the Python of a separate venv that
has statsforecast (it pins pandas < 3, which ecerp does not run on), never imported by ecerp.

``python statsforecast_side.py SERIES.csv OUT.csv HORIZON ORIGINS``: SERIES.csv has columns
``unique_id, ds, y`` (daily, no gaps, no missing values); OUT.csv gets statsforecast's rolling-origin
cross-validation (``unique_id, ds, cutoff, y`` and one column per model) with the same origins as
ecerp's backtest: the last ``ORIGINS`` blocks of ``HORIZON`` days. The models take the parameters
ecerp's baselines use (``ecerp_core/forecast/baselines.py``: α = β = 0.1, a 28-day window, a week's
season); ``SESOpt`` (α fitted per series) is there to show what a fitted α would change.
"""

import sys
import time


def main(source: str, target: str, horizon: int, origins: int) -> None:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import (
        TSB,
        CrostonSBA,
        Naive,
        SeasonalNaive,
        SimpleExponentialSmoothing,
        SimpleExponentialSmoothingOptimized,
        WindowAverage,
    )

    df = pd.read_csv(source, parse_dates=["ds"], dtype={"unique_id": str})
    models = [
        Naive(),
        SeasonalNaive(season_length=7),
        WindowAverage(window_size=28),
        SimpleExponentialSmoothing(alpha=0.1),
        CrostonSBA(),
        TSB(alpha_d=0.1, alpha_p=0.1),
        SimpleExponentialSmoothingOptimized(alias="SESOpt"),
    ]
    started = time.perf_counter()
    cv = StatsForecast(models=models, freq="D", n_jobs=1).cross_validation(
        df=df, h=horizon, n_windows=origins, step_size=horizon
    )
    cv.reset_index().to_csv(target, index=False)
    print(f"statsforecast cross-validation: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
