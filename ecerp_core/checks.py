"""``ecerp check``: the invariants the whole system promises, proven against the database.

Each area keeps its own checks in ``<area>/checks.py`` as a module-level ``CHECKS`` list of
functions ``(session) -> list[str]``, one string per failure found. This module runs them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ecerp_core.analytics import checks as analytics_checks
from ecerp_core.catalog.models import BundleComponent, Company, Product
from ecerp_core.finance import checks as finance_checks
from ecerp_core.invariants import Check
from ecerp_core.orders import checks as orders_checks
from ecerp_core.purchasing import checks as purchasing_checks
from ecerp_core.stock import checks as stock_checks


@dataclass(frozen=True)
class CheckResult:
    name: str
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def one_company(session: Session) -> list[str]:
    """There is exactly one company record."""
    count = session.scalar(select(func.count()).select_from(Company))
    return [] if count == 1 else [f"expected one company, found {count}"]


def bundles_are_well_formed(session: Session) -> list[str]:
    """Every bundle has components, and no component is itself a bundle."""
    failures = []
    empty = session.scalars(
        select(Product.sku).where(Product.is_bundle.is_(True), ~Product.components.any())
    ).all()
    failures += [f"bundle {sku} has no components" for sku in empty]
    component = aliased(Product)
    nested = session.execute(
        select(Product.sku, component.sku)
        .join(BundleComponent, BundleComponent.bundle_id == Product.id)
        .join(component, component.id == BundleComponent.component_id)
        .where(component.is_bundle.is_(True))
    ).all()
    failures += [f"bundle {b} contains bundle {c}" for b, c in nested]
    return failures


CHECKS: list[Check] = [one_company, bundles_are_well_formed]


def all_checks() -> list[Check]:
    """Every area's checks: the catalog's (here), then stock, orders, purchasing, finance and analytics."""
    return [
        *CHECKS,
        *stock_checks.CHECKS,
        *orders_checks.CHECKS,
        *purchasing_checks.CHECKS,
        *finance_checks.CHECKS,
        *analytics_checks.CHECKS,
    ]


def run_checks(session: Session) -> list[CheckResult]:
    """Run every area's checks; a check that crashes is reported as a failure, not raised."""
    results = []
    for check in all_checks():
        name = f"{check.__module__.removeprefix('ecerp_core.')}.{check.__name__}"
        try:
            failures = check(session)
        except Exception as exc:  # a broken check must not hide the others
            failures = [f"check crashed: {type(exc).__name__}: {exc}"]
        results.append(CheckResult(name, failures))
    return results
