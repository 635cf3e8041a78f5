"""``ecerp orders``: import platform exports, export orders, and run the pipeline's actions."""

from __future__ import annotations

import csv
import json
import sys

import click

from ecerp_core.cli import Context, cli, echo_json, pass_ctx
from ecerp_core.errors import ImportFileError
from ecerp_core.i18n import t


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r}: use FIELD=VALUE", param_hint=option)
        k, _, val = v.partition("=")
        out[k.strip()] = val.strip()
    return out


@cli.group()
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
def orders_import(ctx: Context, platform: str, shop: str | None, maps: tuple, defaults: tuple, history: bool,
                  as_json: bool, files: tuple[str, ...]) -> None:  # fmt: skip
    """Import order export files (a Taobao export is its two files together)."""
    from ecerp_core.connectors.files import import_files

    with ctx.acting() as (session, actor):
        summary = import_files(session, actor, platform, list(files), shop=shop, mapping=_pairs(maps, "--map"),
                               defaults=_pairs(defaults, "--default"), history=history)  # fmt: skip
    if as_json:
        echo_json(summary)
        return
    click.echo(t("cli.orders_imported", None, **{k: summary[k] for k in ("created", "updated", "unchanged", "exceptions")},
                 rejected=len(summary["rejected"])))  # fmt: skip
    for r in summary["rejected"]:
        click.echo(f"  {r['file']}:{r['line']}: {r['reason']}")


@orders.command("pull")
@click.option("--shop", required=True, help="Shop code; its credentials_ref says where the API credentials are.")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]),
              help="Start of the modified-time window (company time zone).")  # fmt: skip
@click.option("--to", "end", default=None, type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]),
              help="End of the window (default: now).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_ctx
def orders_pull(ctx: Context, shop: str, start, end, as_json: bool) -> None:
    """Pull the orders a platform changed in a time window through its API, and import them."""
    import datetime as dt

    from ecerp_core.business_time import company_timezone
    from ecerp_core.connectors.pull import pull_orders

    with ctx.acting() as (session, actor):
        zone = company_timezone(session)
        window_end = end.replace(tzinfo=zone) if end else dt.datetime.now(zone)
        result = pull_orders(session, actor, shop, start.replace(tzinfo=zone), window_end)
    summary = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
               "exceptions": result.exceptions,
               "rejected": [{"line": p.line, "reason": p.message()} for p in result.rejected]}  # fmt: skip
    if as_json:
        echo_json(summary)
        return
    click.echo(t("cli.orders_pulled", None, **{k: summary[k] for k in ("created", "updated", "unchanged", "exceptions")}))
    for r in summary["rejected"]:
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
    from ecerp_core.cli import _json_default
    from ecerp_core.orders.queries import EXPORT_COLUMNS, escape_formula, export_rows

    out = open(output, "w", encoding="utf-8-sig", newline="") if output else sys.stdout  # noqa: SIM115
    try:
        with ctx.acting(readonly=True) as (session, actor):
            rows = export_rows(session, actor, platform=platform, shop=shop, status=status)
            if fmt == "json":
                json.dump(list(rows), out, ensure_ascii=False, indent=1, default=_json_default)
                out.write("\n")
            else:
                writer = csv.writer(out)
                writer.writerow(EXPORT_COLUMNS)
                for row in rows:
                    writer.writerow([_cell(escape_formula(row[c])) for c in EXPORT_COLUMNS])
    finally:
        if output:
            out.close()


def _cell(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else value


__all__ = ["ImportFileError", "orders"]
