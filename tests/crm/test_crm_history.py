"""Customer 360, merging (and its undo), tier rules and RFM on a tiny history worked out by hand.

Five buyers of one Taobao shop, as of 2026-06-30 (all orders finished, CNY):

    b1  2026-03-01 300, 05-10 700, 06-28 500   f=3 m=1500 recency 2    R5 F4 M2  general_value
    b2  2026-06-01 2000                         f=1 m=2000 recency 29   R3 F1 M3  important_develop
    b3  2026-01-15 100, 02-15 100               f=2 m=200  recency 135  R2 F3 M1  general_keep
    b4  2025-03-01 6000                         f=1 m=6000 recency 486  R1 F1 M4  important_retain
    b5  2026-01-20 ... 06-20, 6 × 1000          f=6 m=6000 recency 10   R4 F5 M4  important_value
"""

import datetime as dt
from decimal import Decimal

import pytest
from cli_run import run

from ecerp_core.audit import AuditLog
from ecerp_core.catalog import services as catalog
from ecerp_core.crm import merges, rfm, services, tickets, tiers
from ecerp_core.crm.exceptions import MergeAlreadyUndone, MergeNotAllowed
from ecerp_core.crm.rules import TierRuleValue
from ecerp_core.errors import PermissionDenied, TransitionNotAllowed, ValidationError

AS_OF = dt.date(2026, 6, 30)


def test_customer_360_figures(session, admin, shop):
    view = services.customer_360(session, admin, "TB-b1")
    assert (view["orders"], view["lifetime_value"], view["average_order_value"]) == (
        3,
        Decimal("1500.00"),
        Decimal("500.00"),
    )
    assert (view["first_order"], view["last_order"]) == (dt.date(2026, 3, 1), dt.date(2026, 6, 28))
    assert view["accounts"] == [{"shop": "TB", "platform": "taobao", "buyer_id": "b1"}]
    assert [o["number"] for o in view["recent_orders"]] == ["b1-2", "b1-1", "b1-0"]
    assert view["recent_orders"][0]["lines"][0]["sku"] == "SKU-A"
    page = services.list_customers(session, admin, search="b5")
    assert [(r["code"], r["orders"], r["spend"]) for r in page.rows] == [("TB-b5", 6, Decimal("6000.00"))]


def test_rfm_scores_and_segments(session, admin, shop):
    rows = rfm.rfm_table(session, admin, as_of=AS_OF)
    got = {
        r["code"]: (r["recency"], r["frequency"], r["monetary"], r["r"], r["f"], r["m"], r["segment"])
        for r in rows
    }
    assert got == {
        "TB-b1": (2, 3, Decimal("1500.00"), 5, 4, 2, "general_value"),
        "TB-b2": (29, 1, Decimal("2000.00"), 3, 1, 3, "important_develop"),
        "TB-b3": (135, 2, Decimal("200.00"), 2, 3, 1, "general_keep"),
        "TB-b4": (486, 1, Decimal("6000.00"), 1, 1, 4, "important_retain"),
        "TB-b5": (10, 6, Decimal("6000.00"), 4, 5, 4, "important_value"),
    }
    assert rfm.segment_counts(rows)["important_value"] == 1


def test_tiers_follow_the_rules_and_keep_their_history(session, admin, shop):
    changes = tiers.recompute_tiers(session, admin, as_of=AS_OF)
    assert [(c["code"], c["from_tier"], c["to_tier"], c["spend"], c["orders"]) for c in changes] == [
        ("TB-b1", "normal", "silver", Decimal("1500.00"), 3),
        ("TB-b5", "normal", "gold", Decimal("6000.00"), 6),
    ]  # b4's 6000 is older than 12 months
    assert tiers.recompute_tiers(session, admin, as_of=AS_OF) == []
    # the company raises silver to exactly b1's figures and makes 6 orders / 6000 a VIP
    rules = [
        TierRuleValue("silver", Decimal("1500"), 3),
        TierRuleValue("gold", Decimal("5000"), 5),
        TierRuleValue("vip", Decimal("6000"), 6),
    ]
    tiers.set_tier_rules(session, admin, rules)
    changes = tiers.recompute_tiers(session, admin, as_of=AS_OF)
    assert [(c["code"], c["to_tier"]) for c in changes] == [("TB-b5", "vip")]  # b1 stays silver at the edge
    history = services.customer_360(session, admin, "TB-b5")["tier_history"]
    assert [(h["from_tier"], h["to_tier"], h["reason"]) for h in history] == [
        ("gold", "vip", "tier.reason.rules"),
        ("normal", "gold", "tier.reason.rules"),
    ]
    with pytest.raises(ValidationError) as caught:
        tiers.set_tier_rules(session, admin, [TierRuleValue("gold", Decimal("10"), 1), rules[0]])
    assert [p.code for p in caught.value.problems] == ["problem.tier_below_lower"]


def test_merge_suggestions_merge_and_undo(session, admin, shop, actor_with_role):
    catalog.create_customer(session, admin, code="C1", name="王芳", phone="138 0013 8000")
    catalog.create_customer(session, admin, code="C2", name="王芳", phone="+86 13800138000", email="F@x.cn")
    catalog.create_customer(session, admin, code="C3", name="王*", phone="138****8000", email="f@X.cn ")
    catalog.update_record(session, admin, "customer", "TB-b2", {"email": "f@x.cn"})
    suggested = merges.merge_suggestions(session, admin)
    assert [(s["kept"], s["merged"], s["key"]) for s in suggested] == [
        ("TB-b2", "C2", "email"),
        ("TB-b2", "C3", "email"),
        ("C1", "C2", "phone"),
    ]
    with pytest.raises(PermissionDenied):
        merges.merge_customers(session, actor_with_role("analyst"), "TB-b1", "TB-b2")
    tid = tickets.add_tickets(session, admin, [tickets.TicketDraft("complaint", "慢", order="b2-0")])[0]
    merge_id = merges.merge_customers(session, admin, "TB-b1", "TB-b2", "same phone")
    view = services.customer_360(session, admin, "TB-b1")
    assert (view["orders"], view["lifetime_value"], len(view["accounts"]), view["complaints"]) == (
        4,
        Decimal("3500.00"),
        2,
        1,
    )
    assert services.customer_360(session, admin, "TB-b2")["active"] is False
    with pytest.raises(MergeNotAllowed):
        merges.merge_customers(session, admin, "TB-b1", "TB-b2")
    assert session.query(AuditLog).filter_by(action="merge").count() == 1
    merges.undo_merge(session, admin, merge_id)
    back = services.customer_360(session, admin, "TB-b2")
    assert (back["orders"], back["lifetime_value"], back["active"], back["tickets"][0]["id"]) == (
        1,
        Decimal("2000.00"),
        True,
        tid,
    )
    assert services.customer_360(session, admin, "TB-b1")["orders"] == 3
    with pytest.raises(MergeAlreadyUndone):
        merges.undo_merge(session, admin, merge_id)


def test_ticket_workflow(session, admin, shop):
    [a, b] = tickets.add_tickets(
        session,
        admin,
        [
            tickets.TicketDraft("complaint", "破损", order="b1-2", sku="SKU-A", channel="platform_chat"),
            tickets.TicketDraft("inquiry", "发货时间", customer="TB-b3"),
        ],
    )
    tickets.resolve_tickets(session, admin, [a], "补发", satisfaction=4)
    with pytest.raises(TransitionNotAllowed):
        tickets.resolve_tickets(session, admin, [a, b])  # a is resolved already: refused whole
    tickets.reopen_tickets(session, admin, [a], "客户不满意")
    tickets.close_tickets(session, admin, [b])
    [row] = tickets.complaints_for_order(
        session, admin, services.customer_360(session, admin, "TB-b1")["recent_orders"][0]["id"]
    )
    assert (row["id"], row["customer"], row["status"], row["resolved_at"], row["satisfaction"]) == (
        a,
        "TB-b1",
        "in_progress",
        None,
        4,
    )
    with pytest.raises(ValidationError):
        tickets.add_tickets(session, admin, [tickets.TicketDraft("praise", "", order="nope")])
    assert tickets.list_tickets(session, admin, status="open").total == 1


def test_cli(session, admin, shop, capsys, tmp_path):
    session.commit()
    code, out, _ = run(capsys, "complaints", "add", "漏发", "--order", "b5-5", "--json")
    assert code == 0
    code, out, _ = run(capsys, "complaints", "resolve", "1", "--note", "已补发", "--satisfaction", "5")
    assert code == 0
    assert run(capsys, "complaints", "reopen", "1")[0] == 0
    code, out, _ = run(capsys, "complaints", "list", "--status", "open", "--format", "csv")
    assert "漏发" in out and "TB-b5" in out
    code, out, _ = run(capsys, "customers", "tiers", "recompute", "--as-of", "2026-06-30", "--json")
    assert '"changed": 2' in out
    target = tmp_path / "champions.csv"
    code, _, _ = run(
        capsys,
        "customers",
        "segment",
        "--as-of",
        "2026-06-30",
        "--segment",
        "important_value",
        "--tier",
        "gold",
        "--format",
        "csv",
        "-o",
        str(target),
    )
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert code == 0 and len(lines) == 2 and lines[1].startswith("TB-b5,")
    code, out, _ = run(capsys, "customers", "segment", "--method", "kmeans", "--clusters", "2")
    assert code == 0 and "轮廓系数" in out and "cluster_1" in out
    code, out, _ = run(capsys, "customers", "merge", "TB-b1", "TB-b1")
    assert code == 1
    code, out, _ = run(capsys, "customers", "show", "TB-b5")
    assert code == 0 and "6000.00" in out
