"""The web server the apps run in: Voila with ecerp's sign-in (``python -m widgets.server``).

Voila inherits Jupyter Server's identity providers; :class:`EcerpIdentityProvider` plugs in there:

- ``GET /login`` shows the sign-in page (zh_CN/en); ``POST /login`` with ``username``,
  ``password`` and the server's ``_xsrf`` checks the ecerp password through
  :func:`ecerp_core.signin.sign_in` (lockout after repeated failures) and sets a cookie holding
  the :class:`~ecerp_core.signin.WebSession`, signed with the secret kept in ``data/session.key``
  (:func:`~ecerp_core.signin.session_key`), so a restart signs nobody out; every request checks the
  session (:func:`~ecerp_core.signin.check_session`: expired, signed out, password changed,
  deactivated). ``GET /logout`` ends the user's sessions and clears the cookie. An anonymous
  request for an app is redirected to ``/login`` (API and websocket requests get 403) before any
  kernel is started.
- With ``trusted_header`` (e.g. ``X-Remote-User``) a reverse proxy that has already signed the user
  in names them in that header; there is no sign-in page then.
- :class:`AppHandler` serves an app only to a user whose role may use it (the permission of its
  entry in :data:`widgets.home.registry.APPS`), else a friendly "not for your role" page, again
  without a kernel. It hands the signed-in user to the kernel in a sealed header
  (:data:`SESSION_HEADER`, passed on by Voila's ``http_header_envs``; a value a visitor sends is
  replaced); the kernel accepts it only with the secret it inherited from this process
  (:func:`widgets.common.actor.served_username`).

``ecerp serve`` builds the command line (:func:`ecerp_core.serving.voila_command`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import html
import json
import logging
import os
import re
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from urllib.parse import quote

from jupyter_core.utils import run_sync
from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.base.handlers import FileFindHandler, JupyterHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Bool, Float, Type, Unicode, default
from voila import __version__ as voila_version
from voila.app import Voila
from voila.static_file_handler import MultiStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from ecerp_core.auth import permissions_of
from ecerp_core.config import LANGUAGES, load_settings
from ecerp_core.db import session_scope
from ecerp_core.errors import AuthenticationFailed, EcerpError
from ecerp_core.i18n import t
from ecerp_core.signin import (
    SESSION_SECRET_ENV,
    AccountLocked,
    WebSession,
    check_session,
    open_session,
    seal,
    session_actor,
    session_key,
    sign_in,
    sign_out,
)
from ecerp_core.wiring import connect
from widgets.common.actor import SESSION_HEADER
from widgets.common.i18n import LANGUAGE_NAMES
from widgets.home.registry import APPS

HOME = "home.ipynb"
APP_PERMISSIONS = {entry.notebook: entry.permission for entry in APPS if entry.available}
"""Which permission opens which app notebook; Home opens for everybody signed in."""

log = logging.getLogger("ecerp.server")


# --- pages ----------------------------------------------------------------------------------------
PAGE_STYLE = """
body { margin: 0; background: #f4f6f8; font-family: -apple-system, "Segoe UI", "PingFang SC",
  "Hiragino Sans GB", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color: #1f2933; }
.box { max-width: 380px; margin: 12vh auto 0; background: #fff; border: 1px solid #e3e6ea;
  border-radius: 10px; padding: 28px 30px; box-shadow: 0 1px 2px rgba(16,24,40,.04); }
h1 { font-size: 20px; margin: 0 0 4px; color: #1f3a5f; } p.sub { color: #7b8794; margin: 0 0 20px;
  font-size: 13px; }
label { display: block; font-size: 13px; font-weight: 500; color: #3e4c59; margin: 12px 0 4px; }
input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: 8px 10px;
  border: 1px solid #cbd2d9; border-radius: 6px; font-size: 14px; }
button { margin-top: 20px; width: 100%; padding: 9px; border: 0; border-radius: 6px; background: #1f6feb;
  color: #fff; font-size: 15px; cursor: pointer; }
.msg { padding: 9px 12px; border-radius: 6px; font-size: 13px; margin-bottom: 8px; border: 1px solid; }
.error { background: #fdecec; border-color: #f3b7b7; color: #8a1f1f; }
.info { background: #eaf2fb; border-color: #b6cfee; color: #1f4e85; }
.lang { text-align: right; font-size: 12px; margin-bottom: 10px; }
.lang a { color: #52606d; margin-left: 8px; }
a { color: #1f6feb; }
"""


def page(title: str, body: str, language: str) -> str:
    lang = "zh-CN" if language == "zh_CN" else "en"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>"
        f'<body><div class="box">{body}</div></body></html>'
    )


def request_language(handler: web.RequestHandler) -> str:
    """``?lang=`` if given, else the browser's first preference we speak, else the settings."""
    chosen = handler.get_argument("lang", "")
    if chosen in LANGUAGES:
        return chosen
    accept = handler.request.headers.get("Accept-Language", "").lower()
    for part in accept.split(","):
        code = part.split(";")[0].strip()
        if code.startswith("zh"):
            return "zh_CN"
        if code.startswith("en"):
            return "en"
    return load_settings().language


def home_path(base_url: str, language: str) -> str:
    return f"{base_url}voila/render/{HOME}?lang={language}"


# --- who the visitor is ---------------------------------------------------------------------------
@dataclass
class SignedInUser(User):
    """A user signed in with their ecerp password, with the session their cookie holds."""

    web: WebSession | None = None


class EcerpIdentityProvider(IdentityProvider):
    """Signed-in users are ecerp users; with ``enabled=False`` (``ecerp serve --no-login``, bound
    to 127.0.0.1) nobody signs in and the apps act for the local default user."""

    enabled = Bool(True, config=True, help="Require signing in.")
    trusted_header = Unicode(
        "", config=True, help="A header in which a trusted reverse proxy names the signed-in user."
    )

    @property
    def auth_enabled(self) -> bool:
        return self.enabled

    @property
    def login_available(self) -> bool:
        return self.enabled and not self.trusted_header

    @property
    def logout_available(self) -> bool:
        return self.enabled and not self.trusted_header

    async def get_user(self, handler: web.RequestHandler) -> User | None:
        if self.enabled and self.trusted_header:
            name = handler.request.headers.get(self.trusted_header, "").strip()
            return User(name) if name else None
        return await super().get_user(handler)

    def get_handlers(self) -> list[tuple[str, object]]:
        if not self.login_available:
            return []
        return [(r"/login", LoginHandler), (r"/logout", LogoutHandler)]

    def process_login_form(self, handler: web.RequestHandler) -> User | None:
        username = handler.get_argument("username", default="")
        password = handler.get_argument("password", default="")
        try:
            actor = sign_in(username, password, source="web")
        except AccountLocked as exc:
            handler.ecerp_problem = exc
            return None
        except EcerpError as exc:
            handler.ecerp_problem = exc
            return None
        with session_scope(readonly=True) as session:
            web = open_session(session, actor.username)
        return SignedInUser(actor.username, display_name=actor.username, web=web)

    def user_to_cookie(self, user: User) -> str:
        web = getattr(user, "web", None)
        if web is None:  # sign-in off: the anonymous local user
            return super().user_to_cookie(user)
        return json.dumps({"username": web.username, "issued": web.issued.isoformat(), "stamp": web.stamp})

    def user_from_cookie(self, cookie_value: str) -> User | None:
        """The signed-in user of a cookie whose session still holds, else None (the sign-in page)."""
        if not self.login_available:
            return super().user_from_cookie(cookie_value)
        data = json.loads(cookie_value)
        try:
            web = WebSession(
                str(data["username"]), dt.datetime.fromisoformat(data["issued"]), str(data["stamp"])
            )
        except (KeyError, TypeError, ValueError):
            return None  # a cookie of an older server
        with session_scope(readonly=True) as session:
            try:
                check_session(session, web)
            except AuthenticationFailed:
                return None
        return SignedInUser(web.username, display_name=web.username, web=web)

    def validate_security(self, app, ssl_options=None) -> None:
        if not self.enabled:
            app.log.info("ecerp: sign-in is off (local use, 127.0.0.1 only)")


class LoginHandler(LoginFormHandler):
    """The sign-in page and form."""

    def _render(self, message=None) -> None:
        language = request_language(self)
        problem = getattr(self, "ecerp_problem", None)
        notes = ""
        if problem is not None:
            notes = f'<div class="msg error" role="alert">{html.escape(problem.message(language))}</div>'
        elif self.get_argument("signed_out", ""):
            notes = (
                f'<div class="msg info" role="status">{html.escape(t("signin.signed_out", language))}</div>'
            )
        next_url = self.get_argument("next", default=home_path(self.base_url, language))
        typed = self.get_argument("username", default="")[:64]
        other = [code for code in LANGUAGES if code != language]
        switch = "".join(
            f'<a href="?lang={code}&amp;next={quote(next_url, safe="")}">{LANGUAGE_NAMES[code]}</a>'
            for code in other
        )
        body = (
            f'<div class="lang">{switch}</div>'
            f"<h1>{html.escape(t('signin.title', language))}</h1>"
            f'<p class="sub">{html.escape(t("signin.intro", language))}</p>{notes}'
            f'<form method="post" action="{self.base_url}login?lang={language}">'
            f"{self.xsrf_form_html()}"
            f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
            f'<label for="username">{html.escape(t("signin.username", language))}</label>'
            f'<input type="text" id="username" name="username" value="{html.escape(typed)}" '
            f'autocomplete="username" autofocus required>'
            f'<label for="password">{html.escape(t("signin.password", language))}</label>'
            f'<input type="password" id="password" name="password" autocomplete="current-password" required>'
            f'<button type="submit">{html.escape(t("signin.submit", language))}</button></form>'
        )
        self.write(page(t("signin.title", language), body, language))


class LogoutHandler(JupyterHandler):
    """Sign out: forget the cookie and show the sign-in page again."""

    @allow_unauthenticated
    def get(self) -> None:
        language = request_language(self)
        if isinstance(self.current_user, SignedInUser):  # not only this browser's cookie: the session
            with session_scope() as session:
                sign_out(session, self.current_user.username)
        self.identity_provider.clear_login_cookie(self)
        self.redirect(f"{self.base_url}login?lang={language}&signed_out=1")


# --- kernels waiting for staff --------------------------------------------------------------------
class EcerpKernelManager(AsyncMappingKernelManager):
    """Voila's kernel pools (``voila.json``), with the refills held back while staff are arriving.

    Voila replaces a preheated kernel the moment a visitor takes it (``fill_delay``, one delay for
    every pool): five clerks opening the Order Desk together took five kernels and started five
    new ones, whose imports (about 1.5 s of CPU each) fought the five pages being built on a 2-core
    machine. Here a kernel that refills a pool waits until no app page is being served, the
    browsers of the pages served have connected to their kernels (at most ``connect_wait`` seconds:
    a page closed early never does), and the last page was served or connected ``refill_after``
    seconds ago (its browser is still drawing the widgets then); kernels are then replaced one every
    ``refill_spacing`` seconds. Under load a browser takes longer than ``refill_after`` to load the
    front end before it connects, and refills started then fought it. A visitor who finds
    only held-back kernels in the pool gets them started at once (:meth:`page_started`). Kernels
    started with the server, and kernels started cold for a visitor, never wait. Voila builds its
    pool manager on top of this class (``multi_kernel_manager_class``).
    """

    refill_after = Float(
        10.0,
        config=True,
        help="Seconds after the last app page was served before used pool kernels are replaced.",
    )
    refill_spacing = Float(3.0, config=True, help="Seconds between two pool kernels being replaced.")
    connect_wait = Float(
        60.0,
        config=True,
        help="Seconds refills wait at most for the browsers of served pages to connect to their kernels.",
    )

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._serving = 0  # app pages being served
        self._unconnected = 0  # app pages served whose browser has not connected to its kernel yet
        self._last_served: float | None = None  # monotonic time the last app page was served
        self._last_refill = 0.0
        self._held = 0  # refills waiting
        self._hurry = False

    def page_started(self, notebook: str) -> None:
        """An app page is being served: hold refills back; if ``notebook``'s pool has no kernel
        started, let the held-back ones start now (the visitor waits for one of them)."""
        self._serving += 1
        self._last_served = time.monotonic()
        pool = getattr(self, "_pools", {}).get(notebook, [])
        if pool and not any(task.done() for task in pool) and self._held:
            self._hurry = True

    def page_served(self) -> None:
        self._serving -= 1
        self._unconnected += 1
        self._last_served = time.monotonic()

    def notify_connect(self, kernel_id) -> None:
        """A browser connected to its kernel: its page's front end is loaded."""
        super().notify_connect(kernel_id)
        if self._unconnected:
            self._unconnected -= 1
            self._last_served = time.monotonic()

    async def start_kernel(self, *args, **kwargs) -> str:
        env = kwargs.get("env") or {}
        if env.get("VOILA_PREHEAT") == "True" and self._last_served is not None:
            await self._refill_turn()
        return await super().start_kernel(*args, **kwargs)

    def _refill_may_start(self) -> bool:
        now = time.monotonic()
        if self._unconnected and now - self._last_served >= self.connect_wait:
            self._unconnected = 0  # pages closed before their browser connected
        return (
            self._serving == 0
            and self._unconnected == 0
            and now - self._last_served >= self.refill_after
            and now - self._last_refill >= self.refill_spacing
        )

    async def _refill_turn(self) -> None:
        self._held += 1
        try:
            while not self._hurry and not self._refill_may_start():
                await asyncio.sleep(0.25)
            self._last_refill = time.monotonic()
        finally:
            self._held -= 1
            if self._held == 0:
                self._hurry = False


PLOTLY_APPS = frozenset({"analytics.ipynb", "forecast.ipynb"})
"""The apps that draw plotly charts; only their pages load plotly's front end."""
PLOTLY_EXTENSION = "jupyterlab-plotly"


def page_config_hook(
    page_config: dict, *, notebook_path: str | None = None, base_url: str = "/", **_kwargs
) -> dict:
    """Leave plotly's front end (4.7 MB of JavaScript the browser parses on every first visit)
    out of the pages that draw no chart: a clerk's Order Desk opens sooner without it. Voila's
    own front end is loaded from the address that names its version (:class:`FrontEndHandler`)."""
    if notebook_path is not None and os.path.basename(notebook_path) not in PLOTLY_APPS:
        page_config["federated_extensions"] = [
            ext for ext in page_config.get("federated_extensions", []) if ext.get("name") != PLOTLY_EXTENSION
        ]
    if FrontEndHandler.tag:
        page_config["fullStaticUrl"] = url_path_join(base_url, "voila/static", FrontEndHandler.tag)
    return page_config


# --- the front end, cached by the browsers ---------------------------------------------------------
YEAR = 365 * 24 * 3600
IMMUTABLE = f"public, max-age={YEAR}, immutable"


def front_end_tag(paths: list[str]) -> str:
    """A name for this version of Voila's front end: its version and its files' sizes and times."""
    digest = hashlib.sha256(voila_version.encode())
    for root in paths:
        for folder, _dirs, files in sorted(os.walk(root)):
            for name in sorted(files):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return "v-" + digest.hexdigest()[:16]


class FrontEndHandler(MultiStaticFileHandler):
    """Voila's front end (``voila.js`` and its ~90 chunks, whose names carry no hash) under
    ``/voila/static/<tag>/``, where ``tag`` names its version (:func:`front_end_tag`): a browser
    keeps the files for a year and asks for none of them again, and an upgrade changes the address.
    Voila serves them without a cache lifetime, so a clerk's browser asked the server again for each
    on every opening (or read them afresh)."""

    tag = ""

    def get_cache_time(self, path, modified, mime_type) -> int:
        return YEAR

    def set_extra_headers(self, path) -> None:
        self.set_header("Cache-Control", IMMUTABLE)


HASHED_NAME = re.compile(r"\.[0-9a-f]{8,}\.js$")


class ExtensionHandler(FileFindHandler):
    """The widget extensions' front ends: a file whose name or ``?v=`` carries its content hash is
    kept by the browser for a year (Voila serves every one with ``no-cache``: asked for again on
    every opening)."""

    def set_headers(self) -> None:
        super().set_headers()
        if "v" in self.request.arguments or HASHED_NAME.search(self.request.path):
            self.set_header("Cache-Control", IMMUTABLE)


# --- which apps a user may open ------------------------------------------------------------------
def may_open(username: str, notebook: str) -> bool:
    """Whether ``username`` (active) may open the app ``notebook``; unknown notebooks: nobody."""
    if notebook != HOME and notebook not in APP_PERMISSIONS:
        return False
    with session_scope(readonly=True) as session:
        try:
            actor = session_actor(session, username)
        except AuthenticationFailed:
            return False
        needed = APP_PERMISSIONS.get(notebook)
        return needed is None or needed in permissions_of(session, actor.role)


class AppHandler(TornadoVoilaHandler):
    """An app page: for a signed-in user whose role may use it, with the user sealed for the kernel."""

    @web.authenticated
    async def get(self, path=None):
        notebook = (path or "").strip("/")
        login = self.identity_provider.auth_enabled
        if login and not may_open(self.current_user.username, notebook):
            self.refuse(notebook)
            return
        for name in list(self.request.headers.keys()):  # never what a visitor sent
            if name.lower() == SESSION_HEADER.lower():
                del self.request.headers[name]
        if login:
            self.request.headers[SESSION_HEADER] = seal(
                self.current_user.username, os.environ[SESSION_SECRET_ENV]
            )
        pooled = isinstance(self.kernel_manager, EcerpKernelManager)
        if pooled:
            self.kernel_manager.page_started(notebook)
        try:
            await super().get(path)
        finally:
            if pooled:
                self.kernel_manager.page_served()

    def refuse(self, notebook: str) -> None:
        language = request_language(self)
        known = notebook in APP_PERMISSIONS or notebook == HOME
        self.set_status(403 if known else 404)
        key = "signin.app_refused" if known else "signin.app_unknown"
        home = html.escape(t("app.home.title", language))
        sign_out = html.escape(t("signin.sign_out", language))
        body = (
            f"<h1>{html.escape(t('signin.refused_title', language))}</h1>"
            f'<div class="msg error" role="alert">{html.escape(t(key, language))}</div>'
            f'<p><a href="{home_path(self.base_url, language)}">← {home}</a> &nbsp; '
            f'<a href="{self.base_url}logout?lang={language}">{sign_out}</a></p>'
        )
        self.finish(page(t("signin.refused_title", language), body, language))


class TreeHandler(TornadoVoilaTreeHandler):
    """No folder listings: the address of the server goes to the home page."""

    @web.authenticated
    async def get(self, path=""):
        self.redirect(home_path(self.base_url, request_language(self)))


class EcerpVoila(Voila):
    """Voila over ``notebooks/apps`` with ecerp's sign-in and app handlers."""

    identity_provider_class = Type(default_value=EcerpIdentityProvider, klass=IdentityProvider, config=True)

    @default("cookie_secret")
    def _session_key(self) -> bytes:
        """Kept in ``data/session.key``, not made anew at each start: a restart signs nobody out."""
        return session_key()

    def get_default_logging_config(self) -> dict:
        """The server's logger at the level it prints (traitlets leaves it at DEBUG, filtering in the
        handler): jupyter_server and nbclient log every kernel message at debug level, and each call
        made a log record that was then dropped, about a tenth of the server's CPU while staff open
        the apps."""
        config = super().get_default_logging_config()
        ours = config.get("loggers", {}).get(self.__class__.__name__)
        if ours is not None:
            ours["level"] = logging.getLevelName(self.log_level)
        return config

    def init_settings(self):
        self.voila_configuration.multi_kernel_manager_class = EcerpKernelManager
        self.voila_configuration.page_config_hook = page_config_hook
        # before the kernel manager starts preheated kernels: they inherit this environment
        if self.config.EcerpIdentityProvider.get("enabled", True):
            os.environ.setdefault(SESSION_SECRET_ENV, secrets.token_urlsafe(32))
        else:
            os.environ.pop(SESSION_SECRET_ENV, None)
        return super().init_settings()

    def init_handlers(self):
        swap = {
            TornadoVoilaHandler: AppHandler,
            TornadoVoilaTreeHandler: TreeHandler,
            FileFindHandler: ExtensionHandler,
        }
        handlers = [(spec[0], swap.get(spec[1], spec[1]), *spec[2:]) for spec in super().init_handlers()]
        FrontEndHandler.tag = front_end_tag(self.static_paths)
        front_end = url_path_join(self.server_url, rf"/voila/static/{FrontEndHandler.tag}/(.*)")
        settings = {"paths": self.static_paths, "default_filename": "index.html"}
        return [(front_end, FrontEndHandler, settings), *handlers]

    def stop(self):
        """Stop the kernels at once: a preheated kernel asked to shut down politely while it waits
        for its visitor printed a ZMQError traceback; kernels hold no unsaved work (every change
        is committed by the service that made it)."""
        shutil.rmtree(self.connection_dir, ignore_errors=True)
        run_sync(self.kernel_manager.shutdown_all)(now=True)
        self.log.info("ecerp: stopped")


def main(argv: list[str] | None = None) -> None:
    """Start the server (its kernels inherit the session secret from this process's environment)."""
    connect()
    defaults = ["--VoilaConfiguration.http_header_envs", SESSION_HEADER]
    EcerpVoila.launch_instance(argv=defaults + list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
