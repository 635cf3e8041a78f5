"""Per-series work spread over local cores with joblib, or over a Dask cluster when
``ECERP_DASK_SCHEDULER`` names one (``tcp://host:8786``) and ``distributed`` is installed."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator

import numpy as np

CHUNK = 2_000
"""Series per task: the models loop over days vectorised over series, so big chunks are cheapest."""
log = logging.getLogger(__name__)


@contextlib.contextmanager
def backend() -> Iterator[str]:
    """joblib's backend for the block: ``dask`` when a scheduler is configured and reachable, else
    ``loky`` (local processes)."""
    import joblib  # loaded on the first parallel run, not when the Forecast app opens

    address = os.environ.get("ECERP_DASK_SCHEDULER", "")
    if address:
        try:
            from dask.distributed import Client

            client = Client(address)
        except (ImportError, OSError) as exc:
            log.warning("Dask scheduler %s not usable (%s): running on local cores", address, exc)
        else:
            with client, joblib.parallel_config(backend="dask"):
                yield "dask"
            return
    yield "loky"


def map_series(fn: Callable[..., np.ndarray], y: np.ndarray, *args, n_jobs: int | None = None) -> np.ndarray:
    """``fn(block, *args)`` over blocks of rows of ``y``, stacked back in order. Small panels run in
    this process (starting workers costs more than they save)."""
    if y.shape[0] <= CHUNK or n_jobs == 1:
        return fn(y, *args)
    import joblib

    blocks = [y[i : i + CHUNK] for i in range(0, y.shape[0], CHUNK)]
    with backend() as name:
        jobs = n_jobs or (-1 if name == "loky" else len(blocks))
        parts = joblib.Parallel(n_jobs=jobs)(joblib.delayed(fn)(b, *args) for b in blocks)
    return np.vstack(parts)
