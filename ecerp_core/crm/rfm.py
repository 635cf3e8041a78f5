"""RFM segmentation: recency, frequency and money per customer, scored 1-5 by quintile and named
(重要价值客户 ... 一般挽留客户), with scikit-learn KMeans as an option; any segment exports as a
marketing list (CSV/XLSX through :mod:`ecerp_core.sheets`, formula-escaped).

Recency is days from a customer's last purchase to ``as_of`` (default: the latest purchase of all),
frequency the number of purchases, money their spend net of refunds; all three aggregated in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecerp_core.auth import Actor, require
from ecerp_core.catalog.models import Customer, Shop
from ecerp_core.crm.rules import quintile_scores, rfm_segment
from ecerp_core.crm.services import PURCHASED, net_amount
from ecerp_core.i18n import t
from ecerp_core.orders.models import Order
from ecerp_core.sheets import csv_text, write_csv, write_table_xlsx

EXPORT_COLUMNS = (
    "code", "name", "phone", "email", "region", "tier", "recency", "frequency", "monetary", "r", "f", "m",
    "segment", "segment_name",
)  # fmt: skip


def rfm_table(
    session: Session, actor: Actor, *, as_of: dt.date | None = None, shop: str | None = None
) -> list[dict]:
    """One row per customer with purchases: ``code``, ``name``, ``tier``, ``recency`` (days),
    ``frequency``, ``monetary``, scores ``r``/``f``/``m`` and ``segment`` (a code of
    :data:`~ecerp_core.crm.rules.SEGMENTS`), ordered by code."""
    require(actor, "crm.read")
    stmt = (
        select(
            Customer.code,
            Customer.name,
            Customer.phone,
            Customer.email,
            Customer.region,
            Customer.tier,
            func.max(Order.order_date).label("last"),
            func.count(Order.id).label("frequency"),
            func.coalesce(func.sum(net_amount()), 0).label("monetary"),
        )
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.status.in_(PURCHASED))
        .group_by(
            Customer.code, Customer.name, Customer.phone, Customer.email, Customer.region, Customer.tier
        )
        .order_by(Customer.code)
    )
    if shop:
        stmt = stmt.join(Shop, Shop.id == Order.shop_id).where(Shop.code == shop)
    rows = [dict(r) for r in session.execute(stmt).mappings()]
    if not rows:
        return []
    as_of = as_of or max(r["last"] for r in rows)
    for r in rows:
        r["recency"] = (as_of - r.pop("last")).days
        r["monetary"] = Decimal(r["monetary"]).quantize(Decimal("0.01"))
    rs = quintile_scores([r["recency"] for r in rows], higher_is_better=False)
    fs = quintile_scores([r["frequency"] for r in rows])
    ms = quintile_scores([r["monetary"] for r in rows])
    for row, r, f, m in zip(rows, rs, fs, ms, strict=True):
        row.update(r=r, f=f, m=m, segment=rfm_segment(r, f, m))
    return rows


def segment_counts(rows: Sequence[dict]) -> dict[str, int]:
    """How many customers each segment holds."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["segment"]] = counts.get(r["segment"], 0) + 1
    return dict(sorted(counts.items()))


def kmeans_segments(rows: list[dict], clusters: int = 4, seed: int = 0) -> float:
    """Cluster the customers with KMeans on log-scaled, standardised recency, frequency and money;
    sets each row's ``segment`` to ``cluster_<n>`` (0 = the highest average money) and returns the
    silhouette score (-1..1; higher means better separated clusters)."""
    # scikit-learn is heavy: loaded only when someone asks for clusters
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    if len(rows) <= clusters:
        for r in rows:
            r["segment"] = "cluster_0"
        return 0.0
    raw = np.array([[r["recency"], r["frequency"], float(r["monetary"])] for r in rows], dtype=float)
    data = np.log1p(raw.clip(0))
    scaled = StandardScaler().fit_transform(data)
    labels = KMeans(n_clusters=clusters, n_init=10, random_state=seed).fit_predict(scaled)
    money = {k: data[labels == k, 2].mean() for k in range(clusters)}
    rank = {k: n for n, k in enumerate(sorted(money, key=lambda k: -money[k]))}
    for r, label in zip(rows, labels, strict=True):
        r["segment"] = f"cluster_{rank[int(label)]}"
    return round(float(silhouette_score(scaled, labels)), 4)


def segment_name(segment: str, language: str | None = None) -> str:
    if segment.startswith("cluster_"):
        return t("rfm.cluster", language, n=segment.removeprefix("cluster_"))
    return t(f"rfm.segment.{segment}", language)


def export_segment(
    rows: Sequence[dict],
    out: Path | str | BinaryIO,
    fmt: str = "csv",
    *,
    segment: str | None = None,
    language: str | None = None,
) -> int:
    """Write the customers of ``segment`` (all when None) as a marketing list, CSV or XLSX, text cells
    formula-escaped; returns the number of customers written."""
    chosen = [
        {**r, "segment_name": segment_name(r["segment"], language)}
        for r in rows
        if segment is None or r["segment"] == segment
    ]
    if fmt == "xlsx":
        title = t("rfm.export_title", language)
        subtitle = segment_name(segment, language) if segment else ""
        titles = {c: t(f"field.{c}", language) for c in EXPORT_COLUMNS}
        write_table_xlsx(chosen, EXPORT_COLUMNS, out, title=title, column_titles=titles, subtitle=subtitle)
    elif isinstance(out, str | Path):
        with open(out, "w", encoding="utf-8-sig", newline="") as stream:
            write_csv(chosen, EXPORT_COLUMNS, stream)
    else:
        out.write(("\ufeff" + csv_text(chosen, EXPORT_COLUMNS)).encode("utf-8"))
    return len(chosen)
