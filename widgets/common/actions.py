"""One decorator for every widget callback, and the alert area it reports to.

Exceptions raised inside widget callbacks would otherwise leak into the page (or vanish), so every
callback goes through :func:`ui_action`: the pressed button shows that it is busy, a named
:class:`~ecerp_core.errors.EcerpError` becomes a translated message in the app's alert area, and
anything else becomes a generic message with a reference while its traceback goes to the log.
"""

from __future__ import annotations

import functools
import html
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

import ipywidgets as w

from ecerp_core.config import load_settings
from ecerp_core.db import again_after_lost_race, is_database_error, named_database_error
from ecerp_core.errors import EcerpError, Problem, ValidationError
from widgets.common.i18n import Translator
from widgets.common.shared import fixed_layout, plain_style

LOG_FILE = "apps.log"
_log = logging.getLogger("ecerp.apps")

F = TypeVar("F", bound=Callable[..., object])


class AlertArea(w.HTML):
    """The strip under an app's header where actions report success or trouble."""

    def __init__(self) -> None:
        super().__init__(value="", layout=fixed_layout(), style=plain_style(w.HTML))
        self.add_class("ecerp-alerts")
        self.kind = ""
        self.text = ""

    def _show(self, kind: str, text: str) -> None:
        self.kind, self.text = kind, text
        body = "<br>".join(html.escape(line) for line in text.splitlines())
        self.value = f'<div class="ecerp-alert ecerp-alert-{kind}" role="alert">{body}</div>'

    def error(self, text: str) -> None:
        self._show("error", text)

    def success(self, text: str) -> None:
        self._show("success", text)

    def info(self, text: str) -> None:
        self._show("info", text)

    def clear(self) -> None:
        self.kind, self.text, self.value = "", "", ""


class ActionHost(Protocol):
    """What :func:`ui_action` needs from the object whose method it wraps."""

    alerts: AlertArea
    i18n: Translator


def _logger() -> logging.Logger:
    """The app log, a file under ``settings.log_dir``; set up on first use (and again if the
    settings point elsewhere)."""
    log_dir = load_settings().log_dir
    path = str((log_dir / LOG_FILE).resolve())
    ours = [h for h in _log.handlers if getattr(h, "_ecerp", False)]
    if not ours or ours[0].baseFilename != path:
        for old in ours:
            _log.removeHandler(old)
            old.close()
        log_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler._ecerp = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        _log.addHandler(handler)
        _log.setLevel(logging.INFO)
        _log.propagate = False
    return _log


def log_unexpected(where: str) -> str:
    """Write the traceback being handled to the app log; return the reference shown to people."""
    ref = uuid.uuid4().hex[:8]
    try:
        _logger().exception("ref=%s in %s", ref, where)
    except OSError:  # an unwritable log must not turn one error into two
        logging.getLogger(__name__).exception("ref=%s in %s", ref, where)
    return ref


def log_startup_failure(error: EcerpError) -> None:
    """Note in the app log that an app could not start for a reason people can fix."""
    try:
        _logger().warning("app failed to start: %s", error.message("en"))
    except OSError:
        logging.getLogger(__name__).warning("app failed to start: %s", error.message("en"))


def validation_text(i18n: Translator, error: ValidationError, unplaced: Iterable[Problem]) -> str:
    """The alert for a validation error: the head line, then the problems no field shows."""
    unplaced = list(unplaced)
    if not unplaced:
        return i18n.t("app.form.fix_fields", count=len(error.problems))
    lines = [i18n.t("error.validation", count=len(error.problems))]
    lines += [f"• {p.message(i18n.language)}" for p in unplaced]
    return "\n".join(lines)


def ui_action(method: F) -> F:
    """Wrap a widget callback: busy button, friendly errors, tracebacks to the log only.

    The pressed button (an argument of the callback) carries the ``ecerp-busy`` class while the
    action runs; the page greys it and ignores further clicks on it until the action ends.

    The wrapped method belongs to an object with ``alerts`` and ``i18n`` (:class:`ActionHost`).
    A :class:`ValidationError` is first offered to the object's ``show_problems(problems)``,
    which puts messages next to their fields and returns those it could not place.
    """

    @functools.wraps(method)
    def wrapper(self: ActionHost, *args, **kwargs):
        button = next((a for a in args if isinstance(a, w.Button)), None)
        if button is not None:
            # A class, not ``disabled``: the action itself may enable or disable its button.
            button.add_class("ecerp-busy")
        try:
            # a lost deadlock runs the action again, as the CLI's transactions are, while it has
            # committed nothing
            return again_after_lost_race(lambda: method(self, *args, **kwargs), uncommitted=True)
        except ValidationError as exc:
            placer = getattr(self, "show_problems", None)
            unplaced = placer(exc.problems) if placer else exc.problems
            self.alerts.error(validation_text(self.i18n, exc, unplaced))
        except EcerpError as exc:
            self.alerts.error(exc.message(self.i18n.language))
        except Exception as exc:
            ref = log_unexpected(f"{type(self).__name__}.{method.__name__}")
            if is_database_error(exc):  # named by its kind (busy, conflict, value), never its SQL
                named = named_database_error(exc)
                self.alerts.error(f"{named.message(self.i18n.language)} (ref {ref})")
            else:
                self.alerts.error(self.i18n.t("error.unexpected", ref=ref))
        finally:
            if button is not None:
                button.remove_class("ecerp-busy")
        return None

    return wrapper  # type: ignore[return-value]
