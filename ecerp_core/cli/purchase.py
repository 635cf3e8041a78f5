"""``ecerp purchase``: orders, receipts (with landed cost), returns and replenishment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import date_option
from ecerp_core.cli.output import FORMAT, print_table
from ecerp_core.cli.stock import parse_lines, warehouse_id
from ecerp_core.money import parse_decimal

SUGGESTION_COLUMNS = (
    "sku",
    "warehouse",
    "supplier",
    "projected",
    "min_qty",
    "max_qty",
    "quantity",
    "unit_price",
    "currency",
)


PLAN_COLUMNS = ("sku", "warehouse", "daily_sales", "lead_days", "moq", "min_qty", "max_qty")


def _money(text: str) -> Decimal:
    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not an amount") from exc


@click.group()
def purchase() -> None:
    """Purchase orders, receipts, supplier returns, replenishment."""


@purchase.command("list")
@click.option("--status", help="Only this status (draft, confirmed, partially_received...).")
@FORMAT
@pass_ctx
def list_(ctx: Context, status: str | None, fmt: str) -> None:
    """Purchase orders, newest first."""
    from ecerp_core.purchasing.services import purchase_order_rows

    with ctx.acting(readonly=True) as (session, actor):
        rows = purchase_order_rows(session, actor, status=status)
    print_table(
        rows,
        ("id", "number", "status", "supplier", "warehouse", "currency", "total_amount", "expected_date"),
        fmt,
    )


@purchase.command("create")
@click.argument("supplier")
@click.argument("warehouse")
@click.argument("lines", nargs=-1, required=True)
@click.option("--confirm", is_flag=True, help="Confirm it at once.")
@date_option("Order date (YYYY-MM-DD, default today); its period must be open.")
@pass_ctx
def create(
    ctx: Context, supplier: str, warehouse: str, lines: tuple[str, ...], confirm: bool, day: dt.date | None
) -> None:
    """Create a purchase order: SUPPLIER WAREHOUSE SKU=QTY@PRICE..."""
    from ecerp_core.catalog import services as catalog
    from ecerp_core.purchasing import services

    with ctx.acting() as (session, actor):
        drafts = []
        for spec in lines:
            left, _, price = spec.partition("@")
            [(pid, qty)] = parse_lines(session, actor, (left,))
            drafts.append(services.PurchaseLineDraft(pid, qty, _money(price or "0")))
        po = services.create_purchase_order(
            session,
            actor,
            services.PurchaseOrderDraft(
                catalog.record_id(session, actor, "supplier", supplier),
                warehouse_id(session, actor, warehouse),
                tuple(drafts),
            ),
            day=day,
        )
        if confirm:
            services.confirm_purchase_orders(session, actor, [po])
    click.echo(f"purchase order {po}")


@purchase.command("receive")
@click.argument("purchase_order_id", type=int)
@click.argument("lines", nargs=-1)
@click.option("--landed-cost", default="0", help="Freight and other costs of this delivery (base currency).")
@date_option()
@pass_ctx
def receive(
    ctx: Context, purchase_order_id: int, lines: tuple[str, ...], landed_cost: str, day: dt.date | None
) -> None:
    """Receive goods: everything outstanding, or SKU=QTY[@PRICE]..."""
    from ecerp_core.purchasing import receipts

    with ctx.acting() as (session, actor):
        parsed = []
        for spec in lines:
            left, _, price = spec.partition("@")
            [(pid, qty)] = parse_lines(session, actor, (left,))
            parsed.append((pid, qty, _money(price)) if price else (pid, qty))
        moves = receipts.receive_purchase_orders(
            session,
            actor,
            [receipts.ReceiptDraft(purchase_order_id, tuple(parsed) or None, _money(landed_cost))],
            day=day,
        )
    click.echo(f"received {sum(m['quantity'] for m in moves)} units")


@purchase.command("return")
@click.argument("supplier")
@click.argument("warehouse")
@click.argument("lines", nargs=-1, required=True)
@click.option("--reason", default="")
@date_option()
@pass_ctx
def return_(
    ctx: Context, supplier: str, warehouse: str, lines: tuple[str, ...], reason: str, day: dt.date | None
) -> None:
    """Return goods to a supplier: SUPPLIER WAREHOUSE SKU=QTY..."""
    from ecerp_core.catalog import services as catalog
    from ecerp_core.purchasing import returns

    with ctx.acting() as (session, actor):
        [rid] = returns.return_to_suppliers(
            session,
            actor,
            [
                returns.ReturnDraft(
                    catalog.record_id(session, actor, "supplier", supplier),
                    warehouse_id(session, actor, warehouse),
                    parse_lines(session, actor, lines),
                    reason=reason,
                )
            ],
            day=day,
        )
    click.echo(f"purchase return {rid}")


@purchase.command("suggest")
@click.option("--warehouse", help="Warehouse code.")
@click.option("--create", is_flag=True, help="Turn the suggestions into draft orders, one per supplier.")
@FORMAT
@pass_ctx
def suggest(ctx: Context, warehouse: str | None, create: bool, fmt: str) -> None:
    """Replenishment suggestions from min/max (and, with --create, the draft orders)."""
    from ecerp_core.purchasing import replenishment

    with ctx.acting(readonly=not create) as (session, actor):
        in_warehouse = warehouse_id(session, actor, warehouse)
        found = replenishment.suggestions(session, actor, warehouse_id=in_warehouse)
        ids = replenishment.create_orders_from_suggestions(session, actor, found) if create else []
    print_table([s.__dict__ for s in found], SUGGESTION_COLUMNS, fmt)
    if create:
        click.echo(f"draft purchase orders: {ids}", err=True)


@purchase.command("plan")
@click.option("--warehouse", help="Warehouse code (default: every warehouse).")
@click.option("--days", default=28, show_default=True, help="Sales of the last this many days set the rate.")
@click.option("--safety-days", default=7, show_default=True, help="Sales covered beyond the lead time.")
@click.option("--cover-days", default=28, show_default=True, help="Sales the maximum adds to the minimum.")
@click.option("--apply", "apply_", is_flag=True, help="Save them as the min / max (needs stock.move).")
@FORMAT
@pass_ctx
def plan(
    ctx: Context,
    warehouse: str | None,
    days: int,
    safety_days: int,
    cover_days: int,
    apply_: bool,
    fmt: str,
) -> None:
    """Min / max per product and warehouse from its recent sales, its supplier's lead time and minimum
    order quantity (按销量设置上下限); --apply saves them."""
    from ecerp_core.purchasing import replenishment
    from ecerp_core.stock import alerts

    with ctx.acting(readonly=not apply_) as (session, actor):
        planned = replenishment.plan_min_max(
            session,
            actor,
            warehouse_id=warehouse_id(session, actor, warehouse),
            days=days,
            safety_days=safety_days,
            cover_days=cover_days,
        )
        if apply_:
            alerts.set_stock_settings(session, actor, [p.setting() for p in planned])
    print_table([p.__dict__ for p in planned], PLAN_COLUMNS, fmt)


@purchase.command("cancel")
@click.argument("ids", type=int, nargs=-1, required=True)
@pass_ctx
def cancel(ctx: Context, ids: tuple[int, ...]) -> None:
    from ecerp_core.purchasing import services

    with ctx.acting() as (session, actor):
        services.cancel_purchase_orders(session, actor, list(ids))


@purchase.command("close")
@click.argument("ids", type=int, nargs=-1, required=True)
@pass_ctx
def close(ctx: Context, ids: tuple[int, ...]) -> None:
    """Close orders that will receive nothing more."""
    from ecerp_core.purchasing import services

    with ctx.acting() as (session, actor):
        services.close_purchase_orders(session, actor, list(ids))
