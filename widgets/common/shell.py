"""The frame every app sits in: header (title, user, language switch, home link), alerts, body.

Also :func:`launch`, which every app notebook calls: it builds the app and shows it, or shows a
friendly page when even building fails (database not set up, unknown user...), never a traceback.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from contextlib import suppress

import ipywidgets as w

from ecerp_core.db import warm_up
from ecerp_core.errors import EcerpError
from ecerp_core.i18n import t
from widgets.common.actions import log_startup_failure, log_unexpected
from widgets.common.actor import AppContext, signed_in_serving
from widgets.common.i18n import LanguageSwitch, Translator, default_language
from widgets.common.shared import fixed, fixed_layout

HOME_NOTEBOOK = "home.ipynb"

STYLE = """
<style>
body, .jp-LinkedOutputView, .jp-OutputArea-output { font-family: -apple-system, "Segoe UI",
  "PingFang SC", "Hiragino Sans GB", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
html, body, body .jp-Notebook, body .jp-Cell, body .jp-OutputArea-output { background: #f4f6f8 !important; }
.ecerp-app input, .ecerp-app textarea, .ecerp-app select, .ecerp-app button { font-family: inherit; }
.ecerp-app .widget-toggle-button.mod-active { background: #1f6feb; color: #fff; }
.ecerp-header .ecerp-language .widget-toggle-button { background: rgba(255,255,255,.14); color: #e6eef8; }
.ecerp-header .ecerp-language .widget-toggle-button.mod-active { background: #fff; color: #1f3a5f;
  font-weight: 600; }
.ecerp-app { max-width: 1440px; margin: 0 auto; padding: 0 20px 28px; box-sizing: border-box;
  min-height: calc(100vh - 24px); }
.ecerp-header { align-items: center; background: #1f3a5f; color: #fff; padding: 10px 20px;
  border-radius: 0 0 10px 10px; margin-bottom: 14px; gap: 12px; }
.ecerp-header .ecerp-title { font-size: 19px; font-weight: 600; color: #fff; }
.ecerp-header .ecerp-title a { color: #c9daf0; text-decoration: none; font-weight: 400;
  font-size: 14px; margin-right: 14px; }
.ecerp-header .ecerp-title a:hover { color: #fff; }
.ecerp-header .ecerp-user { color: #d8e3f0; font-size: 13px; }
.ecerp-header .ecerp-signout { color: #fff; margin-left: 10px; text-decoration: underline; }
.ecerp-language .widget-toggle-button { font-size: 12px; height: 28px; }
.ecerp-alerts:empty { display: none; }
.ecerp-alert { padding: 10px 14px; border-radius: 6px; margin-bottom: 12px; font-size: 13px;
  line-height: 1.6; border: 1px solid; }
.ecerp-alert-error { background: #fdecec; border-color: #f3b7b7; color: #8a1f1f; }
.ecerp-alert-success { background: #e8f6ec; border-color: #a9dcb7; color: #1d6b36; }
.ecerp-alert-info { background: #eaf2fb; border-color: #b6cfee; color: #1f4e85; }
.ecerp-card { background: #fff; border: 1px solid #e3e6ea; border-radius: 10px; padding: 16px 18px;
  box-shadow: 0 1px 2px rgba(16, 24, 40, .04); box-sizing: border-box; }
.ecerp-gap-4 { gap: 4px; } .ecerp-gap-6 { gap: 6px; } .ecerp-gap-8 { gap: 8px; }
.ecerp-gap-12 { gap: 12px; } .ecerp-gap-16 { gap: 16px; }
.ecerp-confirm-bar { background: #fff8e6; border: 1px solid #f0d48a; border-radius: 6px;
  padding: 6px 10px; margin-top: 8px; }
.ecerp-card + .ecerp-card { margin-top: 12px; }
.ecerp-busy { opacity: .6; pointer-events: none; cursor: progress; }
.ecerp-pager { align-items: center; gap: 6px; margin-top: 8px; }
.ecerp-page-label { color: #52606d; font-size: 13px; }
.ecerp-filter-bar { gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
.ecerp-field-label label { font-size: 13px; color: #3e4c59; font-weight: 500; }
.ecerp-required { color: #c62828; }
.ecerp-field { min-width: 0; margin: 0; }
.ecerp-field .ecerp-field-label { margin: 0 0 3px; }
.ecerp-field .ecerp-field-label label { line-height: 18px; }
.ecerp-field .ecerp-input { margin: 0; }
.ecerp-field .ecerp-field-message { margin: 2px 0 6px; }
.ecerp-field-wide { grid-column: 1 / -1; }
.ecerp-field-message { min-height: 16px; }
.ecerp-field-message span { color: #c62828; font-size: 12px; line-height: 1.4; }
.ecerp-invalid input, .ecerp-invalid textarea, .ecerp-invalid select { border-color: #e57373 !important;
  background: #fff8f8 !important; }
.ecerp-number input { text-align: right; }
.ecerp-form-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); column-gap: 14px; row-gap: 0; }
.ecerp-section-title { font-size: 15px; font-weight: 600; color: #1f2933; }
.ecerp-muted { color: #7b8794; font-size: 13px; }
.widget-button.mod-primary { background: #1f6feb; }
</style>
"""


class AppShell(w.VBox):
    """Header, alert area and body of one app.

    title_key: the catalogue key of the app's name. ``home_link``: show a link back to the home
    page (every app but the home page itself).
    """

    def __init__(self, ctx: AppContext, title_key: str, body: w.Widget, *, home_link: bool = True) -> None:
        self.ctx = ctx
        i18n = ctx.i18n
        self.title = fixed(w.HTML, layout=fixed_layout(flex="1"))  # the user and language to the right
        self.title.add_class("ecerp-title")
        i18n.bind(self.title, "value", lambda lang: self._title_html(title_key, lang, home_link))
        self.user_label = fixed(w.HTML)
        self.user_label.add_class("ecerp-user")
        i18n.bind(self.user_label, "value", lambda lang: self._user_html(lang))
        self.language_switch = LanguageSwitch(i18n)
        header = fixed(w.HBox, children=[self.title, self.user_label, self.language_switch])
        header.add_class("ecerp-header")
        i18n.on_change(lambda _lang: ctx.alerts.clear())
        super().__init__([fixed(w.HTML, value=STYLE), header, ctx.alerts, body], layout=fixed_layout())
        self.add_class("ecerp-app")

    def _user_html(self, language: str) -> str:
        actor = self.ctx.actor
        who = html.escape(t("app.acting_as", language, user=actor.username, role=f"role.{actor.role}"))
        if not signed_in_serving():
            return who
        base = os.environ.get("VOILA_BASE_URL", "/")
        label = html.escape(t("signin.sign_out", language))
        return f'{who} <a class="ecerp-signout" href="{base}logout?lang={language}">{label}</a>'

    @staticmethod
    def _title_html(title_key: str, language: str, home_link: bool) -> str:
        home = ""
        if home_link:
            home_title = html.escape(t("app.home.title", language))
            home = f'<a href="{HOME_NOTEBOOK}?lang={language}">← {home_title}</a>'
        return f"{home}{html.escape(t(title_key, language))}"


def error_page(message: str, language: str) -> w.Widget:
    """What a page shows when its app could not be built: a message and a way home."""
    body = w.HTML(
        f'<div class="ecerp-alert ecerp-alert-error" role="alert">{html.escape(message)}</div>'
        f'<p class="ecerp-muted">{html.escape(t("app.startup_failed_hint", language))}</p>'
    )
    box = w.VBox([w.HTML(STYLE), body])
    box.add_class("ecerp-app")
    return box


def wait_for_visitor() -> None:
    """In a preheated Voila kernel, pause until a visitor arrives, so the page's address (its
    ``?lang=``) and request headers (a later login) are known; the imports are done by then, and
    the database is warmed up (:func:`ecerp_core.db.warm_up`; if that fails, the build meets the
    problem again and shows it)."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        from voila.utils import wait_for_request

        with suppress(Exception):  # the build meets the problem again and shows it to the visitor
            warm_up()
        wait_for_request()


def launch(build: Callable[[], w.Widget]) -> w.Widget:
    """Build an app and display it; a failure shows a friendly page (traceback to the log)."""
    from IPython.display import display

    try:
        wait_for_visitor()
        app = build()
    except EcerpError as exc:
        language = default_language()
        log_startup_failure(exc)
        app = error_page(exc.message(language), language)
    except Exception:
        ref = log_unexpected(f"launch {getattr(build, '__qualname__', build)}")
        language = default_language()
        app = error_page(t("error.unexpected", language, ref=ref), language)
    display(app)
    return app


__all__ = ["STYLE", "AppShell", "Translator", "error_page", "launch"]
