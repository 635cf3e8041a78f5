"""The home page: a card per app, linking to its notebook."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.shell import AppShell
from widgets.home.key_figures import KeyFigureStrip
from widgets.home.model import HomeModel
from widgets.home.registry import AppEntry

CARD_STYLE = """
<style>
.ecerp-home-intro { margin: 4px 2px 16px; color: #3e4c59; font-size: 14px; }
.ecerp-home-intro b { color: #1f2933; font-size: 16px; }
.ecerp-apps { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 16px; }
.ecerp-app-card { display: flex; gap: 14px; align-items: flex-start; \
background: #fff; border: 1px solid #e3e6ea;
  border-radius: 10px; padding: 18px; text-decoration: none; color: inherit; min-height: 92px;
  box-shadow: 0 1px 2px rgba(16,24,40,.04); transition: box-shadow .15s, border-color .15s; }
a.ecerp-app-card:hover { border-color: #9cc3f5; box-shadow: 0 4px 12px rgba(16,24,40,.08); }
.ecerp-app-badge { flex: 0 0 44px; height: 44px; border-radius: 10px; color: #fff; font-size: 20px;
  font-weight: 600; display: flex; align-items: center; justify-content: center; }
.ecerp-app-name { font-size: 16px; font-weight: 600; color: #1f2933; margin-bottom: 4px; }
.ecerp-app-text { font-size: 13px; color: #52606d; line-height: 1.5; }
.ecerp-todos { margin-top: 8px; display: flex; flex-wrap: wrap; gap: 4px 6px; }
.ecerp-todo { font-size: 12px; color: #8a3b00; background: #fff1e6; border-radius: 9px; padding: 1px 8px;
  white-space: nowrap; }
.ecerp-todo.zero { color: #7b8794; background: #f0f2f4; }
.ecerp-app-card.soon { opacity: .55; cursor: default; }
.ecerp-soon { display: inline-block; white-space: nowrap; font-size: 11px; line-height: 17px;
  color: #7b8794; border: 1px solid #cbd2d9; border-radius: 9px; padding: 0 7px; margin-left: 6px;
  font-weight: 400; vertical-align: 2px; }
</style>
"""


def todo_html(counts: dict[str, int], language: str) -> str:
    """An app's to-do counts as small badges (待审核 12 · 异常订单 3 ...); nothing when none."""
    badges = "".join(
        f'<span class="ecerp-todo{" zero" if n == 0 else ""}" data-queue="{q}">'
        f"{html.escape(t(f'orders.queue.{q}', language))} <b>{n:,}</b></span>"
        for q, n in counts.items()
    )
    return f'<div class="ecerp-todos">{badges}</div>' if badges else ""


def card_html(entry: AppEntry, language: str, counts: dict[str, int] | None = None) -> str:
    """One app's card: a link when it is available (with its to-do counts), a greyed "coming soon"
    card otherwise."""
    title = html.escape(t(entry.title_key, language))
    text = html.escape(t(entry.description_key, language))
    badge = f'<div class="ecerp-app-badge" style="background:{entry.color}">{title[:1]}</div>'
    if not entry.available:
        soon = f'<span class="ecerp-soon">{html.escape(t("app.home.coming_soon", language))}</span>'
        body = (
            f'<div><div class="ecerp-app-name">{title}{soon}</div>'
            f'<div class="ecerp-app-text">{text}</div></div>'
        )
        return f'<div class="ecerp-app-card soon">{badge}{body}</div>'
    todo = todo_html(counts or {}, language)
    body = (
        f'<div><div class="ecerp-app-name">{title}</div><div class="ecerp-app-text">{text}</div>{todo}</div>'
    )
    href = f"{entry.notebook}?lang={language}"
    return f'<a class="ecerp-app-card" data-app="{entry.key}" href="{href}">{badge}{body}</a>'


class HomeView:
    """The home page's widgets."""

    def __init__(self, model: HomeModel) -> None:
        self.model = model
        self.ctx = model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        self.cards = w.HTML()
        self.cards.add_class("ecerp-home")
        self.i18n.bind(self.cards, "value", self._html)
        self.shell = AppShell(
            self.ctx, "app.home.title", w.VBox([KeyFigureStrip(self.ctx), self.cards]), home_link=False
        )

    def _html(self, language: str) -> str:
        intro = (
            f"<b>{html.escape(self.model.company_name)}</b><br>{html.escape(t('app.home.intro', language))}"
        )
        cards = "".join(card_html(e, language, self.model.todo.get(e.key)) for e in self.model.visible_apps())
        return f'{CARD_STYLE}<div class="ecerp-home-intro">{intro}</div><div class="ecerp-apps">{cards}</div>'
