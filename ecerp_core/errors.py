"""Named errors people can cause, with messages a clerk understands in zh_CN and en.

A service raises one of these; the CLI prints ``error.message()`` and exits non-zero, an app shows
it in its alert area. Checks return :class:`Problem` values so a whole batch can be checked and
every problem listed at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ecerp_core.i18n import t


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    field: the input field it concerns (``sku``), or None for the record as a whole.
    code: a catalogue key (``problem.required``).
    params: values for the message template.
    line: the line of the source file, for imports.
    """

    field: str | None
    code: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    line: int | None = None

    def message(self, language: str | None = None) -> str:
        text = t(self.code, language, field=f"field.{self.field}" if self.field else "", **self.params)
        return text

    def at_line(self, line: int) -> Problem:
        return Problem(self.field, self.code, self.params, line)


def problem(field: str | None, code: str, **params: object) -> Problem:
    """Build a :class:`Problem`; ``code`` is given without its ``problem.`` prefix."""
    return Problem(field, f"problem.{code}", MappingProxyType(dict(params)))


class EcerpError(Exception):
    """Base of every error a person can cause. ``code`` is a catalogue key."""

    code = "error.generic"
    exit_code = 1

    def __init__(self, code: str | None = None, /, **params: object) -> None:
        if code:
            self.code = code
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str | None = None) -> str:
        return t(self.code, language, **self.params)

    def __reduce__(self) -> tuple:
        # as it is, whatever the subclass's constructor takes: an error raised in another process
        # (ecerp_core.connectors.ahead) reaches this one whole
        return (_error_of, (type(self), self.args, self.__dict__))


def _error_of(kind: type[EcerpError], args: tuple, state: dict) -> EcerpError:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class ValidationError(EcerpError):
    """Input broke one or more rules; ``problems`` lists every one of them."""

    code = "error.validation"

    def __init__(self, problems: Iterable[Problem], /, **params: object) -> None:
        self.problems = list(problems)
        super().__init__(None, **params)

    def message(self, language: str | None = None) -> str:
        head = t(self.code, language, count=len(self.problems))
        lines = []
        for p in self.problems:
            prefix = t("error.at_line", language, line=p.line) if p.line else ""
            lines.append(f"{prefix}{p.message(language)}")
        return head + ("\n  " + "\n  ".join(lines) if lines else "")


class TransitionNotAllowed(ValidationError):
    """Documents cannot move from their status to the one asked; ``problems`` names each one."""

    code = "error.transition_not_allowed"


class NeedsConfirmation(ValidationError):
    """Allowed, but only when the person confirms it (the same tracking number on several parcels);
    ``problems`` says what to confirm. The caller asks, then calls again with the confirmation."""

    code = "error.needs_confirmation"


class PermissionDenied(EcerpError):
    code = "error.permission_denied"
    exit_code = 3


class NotFound(EcerpError):
    code = "error.not_found"


class ImportFileError(EcerpError):
    """A file that cannot be used at all: unreadable, wrong format, a required column missing."""

    code = "error.import_file"


class AuthenticationFailed(EcerpError):
    code = "error.authentication_failed"
    exit_code = 3


class ConfigurationError(EcerpError):
    code = "error.configuration"


class NotInitialised(EcerpError):
    code = "error.not_initialised"
