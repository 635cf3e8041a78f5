"""The order pipeline's settings (审单规则) as data: one JSON value per name in ``order_setting``
over :data:`DEFAULTS`. The checks that read them are pure functions in :mod:`ecerp_core.orders.rules`."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecerp_core import audit
from ecerp_core.auth import Actor, require
from ecerp_core.db import forget, memo
from ecerp_core.errors import ValidationError, problem
from ecerp_core.orders.models import OrderSetting

DEFAULTS: dict[str, Any] = {
    "price_floor_ratio": 0.3,
    "auto_approve": {
        "enabled": True,
        "amount_min": 0,
        "amount_max": 5000,
        "block_remarks": True,
        "require_address": True,
        "require_stock": True,
    },
    "blacklist": [],
    "assignment": [],
    "routing": {"on_short": "wait"},
    "merge_window_hours": 24,
}
"""Every pipeline setting with its default; a row of ``order_setting`` overrides one by name.

price_floor_ratio: a line priced below this share of the list price waits in the exception queue.
auto_approve: the amount range and checks an order must pass to be approved without a clerk.
blacklist: buyer ids, phones or receiver names whose orders always wait for a clerk.
assignment: ``[{"min_amount"?, "max_amount"?, "tier"?, "category"?, "user"}]``, first match wins.
routing.on_short: ``wait`` (keep the order until stock comes) or ``split`` across warehouses.
merge_window_hours: orders of one buyer and address within this window are merged.
"""


def load_settings(session: Session) -> dict[str, Any]:
    """The pipeline settings: defaults overridden by the ``order_setting`` rows (read once per
    transaction)."""

    def rows() -> list:
        return list(session.connection().execute(select(OrderSetting.name, OrderSetting.value)))

    out = copy.deepcopy(DEFAULTS)
    for name, value in memo(session, "order_settings", rows):
        stored = value["value"] if isinstance(value, dict) and set(value) == {"value"} else value
        out[name] = copy.deepcopy(stored)
    return out


def set_setting(session: Session, actor: Actor, name: str, value: Any) -> None:
    """Change one pipeline setting (needs ``orders.review``); audited."""
    require(actor, "orders.review")
    if name not in DEFAULTS:
        raise ValidationError([problem("name", "not_a_choice", value=name, choices=", ".join(DEFAULTS))])
    row = session.get(OrderSetting, name)
    if row is None:
        session.add(OrderSetting(name=name, value={"value": value}))
    else:
        row.value = {"value": value}
    session.flush()
    forget(session, "order_settings")
    audit.record(session, actor, "update", "order_setting", name, {"value": value})
