"""How a business document reads on screen: a one-line label for grids (kind, number, platform in
words) and a card with its lines for drill-downs. Pure functions of :mod:`ecerp_core.documents`."""

from __future__ import annotations

import html

from ecerp_core.documents import Document, DocumentName
from ecerp_core.i18n import t, t_or
from widgets.common.filters import choice_label
from widgets.common.grid import format_cell


def kind_label(kind: str, language: str) -> str:
    """The name of a kind of document (销售订单, Purchase order ...); the code when unknown."""
    return t_or(f"document.kind.{kind}", kind, language)


def platform_label(code: str, language: str) -> str:
    """A platform in words (天猫, JD ...); empty for none."""
    return choice_label("platform", code, language) if code else ""


def document_label(kind: str, name: DocumentName | None, note: str, language: str) -> str:
    """``采购单 PO20250701-0001``, ``销售订单 202507101000008 · 天猫``; a document without a number
    (a stock adjustment) shows its note instead."""
    if not kind:
        return note
    number = name.number if name else ""
    platform = platform_label(name.platform, language) if name else ""
    parts = [kind_label(kind, language), number or note]
    return " ".join(p for p in parts if p) + (f" · {platform}" if platform else "")


def product_name(line, language: str) -> str:
    """The product's English name in English when it has one, else its Chinese name."""
    return (line.name_en or line.name_zh) if language == "en" else line.name_zh


def document_html(doc: Document, language: str) -> str:
    """A card: kind and number, platform, party, date, status and amount; then its lines."""
    title = f"{kind_label(doc.kind, language)} {doc.number}".strip()
    if doc.kind == "sales_order_refund":  # a refund has no number of its own: its order's
        title = t("document.refund_of", language, number=doc.number)
    elif doc.kind == "after_sale":
        title = t("document.case_of", language, number=doc.number)
    status = ""
    if doc.status:  # an after-sales case names its statuses under case.*, the others under status.*
        key = f"case.{doc.status}" if doc.kind == "after_sale" else f"status.{doc.status}"
        status = t(key, language) if t(key, language) != key else doc.status
    facts = [
        platform_label(doc.platform, language),
        doc.party,
        format_cell(doc.date, language),
        status,
        f"{doc.amount:,.2f} {doc.currency}" if doc.amount is not None else "",
        doc.note,
    ]
    head = html.escape(title)
    facts_html = " · ".join(html.escape(f) for f in facts if f)
    cols = ("sku", "name", "quantity", "unit_price")
    header = "".join(
        f'<th style="text-align:{"right" if c in ("quantity", "unit_price") else "left"}">'
        f"{html.escape(t('field.' + c, language))}</th>"
        for c in cols
    )
    rows = "".join(
        f"<tr><td>{html.escape(x.sku)}</td><td>{html.escape(product_name(x, language))}</td>"
        f'<td class="num">{x.quantity:,}</td>'
        f'<td class="num">{"" if x.unit_price is None else f"{x.unit_price:,.2f}"}</td></tr>'
        for x in doc.lines[:50]
    )
    more = f"<tr><td colspan=4>… {len(doc.lines) - 50}</td></tr>" if len(doc.lines) > 50 else ""
    table = (
        f"<table><tr>{header}</tr>{rows}{more}</table>"
        if doc.lines
        else f'<div class="ecerp-muted">{html.escape(t("document.no_lines", language))}</div>'
    )
    return (
        f'<div class="ecerp-document-card"><div class="ecerp-section-title">{head}</div>'
        f'<div class="ecerp-muted">{facts_html}</div>{table}</div>'
    )


CSS = """<style>
.ecerp-document-card { margin-top: 10px; padding: 10px 12px; border: 1px solid #e3e6ea; border-radius: 6px; }
.ecerp-document-card table { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
.ecerp-document-card th { background: #f5f7f9; padding: 4px 10px; font-weight: 600; }
.ecerp-document-card td { padding: 3px 10px; border-bottom: 1px solid #f0f2f4; }
.ecerp-document-card td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>"""
