"""``ecerp orders edit | split | pack | wave | waybill``: a clerk's tools between approval and the
courier — edit an order, split it, verify a packed parcel, pick in waves, number waybills."""

from __future__ import annotations

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.output import echo_json
from ecerp_core.i18n import t


def _one_order(session, actor, number: str) -> int:
    from ecerp_core.orders import queries

    [order_id] = queries.order_ids_by_number(session, actor, [number])
    return order_id


def _warehouse_id(session, actor, code: str) -> int:
    from ecerp_core.catalog import services as catalog

    return catalog.record_id(session, actor, "warehouse", code)


def _sku_quantities(_ctx, _param, values: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        sku, sep, qty = v.partition("=")
        if not sep or not sku.strip() or not qty.strip().isdigit() or int(qty) <= 0:
            raise click.BadParameter(f"{v!r}: use SKU=QTY (QTY a whole number above 0)")
        out[sku.strip()] = out.get(sku.strip(), 0) + int(qty)
    return out


@click.command("edit")
@click.argument("order_no")
@click.option("--receiver", default=None, help="Receiver's name. 收件人。")
@click.option("--phone", default=None, help="Receiver's phone. 收件人电话。")
@click.option("--province", default=None, help="Province. 省份。")
@click.option("--city", default=None, help="City. 城市。")
@click.option("--district", default=None, help="District. 区县。")
@click.option("--address", default=None, help="Street address. 详细地址。")
@click.option("--remark", default=None, help="Seller's remark. 卖家备注。")
@click.option("--flag", type=click.IntRange(0, 5), default=None, help="Seller flag 0-5. 旗帜（0 无）。")
@click.option("--warehouse", default=None, help="Warehouse code to ship from. 发货仓库编码。")
@click.option("--carrier", default=None, help="Carrier. 快递公司。")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON. 以 JSON 输出。")
@pass_ctx
def orders_edit(
    ctx: Context,
    order_no,
    receiver,
    phone,
    province,
    city,
    district,
    address,
    remark,
    flag,
    warehouse,
    carrier,
    as_json,
) -> None:
    """Edit an order before it ships (address, remark, flag, warehouse, carrier).
    发货前修改订单（地址、备注、旗帜、仓库、快递）。"""
    from ecerp_core.orders.editing import OrderEdit, edit_order

    with ctx.acting() as (session, actor):
        order_id = _one_order(session, actor, order_no)
        edit = OrderEdit(
            receiver_name=receiver,
            receiver_phone=phone,
            region=province,
            city=city,
            district=district,
            address=address,
            seller_remark=remark,
            seller_flag=flag,
            warehouse_id=_warehouse_id(session, actor, warehouse) if warehouse else None,
            carrier=carrier,
        )
        changed = edit_order(session, actor, order_id, edit)
    if as_json:
        echo_json({k: [a, b] for k, (a, b) in changed.items()})
    else:
        click.echo(t("cli.orders_edited", None, order=order_no, count=len(changed)))


@click.command("split")
@click.argument("order_no")
@click.option(
    "--line",
    "lines",
    multiple=True,
    required=True,
    callback=_sku_quantities,
    metavar="SKU=QTY",
    help="Units of a SKU that go to the new order (repeat). 拆到新订单的 SKU 与数量（可重复）。",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new order as JSON. 以 JSON 输出。")
@pass_ctx
def orders_split(ctx: Context, order_no: str, lines: dict[str, int], as_json: bool) -> None:
    """Split units of an unshipped order into a new order; money is shared to the cent.
    把未发货订单的部分商品拆成新订单，金额按分分摊。"""
    from ecerp_core.orders.models import Order
    from ecerp_core.orders.splitting import split_quantities

    with ctx.acting() as (session, actor):
        order_id = _one_order(session, actor, order_no)
        new_id = split_quantities(session, actor, order_id, lines)
        session.flush()
        new, old = session.get(Order, new_id), session.get(Order, order_id)
        result = {
            "order": order_no,
            "new_order": new.platform_order_id,
            "total": old.total_amount,
            "new_total": new.total_amount,
            "paid": old.paid_amount,
            "new_paid": new.paid_amount,
        }
    if as_json:
        echo_json(result)
    else:
        click.echo(t("cli.orders_split", None, **{k: str(v) for k, v in result.items()}))


@click.command("pack")
@click.argument("scan")
@click.option(
    "--item",
    "items",
    multiple=True,
    required=True,
    metavar="CODE",
    help="An item's SKU or barcode as scanned (repeat per unit). 扫描的商品条码或 SKU（每件一次）。",
)
@pass_ctx
def orders_pack(ctx: Context, scan: str, items: tuple[str, ...]) -> None:
    """Verify a parcel (order or tracking number) against the items scanned; all right: packed.
    验货：扫描订单号或快递单号，再逐件扫描商品；全部核对无误即标记为已打包。"""
    from ecerp_core.orders import packing

    with ctx.acting() as (session, actor):
        check = packing.start_packing(session, actor, scan)
        for code in items:
            check = packing.scan_item(check, code)
        packing.finish_packing(session, actor, check)
    click.echo(t("cli.orders_packed", None, order=check.number, count=sum(check.scanned.values())))


@click.group("wave")
def orders_wave() -> None:
    """Wave picking: approved orders picked together in bin order. 波次拣货。"""


@orders_wave.command("create")
@click.option("--warehouse", required=True, help="Warehouse code. 仓库编码。")
@click.option(
    "--limit", type=click.IntRange(1, 500), default=None, help="Orders at most (oldest first). 最多订单数。"
)
@click.argument("refs", nargs=-1, metavar="[ORDER]...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. 以 JSON 输出。")
@pass_ctx
def wave_create(ctx: Context, warehouse: str, limit, refs, as_json: bool) -> None:
    """Make a wave of the warehouse's approved orders in no wave yet (or of those named).
    用仓库中已审核、未进波次的订单（或指定订单）生成波次。"""
    from ecerp_core.orders import queries, waves

    with ctx.acting() as (session, actor):
        ids = queries.order_ids_by_number(session, actor, refs) if refs else None
        wave = waves.create_wave(
            session, actor, _warehouse_id(session, actor, warehouse), order_ids=ids, limit=limit
        )
    if as_json:
        echo_json(wave)
    else:
        click.echo(t("cli.wave_created", None, number=wave["number"], count=wave["orders"]))


@orders_wave.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. 以 JSON 输出。")
@pass_ctx
def wave_list(ctx: Context, as_json: bool) -> None:
    """The latest waves. 最近的波次。"""
    from ecerp_core.orders import waves

    with ctx.acting(readonly=True) as (session, actor):
        rows = waves.list_waves(session, actor)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            t(
                "cli.wave_row",
                None,
                number=r["number"],
                warehouse=r["warehouse"],
                orders=r["orders"],
                shipped=r["shipped"],
            )
        )


@orders_wave.command("show")
@click.argument("number")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "html", "json"]), default="text")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@pass_ctx
def wave_show(ctx: Context, number: str, fmt: str, output) -> None:
    """A wave's orders and pick list in bin order (text, CSV, printable HTML or JSON).
    波次的订单与按库位排序的拣货单。"""
    from ecerp_core.orders import waves

    with ctx.acting(readonly=True) as (session, actor):
        wave = waves.wave_detail(session, actor, number)
    if fmt in ("csv", "html"):
        text = wave[fmt]
    elif fmt == "json":
        text = None
        echo_json({k: v for k, v in wave.items() if k not in ("html", "csv")})
    else:
        shipped = sum(o["status"] != "approved" for o in wave["orders"])
        head = t(
            "cli.wave_row",
            None,
            number=wave["number"],
            warehouse=wave["warehouse"],
            orders=len(wave["orders"]),
            shipped=shipped,
        )
        picks = [
            f"  {r['bin'] or '-':10} {r['sku']:16} {r['quantity']:>5}  {r['name']}" for r in wave["rows"]
        ]
        text = "\n".join([head, *picks, "  " + " ".join(o["order"] for o in wave["orders"])]) + "\n"
    if text is None:
        return
    if output:
        with open(output, "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)


@click.group("waybill")
def orders_waybill() -> None:
    """Electronic waybill numbers (电子面单) for approved orders. 电子面单号。"""


@orders_waybill.command("assign")
@click.argument("refs", nargs=-1, required=True, metavar="ORDER...")
@click.option("--carrier", default="stub", show_default=True, help="Registered carrier code. 快递接口编码。")
@click.option("--again", is_flag=True, help="Replace numbers already given. 重新取号。")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. 以 JSON 输出。")
@pass_ctx
def waybill_assign(ctx: Context, refs, carrier: str, again: bool, as_json: bool) -> None:
    """Ask a carrier for tracking numbers for approved orders. 向快递接口为已审核订单取单号。"""
    from ecerp_core.orders import queries, waybill

    with ctx.acting() as (session, actor):
        ids = queries.order_ids_by_number(session, actor, refs)
        numbers = waybill.assign_waybills(session, actor, ids, carrier, again=again)
    if as_json:
        echo_json(numbers)
        return
    click.echo(t("cli.waybills_assigned", None, count=len(numbers)))
    for order, tracking in numbers.items():
        click.echo(f"  {order}: {tracking}")


@orders_waybill.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option(
    "--carrier", default="", help="Carrier when the file has no carrier column. 文件无快递列时的快递。"
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON. 以 JSON 输出。")
@pass_ctx
def waybill_import(ctx: Context, file: str, carrier: str, as_json: bool) -> None:
    """Keep tracking numbers from a carrier's file (order no, tracking no) without shipping.
    导入快递公司的面单文件（订单号、快递单号），不发货。"""
    from ecerp_core.orders import waybill

    with ctx.acting() as (session, actor):
        result = waybill.assign_from_file(session, actor, file, carrier=carrier)
    if as_json:
        echo_json(result)
    else:
        click.echo(
            t("cli.waybills_imported", None, count=result["assigned"], rejected=len(result["rejected"]))
        )
        for r in result["rejected"]:
            click.echo(f"  {r['file']}:{r['line']}: {r['reason']}")
    if result["rejected"]:
        raise SystemExit(1)


@orders_waybill.command("ship")
@click.argument("refs", nargs=-1, required=True, metavar="ORDER...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. 以 JSON 输出。")
@pass_ctx
def waybill_ship(ctx: Context, refs, as_json: bool) -> None:
    """Ship approved orders under the waybill numbers they were given. 按已取的面单号发货。"""
    from ecerp_core.orders import queries, waybill

    with ctx.acting() as (session, actor):
        shipped = waybill.ship_assigned(session, actor, queries.order_ids_by_number(session, actor, refs))
    if as_json:
        echo_json({"shipped": shipped})
    else:
        click.echo(t("cli.orders_shipped", None, count=shipped, rejected=0))


COMMANDS = (orders_edit, orders_split, orders_pack, orders_wave, orders_waybill)
"""The commands this module adds to ``ecerp orders``."""
