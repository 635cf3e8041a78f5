"""Settings: environment variables ``ECERP_*`` override ``ecerp.toml``, which overrides defaults.

The default database is one SQLite file, ``data/ecerp.db`` under the project root, so the CLI, a
notebook opened from ``notebooks/apps/`` and a Voila kernel all find the same file whatever their
working directory is.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ENV_PREFIX = "ECERP_"
CONFIG_FILE = "ecerp.toml"
LANGUAGES = ("zh_CN", "en")


def _looks_like_project_root(path: Path) -> bool:
    return (path / "pyproject.toml").is_file() and (path / "ecerp_core").is_dir()


@cache
def project_root() -> Path:
    """Return the folder that holds ``data/`` and ``notebooks/``.

    ``ECERP_HOME`` wins; otherwise the checkout this package was installed from (an editable
    install, the usual case); otherwise the nearest parent of the working directory that is an
    ecerp checkout; otherwise ``~/.ecerp``.
    """
    home = os.environ.get(ENV_PREFIX + "HOME")
    if home:
        return Path(home).expanduser().resolve()
    package_parent = Path(__file__).resolve().parent.parent
    if _looks_like_project_root(package_parent):
        return package_parent
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if _looks_like_project_root(candidate):
            return candidate
    return Path("~/.ecerp").expanduser()


@dataclass(frozen=True)
class Settings:
    """What an ecerp process needs to know about its surroundings.

    database_url: SQLAlchemy URL; ``sqlite:///<root>/data/ecerp.db`` by default.
    language: the language of messages when nobody chose one (``zh_CN`` or ``en``).
    user: the user the CLI acts as when ``--user`` is not given (None: the first admin).
    secrets_file: a TOML file outside git with shop credentials, referenced by name.
    log_dir: where apps write tracebacks that people are spared from seeing.
    """

    database_url: str
    language: str = "zh_CN"
    user: str | None = None
    secrets_file: Path | None = None
    log_dir: Path = field(default_factory=lambda: project_root() / "data" / "logs")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def default_database_url() -> str:
    return f"sqlite:///{project_root() / 'data' / 'ecerp.db'}"


def _file_settings() -> dict:
    path = Path(os.environ.get(ENV_PREFIX + "CONFIG", project_root() / CONFIG_FILE))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def load_settings() -> Settings:
    """Read the settings afresh (environment > ``ecerp.toml`` > defaults)."""
    values = {
        "database_url": default_database_url(),
        "language": "zh_CN",
        "user": None,
        "secrets_file": None,
        "log_dir": project_root() / "data" / "logs",
    }
    values.update({k: v for k, v in _file_settings().items() if k in values})
    for key in values:
        env = os.environ.get(ENV_PREFIX + key.upper())
        if env:
            values[key] = env
    if values["language"] not in LANGUAGES:
        values["language"] = "en" if str(values["language"]).startswith("en") else "zh_CN"
    for key in ("secrets_file", "log_dir"):
        if values[key] is not None:
            values[key] = Path(values[key]).expanduser()
    return Settings(**values)
