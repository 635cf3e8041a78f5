"""``ecerp stock``: levels, value, movement history, alerts, transfers and stocktakes."""

from __future__ import annotations

import datetime as dt

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import MONEY, date_option
from ecerp_core.cli.output import FORMAT, print_table
from ecerp_core.errors import ValidationError, problem
from ecerp_core.i18n import t

LEVEL_COLUMNS = (
    "sku",
    "warehouse",
    "on_hand",
    "reserved",
    "available",
    "unit_cost",
    "value",
    "in_transit",
    "in_transit_value",
)
REVIEW_COLUMNS = (
    "sku",
    "location",
    "book",
    "counted",
    "first_count",
    "variance",
    "moved",
    "after",
    "unit_cost",
    "variance_value",
)
DURING_COUNT_COLUMNS = ("at", "sku", "move_type", "quantity", "source_type", "source_id", "note")
TRANSIT_COLUMNS = ("number", "from_warehouse", "to_warehouse", "sku", "quantity", "unit_cost", "value")
MOVE_COLUMNS = ("id", "business_date", "sku", "warehouse", "move_type", "quantity", "unit_cost", "value",
                "source_type", "source_id", "document", "note")  # fmt: skip
ALERT_COLUMNS = (
    "kind",
    "sku",
    "warehouse",
    "on_hand",
    "available",
    "min_qty",
    "max_qty",
    "daily_sales",
    "days_of_cover",
)


def warehouse_id(session, actor, code: str | None) -> int | None:
    """The id of the warehouse with this code (``--warehouse``); None when no code was given."""
    from ecerp_core.catalog import services as catalog

    return None if code is None else catalog.record_id(session, actor, "warehouse", code)


def parse_lines(session, actor, specs: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """``SKU=QTY`` arguments as ``((product_id, qty), ...)``."""
    from ecerp_core.catalog import services as catalog

    out = []
    for spec in specs:
        sku, _, qty = spec.partition("=")
        if not qty.strip().lstrip("-").isdigit():
            raise click.BadParameter(f"{spec!r}: write SKU=QTY")
        out.append((catalog.record_id(session, actor, "product", sku.strip()), int(qty)))
    return tuple(out)


@click.group()
def stock() -> None:
    """Stock ledger: levels, value, history, alerts, transfers, stocktakes."""


@stock.command("levels")
@click.option("--warehouse", help="Only this warehouse (code).")
@FORMAT
@pass_ctx
def levels(ctx: Context, warehouse: str | None, fmt: str) -> None:
    """Stock per SKU and warehouse: on hand, reserved, available, unit cost and value, and what is on
    the way to the warehouse (in_transit units and their value)."""
    from ecerp_core.stock.valuation import level_rows

    with ctx.acting(readonly=True) as (session, actor):
        rows = level_rows(session, actor, warehouse_id=warehouse_id(session, actor, warehouse))
    print_table(rows, LEVEL_COLUMNS, fmt)


@stock.command("value")
@click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Value at the end of this day (default: now)."
)
@click.option(
    "--by",
    type=click.Choice(["warehouse", "category", "product"]),
    multiple=True,
    help="Group by (repeatable; default: warehouse).",
)
@FORMAT
@pass_ctx
def value(ctx: Context, as_of: dt.datetime | None, by: tuple[str, ...], fmt: str) -> None:
    """Units and value of the stock, from the ledger, at any date: in the warehouses, in transit to
    them, and in total (what the inventory account holds)."""
    from ecerp_core.stock.valuation import stock_value

    by = by or ("warehouse",)
    with ctx.acting(readonly=True) as (session, actor):
        rows = stock_value(session, actor, as_of=as_of.date() if as_of else None, by=by)
    cols = ("sku" if g == "product" else g for g in by)
    print_table(rows, (*cols, "quantity", "value", "in_transit", "in_transit_value", "total_value"), fmt)


@stock.command("transit")
@click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), help="On the way at the end of this day (default: now)."
)
@click.option("--warehouse", help="Only what is on the way to this warehouse (code).")
@FORMAT
@pass_ctx
def transit(ctx: Context, as_of: dt.datetime | None, warehouse: str | None, fmt: str) -> None:
    """Goods in transit between warehouses, per transfer line: units and value (at the cost they left
    with)."""
    from ecerp_core.stock.transfers import transit_rows

    with ctx.acting(readonly=True) as (session, actor):
        rows = transit_rows(
            session,
            actor,
            as_of=as_of.date() if as_of else None,
            warehouse_id=warehouse_id(session, actor, warehouse),
        )
    print_table(rows, TRANSIT_COLUMNS, fmt)


@stock.command("moves")
@click.option("--sku", default="", help="SKU or name contains.")
@click.option("--warehouse", help="Warehouse code.")
@click.option("--type", "move_type", help="Move type (receipt, shipment, transfer_out...).")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--source", help="Document as TYPE:ID (purchase_order:3, stocktake:1).")
@click.option("--limit", default=100, show_default=True)
@FORMAT
@pass_ctx
def moves(
    ctx: Context,
    sku: str,
    warehouse: str | None,
    move_type: str | None,
    date_from,
    date_to,
    source: str | None,
    limit: int,
    fmt: str,
) -> None:
    """Movement history, newest first; ``document`` is the number of the document behind each move
    (order number, PO..., TR..., ST...)."""
    from ecerp_core.documents import document_numbers
    from ecerp_core.stock.valuation import list_moves

    source_type, _, source_id = (source or "").partition(":")
    with ctx.acting(readonly=True) as (session, actor):
        page = list_moves(
            session,
            actor,
            search=sku,
            warehouse_id=warehouse_id(session, actor, warehouse),
            move_type=move_type,
            date_from=date_from.date() if date_from else None,
            date_to=date_to.date() if date_to else None,
            source_type=source_type or None,
            source_id=int(source_id) if source_id else None,
            limit=limit,
        )
        names = document_numbers(session, [(r["source_type"], r["source_id"]) for r in page.rows])
    for r in page.rows:
        found = names.get((r["source_type"], r["source_id"]))
        r["document"] = found.number if found else ""
    print_table(page.rows, MOVE_COLUMNS, fmt)


@stock.command("alerts")
@click.option("--warehouse", help="Warehouse code.")
@click.option("--notify", is_flag=True, help="Also send them (webhook / e-mail, else logged).")
@FORMAT
@pass_ctx
def alerts_(ctx: Context, warehouse: str | None, notify: bool, fmt: str) -> None:
    """Products below their minimum (with days of cover) or above their maximum."""
    from ecerp_core.stock import alerts

    with ctx.acting(readonly=True) as (session, actor):
        found = alerts.stock_alerts(session, actor, warehouse_id=warehouse_id(session, actor, warehouse))
    print_table(found, ALERT_COLUMNS, fmt)
    if notify:
        click.echo(f"notified: {alerts.notify(found)}", err=True)


@stock.command("adjust")
@click.argument("warehouse")
@click.argument("lines", nargs=-1, required=True)
@click.option(
    "--unit-cost", type=MONEY, default=None, help="Unit cost of goods found (default: the average cost)."
)
@click.option("--reason", default="", help="Why the stock changes (damage, found goods ...).")
@date_option()
@pass_ctx
def adjust(ctx: Context, warehouse: str, lines: tuple[str, ...], unit_cost, reason: str, day) -> None:
    """Adjust stock by hand: WAREHOUSE SKU=QTY... (a negative QTY takes goods out)."""
    from ecerp_core.stock import services

    with ctx.acting() as (session, actor):
        wid = warehouse_id(session, actor, warehouse)
        drafts = [
            services.MoveDraft(
                pid, wid, qty, "adjustment", unit_cost=unit_cost, note=reason, business_date=day
            )
            for pid, qty in parse_lines(session, actor, lines)
        ]
        n = services.post_moves(session, actor, drafts)
    click.echo(t("cli.stock_adjusted", moves=n))


@stock.command("transfer")
@click.argument("from_code")
@click.argument("to_code")
@click.argument("lines", nargs=-1, required=True)
@click.option("--ship", is_flag=True, help="Ship it at once (goods go in transit).")
@click.option("--note", default="")
@date_option(
    "Business date of the shipment with --ship (YYYY-MM-DD, default today); its period must be open."
)
@pass_ctx
def transfer(
    ctx: Context, from_code: str, to_code: str, lines: tuple[str, ...], ship: bool, note: str, day
) -> None:
    """Create a transfer FROM TO SKU=QTY...; with --ship, send it too."""
    from ecerp_core.stock import transfers

    def work(session, actor) -> int:
        source, target = warehouse_id(session, actor, from_code), warehouse_id(session, actor, to_code)
        draft = transfers.TransferDraft(source, target, parse_lines(session, actor, lines), note)
        [tid] = transfers.create_transfers(session, actor, [draft])
        if ship:
            transfers.ship_transfers(session, actor, [tid], day=day)
        return tid

    tid = ctx.run(work)  # run again if it loses a deadlock to a shipment of the same stock
    click.echo(f"transfer {tid}{' shipped' if ship else ''}")


@stock.command("receive-transfer")
@click.argument("transfer_id", type=int)
@click.argument("lines", nargs=-1)
@click.option("--close", is_flag=True, help="Then close it: what did not arrive is recorded as lost.")
@date_option("Business date of the arrival (YYYY-MM-DD, default today); its period must be open.")
@pass_ctx
def receive_transfer(ctx: Context, transfer_id: int, lines: tuple[str, ...], close: bool, day) -> None:
    """Receive a transfer (all in transit, or SKU=QTY...)."""
    from ecerp_core.stock import transfers

    with ctx.acting() as (session, actor):
        if lines or not close:
            transfers.receive_transfer(
                session, actor, transfer_id, parse_lines(session, actor, lines) if lines else None, day=day
            )
        if close:
            click.echo(f"lost value: {transfers.close_transfers(session, actor, [transfer_id])}")


@stock.group("count")
def count() -> None:
    """Stocktakes: create, enter counts, submit, review, approve."""


@count.command("create")
@click.argument("warehouse")
@click.option("--scope", type=click.Choice(["all", "category", "location", "abc"]), default="all")
@click.option("--value", "scope_value", default="", help="Category code, or a bin range A-01..A-09.")
@click.option("--threshold", default=2, show_default=True, help="Units off that send a line to recount.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: its id and number.")
@pass_ctx
def count_create(
    ctx: Context, warehouse: str, scope: str, scope_value: str, threshold: int, as_json: bool
) -> None:
    """Open a count of a warehouse; prints its number (ST...), which the other count commands take."""
    from ecerp_core.cli.output import echo_json
    from ecerp_core.stock import stocktake

    with ctx.acting() as (session, actor):
        sid = stocktake.create_stocktake(
            session,
            actor,
            warehouse_id(session, actor, warehouse),
            scope=scope,
            scope_value=scope_value,
            threshold=threshold,
        )
        _, number = stocktake.find_stocktake(session, sid)
    if as_json:
        echo_json({"id": sid, "number": number})
    else:
        click.echo(number)


def stocktake_ref(session, ref: str) -> int:
    """The id of the count a command names by its number (ST...) or its id."""
    from ecerp_core.stock import stocktake

    return stocktake.find_stocktake(session, ref)[0]


@count.command("enter")
@click.argument("ref", metavar="STOCKTAKE")
@click.argument("entries", nargs=-1, required=True)
@pass_ctx
def count_enter(ctx: Context, ref: str, entries: tuple[str, ...]) -> None:
    """Enter counts: CODE scans one, CODE=QTY sets the count (CODE: barcode or SKU)."""
    from ecerp_core.stock import stocktake

    parsed, bad = [], []
    for n, c in enumerate(entries, start=1):
        code, typed, qty = c.partition("=")
        if not typed:
            parsed.append(stocktake.CountEntry(c))
        elif qty.strip().isdigit():
            parsed.append(stocktake.CountEntry(code, int(qty), "set"))
        else:  # "SKU=abc": a named problem, not Python's ValueError
            bad.append(problem("quantity", "not_a_number", value=qty[:40]).at_line(n))
    if bad:
        raise ValidationError(bad)
    with ctx.acting() as (session, actor):
        for r in stocktake.record_counts(session, actor, stocktake_ref(session, ref), parsed):
            click.echo(f"{r.sku}\t{r.counted}{'  (recount)' if r.recount else ''}")


@count.command("submit")
@click.argument("ref", metavar="STOCKTAKE")
@pass_ctx
def count_submit(ctx: Context, ref: str) -> None:
    from ecerp_core.stock import stocktake

    with ctx.acting() as (session, actor):
        click.echo(stocktake.submit_stocktake(session, actor, stocktake_ref(session, ref)))


@count.command("review")
@click.argument("ref", metavar="STOCKTAKE")
@FORMAT
@pass_ctx
def count_review(ctx: Context, ref: str, fmt: str) -> None:
    """Per line: the book when its count started, counted, variance (units and value), what moved in
    the warehouse during the count and on hand after approval (counted + moved)."""
    from ecerp_core.stock import stocktake_review

    with ctx.acting(readonly=True) as (session, actor):
        rows = stocktake_review.review_lines(session, actor, stocktake_ref(session, ref))
    print_table(rows, REVIEW_COLUMNS, fmt)


@count.command("moves")
@click.argument("ref", metavar="STOCKTAKE")
@FORMAT
@pass_ctx
def count_moves(ctx: Context, ref: str, fmt: str) -> None:
    """What shipped or arrived in the warehouse while the count was open, per product, oldest first."""
    from ecerp_core.stock import stocktake_review

    with ctx.acting(readonly=True) as (session, actor):
        rows = stocktake_review.moves_during_count(session, actor, stocktake_ref(session, ref))
    print_table(rows, DURING_COUNT_COLUMNS, fmt)


@count.command("approve")
@click.argument("ref", metavar="STOCKTAKE")
@date_option("Business date of the gains and losses (YYYY-MM-DD, default today); its period must be open.")
@pass_ctx
def count_approve(ctx: Context, ref: str, day) -> None:
    """Post gains and losses (needs stock.approve)."""
    from ecerp_core.stock import stocktake

    result = ctx.run(
        lambda session, actor: stocktake.approve_stocktake(
            session, actor, stocktake_ref(session, ref), day=day
        )
    )
    click.echo(f"gain {result['gain_base']}  loss {result['loss_base']}  moves {result['moves']}")
