"""The first three days of the real Online Retail history (UCI, CC BY 4.0), loaded from the CLI as a
history shop, give the figures pandas computes independently from the same slice."""

from __future__ import annotations

import gzip
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from cli_run import run

from ecerp_core.auth import resolve_actor
from ecerp_core.crm import rfm, services
from ecerp_core.db import session_scope

FILE = "online_retail/online_retail_2010-12-01_2011-08-31.csv.gz"


def _slice(shared_data, folder) -> pd.DataFrame:
    """Invoices before 2010-12-04 with a customer; credit notes (C...) and non-positive lines left out."""
    with gzip.open(shared_data / FILE, "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, nrows=8000, dtype=str)
    df = df[df.InvoiceDate < "2010-12-04"]
    keep = ~df.InvoiceNo.str.startswith("C") & df.CustomerID.notna()
    keep &= (df.Quantity.astype(int) > 0) & (df.UnitPrice.astype(float) > 0)
    df = df[keep]
    df.to_csv(folder / "slice.csv", index=False)
    return df


def test_online_retail_slice_matches_pandas(db, shared_data, tmp_path, capsys):
    df = _slice(shared_data, tmp_path)
    assert (
        run(capsys, "shops", "add", "UK", "--name", "UK gifts", "--platform", "other", "--currency", "GBP")[0]
        == 0
    )
    maps = ("--map", "customer_id=CustomerID", "--map", "ordered_at=InvoiceDate", "--default", "currency=GBP")
    code, out, err = run(
        capsys,
        "orders",
        "import",
        "--platform",
        "csv",
        "--shop",
        "UK",
        "--history",
        *maps,
        "--json",
        str(tmp_path / "slice.csv"),
    )
    assert code == 0, err
    assert '"rejected": []' in out
    assert run(capsys, "customers", "adopt")[0] == 0

    # independently, with pandas: customers, repeat buyers, one customer's lifetime value
    invoices = df.groupby("CustomerID").InvoiceNo.nunique()
    line = [
        (Decimal(q) * Decimal(p)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for q, p in zip(df.Quantity, df.UnitPrice, strict=True)
    ]
    spent = pd.Series(line, index=df.index).groupby(df.CustomerID).sum()
    with session_scope(db, readonly=True) as session:
        admin = resolve_actor(session, "admin")
        rows = rfm.rfm_table(session, admin)
        view = services.customer_360(session, admin, "UK-17850.0")
    assert len(rows) == df.CustomerID.nunique() == 234
    repeat = sum(1 for r in rows if r["frequency"] > 1) / len(rows)
    assert repeat == (invoices > 1).sum() / len(invoices)
    assert (view["orders"], view["lifetime_value"]) == (invoices["17850.0"], spent["17850.0"])
    assert view["lifetime_value"] == Decimal("5391.21")
    top = max(rows, key=lambda r: r["monetary"])
    assert top["monetary"] == spent.max() and top["m"] == 5
