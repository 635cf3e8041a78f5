"""Signing in: passwords with lockout, API tokens for scripts, and the signed session the web
server hands to an app's kernel.

- :func:`sign_in` checks a password (:func:`ecerp_core.auth.authenticate`) and locks a user name
  out after :data:`MAX_FAILURES` failures within :data:`LOCKOUT_WINDOW`. Failures are stored in
  the database (table ``login_failure``), so the web server and every CLI process share one count;
  a successful sign-in clears them.
- API tokens (``ecerp users token create USER``) are random strings shown once; only their SHA-256
  is stored (a token is 32 random bytes, so a fast hash is enough). :func:`actor_for_token` turns
  one back into its user's :class:`~ecerp_core.auth.Actor`.
- A browser's session with the web server (:class:`WebSession`) is kept in a cookie the server
  signs with :func:`session_key`, a secret made once and kept in a file only this OS user can read
  (``data/session.key``), so sessions outlive a restart of the server. :func:`check_session` refuses a
  session older than :data:`SESSION_HOURS`, one of a user who has since signed out
  (:func:`sign_out`, every browser of theirs), changed password or been deactivated.
- :func:`seal` / :func:`unseal`: the web server signs the signed-in user name with a secret that
  only it and its kernels know (``ECERP_SESSION_SECRET`` in their environment, made at each start:
  a kernel never outlives its server); the app's kernel accepts the name only with a valid,
  unexpired signature.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import ForeignKey, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ecerp_core import audit
from ecerp_core.auth import Actor, User, actor_for, authenticate, get_user, require
from ecerp_core.config import project_root
from ecerp_core.db import Base, Flag, Timestamp, bigpk, created_at, intpk, session_scope, utcnow
from ecerp_core.errors import AuthenticationFailed, EcerpError, NotFound

MAX_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
TOKEN_PREFIX = "ecerp_"
SESSION_SECRET_ENV = "ECERP_SESSION_SECRET"
SESSION_HOURS = 12
SESSION_KEY_FILE = "session.key"


class AccountLocked(EcerpError):
    """Too many failed sign-ins for one user name in a short time."""

    code = "error.account_locked"
    exit_code = 3


class SignInRequired(EcerpError):
    """The CLI was asked to act as a user without that user's password or token."""

    code = "error.sign_in_required"
    exit_code = 3


class LoginFailure(Base):
    """One failed sign-in (wrong name or password), kept for the lockout count."""

    __tablename__ = "login_failure"

    id: Mapped[bigpk]
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[Timestamp] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20), default="")


class ApiToken(Base):
    """A token a script signs in with; ``token_hash`` is the SHA-256 of the token, never the token."""

    __tablename__ = "api_token"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[Flag]
    created_at: Mapped[created_at]


# --- passwords with lockout -----------------------------------------------------------------------
def failures(session: Session, username: str) -> int:
    """Failed sign-ins of ``username`` within the lockout window."""
    since = utcnow() - LOCKOUT_WINDOW
    stmt = select(func.count()).where(LoginFailure.username == username, LoginFailure.at >= since)
    return session.scalar(stmt) or 0


def sign_in(username: str, password: str, *, source: str = "", url: str | None = None) -> Actor:
    """Check ``password`` for ``username`` in a transaction of its own (a failure is remembered
    even though the caller's work stops); raise :class:`AccountLocked` after too many failures."""
    username = (username or "").strip()[:64]
    with session_scope(url) as session:
        if failures(session, username) >= MAX_FAILURES:
            raise AccountLocked(user=username, minutes=int(LOCKOUT_WINDOW.total_seconds() // 60))
        try:
            actor = authenticate(session, username, password)
        except AuthenticationFailed:
            failed = True
        else:
            failed = False
            session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    if failed:
        with session_scope(url) as session:
            session.add(LoginFailure(username=username, source=source[:20]))
        raise AuthenticationFailed(user=username)
    return actor


# --- API tokens -----------------------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, actor: Actor, username: str, *, label: str = "") -> str:
    """Issue a token for ``username`` (needs ``users.manage``); returns it; only its hash is kept."""
    require(actor, "users.manage")
    user = get_user(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_digest(token), label=label[:100], active=True)
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", "api_token", row.id, {"username": username, "label": label})
    return token


def revoke_tokens(session: Session, actor: Actor, username: str) -> int:
    """Revoke every token of ``username``; returns how many were active."""
    require(actor, "users.manage")
    user = get_user(session, username)
    rows = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.active)))
    for row in rows:
        row.active = False
    audit.record(session, actor, "revoke", "api_token", user.id, {"username": username, "count": len(rows)})
    return len(rows)


def actor_for_token(session: Session, token: str) -> Actor:
    """The active user an active token belongs to, else :class:`AuthenticationFailed`."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token.strip())))
    if row is None or not row.active:
        raise AuthenticationFailed(user="token")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AuthenticationFailed(user="token")
    return actor_for(session, user)


# --- a browser's session with the web server ------------------------------------------------------
@dataclass(frozen=True)
class WebSession:
    """What the server's signed cookie says of a signed-in browser: who, since when (UTC), and a
    stamp of the password they signed in with (a digest of its hash, which tells nothing of it)."""

    username: str
    issued: dt.datetime
    stamp: str


def _password_stamp(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def open_session(session: Session, username: str) -> WebSession:
    """The session of ``username``, who has just signed in (:func:`sign_in`)."""
    return WebSession(username, utcnow(), _password_stamp(get_user(session, username)))


def _signed_out_at(session: Session, user: User) -> dt.datetime | None:
    stmt = select(func.max(audit.AuditLog.at)).where(
        audit.AuditLog.entity == "app_user",
        audit.AuditLog.entity_id == str(user.id),
        audit.AuditLog.action == "sign_out",
    )
    return session.scalar(stmt)


def check_session(session: Session, web: WebSession) -> Actor:
    """The actor of a browser's session, else :class:`AuthenticationFailed`: the session is over
    after :data:`SESSION_HOURS`, when its user signs out anywhere, changes password or is
    deactivated."""
    try:
        user = get_user(session, web.username)
    except NotFound:
        raise AuthenticationFailed(user=web.username) from None
    now = utcnow()
    signed_out = _signed_out_at(session, user)
    if (
        not user.active
        or not hmac.compare_digest(web.stamp, _password_stamp(user))
        or not now - dt.timedelta(hours=SESSION_HOURS) < web.issued <= now + dt.timedelta(minutes=1)
        or (signed_out is not None and web.issued <= signed_out)
    ):
        raise AuthenticationFailed(user=web.username)
    return actor_for(session, user)


def sign_out(session: Session, username: str) -> None:
    """End every session ``username`` has open (each browser they signed in from); audited."""
    try:
        user = get_user(session, username)
    except NotFound:
        return
    audit.record(session, actor_for(session, user), "sign_out", "app_user", user.id)


def session_key_path() -> Path:
    """Where the server keeps the secret its session cookies are signed with (never in git)."""
    return project_root() / "data" / SESSION_KEY_FILE


def session_key(path: Path | None = None) -> bytes:
    """The secret the server signs its session cookies with: read from ``path``
    (:func:`session_key_path`), or made there once (64 random hex digits) readable by this OS user
    only. Two servers starting at once end up with the same secret."""
    path = path or session_key_path()
    if not path.is_file() or not path.read_text().strip():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, fresh = tempfile.mkstemp(dir=path.parent, prefix=".session-")  # made 0600
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            if path.is_file():  # there but empty: nothing was signed with it
                os.replace(fresh, path)
            else:
                os.link(fresh, path)  # never over a secret another server has just made
        except FileExistsError:
            pass  # another server made it first: use theirs
        finally:
            if os.path.exists(fresh):
                os.unlink(fresh)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return path.read_text().strip().encode()


# --- the signed session a web server hands to a kernel ---------------------------------------------
def seal(username: str, secret: str, *, hours: int = SESSION_HOURS) -> str:
    """``username`` with an expiry and an HMAC over both, for :func:`unseal` with the same secret."""
    expires = int(time.time()) + hours * 3600
    body = f"{username}|{expires}"
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return base64.urlsafe_b64encode(f"{body}|{mac}".encode()).decode()


def unseal(sealed: str, secret: str) -> str:
    """The user name inside a sealed value; :class:`AuthenticationFailed` if forged or expired."""
    try:
        username, expires, mac = base64.urlsafe_b64decode(sealed.encode()).decode().rsplit("|", 2)
        body = f"{username}|{expires}"
        good = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        if secret and hmac.compare_digest(good, mac) and int(expires) > time.time():
            return username
    except (ValueError, UnicodeDecodeError):
        pass
    raise AuthenticationFailed(user="-")


def session_actor(session: Session, username: str) -> Actor:
    """The actor of a signed-in user name (still active, with their role's permissions now)."""
    try:
        user = get_user(session, username)
    except NotFound:
        raise AuthenticationFailed(user=username) from None
    if not user.active:
        raise AuthenticationFailed(user=username)
    return actor_for(session, user)
