"""What every benchmark shares: its configuration, its result, the timer and the registry.

A benchmark is a function ``(BenchConfig) -> BenchResult`` registered in :data:`BENCHMARKS` with
:func:`benchmark`. It measures ecerp's code path and a raw-database baseline on the same rows in the
same run, several times, and reports medians and their ratio — the machines are shared and noisy,
so single timings and absolute numbers mean little.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BenchConfig:
    """workdir: a scratch folder; repeat: timed runs per side; scale: 1.0 is the documented size;
    database_url: None for fresh SQLite files, or a PostgreSQL URL whose tables are reset per run;
    series: how many series the forecast benchmarks forecast (None: their documented size)."""

    workdir: Path
    repeat: int = 3
    scale: float = 1.0
    database_url: str | None = None
    seed: int = 7
    series: int | None = None


@dataclass
class BenchResult:
    name: str
    rows: int
    unit: str
    ours: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    baseline_name: str = "raw SQL executemany"
    backend: str = "sqlite"
    note: str = ""

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)

    @property
    def ratio(self) -> float:
        """How many times longer ecerp took than the baseline (1.0 = as fast)."""
        return self.ours_median / self.baseline_median

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "backend": self.backend,
            "rows": self.rows,
            "unit": self.unit,
            "ours_median_s": round(self.ours_median, 4),
            "baseline": self.baseline_name,
            "baseline_median_s": round(self.baseline_median, 4),
            "ratio": round(self.ratio, 2),
            "ours_rate_per_s": round(self.rows / self.ours_median, 1),
            "baseline_rate_per_s": round(self.rows / self.baseline_median, 1),
            "runs": len(self.ours),
            "note": self.note,
        }


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


BENCHMARKS: dict[str, Callable[[BenchConfig], BenchResult]] = {}


def benchmark(name: str):
    def register(fn):
        BENCHMARKS[name] = fn
        return fn

    return register
