"""Reference data read once per transaction (``db.memo``): fresh after a write, gone after commit."""

from __future__ import annotations

from sqlalchemy import event

from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import get_company, setup_company
from ecerp_core.db import memo


def _statements(session):
    seen = []
    event.listen(session.get_bind(), "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_read_once_forgotten_by_catalog_writes_and_at_commit(session, admin):
    catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="华东", priority=10)
    assert [w.code for w in catalog.warehouse_facts(session)] == ["SH"]
    seen = _statements(session)
    catalog.warehouse_facts(session)
    get_company(session)
    get_company(session)
    assert len(seen) == 1  # the company once; the warehouses were remembered
    catalog.create_warehouse(session, admin, code="GZ", name="广州仓", region="华南", priority=5)
    assert [w.code for w in catalog.warehouse_facts(session)] == ["GZ", "SH"]  # a write forgets
    catalog.set_active(session, admin, "warehouse", "GZ", False)
    assert [w.active for w in catalog.warehouse_facts(session)] == [False, True]
    calls = []
    memo(session, "x", lambda: calls.append(1) or 1)
    memo(session, "x", lambda: calls.append(1) or 1)
    assert calls == [1]
    session.commit()  # another process may change anything once our transaction ends
    memo(session, "x", lambda: calls.append(1) or 1)
    assert calls == [1, 1]


def test_a_rollback_forgets_too(session, admin):
    catalog.warehouse_facts(session)
    session.rollback()
    catalog.create_warehouse(session, admin, code="CD", name="成都仓", region="西南")
    session.rollback()
    assert catalog.warehouse_facts(session) == ()


def test_a_company_change_is_seen_in_the_same_transaction(session, admin):
    from ecerp_core.catalog.company import company_timezone

    assert str(company_timezone(session)) == "Asia/Shanghai"
    setup_company(session, admin, timezone="America/New_York")
    assert str(company_timezone(session)) == "America/New_York"
    assert get_company(session).timezone == "America/New_York"
