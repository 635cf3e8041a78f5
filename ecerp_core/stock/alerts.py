"""Low-stock and overstock alerts (库存预警) from min / max / safety stock per product × warehouse.

A product is *low* when available is below its minimum, with its days of cover at the recent sales
rate (shipments over the last ``days``); *over* when on hand is above its maximum. :func:`notify`
sends the alerts to a webhook or by e-mail when configured (environment
``ECERP_STOCK_ALERT_WEBHOOK``, or ``ECERP_STOCK_ALERT_EMAIL`` + ``ECERP_SMTP_HOST``), and only logs
them otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.catalog.company import business_date
from ecerp_core.catalog.models import Product, Warehouse
from ecerp_core.db import among, insert_rows, utcnow
from ecerp_core.errors import ValidationError, problem
from ecerp_core.stock import rules
from ecerp_core.stock.models import StockLevel, StockMove, StockSetting

log = logging.getLogger(__name__)
SALES_DAYS = 28


@dataclass(frozen=True)
class SettingDraft:
    """Min / max / safety stock and bin of a product in a warehouse (None: leave as it is)."""

    product_id: int
    warehouse_id: int
    min_qty: int | None = None
    max_qty: int | None = None
    safety_stock: int | None = None
    location: str | None = None


def set_stock_settings(session: Session, actor: Actor, drafts: Sequence[SettingDraft]) -> int:
    """Create or change planning settings; all or nothing. Needs ``stock.move``."""
    require(actor, "stock.move")
    found = []
    for n, d in enumerate(drafts, start=1):
        for name in ("min_qty", "max_qty", "safety_stock"):
            value = getattr(d, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                found.append(problem(name, "below_minimum", value=value, min=0).at_line(n))
        if d.min_qty and d.max_qty and d.max_qty < d.min_qty:
            found.append(problem("max_qty", "below_minimum", value=d.max_qty, min=d.min_qty).at_line(n))
    if found:
        raise ValidationError(found)
    product_ids = sorted({d.product_id for d in drafts})
    known_stmt = select(StockSetting.product_id, StockSetting.warehouse_id).where(
        among(session, StockSetting.product_id, product_ids)
    )
    known = {(row.product_id, row.warehouse_id) for row in session.connection().execute(known_stmt)}
    now = utcnow()
    table = StockSetting.__table__
    new: dict[tuple[int, int], dict] = {}
    for d in drafts:
        given = {
            "min_qty": d.min_qty,
            "max_qty": d.max_qty,
            "safety_stock": d.safety_stock,
            "location": d.location,
        }
        values = {name: value for name, value in given.items() if value is not None}
        key = (d.product_id, d.warehouse_id)
        if key in known:
            stmt = (
                update(table)
                .where(table.c.product_id == d.product_id, table.c.warehouse_id == d.warehouse_id)
                .values(updated_at=now, **values)
            )
            session.connection().execute(stmt)
        else:  # new settings go in at once; a later draft of the same pair overrides an earlier one
            row = new.setdefault(
                key,
                {
                    "product_id": d.product_id,
                    "warehouse_id": d.warehouse_id,
                    "min_qty": 0,
                    "max_qty": 0,
                    "safety_stock": 0,
                    "location": "",
                    "updated_at": now,
                },
            )
            row.update(values)
    insert_rows(session, StockSetting, list(new.values()))
    audit.record_many(
        session,
        actor,
        "set",
        "stock_setting",
        [(f"{d.product_id}@{d.warehouse_id}", {"min": d.min_qty, "max": d.max_qty}) for d in drafts],
    )
    return len(drafts)


def sales_rates(session: Session, today: dt.date, days: int = SALES_DAYS) -> dict[tuple[int, int], float]:
    """Units shipped a day over the last ``days`` days, per (product_id, warehouse_id)."""
    since = today - dt.timedelta(days=days)
    stmt = (
        select(StockMove.product_id, StockMove.warehouse_id, func.sum(-StockMove.quantity))
        .where(
            StockMove.move_type == "shipment",
            StockMove.business_date > since,
            StockMove.business_date <= today,
        )
        .group_by(StockMove.product_id, StockMove.warehouse_id)
    )
    return {(p, w): float(q) / days for p, w, q in session.connection().execute(stmt)}


def stock_alerts(
    session: Session,
    actor: Actor,
    *,
    warehouse_id: int | None = None,
    today: dt.date | None = None,
    days: int = SALES_DAYS,
) -> list[dict]:
    """Products below their minimum (``kind="low"``, worst cover first) and above their maximum
    (``kind="over"``), with on hand, available, min/max/safety, sales a day and days of cover."""
    require(actor, "stock.read")
    today = today or business_date(session)
    available = func.coalesce(StockLevel.on_hand, 0) - func.coalesce(StockLevel.reserved, 0)
    on_hand = func.coalesce(StockLevel.on_hand, 0)
    stmt = (
        select(
            StockSetting.product_id,
            StockSetting.warehouse_id,
            Product.sku,
            Product.name_zh,
            Product.name_en,
            Warehouse.code.label("warehouse"),
            on_hand.label("on_hand"),
            available.label("available"),
            StockSetting.min_qty,
            StockSetting.max_qty,
            StockSetting.safety_stock,
        )
        .join(Product, Product.id == StockSetting.product_id)
        .join(Warehouse, Warehouse.id == StockSetting.warehouse_id)
        .outerjoin(
            StockLevel,
            and_(
                StockLevel.product_id == StockSetting.product_id,
                StockLevel.warehouse_id == StockSetting.warehouse_id,
            ),
        )
        .where(
            ((StockSetting.min_qty > 0) & (available < StockSetting.min_qty))
            | ((StockSetting.max_qty > 0) & (on_hand > StockSetting.max_qty))
        )
    )
    if warehouse_id is not None:
        stmt = stmt.where(StockSetting.warehouse_id == warehouse_id)
    rates = sales_rates(session, today, days)
    out = []
    for row in session.connection().execute(stmt):
        rate = rates.get((row.product_id, row.warehouse_id), 0.0)
        available = int(row.available)
        alert = {
            "kind": "low" if row.min_qty and row.available < row.min_qty else "over",
            "product_id": row.product_id,
            "warehouse_id": row.warehouse_id,
            "sku": row.sku,
            "name_zh": row.name_zh,
            "name_en": row.name_en,
            "warehouse": row.warehouse,
            "on_hand": int(row.on_hand),
            "available": available,
            "min_qty": row.min_qty,
            "max_qty": row.max_qty,
            "safety_stock": row.safety_stock,
            "daily_sales": round(rate, 2),
            "days_of_cover": rules.days_of_cover(available, rate),
        }
        out.append(alert)
    never = float("inf")
    out.sort(
        key=lambda a: (
            a["kind"] != "low",
            a["days_of_cover"] if a["days_of_cover"] is not None else never,
            a["sku"],
            a["warehouse"],
        )
    )
    return out


def notify(alerts: Sequence[dict]) -> str:
    """Send alerts where the settings say; returns ``webhook``, ``email``, ``log`` or ``none``.

    A failing channel is logged and never breaks the caller's use case.
    """
    if not alerts:
        return "none"
    low = [a for a in alerts if a["kind"] == "low"]
    summary = f"stock alerts: {len(low)} below minimum, {len(alerts) - len(low)} above maximum"
    webhook = os.environ.get("ECERP_STOCK_ALERT_WEBHOOK")
    email = os.environ.get("ECERP_STOCK_ALERT_EMAIL")
    smtp = os.environ.get("ECERP_SMTP_HOST")
    try:
        if webhook:
            import urllib.request

            body = json.dumps(
                {"summary": summary, "alerts": alerts}, ensure_ascii=False, default=str
            ).encode()
            request = urllib.request.Request(webhook, body, {"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).close()
            return "webhook"
        if email and smtp:
            import smtplib
            from email.message import EmailMessage

            msg = EmailMessage()
            msg["Subject"], msg["To"], msg["From"] = summary, email, email
            msg.set_content(
                "\n".join(
                    f"{a['kind']} {a['sku']} @ {a['warehouse']}: available {a['available']}, "
                    f"min {a['min_qty']}, max {a['max_qty']}"
                    for a in alerts
                )
            )
            with smtplib.SMTP(smtp, timeout=10) as server:
                server.send_message(msg)
            return "email"
    except OSError:
        log.exception("%s: sending failed", summary)
        return "log"
    log.info("%s (no webhook or e-mail configured)", summary)
    return "log"
