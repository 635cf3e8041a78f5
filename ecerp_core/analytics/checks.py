"""Analytics' invariants for ``ecerp check``: the sales rollup equals the orders it adds up."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecerp_core.analytics.rollup import rollup_differences
from ecerp_core.invariants import Check, listed


def rollup_matches_orders(session: Session) -> list[str]:
    """Day by day and month by month, the rollup's orders, amounts, units and cost equal the orders'
    (the days changed since it last ran are left out: it has not read them yet)."""
    return listed("analytics rollup", rollup_differences(session))


CHECKS: list[Check] = [rollup_matches_orders]
