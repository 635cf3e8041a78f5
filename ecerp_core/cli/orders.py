"""``ecerp orders``: import platform exports, export orders, and run the pipeline's actions."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation

import click

from ecerp_core.catalog.company import company_timezone
from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import date_option
from ecerp_core.cli.output import echo_json, json_default
from ecerp_core.i18n import t
from ecerp_core.orders.models import CASE_KINDS
from ecerp_core.query import MAX_PAGE
from ecerp_core.sheets import write_csv


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r}: use FIELD=VALUE", param_hint=option)
        k, _, val = v.partition("=")
        out[k.strip()] = val.strip()
    return out


@click.group()
def orders() -> None:
    """Sales orders: import, export, review, ship, after-sales."""


@orders.command("import")
@click.option(
    "--platform", required=True, type=click.Choice(["taobao", "jd", "pdd", "shopify", "woocommerce", "csv"])
)
@click.option("--shop", default=None, help="Shop code or name (default: the platform's only shop).")
@click.option(
    "--map", "maps", multiple=True, metavar="FIELD=COLUMN", help="Column of a canonical field (csv)."
)
@click.option(
    "--default", "defaults", multiple=True, metavar="FIELD=VALUE", help="Value of a field the file lacks."
)
@click.option("--history", is_flag=True, help="Load past orders as closed history: no stock, no books.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@pass_ctx
def orders_import(
    ctx: Context,
    platform: str,
    shop: str | None,
    maps: tuple,
    defaults: tuple,
    history: bool,
    as_json: bool,
    files: tuple[str, ...],
) -> None:
    """Import order export files (a Taobao export is its two files together). Exit code 0: every row
    imported or unchanged; 1: some rows rejected (listed; the others imported) or the file refused.
    导入订单导出文件；退出码 0 全部成功，1 有行被拒绝或文件无法导入。"""
    from ecerp_core.connectors.files import import_files

    mapping, given = _pairs(maps, "--map"), _pairs(defaults, "--default")
    summary = ctx.run(
        lambda session, actor: import_files(
            session, actor, platform, list(files), shop=shop, mapping=mapping, defaults=given, history=history
        )
    )
    if as_json:
        echo_json(summary)
        if summary["rejected"]:
            sys.exit(1)
        return
    click.echo(
        t(
            "cli.orders_imported",
            None,
            **{k: summary[k] for k in ("created", "updated", "unchanged", "exceptions")},
            rejected=len(summary["rejected"]),
        )
    )
    for r in summary["rejected"]:
        click.echo(f"  {r['file']}:{r['line']}: {r['reason']}")
    if summary["warnings"]:
        click.echo(t("cli.orders_import_warnings", None, count=len(summary["warnings"])))
    for r in summary["warnings"]:
        click.echo(f"  {r['file']}:{r['line']}: {r['reason']}")
    if summary["rejected"]:  # as every import: 1 when any row was rejected (the others are imported)
        sys.exit(1)


@orders.command("pull")
@click.option(
    "--shop", required=True, help="Shop code; its credentials_ref says where the API credentials are."
)
@click.option(
    "--from",
    "start",
    required=True,
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]),
    help="Start of the modified-time window (company time zone).",
)
@click.option(
    "--to",
    "end",
    default=None,
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]),
    help="End of the window (default: now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_ctx
def orders_pull(ctx: Context, shop: str, start, end, as_json: bool) -> None:
    """Pull the orders a platform changed in a time window through its API, and import them."""
    from ecerp_core.connectors.pull import pull_orders

    with ctx.acting() as (session, actor):
        zone = company_timezone(session)
        window_end = end.replace(tzinfo=zone) if end else dt.datetime.now(zone)
        result = pull_orders(session, actor, shop, start.replace(tzinfo=zone), window_end)
    summary = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "exceptions": result.exceptions,
        "rejected": [{"line": p.line, "reason": p.message()} for p in result.rejected],
        "warnings": [{"line": p.line, "reason": p.message()} for p in result.warnings],
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(
        t(
            "cli.orders_pulled",
            None,
            **{k: summary[k] for k in ("created", "updated", "unchanged", "exceptions")},
        )
    )
    for r in summary["rejected"]:
        click.echo(f"  {r['line']}: {r['reason']}")
    if summary["warnings"]:
        click.echo(t("cli.orders_import_warnings", None, count=len(summary["warnings"])))
    for r in summary["warnings"]:
        click.echo(f"  {r['line']}: {r['reason']}")


@orders.command("export")
@click.option("--platform", default="")
@click.option("--shop", default="")
@click.option("--status", default="")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@pass_ctx
def orders_export(ctx: Context, platform: str, shop: str, status: str, fmt: str, output: str | None) -> None:
    """Export orders, one row per order; formula-looking text is escaped."""
    from ecerp_core.orders.queries import EXPORT_COLUMNS, export_rows

    out = open(output, "w", encoding="utf-8-sig", newline="") if output else sys.stdout  # noqa: SIM115
    try:
        with ctx.acting(readonly=True) as (session, actor):
            rows = export_rows(session, actor, platform=platform, shop=shop, status=status)
            if fmt == "json":
                json.dump(list(rows), out, ensure_ascii=False, indent=1, default=json_default)
                out.write("\n")
            else:
                write_csv(rows, EXPORT_COLUMNS, out)  # formula-looking text escaped
    finally:
        if output:
            out.close()


# --- the pipeline between 付款 and 发货 --------------------------------------------------------------
_ORDER_REFS = click.argument("refs", nargs=-1, metavar="[ORDER]...")
_QUEUE = click.option(
    "--queue",
    type=click.Choice(["review", "exceptions", "to_ship", "shipped", "all"]),
    default=None,
    help="Act on every order of this queue instead of naming them.",
)
_SHOP = click.option(
    "--shop", default="", help="Shop code: platform order numbers are looked up in this shop."
)


def _order_ids(session, actor, refs: tuple[str, ...], queue: str | None, shop: str) -> list[int]:
    """Order ids from platform order numbers (optionally of one shop), or from a whole queue."""
    from ecerp_core.catalog import services as catalog
    from ecerp_core.orders import queries

    shop_id = catalog.record_id(session, actor, "shop", shop) if shop else None
    if refs:
        return queries.order_ids_by_number(session, actor, refs, shop_id=shop_id)
    if not queue:
        raise click.UsageError("name orders, or give --queue")
    return queries.order_ids(session, actor, queue, queries.OrderFilter(shop_id=shop_id))


def _done(as_json: bool, data: dict, key: str, **params) -> None:
    if as_json:
        echo_json(data)
    else:
        click.echo(t(key, None, **params))


@orders.command("review")
@_ORDER_REFS
@_SHOP
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def orders_review(ctx: Context, refs: tuple[str, ...], shop: str, as_json: bool) -> None:
    """Route and auto-review paid orders (all, or those named); the rest wait with their reasons."""
    from ecerp_core.orders import queries, review

    def work(session, actor):
        ids = _order_ids(session, actor, refs, None, shop) if refs else None
        result = review.auto_review(session, actor, ids)
        return result, queries.order_numbers(session, actor, list(result["waiting"]))

    result, numbers = ctx.run(work)  # run again if it loses a deadlock to another clerk
    waiting = {numbers[k]: v for k, v in sorted(result["waiting"].items(), key=lambda kv: numbers[kv[0]])}
    _done(
        as_json,
        {"approved": len(result["approved"]), "waiting": waiting},
        "cli.orders_reviewed",
        approved=len(result["approved"]),
        waiting=len(waiting),
    )
    if not as_json:
        for number, codes in waiting.items():
            click.echo(f"  {number}: {'、'.join(t(f'review.{code}') for code in codes)}")


def _batch_command(name: str, help_text: str, action, message: str, *, reason: bool = False) -> None:
    @orders.command(name, help=help_text)
    @_ORDER_REFS
    @_QUEUE
    @_SHOP
    @click.option("--reason", default="", help="Why (kept in the orders' history).", hidden=not reason)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @pass_ctx
    def command(ctx: Context, refs, queue, shop, reason, as_json) -> None:
        count = ctx.run(
            lambda session, actor: action(
                session, actor, _order_ids(session, actor, refs, queue, shop), reason
            )
        )
        _done(as_json, {"orders": count}, message, count=count)


def _approve(session, actor, ids, _reason):
    from ecerp_core.orders import services

    return len(services.approve_orders(session, actor, ids, on_short="skip"))


def _cancel(session, actor, ids, reason):
    from ecerp_core.orders import services

    return services.cancel_orders(session, actor, ids, reason=reason)


def _hold(hold: bool):
    def act(session, actor, ids, reason):
        from ecerp_core.orders import batch

        return batch.hold_orders(session, actor, ids, hold=hold, reason=reason)

    return act


_batch_command(
    "approve",
    "Approve orders and reserve their stock; short orders stay to review.",
    _approve,
    "cli.orders_approved",
)
_batch_command(
    "cancel", "Cancel orders and release their stock.", _cancel, "cli.orders_cancelled", reason=True
)
_batch_command(
    "hold",
    "Put orders on hold (挂起): they wait whatever the rules say.",
    _hold(True),
    "cli.orders_held",
    reason=True,
)
_batch_command("release", "Release held orders.", _hold(False), "cli.orders_released")


@orders.command("assign")
@_ORDER_REFS
@_QUEUE
@_SHOP
@click.option("--user", default=None, help="Assign to this user (default: by the assignment rules).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def orders_assign(ctx: Context, refs, queue, shop, user, as_json) -> None:
    """Assign orders to staff: to a user, or by amount, customer tier and category rules."""
    from ecerp_core.orders import review

    with ctx.acting() as (session, actor):
        ids = _order_ids(session, actor, refs, queue, shop)
        chosen = review.assign_orders(session, actor, ids, user=user)
    _done(as_json, {str(k): v for k, v in chosen.items()}, "cli.orders_assigned", count=len(chosen))


@orders.command("merge")
@click.option("--window-hours", type=click.IntRange(1, 240), default=None, help="Default: the merge setting.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def orders_merge(ctx: Context, window_hours, as_json) -> None:
    """Merge paid orders of the same buyer and address within the window (never cash on delivery)."""
    from ecerp_core.orders import merge

    with ctx.acting() as (session, actor):
        groups = merge.merge_groups(session, actor, window_hours=window_hours)
        for group in groups:
            merge.merge_orders(session, actor, group)
    _done(
        as_json,
        {"groups": groups},
        "cli.orders_merged",
        groups=len(groups),
        orders=sum(len(g) for g in groups),
    )


@orders.command("pick-list")
@_ORDER_REFS
@_QUEUE
@_SHOP
@click.option("--format", "fmt", type=click.Choice(["csv", "html"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@pass_ctx
def orders_pick_list(ctx: Context, refs, queue, shop, fmt, output) -> None:
    """A pick list of the orders' lines by warehouse and bin (CSV, or a printable HTML page)."""
    from ecerp_core.orders import batch

    with ctx.acting(readonly=True) as (session, actor):
        ids = _order_ids(session, actor, refs, queue or "to_ship", shop)
        sheet = batch.pick_sheet(session, actor, ids)
    text = sheet[fmt]
    if output:
        with open(output, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


@orders.command("ship")
@click.argument("refs", nargs=-1, metavar="[ORDER]...")
@_SHOP
@click.option("--carrier", default="", help="Carrier of the named orders.")
@click.option("--tracking", default="", help="Tracking number of the named order.")
@click.option(
    "--tracking-file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="A file of order number, carrier, tracking number (CSV/XLSX).",
)
@click.option(
    "--shared-tracking",
    is_flag=True,
    help="Confirm that one tracking number goes on several parcels (refused otherwise).",
)
@date_option("Business date of the shipment (YYYY-MM-DD, default today); its period must be open.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def orders_ship(
    ctx: Context, refs, shop, carrier, tracking, tracking_file, shared_tracking, day, as_json
) -> None:
    """Ship approved orders with carrier and tracking number, or every order of a tracking file."""
    from ecerp_core.orders import batch

    def work(session, actor) -> dict:
        if tracking_file:
            return batch.ship_from_tracking_file(
                session, actor, tracking_file, shop=shop or None, shared_tracking=shared_tracking, day=day
            )
        ids = _order_ids(session, actor, refs, None, shop)
        shipments = [(i, carrier, tracking) for i in ids]
        shipped = batch.ship_with_tracking(
            session, actor, shipments, shared_tracking=shared_tracking, day=day
        )
        return {"shipped": shipped, "rejected": []}

    result = ctx.run(work)  # run again if it loses a deadlock to another shipper
    _done(as_json, result, "cli.orders_shipped", count=result["shipped"], rejected=len(result["rejected"]))
    if not as_json:
        for r in result["rejected"]:
            click.echo(f"  {r['file']}:{r['line']}: {r['reason']}")
    if result["rejected"]:
        raise SystemExit(1)


@orders.command("map-sku")
@click.argument("platform_sku")
@click.argument("sku")
@_SHOP
@pass_ctx
def orders_map_sku(ctx: Context, platform_sku: str, sku: str, shop: str) -> None:
    """Map a platform's SKU code to ours; orders waiting on it leave the exception queue."""
    from ecerp_core.catalog import services as catalog
    from ecerp_core.orders import skus

    with ctx.acting() as (session, actor):
        shop_id = catalog.record_id(session, actor, "shop", shop) if shop else None
        released = skus.map_skus(session, actor, [(shop_id, platform_sku, sku)])
    click.echo(t("cli.orders_sku_mapped", None, platform_sku=platform_sku, sku=sku, count=released))


@orders.command("unmapped")
@click.option("--search", default="", help="Part of a platform SKU or of its title.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def orders_unmapped(ctx: Context, search: str, as_json: bool) -> None:
    """Platform SKUs orders wait on (SKU 未匹配), most waiting orders first; map them with map-sku.

    \b
    等待对应的平台 SKU（按等待的订单数排列）；用 map-sku 对应到商品。
    """
    from ecerp_core.orders import skus

    with ctx.acting(readonly=True) as (session, actor):
        rows = skus.unmapped_skus(session, actor, search)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(t("orders.sku.none"))
    for r in rows:
        click.echo(
            t(
                "orders.sku.waiting",
                platform_sku=r["platform_sku"],
                name=r["name"] or "",
                shop=f"{r['shop']} {r['shop_name']}",
                orders=r["orders"],
            )
        )


@orders.command("set-rule")
@click.argument("name")
@click.argument("value")
@pass_ctx
def orders_set_rule(ctx: Context, name: str, value: str) -> None:
    """Change a pipeline setting; VALUE is JSON (e.g. auto_approve '{"max_amount": "2000"}')."""
    from ecerp_core.orders import settings

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="VALUE") from None
    with ctx.acting() as (session, actor):
        settings.set_setting(session, actor, name, parsed)
    click.echo(t("cli.orders_rule_set", None, name=name))


@orders.command("channel-stock")
@_SHOP
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@pass_ctx
def orders_channel_stock(ctx: Context, shop: str, fmt: str) -> None:
    """The quantity to publish per shop and SKU: available × coefficient − buffer."""
    from ecerp_core.catalog import services as catalog
    from ecerp_core.orders import channel_stock

    with ctx.acting(readonly=True) as (session, actor):
        ids = [catalog.record_id(session, actor, "shop", shop)] if shop else None
        rows = channel_stock.channel_stock(session, actor, ids)
    if fmt == "json":
        echo_json(rows)
        return
    write_csv(rows, list(rows[0]) if rows else ["shop", "sku", "available", "quantity"], sys.stdout)


# --- after-sales cases (售后单) ---------------------------------------------------------------------
def _amount(_ctx, _param, text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise click.BadParameter(f"{text!r} is not an amount") from None


def _case_lines(_ctx, _param, values: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """``--lines 1:2,3:1`` (or the option repeated) as ``((line_no, qty), ...)``."""
    out = []
    for spec in (s.strip() for v in values for s in v.split(",") if s.strip()):
        line, _, qty = spec.partition(":")
        if not (line.strip().isdigit() and qty.strip().isdigit()):
            raise click.BadParameter(f"{spec!r}: write LINE:QTY")
        out.append((int(line), int(qty)))
    return tuple(out)


def _sku_lines(_ctx, _param, values: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """``--line MUG-001=2`` (repeated) as ``(("MUG-001", 2), ...)``."""
    out = []
    for spec in (s.strip() for v in values for s in v.split(",") if s.strip()):
        sku, _, qty = spec.rpartition("=")
        if not (sku.strip() and qty.strip().isdigit()):
            raise click.BadParameter(f"{spec!r}: write SKU=QTY")
        out.append((sku.strip(), int(qty)))
    return tuple(out)


@orders.group("cases")
def orders_cases() -> None:
    """After-sales cases (售后单): list them, open one on an order, move one along."""


@orders_cases.command("list")
@click.option("--all", "everything", is_flag=True, help="Finished cases too (done, rejected, closed).")
@click.option("--search", default="", help="Order number, buyer, receiver, tracking number or reason.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def cases_list(ctx: Context, everything: bool, search: str, as_json: bool) -> None:
    """Open after-sales cases, oldest request first."""
    from ecerp_core.orders.queries import list_cases

    rows: list[dict] = []
    with ctx.acting(readonly=True) as (session, actor):
        while True:
            page = list_cases(
                session, actor, "all" if everything else "open", search, offset=len(rows), limit=MAX_PAGE
            )
            rows += page.rows
            if not page.rows or len(rows) >= page.total:
                break
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        kind, status = t("case.kind." + r["kind"]), t("case." + r["status"])
        click.echo(
            f"#{r['id']}  {r['platform_order_id']}  {r['shop']}  {kind}  {status}  "
            f"{r['amount']} {r['currency']}  {r['warehouse'] or '-'}  {r['reason']}"
        )


@orders_cases.command("open")
@click.argument("order")
@_SHOP
@click.option(
    "--kind",
    "--type",
    "kind",
    required=True,
    type=click.Choice(CASE_KINDS),
    help="Refund only, return and refund, exchange, or reship.",
)
@click.option(
    "--amount",
    default="0",
    callback=_amount,
    metavar="AMOUNT",
    help="Money to give back (refund kinds), in the order's currency.",
)
@click.option(
    "--lines",
    multiple=True,
    callback=_case_lines,
    metavar="LINE:QTY",
    help="Order line and quantity coming back or sent again, e.g. 1:2,3:1 (default: every line).",
)
@click.option(
    "--line",
    "sku_lines",
    multiple=True,
    callback=_sku_lines,
    metavar="SKU=QTY",
    help="A SKU of the order and its quantity, e.g. --line MUG-001=2 (repeatable; instead of --lines).",
)
@click.option("--reason", default="", help="Why (shown on the case and in the order's history).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_ctx
def cases_open(
    ctx: Context,
    order: str,
    shop: str,
    kind: str,
    amount: Decimal,
    lines,
    sku_lines,
    reason: str,
    as_json: bool,
) -> None:
    """Open an after-sales case on ORDER (a platform order number).

    \b
    在订单 ORDER（平台订单号）上开售后单：类型、商品行与数量、原因。
    e.g. ecerp orders cases open TB1001 --type return_refund --amount 39 --line MUG-001=1 --reason 破损
    """
    from ecerp_core.orders import cases

    with ctx.acting() as (session, actor):
        [order_id] = _order_ids(session, actor, (order,), None, shop)
        if sku_lines:
            lines = tuple(lines) + tuple(cases.lines_by_sku(session, order_id, sku_lines))
        case_id = cases.open_case(session, actor, order_id, kind, amount=amount, lines=lines, reason=reason)
    _done(as_json, {"case": case_id, "order": order}, "cli.case_opened", case=case_id, order=order)


def _act_on_case(
    ctx: Context,
    case_id: int,
    action: str,
    note: str,
    as_json: bool,
    *,
    warehouse: str | None = None,
    condition: str = "sellable",
    lines: tuple[tuple[int, int], ...] = (),
    day: dt.date | None = None,
) -> None:
    from ecerp_core.catalog import services as catalog
    from ecerp_core.orders import cases

    with ctx.acting() as (session, actor):
        warehouse_id = catalog.get_record(session, actor, "warehouse", warehouse)["id"] if warehouse else None
        status = cases.act_on_case(
            session,
            actor,
            case_id,
            action,
            warehouse_id=warehouse_id,
            condition=condition,
            lines=lines or None,
            note=note,
            business_date=day,
        )
    _done(
        as_json,
        {"case": case_id, "status": status},
        "orders.case.done",
        case=case_id,
        status=t(f"case.{status}"),
    )


_CASE_ID = click.argument("case_id", type=int)
_DATE = date_option(
    "Business date of the refund and the goods back (default: today); a closed period refuses it."
)
_NOTE = click.option("--note", default="", help="Kept in the order's history.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@orders_cases.command("receive")
@_CASE_ID
@click.option(
    "--warehouse", default=None, help="Code of the warehouse the goods come back to (default: the case's)."
)
@click.option(
    "--condition",
    type=click.Choice(["sellable", "damaged"]),
    default="sellable",
    show_default=True,
    help="Damaged goods are written off at once.",
)
@click.option(
    "--lines",
    multiple=True,
    callback=_case_lines,
    metavar="LINE:QTY",
    help="Order line and quantity that arrived, e.g. 1:2 (default: what the case was opened with).",
)
@_NOTE
@_JSON
@pass_ctx
def cases_receive(
    ctx: Context, case_id: int, warehouse: str | None, condition: str, lines, note: str, as_json: bool
) -> None:
    """The goods of a return or exchange arrived: say where they go (and which came)."""
    _act_on_case(
        ctx, case_id, "receive", note, as_json, warehouse=warehouse, condition=condition, lines=lines
    )


def _case_command(action: str, help_text: str) -> None:
    @orders_cases.command(action, help=help_text)
    @_CASE_ID
    @_NOTE
    @_JSON
    @pass_ctx
    def command(ctx: Context, case_id: int, note: str, as_json: bool) -> None:
        _act_on_case(ctx, case_id, action, note, as_json)


@orders_cases.command("complete")
@_CASE_ID
@_DATE
@_NOTE
@_JSON
@pass_ctx
def cases_complete(ctx: Context, case_id: int, day: dt.date | None, note: str, as_json: bool) -> None:
    """Complete a case: refund (with the goods received), or send the goods again."""
    _act_on_case(ctx, case_id, "complete", note, as_json, day=day)


_case_command("approve", "Approve a case; returns and exchanges then wait for the goods.")
_case_command("reject", "Reject a case.")
_case_command("close", "Close a case (the buyer withdrew or the platform closed it).")


# --- refunds and returns (退款 / 退货) -----------------------------------------------------------------
def _optional_amount(ctx, param, text: str | None) -> Decimal | None:
    return None if text is None else _amount(ctx, param, text)


def _returns(_ctx, _param, values: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """``--return TEE-1=2`` (repeated, or comma-separated) as ``(("TEE-1", 2), ...)``."""
    out = []
    for spec in (s.strip() for v in values for s in v.split(",") if s.strip()):
        sku, _, qty = spec.rpartition("=")
        if not (sku.strip() and qty.strip().isdigit()):
            raise click.BadParameter(f"{spec!r}: write SKU=QTY")
        out.append((sku.strip(), int(qty)))
    return tuple(out)


@orders.command("refund")
@click.argument("order")
@_SHOP
@click.option(
    "--amount",
    default=None,
    callback=_optional_amount,
    metavar="AMOUNT",
    help="Money to give back, in the order's currency (default: what the returned goods were paid, "
    "or everything left to refund when nothing comes back).",
)
@click.option(
    "--return",
    "returns",
    multiple=True,
    callback=_returns,
    metavar="SKU=QTY",
    help="A SKU of the order that comes back and how many, e.g. TEE-1=2 (repeat for more); a bundle "
    "comes back as its components, each at the cost it left with.",
)
@click.option(
    "--condition",
    type=click.Choice(["sellable", "damaged"]),
    default="sellable",
    show_default=True,
    help="Damaged goods come back onto the ledger and are written off at once (营业外支出).",
)
@click.option(
    "--warehouse",
    default=None,
    help="Code of the warehouse the goods come back to (default: where they left).",
)
@_DATE
@click.option("--reason", default="", help="Why (kept on the refund and in the order's history).")
@_JSON
@pass_ctx
def orders_refund(
    ctx: Context,
    order: str,
    shop: str,
    amount: Decimal | None,
    returns: tuple[tuple[str, int], ...],
    condition: str,
    warehouse: str | None,
    day: dt.date | None,
    reason: str,
    as_json: bool,
) -> None:
    """Refund ORDER (a platform order number), with the goods that come back (--return)."""
    from ecerp_core.catalog import services as catalog
    from ecerp_core.errors import PermissionDenied
    from ecerp_core.finance.posting import booked_for
    from ecerp_core.orders.aftersales import RefundDraft, refund_details, refund_orders

    with ctx.acting() as (session, actor):
        [order_id] = _order_ids(session, actor, (order,), None, shop)
        warehouse_id = catalog.record_id(session, actor, "warehouse", warehouse) if warehouse else None
        draft = RefundDraft(
            order_id,
            amount,
            reason=reason,
            warehouse_id=warehouse_id,
            condition=condition,
            returns=returns,
            business_date=day,
        )
        [refund_id] = refund_orders(session, actor, [draft])
        [done] = refund_details(session, actor, [refund_id])
        try:
            done["booked"] = booked_for(session, actor, "sales_order_refund", [refund_id]).get(refund_id)
        except PermissionDenied:  # a clerk without the books still refunds; the books say what they booked
            done["booked"] = None
    if as_json:
        echo_json(done)
        return
    click.echo(
        t(
            "cli.refunded",
            refund=refund_id,
            order=done["order"],
            amount=done["amount"],
            currency=done["currency"],
            date=done["date"].isoformat(),
            status=t(f"status.{done['status']}"),
            left=done["left"],
        )
    )
    for r in done["returns"]:
        click.echo(t("cli.refund_returned", **r, condition_name=t(f"cli.condition.{r['condition']}")))
    booked = done["booked"]
    if booked and booked["entry_number"]:
        click.echo(t("cli.refund_booked", entry=booked["entry_number"], **booked))
    elif booked:
        click.echo(t("cli.refund_booked_nothing"))
