"""Customer views as HTML: the 360 card, and an order's tickets (also shown on the Order Desk)."""

from __future__ import annotations

import html

from ecerp_core.i18n import t
from widgets.common.grid import format_cell

e = html.escape

SECTIONS = (
    ("orders", ("number", "shop", "order_date", "status", "total_amount", "refunded_amount", "lines")),
    ("cases", ("order", "kind", "status", "amount", "reason")),
    ("tickets", ("id", "kind", "subject", "status", "created_at", "satisfaction")),
    ("notes", ("at", "text")),
    ("tiers", ("at", "from_tier", "to_tier", "reason", "spend", "order_count")),
)
"""The 360 card's tables and their columns."""
LABELS = {
    "orders": {"status": "status."},
    "cases": {"kind": "case.kind.", "status": "case."},
    "tickets": {"kind": "choice.kind.", "status": "ticket."},
    "tiers": {"from_tier": "choice.tier.", "to_tier": "choice.tier.", "reason": ""},
}
"""Columns shown by a catalogue name: the key's prefix before the value."""


HEADERS = {"number": "field.order", "kind": "customers.col.kind", "text": "field.text"}
"""Column titles that are not their field's own label."""
FIGURE_LABELS = {"returns": "customers.returns"}


def complaints_html(rows: list[dict], lang: str) -> str:
    """An order's inquiries, complaints and feedback: kind, status, subject (nothing when none)."""
    if not rows:
        return ""
    items = "".join(
        f"<li>#{r['id']} {e(t('choice.kind.' + r['kind'], lang))} · {e(t('ticket.' + r['status'], lang))} · "
        f"{e(r['subject'])}{' · ⚠ ' + e(t('field.overdue', lang)) if r['overdue'] else ''}</li>"
        for r in rows
    )
    title = e(t("customers.order_tickets", lang))
    return f'<div class="ecerp-order-tickets"><b>{title}</b><ul>{items}</ul></div>'


def _cell(row: dict, column: str, lang: str, labels: dict[str, str]) -> str:
    value = row[column]
    if value is None or value == "":
        return ""
    if column in labels:
        return t(labels[column] + str(value), lang)
    return str(format_cell(value, lang))


def _table(rows: list[dict], columns: tuple[str, ...], lang: str, labels: dict[str, str]) -> str:
    if not rows:
        return f"<div class='ecerp-muted'>{e(t('customers.none', lang))}</div>"
    head = "".join(f"<th>{e(t(HEADERS.get(c, 'field.' + c), lang))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(_cell(r, c, lang, labels))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table class='ecerp-table'><tr>{head}</tr>{body}</table>"


def _figure(key: str, value: object, lang: str) -> str:
    shown = "—" if value is None else format_cell(value, lang)
    label = t(FIGURE_LABELS.get(key, "field." + key), lang)
    return f"<div class='ecerp-figure'><div>{e(label)}</div><b>{e(str(shown))}</b></div>"


FIGURES = (
    "orders",
    "lifetime_value",
    "average_order_value",
    "first_order",
    "last_order",
    "refunded",
    "returns",
    "complaints",
)


def customer_html(v: dict | None, lang: str) -> str:
    """The 360 view of one customer (a hint when none is open)."""
    if not v:
        return f"<div class='ecerp-muted'>{e(t('customers.pick_one', lang))}</div>"
    tier = e(t("choice.tier." + v["tier"], lang))
    accounts = "、".join(f"{a['shop']}: {a['buyer_id']}" for a in v["accounts"]) or "—"
    figures = "".join(_figure(k, v[k], lang) for k in FIGURES)
    data = {
        "orders": [
            {**o, "lines": "、".join(f"{x['sku']}×{x['quantity']}" for x in o["lines"])}
            for o in v["recent_orders"]
        ],
        "cases": v["open_cases"],
        "tickets": v["tickets"],
        "notes": v["notes"],
        "tiers": v["tier_history"],
    }
    body = "".join(
        f"<div class='ecerp-section-title'>{e(t('customers.section.' + name, lang))}</div>"
        + _table(data[name], columns, lang, LABELS.get(name, {}))
        for name, columns in SECTIONS
    )
    place = " ".join(x for x in (v["region"], v["city"]) if x)
    contact = " · ".join(
        x
        for x in (
            f"{t('field.phone', lang)}: {v['phone'] or '—'}",
            f"{t('field.email', lang)}: {v['email'] or '—'}",
            place,
        )
        if x
    )
    inactive = f" · {e(t('app.filter.inactive', lang))}" if not v["active"] else ""
    return (
        f"<div class='ecerp-c360'><div class='ecerp-section-title ecerp-c360-title'>{e(v['code'])} · "
        f"{e(v['name'])} · <span class='ecerp-tier ecerp-tier-{e(v['tier'])}'>{tier}</span>{inactive}</div>"
        f"<div class='ecerp-kv'>{e(contact)}<br>"
        f"{e(t('customers.accounts', lang))}: {e(accounts)}</div>"
        f"<div class='ecerp-figures'>{figures}</div>{body}</div>"
    )
