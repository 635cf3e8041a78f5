import pytest
from sqlalchemy import func, select

from ecerp_core import auth
from ecerp_core.audit import AuditLog
from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.models import Product
from ecerp_core.errors import AuthenticationFailed, PermissionDenied, ValidationError


def test_passwords_are_hashed_with_a_salted_kdf():
    first, second = auth.hash_password("correct horse"), auth.hash_password("correct horse")
    assert first != second and first.startswith("scrypt$")
    assert auth.verify_password("correct horse", first)
    assert not auth.verify_password("wrong horse", first)
    assert not auth.verify_password("x", "md5$garbage")


def test_standard_roles_and_permission_table(session):
    roles = set(session.scalars(select(auth.Role.code)))
    assert roles == set(auth.ROLES)
    assert auth.permissions_of(session, "admin") == frozenset(auth.PERMISSIONS)
    assert "catalog.write" not in auth.permissions_of(session, "analyst")


def test_forbidden_action_raises_and_writes_nothing(session, actor_with_role):
    analyst = actor_with_role("analyst")
    before = session.scalar(select(func.count()).select_from(AuditLog))
    with pytest.raises(PermissionDenied) as info:
        catalog.create_product(session, analyst, sku="X1", name_zh="测试")
    assert "edit base data" in info.value.message("en")
    assert session.scalar(select(func.count()).select_from(Product)) == 0
    assert session.scalar(select(func.count()).select_from(AuditLog)) == before


def test_user_management_is_audited_and_checked(session, admin, actor_with_role):
    clerk = actor_with_role("order_clerk")
    with pytest.raises(PermissionDenied):
        auth.create_user(session, clerk, "eve", "password-123", "admin")
    with pytest.raises(ValidationError) as info:
        auth.create_user(session, admin, "bad name!", "short", "nosuchrole")
    assert {p.field for p in info.value.problems} == {"username", "password", "role"}
    auth.set_password(session, clerk, clerk.username, "new-password-1")  # one's own password
    with pytest.raises(PermissionDenied):
        auth.set_password(session, clerk, "admin", "new-password-1")
    assert auth.authenticate(session, clerk.username, "new-password-1").role == "order_clerk"
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(session, clerk.username, "password-123")
    auth.set_user_active(session, admin, clerk.username, False)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(session, clerk.username, "new-password-1")
    actions = session.execute(
        select(AuditLog.actor_name, AuditLog.action)
        .where(AuditLog.entity == "app_user")
        .order_by(AuditLog.id)
    ).all()
    assert ("order_clerk_user", "set_password") in actions
    assert ("admin", "update") in actions


def test_the_first_admin_only_without_an_actor(session):
    with pytest.raises(PermissionDenied):
        auth.create_user(session, None, "sneaky", "password-123", "admin")


def test_orders_are_assigned_to_active_users_who_may_review_them(session, admin, actor_with_role):
    clerk = actor_with_role("order_clerk")
    actor_with_role("warehouse_clerk")  # ships orders but does not review them
    auth.create_user(session, admin, "gone", "password-123", "order_clerk")
    auth.set_user_active(session, admin, "gone", False)
    assert auth.order_handlers(session, clerk) == ["admin", "order_clerk_user"]
    with pytest.raises(PermissionDenied):
        auth.order_handlers(session, actor_with_role("purchaser"))
