"""Users, roles and permissions. Every service takes the acting user and calls :func:`require`.

Passwords are hashed with scrypt (a memory-hard KDF from the standard library) and a random salt.
The apps hide what a role may not do, but :func:`require` in the service is what enforces it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ecerp_core import audit
from ecerp_core.db import Base, Flag, clock_is_frozen, created_at, intpk, utcnow
from ecerp_core.errors import (
    AuthenticationFailed,
    NotFound,
    NotInitialised,
    PermissionDenied,
    ValidationError,
    problem,
)

# --- the vocabulary -------------------------------------------------------------------------------
PERMISSIONS = (
    "company.manage",
    "users.manage",
    "catalog.read",
    "catalog.write",
    "orders.read",
    "orders.import",
    "orders.review",
    "orders.ship",
    "orders.aftersales",
    "crm.read",
    "crm.write",
    "crm.manage",
    "stock.read",
    "stock.move",
    "stock.count",
    "stock.approve",
    "purchasing.read",
    "purchasing.write",
    "finance.read",
    "finance.post",
    "finance.close",
    "finance.reopen",
    "analytics.read",
    "analytics.report",
    "forecast.run",
)

ROLES: dict[str, tuple[str, ...]] = {
    "admin": PERMISSIONS,
    "order_clerk": (
        "catalog.read",
        "orders.read",
        "orders.import",
        "orders.review",
        "orders.ship",
        "orders.aftersales",
        "crm.read",
        "crm.write",
        "stock.read",
    ),
    "warehouse_clerk": (
        "catalog.read",
        "orders.read",
        "orders.ship",
        "stock.read",
        "stock.move",
        "stock.count",
        "purchasing.read",
    ),
    "purchaser": (
        "catalog.read",
        "catalog.write",
        "stock.read",
        "purchasing.read",
        "purchasing.write",
        "forecast.run",
        "analytics.read",
    ),
    "accountant": (
        "catalog.read",
        "orders.read",
        "stock.read",
        "purchasing.read",
        "finance.read",
        "finance.post",
        "finance.close",
        "analytics.read",
    ),
    "analyst": (
        "catalog.read",
        "orders.read",
        "crm.read",
        "stock.read",
        "purchasing.read",
        "finance.read",
        "analytics.read",
        "analytics.report",
        "forecast.run",
    ),
}

# Who may cause writes that other areas' services carry out for them: an order clerk ships (stock
# moves, a journal entry) without holding ``stock.move`` or ``finance.post``; an analyst causes none.
STOCK_WRITERS = (
    "stock.move",
    "stock.count",
    "stock.approve",
    "orders.ship",
    "orders.aftersales",
    "purchasing.write",
    "finance.post",
)
RESERVERS = ("orders.import", "orders.review", "orders.ship", "orders.aftersales", "stock.move")
SHIPPERS = ("orders.ship", "stock.move")
EVENT_POSTERS = (*STOCK_WRITERS, "finance.close")
"""Who may cause an automatic journal entry (a business event's posting)."""

MIN_PASSWORD_LENGTH = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


# --- tables ---------------------------------------------------------------------------------------
class Role(Base):
    """A named set of permissions; ``code`` is one of :data:`ROLES` or a user-added role."""

    __tablename__ = "role"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class RolePermission(Base):
    """The permission table: a role may do a permission."""

    __tablename__ = "role_permission"
    __table_args__ = (UniqueConstraint("role_code", "permission"),)

    id: Mapped[intpk]
    role_code: Mapped[str] = mapped_column(String(40), ForeignKey("role.code"))
    permission: Mapped[str] = mapped_column(String(60))


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role_code: Mapped[str] = mapped_column(String(40), ForeignKey("role.code"))
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    active: Mapped[Flag]
    created_at: Mapped[created_at]


@dataclass(frozen=True)
class Actor:
    """The user a service acts for, with the permissions of their role at the time of login."""

    id: int | None
    username: str
    role: str
    permissions: frozenset[str]
    language: str = "zh_CN"

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def require(actor: Actor, permission: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may do ``permission``."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if not actor.can(permission):
        raise PermissionDenied(user=actor.username, permission=f"permission.{permission}")


def require_any(actor: Actor, *permissions: str) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may do at least one of ``permissions``."""
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown or not permissions:
        raise ValueError(f"unknown permissions {unknown!r}")
    if not any(actor.can(p) for p in permissions):
        raise PermissionDenied(user=actor.username, permission=f"permission.{permissions[0]}")


# --- passwords ------------------------------------------------------------------------------------
def _salt(context: str) -> bytes:
    if clock_is_frozen():
        # A simulation (the demo) runs on a frozen clock and must give the same bytes for the same
        # seed; its passwords are public anyway. Real users always get a random salt.
        return hashlib.sha256(f"{utcnow().isoformat()}|{context}".encode()).digest()[:16]
    return os.urandom(16)


def hash_password(password: str, *, context: str = "") -> str:
    """A salted scrypt hash; ``context`` (the user name) only matters on a frozen clock."""
    salt = _salt(context)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError([problem("password", "too_short", min=MIN_PASSWORD_LENGTH)])


# --- services -------------------------------------------------------------------------------------
def seed_roles(session: Session) -> None:
    """Create the standard roles and their permissions (idempotent; keeps user-added grants)."""
    have = {(r.role_code, r.permission) for r in session.scalars(select(RolePermission))}
    roles = set(session.scalars(select(Role.code)))
    for code, permissions in ROLES.items():
        if code not in roles:
            session.add(Role(code=code))
        session.flush()
        for permission in permissions:
            if (code, permission) not in have:
                session.add(RolePermission(role_code=code, permission=permission))
    session.flush()


def permissions_of(session: Session, role: str) -> frozenset[str]:
    rows = session.scalars(select(RolePermission.permission).where(RolePermission.role_code == role))
    return frozenset(rows)


def actor_for(session: Session, user: User) -> Actor:
    return Actor(
        user.id, user.username, user.role_code, permissions_of(session, user.role_code), user.language
    )


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(entity="entity.user", key=username)
    return user


def resolve_actor(session: Session, username: str | None = None) -> Actor:
    """The actor for ``username``, or the first active admin when no name is given."""
    if username:
        user = get_user(session, username)
        if not user.active:
            raise AuthenticationFailed(user=username)
        return actor_for(session, user)
    user = session.scalar(
        select(User).where(User.role_code == "admin", User.active.is_(True)).order_by(User.id)
    )
    if user is None:
        raise NotInitialised()
    return actor_for(session, user)


def authenticate(session: Session, username: str, password: str) -> Actor:
    """Check a login; a wrong name and a wrong password give the same answer."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise AuthenticationFailed(user=username)
    return actor_for(session, user)


def create_user(
    session: Session,
    actor: Actor | None,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str = "",
    language: str = "zh_CN",
) -> User:
    """Add a user. ``actor`` may be None only for the very first admin, made by ``ecerp init``."""
    if actor is not None:
        require(actor, "users.manage")
    elif session.scalar(select(User.id).limit(1)) is not None:
        raise PermissionDenied(user="-", permission="permission.users.manage")
    problems = []
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        problems.append(problem("username", "invalid_username"))
    elif session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append(problem("username", "duplicate", value=username))
    if session.get(Role, role) is None:
        problems.append(problem("role", "unknown", value=role))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(problem("password", "too_short", min=MIN_PASSWORD_LENGTH))
    if problems:
        raise ValidationError(problems)
    user = User(
        username=username,
        display_name=display_name or username,
        role_code=role,
        password_hash=hash_password(password, context=username),
        language=language,
        active=True,
    )
    session.add(user)
    session.flush()
    who = actor or Actor(user.id, username, role, frozenset())
    audit.record(session, who, "create", "app_user", user.id, {"username": username, "role": role})
    return user


def set_password(session: Session, actor: Actor, username: str, password: str) -> None:
    """Change a password: your own, or anybody's with ``users.manage``."""
    if actor.username != username:
        require(actor, "users.manage")
    _check_password(password)
    user = get_user(session, username)
    user.password_hash = hash_password(password, context=username)
    audit.record(session, actor, "set_password", "app_user", user.id, {"username": username})


def set_user_active(session: Session, actor: Actor, username: str, active: bool) -> None:
    require(actor, "users.manage")
    user = get_user(session, username)
    if user.active != active:
        user.active = active
        audit.record(session, actor, "update", "app_user", user.id, {"active": [not active, active]})


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, "users.manage")
    return list(session.scalars(select(User).order_by(User.username)))


def order_handlers(session: Session, actor: Actor) -> list[str]:
    """User names an order may be assigned to: active users whose role may review orders."""
    require(actor, "orders.read")
    stmt = (
        select(User.username)
        .join(RolePermission, RolePermission.role_code == User.role_code)
        .where(User.active.is_(True), RolePermission.permission == "orders.review")
        .order_by(User.username)
    )
    return list(session.scalars(stmt))
