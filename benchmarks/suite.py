"""Every benchmark: importing this module imports each benchmark module, which registers its own."""

from __future__ import annotations

from collections.abc import Callable

from benchmarks import (  # noqa: F401
    bench_analytics,
    bench_apps,
    bench_finance,
    bench_forecast,
    bench_foundation,
    bench_orders,
    bench_robust,
    bench_stock,
)
from benchmarks.core import BENCHMARKS, BenchConfig, BenchResult


def load_all() -> dict[str, Callable[[BenchConfig], BenchResult]]:
    """Every benchmark by name, as the modules above registered them."""
    return BENCHMARKS
