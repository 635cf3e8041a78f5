"""Migration 0010 on a database whose chart was seeded before it: down and up again with a payment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from sqlalchemy import select, text

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services as catalog
from ecerp_core.db import session_scope
from ecerp_core.finance.models import Account, SupplierPayment
from ecerp_core.finance.payments import pay_supplier
from ecerp_core.setup import create_database, migrate


def test_0010_adds_the_vat_accounts_to_a_seeded_chart_and_keeps_payments(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    create_database(company="迁移测试", admin_password="password-123", url=url)
    with session_scope(url) as session:
        admin = resolve_actor(session, "admin")
        supplier = catalog.create_supplier(session, admin, code="S1", name="供应商一")
        pay_supplier(session, admin, supplier.id, D("100.00"), dt.date(2026, 10, 5), reference="R1")
    migrate(url, "0005", down=True)
    with session_scope(url, readonly=True) as session:
        codes = set(session.scalars(text("SELECT code FROM fin_account")))
        assert "222108" not in codes and "100201" in codes
    migrate(url, "head")
    with session_scope(url, readonly=True) as session:
        added = session.execute(
            select(Account.code, Account.parent_code, Account.is_leaf, Account.normal_side).where(
                Account.code.in_(["22210104", "222108", "222109", "222110"])
            )
        ).all()
        assert sorted(added) == [
            ("22210104", "222101", True, "credit"),
            ("222108", "2221", True, "credit"),
            ("222109", "2221", True, "credit"),
            ("222110", "2221", True, "credit"),
        ]
        payment = session.scalar(select(SupplierPayment))
        assert (payment.amount, payment.bank_code, payment.reference) == (D("100.00"), "", "")
        rates = session.execute(text("SELECT city_tax_rate, education_surcharge_rate FROM company")).one()
        assert [D(str(r)) for r in rates] == [D("0.07"), D("0.03")]
