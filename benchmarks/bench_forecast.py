"""Forecast benchmark on real data: the UCI Online Retail shop (``../shared/data/online_retail/``), the
SKUs sold in the last 90 days of its history (at least 1,000 at scale 1.0), 4 rolling origins of 28 days.

Timed: ecerp's whole backtest (6 baselines + the scikit-learn model + per-class choice + inventory
simulation) against the baseline of the same backtest with the baselines only. Printed in the note:
every model's accuracy side by side (overall), what each class chose, and the days of cover each model
needed for 90% / 95% achieved fill. The accuracy table is also written to ``forecast_backtest.md`` in the
benchmark's work folder. statsforecast's versions of the baselines would sit beside ours (the optional
``bench`` dependency group) — today it requires pandas < 3, which ecerp does not run on, so it is left out
and said so.
"""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.core import BenchConfig, BenchResult, benchmark, timed
from ecerp_core.forecast.backtest import run_backtest
from ecerp_core.forecast.history import build_panel

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail"
COLUMNS = ("model", "mase", "rmsse", "rw_rmsse", "wape", "bias", "pinball", "rmsse_spread", "seconds")


def load_sales(path: Path):
    """Positive sales lines per StockCode and invoice day (no warehouse: like imported history)."""
    import pandas as pd

    raw = pd.read_csv(path, usecols=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice"])
    raw = raw[(raw["Quantity"] > 0) & ~raw["InvoiceNo"].astype(str).str.startswith("C")]
    raw["day"] = pd.to_datetime(raw["InvoiceDate"], format="mixed").dt.date
    raw["revenue"] = raw["Quantity"] * raw["UnitPrice"]
    sales = raw.groupby(["StockCode", "day"], as_index=False).agg(
        qty=("Quantity", "sum"), revenue=("revenue", "sum")
    )
    sales = sales.rename(columns={"StockCode": "sku"})
    sales["sku"] = sales["sku"].astype(str)
    sales["warehouse"] = ""
    sales["qty"] = sales["qty"].astype(float)
    return sales


def _fmt(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def report(bt) -> str:
    """The overall table of every model, the per-class choices and the stock frontier, as Markdown."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for s in bt.scores:
        if s.demand_class == "all":
            lines.append("| " + " | ".join([s.model, *(_fmt(getattr(s, c)) for c in COLUMNS[1:])]) + " |")
    lines.append("")
    counts = {c: int((bt.classes[-1] == c).sum()) for c in bt.choices}
    for c, ch in bt.choices.items():
        lines.append(
            f"- {c} ({counts[c]} series at the last origin): {ch.model} ({ch.reason}; best baseline "
            f"{ch.best_baseline} {_fmt(ch.baseline_score)}, ML {_fmt(ch.ml_score)})"
        )
    lines += ["", "| model | days of cover for 90% fill | for 95% fill |", "|---|---|---|"]
    for r in bt.stock:
        lines.append(f"| {r['model']} | {_fmt(r['cover_90'])} | {_fmt(r['cover_95'])} |")
    return "\n".join(lines)


@benchmark("forecast-backtest")
def forecast_backtest(cfg: BenchConfig) -> BenchResult:
    import numpy as np

    files = sorted(DATA.glob("online_retail_*.csv*"))
    if not files:
        raise FileNotFoundError(f"the Online Retail data is missing from {DATA}")
    sales = load_sales(files[0])
    end = max(sales["day"])
    panel = build_panel(sales, None, min(sales["day"]), end, active_days=90)
    wanted = max(50, int(len(panel) * min(cfg.scale, 1.0)))
    busiest = np.argsort(-np.nan_to_num(panel.y[:, -90:]).sum(axis=1), kind="stable")[:wanted]
    panel = panel.take(sorted(busiest))
    result = BenchResult(
        "forecast backtest (online retail)",
        len(panel),
        "series",
        baseline_name="the same backtest, baselines only",
    )
    holder = {}
    result.ours.append(timed(lambda: holder.update(bt=run_backtest(panel, horizon=28, origins=4))))
    result.baseline.append(timed(lambda: run_backtest(panel, horizon=28, origins=4, with_ml=False)))
    table = report(holder["bt"])
    (cfg.workdir / "forecast_backtest.md").write_text(table + "\n", encoding="utf-8")
    result.note = (
        f"{len(panel)} SKUs sold in the 90 days to {end.isoformat()}, {panel.y.shape[1]} days, "
        f"origins {', '.join(d.isoformat() for d in holder['bt'].origin_days)}; one timed run per side; "
        "statsforecast not run (needs pandas < 3)\n" + table
    )
    return result


if __name__ == "__main__":  # python -m benchmarks.bench_forecast: the table alone
    import tempfile

    out = forecast_backtest(BenchConfig(Path(tempfile.mkdtemp()), repeat=1))
    print(out.as_dict())
    print(out.note)
