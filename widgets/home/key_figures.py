"""Today's key figures on the home page: a strip of small tiles above the app cards (orders and sales
today, queues waiting, stock alerts), each a figure the user's role may read."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.analytics.keyfigures import QUEUES, key_figures
from ecerp_core.i18n import t
from widgets.common.actor import AppContext

STRIP_STYLE = """
<style>
.ecerp-keyfigs { display: flex; gap: 12px; flex-wrap: wrap; margin: 0 2px 16px; }
.ecerp-keyfig { background: #fff; border: 1px solid #e3e6ea; border-radius: 10px; padding: 10px 16px;
  min-width: 112px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
.ecerp-keyfig b { display: block; font-size: 20px; color: #1f2933; font-variant-numeric: tabular-nums; }
.ecerp-keyfig span { font-size: 12px; color: #52606d; }
.ecerp-keyfig.warn b { color: #c2410c; }
</style>
"""
ORDER = ("orders_today", "sales_today", *QUEUES, "stock_alerts")


def strip_html(figures: dict, language: str) -> str:
    """The tiles of ``figures`` (from :func:`~ecerp_core.analytics.keyfigures.key_figures`)."""
    tiles = []
    for key in ORDER:
        if key not in figures:
            continue
        value = figures[key]
        text = f"{value:,.2f} {figures.get('currency', '')}" if key == "sales_today" else f"{value:,}"
        warn = " warn" if key in ("exceptions", "stock_alerts") and value else ""
        tiles.append(
            f'<div class="ecerp-keyfig{warn}" data-figure="{key}"><b>{html.escape(text)}</b>'
            f"<span>{html.escape(t(f'keyfig.{key}', language))}</span></div>"
        )
    return f'{STRIP_STYLE}<div class="ecerp-keyfigs">{"".join(tiles)}</div>' if tiles else ""


class KeyFigureStrip(w.HTML):
    """The strip, read once when the page opens and re-labelled on a language switch."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.add_class("ecerp-home-keyfigs")
        with ctx.session(readonly=True) as session:
            self.figures = key_figures(session, ctx.actor)
        ctx.i18n.bind(self, "value", lambda lang: strip_html(self.figures, lang))
