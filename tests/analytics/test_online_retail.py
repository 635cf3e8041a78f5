"""The real Online Retail history (../shared/data): one month loaded from the CLI as a history shop;
the layer's figures match the same figures computed independently from the file with pandas."""

from __future__ import annotations

import gzip
import json
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from cli_run import run

from ecerp_core.analytics import dashboards
from ecerp_core.analytics.reports import ReportSpec, run_report
from ecerp_core.auth import resolve_actor
from ecerp_core.db import session_scope

MONTH = "2011-02"


@pytest.fixture
def february(shared_data, tmp_path):
    """The file's rows of one month, as the shop exported them."""
    [source] = (shared_data / "online_retail").glob("*.csv.gz")
    path = tmp_path / f"online_retail_{MONTH}.csv"
    with gzip.open(source, "rt", encoding="utf-8", newline="") as fin, path.open("w", newline="") as fout:
        fout.write(next(fin))
        fout.writelines(line for line in fin if f",{MONTH}-" in line)  # InvoiceDate, the only date
    return path


def expected(path) -> dict:
    """The figures an analyst computes from the file: invoices with a returned or negative line
    (credit notes ``C...``) are not sales; revenue is quantity × price, rounded per line."""
    df = pd.read_csv(path, dtype=str)
    df["qty"] = df["Quantity"].astype(int)
    bad = set(df.loc[df["qty"] <= 0, "InvoiceNo"])
    sales = df[~df["InvoiceNo"].isin(bad)].copy()
    sales["amount"] = [
        (Decimal(q) * Decimal(p)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for q, p in zip(sales["Quantity"], sales["UnitPrice"], strict=True)
    ]
    units = sales.groupby("StockCode")["qty"].sum().sort_values(ascending=False, kind="stable")
    per_customer = sales.dropna(subset=["CustomerID"]).groupby("CustomerID")["InvoiceNo"].nunique()
    return {
        "invoices": sales["InvoiceNo"].nunique(),
        "rejected": len(bad),
        "revenue": sum(sales["amount"], Decimal(0)),
        "top5": list(units.head(5).items()),
        "customers": len(per_customer),
        "repeat_rate": (Decimal(int((per_customer >= 2).sum())) / len(per_customer)).quantize(
            Decimal("0.0001")
        ),
    }


def test_a_month_of_online_retail_loads_from_the_cli_and_its_figures_match_pandas(db, capsys, february):
    want = expected(february)
    shop = run(capsys, "shops", "add", "UK", "--name", "UK gifts", "--platform", "other", "--currency", "GBP")
    assert shop[0] == 0, shop
    code, out, err = run(
        capsys, "orders", "import", "--platform", "csv", "--shop", "UK", "--history",
        "--map", "customer_id=CustomerID", "--map", "region=Country", "--json", str(february),
    )  # fmt: skip
    assert code == 1, err  # exit 1: the credit notes are rejected rows (listed), the rest imported
    summary = json.loads(out)
    assert (summary["created"], len(summary["rejected"])) == (want["invoices"], want["rejected"])

    with session_scope(db, readonly=True) as session:
        figures(session, resolve_actor(session, "admin"), want)


def figures(session, admin, want: dict) -> None:
    [month] = run_report(session, admin, ReportSpec(("month",), ("orders", "sales", "customers"))).rows
    assert month == {
        "month": MONTH,
        "orders": want["invoices"],
        "sales": want["revenue"],
        "customers": want["customers"],
    }
    top = run_report(
        session, admin, ReportSpec(("sku",), ("units",), sort="units", descending=True, limit=5)
    ).rows
    assert [(r["sku"], r["units"]) for r in top] == want["top5"]
    window = dashboards.default_window(session, admin, days=28)
    assert (window.date_from.isoformat(), window.date_to.isoformat(), window.currency) == (
        f"{MONTH}-01",
        f"{MONTH}-28",
        "GBP",
    )
    repeat = dashboards.repeat_rate(session, admin, window)
    assert (repeat["customers"], repeat["repeat_rate"]) == (want["customers"], want["repeat_rate"])
