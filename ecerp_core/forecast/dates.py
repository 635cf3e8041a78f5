"""Calendar features of a demand day: weekday, month, Chinese public holidays, 调休 working days and
the promotions online sellers live by (618, 双11, 双12) plus the company's own.

Holidays and the weekend days worked instead (调休) come from the maintained ``holidays`` library,
not from a table typed here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import holidays
import numpy as np

if TYPE_CHECKING:
    import pandas as pd

PROMOTIONS: tuple[tuple[int, int, int, int], ...] = (
    (6, 1, 6, 18),  # 618: the whole of June 1–18, the 18th the peak
    (11, 1, 11, 11),  # 双11: pre-sales from Nov 1, the 11th the peak
    (12, 10, 12, 12),  # 双12
)
"""Yearly platform promotions as (start month, start day, end month, end day)."""
PEAK_DAYS = ((6, 18), (11, 11), (12, 12))

Promotion = tuple[dt.date, dt.date]
"""A company promotion: first and last day (inclusive)."""

FEATURES = ("dow", "month", "day", "holiday", "workday_swap", "promo", "promo_peak")


def calendar_features(days: pd.DatetimeIndex, promotions: Sequence[Promotion] = ()) -> pd.DataFrame:
    """One row of calendar features per day: ``dow`` (0 = Monday), ``month``, ``day``, ``holiday``
    (a Chinese public holiday), ``workday_swap`` (a weekend day worked, 调休), ``promo`` (inside 618 /
    双11 / 双12 or one of ``promotions``) and ``promo_peak``.

    >>> import pandas as pd
    >>> f = calendar_features(pd.date_range("2024-02-03", "2024-02-05"))
    >>> f[["dow", "holiday", "workday_swap"]].values.tolist()
    [[5, 0, 0], [6, 0, 1], [0, 0, 0]]
    >>> int(calendar_features(pd.DatetimeIndex(["2024-11-11"]))["promo_peak"].iloc[0])
    1
    """
    import pandas as pd

    days = pd.DatetimeIndex(days)
    years = sorted({d.year for d in days}) or [dt.date.today().year]
    china = holidays.China(years=years)
    swaps = set(china.weekend_workdays)
    dates = [d.date() for d in days]
    month = days.month.to_numpy()
    day = days.day.to_numpy()
    promo = np.zeros(len(days), dtype=np.int8)
    for m1, d1, m2, d2 in PROMOTIONS:
        promo |= ((month * 100 + day) >= m1 * 100 + d1) & ((month * 100 + day) <= m2 * 100 + d2)
    for first, last in promotions:
        promo |= np.array([first <= d <= last for d in dates], dtype=bool)
    peak = np.zeros(len(days), dtype=np.int8)
    for m, d in PEAK_DAYS:
        peak |= (month == m) & (day == d)
    return pd.DataFrame(
        {
            "dow": days.day_of_week.to_numpy(),
            "month": month,
            "day": day,
            "holiday": np.array([d in china for d in dates], dtype=np.int8),
            "workday_swap": np.array([d in swaps for d in dates], dtype=np.int8),
            "promo": promo.astype(np.int8),
            "promo_peak": peak,
        },
        index=days,
    )
