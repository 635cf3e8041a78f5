"""The open order and the open case as HTML, for the Order Desk's detail cards."""

from __future__ import annotations

import html

from ecerp_core.i18n import t
from ecerp_core.orders.models import CASE_KINDS, RETURN_KINDS
from widgets.common.grid import format_cell
from widgets.customers.render import complaints_html


def order_html(o: dict | None, lang: str) -> str:
    """An order's facts, review reasons, lines and history (a hint when none is open)."""
    if not o:
        return f'<div class="ecerp-muted">{html.escape(t("orders.detail.none", lang))}</div>'
    e = html.escape
    status = e(t("status." + o["status"], lang))
    platform = e(t("choice.platform." + o["platform"], lang))
    head = (
        f'<div class="ecerp-section-title">{e(o["platform_order_id"])} · {status}</div>'
        f'<div class="ecerp-kv">{e(t("field.shop", lang))}: '
        f"{_named(o['shop_name'], o['shop'])} · {platform}<br>"
        f"{e(t('orders.col.receiver', lang))}: {e(o['receiver_name'])} {e(o['receiver_phone'])}<br>"
        f"{e(t('field.address', lang))}: {e(_address(o))}<br>"
        f"{e(t('field.total_amount', lang))}: {e(o['currency'])} {format_cell(o['total_amount'], lang)} · "
        f"{e(t('field.paid_amount', lang))}: {format_cell(o['paid_amount'], lang)}<br>"
        f"{_amounts(o, lang)}<br>"
        f"{e(t('field.warehouse', lang))}: {_named(o['warehouse_name'], o['warehouse'])}"
        f"{' · ' + e(o['carrier'] + ' ' + o['tracking_no']) if o['carrier'] or o['tracking_no'] else ''}<br>"
        f"{e(t('orders.col.assignee', lang))}: {e(o['assignee'] or '—')}{_platform_facts(o, lang)}</div>"
    )
    if o["exceptions"] or o["review_reasons"]:
        reasons = [t(f"exception.{x}", lang) for x in o["exceptions"]]
        reasons += [t(f"review.{x}", lang) for x in o["review_reasons"]]
        head += f'<div class="ecerp-reason">{e("、".join(reasons))}</div>'
    head += complaints_html(o.get("complaints", []), lang)  # customers (CRM): the order's tickets
    history = "".join(
        f"<tr><td>{format_cell(h['at'], lang)}</td>"
        f"<td>{e(t('orders.event.' + h['event'].split(':')[0], lang))}</td>"
        f"<td>{e(t('status.' + h['to_status'], lang))}</td><td>{e(_note(h['note'], lang))}</td></tr>"
        for h in o["history"]
    )
    return _with_tables(head, o["lines"], history, lang)


def _platform_facts(o: dict, lang: str) -> str:
    """The platform's own status text and the order's note, each on its line where there is one."""
    e = html.escape
    facts = [
        ("field.platform_status", platform_status_text(o["platform_status"], lang)),
        ("orders.detail.note", o["note"]),
        ("field.seller_remark", o.get("seller_remark", "")),
    ]
    if o.get("seller_flag"):
        facts.append(("field.seller_flag", t(f"orders.flag.{o['seller_flag']}", lang)))
    return "".join(f"<br>{e(t(key, lang))}: {e(value)}" for key, value in facts if value)


def _address(o: dict) -> str:
    """Province, then city and district unless the street already names them, then the street."""
    street = o["address"] or ""
    parts = [o.get(k) or "" for k in ("city", "district")]
    return " ".join([o["region"] or "", *(p for p in parts if p and p not in street), street]).strip()


def _amounts(o: dict, lang: str) -> str:
    """What the total is made of: goods, shipping, discount, tax (inside the prices or on top), and
    the adjustment and refunds where there are any."""
    e = html.escape
    parts = [(f, o[f]) for f in ("goods_amount", "shipping_amount", "discount_amount", "tax_amount")]
    parts += [(f, o[f]) for f in ("adjustment_amount", "refunded_amount") if o[f]]
    text = " · ".join(f"{e(t('field.' + f, lang))}: {format_cell(v, lang)}" for f, v in parts)
    if o["tax_included"] and o["tax_amount"]:
        text += f" ({e(t('field.tax_included', lang))})"
    return text


def case_html(c: dict | None, lang: str) -> str:
    """A case's facts, then its order's lines and history (a hint when none is open)."""
    if not c:
        return f'<div class="ecerp-muted">{html.escape(t("orders.case.none", lang))}</div>'
    e, o = html.escape, c["order"]
    facts = [
        f"{e(t('orders.case.kind', lang))}: {e(t('case.kind.' + c['kind'], lang))}",
        f"{e(t('field.platform_order_id', lang))}: {e(o['platform_order_id'])} · "
        f"{e(t('status.' + o['status'], lang))}",
        f"{e(t('field.amount', lang))}: {e(o['currency'])} {format_cell(c['amount'], lang)} · "
        f"{e(t('field.paid_amount', lang))}: {format_cell(o['paid_amount'], lang)}",
        f"{e(t('orders.col.reason', lang))}: {e(c['reason'] or '—')}",
    ]
    if c["kind"] in RETURN_KINDS:
        facts.append(
            f"{e(t('field.warehouse', lang))}: {_named(c['warehouse_name'], c['warehouse'])} · "
            f"{e(t('orders.case.condition.' + c['condition'], lang))}"
        )
    if c["lines"]:
        skus = {x["line_no"]: _goods(x, lang) for x in o["lines"]}
        goods = "、".join(f"{skus.get(no, f'#{no}')} × {qty}" for no, qty in c["lines"])
        facts.append(f"{e(t('orders.case.lines', lang))}: {e(goods)}")
    if c["platform_status"]:
        status = platform_status_text(c["platform_status"], lang)
        facts.append(f"{e(t('orders.case.platform_status', lang))}: {e(status)}")
    head = (
        f'<div class="ecerp-section-title">{e(t("orders.case.title", lang, case=c["id"]))} · '
        f'{e(t("case." + c["status"], lang))}</div><div class="ecerp-kv">{"<br>".join(facts)}</div>'
    )
    history = "".join(
        f"<tr><td>{format_cell(h['at'], lang)}</td>"
        f"<td>{e(t('orders.event.' + h['event'].split(':')[0], lang))}"
        f"{' · ' + e(_case_step(h['event'], lang)) if h['event'].startswith('case:') else ''}</td>"
        f"<td>{e(h['note'] or '')}</td></tr>"
        for h in o["history"]
    )
    return _with_tables(head, o["lines"], history, lang)


def _with_tables(head: str, lines: list[dict], history: str, lang: str) -> str:
    """``head``, then the order's lines and the history rows under their titles."""
    e = html.escape
    rows = "".join(
        f'<tr><td title="{e(x["platform_sku"] or "")}">{e(x["sku"] or x["platform_sku"])}</td>'
        f"<td>{e(product_name(x, lang))}</td>"
        f'<td class="r">{x["quantity"]}</td><td class="r">{format_cell(x["amount"], lang)}</td></tr>'
        for x in lines
    )
    lines_title, history_title = e(t("field.lines", lang)), e(t("orders.detail.history", lang))
    return (
        f'{head}<div class="ecerp-subtitle">{lines_title}</div><table class="ecerp-mini">{rows}</table>'
        f'<div class="ecerp-subtitle">{history_title}</div><table class="ecerp-mini">{history}</table>'
    )


def _case_step(event: str, lang: str) -> str:
    step = event.split(":", 1)[1]
    return t(f"case.kind.{step}", lang) if step in CASE_KINDS else t(f"case.{step}", lang)


def platform_status_text(code: str, lang: str) -> str:
    """A platform's own status (``WAIT_BUYER_RETURN_GOODS``, ``partially_refunded``) in words; a
    status the catalogue does not know (a Chinese export's own text) as the platform wrote it.

    >>> platform_status_text("WAIT_BUYER_RETURN_GOODS", "en")
    "Awaiting the buyer's return"
    """
    if not code:
        return ""
    key = f"platform_status.{code}"
    return t(key, lang) if t(key, lang) != key else code


def product_name(line: dict, lang: str) -> str:
    """An order line's product name in ``lang`` (our product's; the platform's title when the line
    is not mapped to one)."""
    ours = line.get("product_name_en") if lang == "en" else line.get("product_name_zh")
    return ours or line.get("product_name_zh") or line.get("name") or ""


def _goods(line: dict, lang: str) -> str:
    """``SKU 名称``: a line's SKU with its product's name."""
    name = product_name(line, lang)
    return f"{line['sku'] or line['platform_sku']} {name}".strip()


def _named(name: str | None, code: str | None) -> str:
    """A shop or warehouse by its name, its code on hover (a dash when there is none)."""
    if not (name or code):
        return "—"
    return f'<span title="{html.escape(code or "")}">{html.escape(name or code or "")}</span>'


def _note(note: str | None, lang: str) -> str:
    """A history row's note; exception reason codes (``unmapped_sku``) in words."""
    codes = (note or "").split(",")
    if all(t(f"exception.{c}", lang) != f"exception.{c}" for c in codes if c) and note:
        return "、".join(t(f"exception.{c}", lang) for c in codes)
    return note or ""
