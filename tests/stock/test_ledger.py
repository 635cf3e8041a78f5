from decimal import Decimal

import pytest
from business_fixtures import count, stock_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecerp_core.audit import AuditLog
from ecerp_core.errors import PermissionDenied, ValidationError
from ecerp_core.stock import checks, services
from ecerp_core.stock.exceptions import InsufficientStock
from ecerp_core.stock.models import StockMove
from ecerp_core.stock.rules import allocate, moving_average
from ecerp_core.stock.services import MoveDraft


def test_receipt_and_adjustment_update_levels_and_audit(session, admin, biz):
    services.post_moves(
        session,
        admin,
        [
            MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00")),
            MoveDraft(biz.tee, biz.sh, -2, "adjustment", note="破损"),
        ],
    )
    assert stock_row(session, biz.tee, biz.sh) == (8, 0)
    audit_rows = session.query(AuditLog).filter_by(entity="stock_move").all()
    assert len(audit_rows) == 2 and {a.actor_name for a in audit_rows} == {"admin"}
    assert all(not failures for failures in (c(session) for c in checks.CHECKS))


def test_taking_more_than_available_is_refused_and_writes_nothing(session, admin, biz):
    services.post_moves(
        session, admin, [MoveDraft(biz.tee, biz.sh, 3, "receipt", unit_cost=Decimal("20.00"))]
    )
    before = count(session, StockMove), count(session, AuditLog)
    with pytest.raises(InsufficientStock) as err:
        services.post_moves(session, admin, [MoveDraft(biz.tee, biz.sh, -5, "adjustment")])
    assert "TEE-1" in err.value.message("en") and "上海仓" in err.value.message("zh_CN")
    assert (count(session, StockMove), count(session, AuditLog)) == before
    assert stock_row(session, biz.tee, biz.sh) == (3, 0)


def test_bad_drafts_are_named_problems(session, admin, biz):
    with pytest.raises(ValidationError) as err:
        services.post_moves(
            session,
            admin,
            [MoveDraft(biz.tee, biz.sh, -1, "receipt"), MoveDraft(biz.tee, biz.sh, 1, "teleport")],
        )
    assert [p.code for p in err.value.problems] == ["problem.wrong_sign", "problem.not_a_choice"]
    assert count(session, StockMove) == 0


def test_forbidden_role_cannot_move_stock(session, biz, actor_with_role):
    analyst = actor_with_role("analyst")
    with pytest.raises(PermissionDenied):
        services.post_moves(session, analyst, [MoveDraft(biz.tee, biz.sh, 1, "count_gain")])
    assert count(session, StockMove) == 0


def test_bundle_moves_expand_and_average_cost_moves_on_receipts(session, admin, biz):
    services.post_moves(
        session,
        admin,
        [
            MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("20.00")),
            MoveDraft(biz.tee, biz.sh, 10, "receipt", unit_cost=Decimal("23.00")),
            MoveDraft(biz.mug, biz.sh, 5, "receipt", unit_cost=Decimal("8.00")),
            MoveDraft(biz.kit, biz.sh, -2, "adjustment"),
        ],
    )
    assert stock_row(session, biz.tee, biz.sh) == (16, 0)
    assert stock_row(session, biz.mug, biz.sh) == (3, 0)
    assert services.average_costs(session, [biz.tee])[biz.tee] == Decimal("21.5000")


def test_reserve_release_and_ship(session, admin, biz):
    services.post_moves(
        session, admin, [MoveDraft(biz.tee, biz.sh, 5, "receipt", unit_cost=Decimal("20.00"))]
    )
    drafts = [
        services.ReservationDraft(biz.tee, biz.sh, 3, "order", 1),
        services.ReservationDraft(biz.tee, biz.sh, 3, "order", 2),
        services.ReservationDraft(biz.tee, biz.sh, 2, "order", 3),
    ]
    with pytest.raises(InsufficientStock):
        services.reserve(session, admin, drafts)
    assert services.reserve(session, admin, drafts, on_short="skip") == [1, 3]
    assert stock_row(session, biz.tee, biz.sh) == (5, 5)
    assert services.release(session, admin, "order", [3]) == 2
    moves = services.ship_reserved(session, admin, "order", [1])
    assert [(m["quantity"], m["unit_cost"]) for m in moves] == [(-3, Decimal("20.00"))]
    assert stock_row(session, biz.tee, biz.sh) == (2, 0)
    assert all(not c(session) for c in checks.CHECKS)


def test_a_group_is_reserved_whole_or_not_at_all(session, admin, biz):
    services.post_moves(
        session, admin, [MoveDraft(biz.tee, biz.sh, 4, "receipt", unit_cost=Decimal("20.00"))]
    )
    drafts = [
        services.ReservationDraft(biz.tee, biz.sh, 2, "order", 1),
        services.ReservationDraft(biz.tee, biz.sh, 3, "order", 2),
        services.ReservationDraft(biz.tee, biz.sh, 1, "order", 3),
    ]
    # 1 and 2 are one parcel (2 is merged into 1): 5 units together, only 4 on hand
    assert services.reserve(session, admin, drafts, on_short="skip", together={2: 1}) == [3]
    assert stock_row(session, biz.tee, biz.sh) == (4, 1)
    with pytest.raises(InsufficientStock) as err:
        services.reserve(session, admin, drafts[:2], together={2: 1})
    assert "has 3 available, 5 wanted" in err.value.message("en")
    assert stock_row(session, biz.tee, biz.sh) == (4, 1)


def test_rules():
    assert moving_average(4, Decimal("10"), 6, Decimal("15")) == Decimal("13.0000")
    assert allocate({(1, 1): 1}, [("x", {(1, 1): 2})]) == ([], [("x", (1, 1))])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["receipt", "adjustment", "count_loss"]), st.integers(1, 9), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_ledger_invariant_holds_whatever_happens(session, admin, biz, ops):
    """on_hand == Σ moves and available ≥ 0 after any sequence of accepted and refused moves."""
    for move_type, qty, second in ops:
        signed = -qty if move_type == "count_loss" or (move_type == "adjustment" and second) else qty
        wh = biz.gz if second else biz.sh
        cost = Decimal("20.00") if move_type == "receipt" else None
        try:
            with session.begin_nested():
                services.post_moves(
                    session, admin, [MoveDraft(biz.tee, wh, signed, move_type, unit_cost=cost)]
                )
        except InsufficientStock:
            pass
    assert all(not c(session) for c in checks.CHECKS)
