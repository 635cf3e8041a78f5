"""Signing in: passwords with lockout, API tokens for scripts, and the signed session the web
server hands to an app's kernel.

- :func:`sign_in` checks a password (:func:`ecerp_core.auth.authenticate`) and locks a user name
  out after :data:`MAX_FAILURES` failures within :data:`LOCKOUT_WINDOW`. Failures are stored in
  the database (table ``login_failure``), so the web server and every CLI process share one count;
  a successful sign-in clears them.
- API tokens (``ecerp users token create USER``) are random strings shown once; only their SHA-256
  is stored (a token is 32 random bytes, so a fast hash is enough). :func:`actor_for_token` turns
  one back into its user's :class:`~ecerp_core.auth.Actor`.
- :func:`seal` / :func:`unseal`: the web server signs the signed-in user name with a secret that
  only it and its kernels know (``ECERP_SESSION_SECRET`` in their environment); the app's kernel
  accepts the name only with a valid, unexpired signature.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import time

from sqlalchemy import ForeignKey, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ecerp_core import audit
from ecerp_core.auth import Actor, User, actor_for, authenticate, get_user, require
from ecerp_core.db import Base, Flag, Timestamp, bigpk, created_at, intpk, session_scope, utcnow
from ecerp_core.errors import AuthenticationFailed, EcerpError, NotFound

MAX_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)
TOKEN_PREFIX = "ecerp_"
SESSION_SECRET_ENV = "ECERP_SESSION_SECRET"
SESSION_HOURS = 12


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
