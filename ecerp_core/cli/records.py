"""Base records from the command line: every kind the Base Data app edits can be added, changed,
listed, deactivated and imported here (``ecerp warehouses add SH --name 上海仓``).

The commands of each kind are built from its fields (:data:`ecerp_core.catalog.rules`), so a field
the app's form shows is an option here too; the key field (a code, a product's SKU) is the argument.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecerp_core.catalog import rules
from ecerp_core.catalog.rules import Field
from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.output import echo_json, print_table
from ecerp_core.i18n import t
from ecerp_core.query import MAX_PAGE

OPTION_NAMES = {
    "name_zh": "--name",
    "list_price": "--price",
    "default_warehouse": "--warehouse",
    "contact_name": "--contact",
    "is_bundle": "--bundle",
}
"""Fields whose option is not simply ``--field-name``: the words a seller types."""

HELP = {
    "product": "Products and bundles (a bundle is a product with --components).",
    "supplier": "Suppliers.",
    "customer": "Customers and their buyer ids.",
    "warehouse": "Warehouses: where stock is kept (lower --priority is tried first when routing).",
    "shop": "Shops on the sales platforms: platform, currency, default warehouse.",
    "category": "Product categories (a tree: --parent names the category above).",
}
FIELDS = {
    "product": ("sku", rules.PRODUCT_FIELDS),
    "supplier": ("code", rules.SUPPLIER_FIELDS),
    "customer": ("code", rules.CUSTOMER_FIELDS),
    "warehouse": ("code", rules.WAREHOUSE_FIELDS),
    "shop": ("code", rules.SHOP_FIELDS),
    "category": ("code", rules.CATEGORY_FIELDS),
}
"""Each kind's key field and fields (the catalog's services are loaded only by the command run)."""
IMPORTABLE = ("product", "supplier", "customer", "warehouse", "shop")
"""Kinds with a CSV/XLSX importer (categories come with products' ``category`` paths)."""


def _option(field: Field) -> click.Option:
    """The click option of one field; it defaults to None, meaning "not given"."""
    name = OPTION_NAMES.get(field.name, "--" + field.name.replace("_", "-"))
    label = t(field.label_key, "en")
    if field.kind == "bool":
        flag = name.removeprefix("--")
        return click.Option([f"{name}/--no-{flag}", field.name], default=None, help=label)
    if field.kind == "choice":
        return click.Option([name, field.name], type=click.Choice(field.choices), help=label)
    if field.kind == "components":
        label = 'Components of a bundle: "SKU*qty; SKU" (makes the product a bundle).'
    elif field.kind == "ref":
        label = f"{label}: its code."
    return click.Option([name, field.name], help=label)


def _options(kind: str) -> list[click.Option]:
    key, fields = FIELDS[kind]
    return [_option(f) for f in fields if f.name != key and f.kind != "mapping"]


def _given(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def _add_command(kind: str) -> click.Command:
    key_field, fields = FIELDS[kind]

    @pass_ctx
    def add(ctx: Context, key: str, **values) -> None:
        from ecerp_core.catalog.services import create_records

        with ctx.acting() as (session, actor):
            create_records(session, actor, kind, [{key_field: key, **_given(values)}])
        click.echo(t("cli.record_added", None, entity=f"entity.{kind}", key=key))

    required = [f.name for f in fields if f.required and f.name != key_field]
    return click.Command(
        "add",
        callback=add,
        params=[click.Argument(["key"], metavar=key_field.upper()), *_options(kind)],
        help=f"Add a {kind} ({key_field.upper()} is its {key_field}; needs "
        + ", ".join(OPTION_NAMES.get(n, "--" + n.replace("_", "-")) for n in required)
        + ").",
    )


def _edit_command(kind: str) -> click.Command:
    @pass_ctx
    def edit(ctx: Context, key: str, **values) -> None:
        from ecerp_core.catalog.services import update_record

        with ctx.acting() as (session, actor):
            update_record(session, actor, kind, key, _given(values))
        click.echo(t("cli.record_updated", None, entity=f"entity.{kind}", key=key))

    return click.Command(
        "edit",
        callback=edit,
        params=[click.Argument(["key"], metavar=FIELDS[kind][0].upper()), *_options(kind)],
        help=f"Change fields of a {kind}; the options not given stay as they are.",
    )


def _active_command(kind: str, active: bool) -> click.Command:
    @pass_ctx
    def command(ctx: Context, key: str) -> None:
        from ecerp_core.catalog.services import set_active

        with ctx.acting() as (session, actor):
            set_active(session, actor, kind, key, active)
        message = "cli.record_activated" if active else "cli.record_deactivated"
        click.echo(t(message, None, entity=f"entity.{kind}", key=key))

    return click.Command(
        "activate" if active else "deactivate",
        callback=command,
        params=[click.Argument(["key"], metavar=FIELDS[kind][0].upper())],
        help=f"Use a deactivated {kind} again."
        if active
        else f"Deactivate a {kind}: it is hidden from pick-lists, its history stays.",
    )


def _list_command(kind: str) -> click.Command:
    @pass_ctx
    def list_(ctx: Context, search: str, everything: bool, limit: int, fmt: str, as_json: bool) -> None:
        from ecerp_core.catalog.services import bundle_components, entity, list_records

        columns = entity(kind).columns
        with ctx.acting(readonly=True) as (session, actor):
            page = list_records(
                session, actor, kind, search=search or None, active=None if everything else True, limit=limit
            )
            rows = page.rows
            if kind == "product":  # what each bundle is made of, as the import file writes it
                recipes = bundle_components(session, actor, [r["sku"] for r in rows if r["is_bundle"]])
                rows = [{**r, "components": recipes.get(r["sku"], "")} for r in rows]
                columns = (*columns[:-1], "components", columns[-1])
        if as_json or fmt == "json":
            echo_json([{c: r[c] for c in columns} for r in rows])
            return
        print_table(rows, columns, fmt)
        if fmt == "table" and page.total > len(rows):
            click.echo(t("cli.list_more", None, shown=len(rows), total=page.total))

    return click.Command(
        "list",
        callback=list_,
        params=[
            click.Option(["--search"], default="", help="Only records whose code or name contains this."),
            click.Option(["--all", "everything"], is_flag=True, help="Deactivated records too."),
            click.Option(["--limit"], type=click.IntRange(1, MAX_PAGE), default=MAX_PAGE, show_default=True),
            click.Option(
                ["--format", "fmt"],
                type=click.Choice(["table", "csv", "json"]),
                default="table",
                show_default=True,
            ),
            click.Option(["--json", "as_json"], is_flag=True, help="Print JSON (same as --format json)."),
        ],
        help=f"List the active {kind} records by {FIELDS[kind][0]}, one page of --limit rows.",
    )


def _import_command(kind: str) -> click.Command:
    @pass_ctx
    def import_(ctx: Context, files: tuple[Path, ...], dry_run: bool, as_json: bool) -> None:
        from ecerp_core.catalog.importers import ImportReport, import_file, summary_lines

        def work(session, actor) -> ImportReport:
            total = ImportReport()
            for path in files:
                report = import_file(session, actor, kind, path)
                total.created += report.created
                total.updated += report.updated
                total.unchanged += report.unchanged
                total.rejected += report.rejected
            if dry_run:
                session.rollback()
            return total

        total = ctx.run(work)
        if as_json:
            echo_json({**total.as_dict(), "dry_run": dry_run})
        else:
            for line in summary_lines(total):
                click.echo(line)
        if total.rejected:
            sys.exit(1)

    return click.Command(
        "import",
        callback=import_,
        params=[
            click.Argument(["files"], nargs=-1, required=True, type=click.Path(path_type=Path)),
            click.Option(["--dry-run"], is_flag=True, help="Check and report, write nothing."),
            click.Option(["--json", "as_json"], is_flag=True, help="Print the summary as JSON."),
        ],
        help=f"Create or update {kind}s from CSV/XLSX files, by header name (the field names, or their "
        "Chinese and English aliases). Rejected rows are listed with their line and reason and written "
        "nowhere; the exit code is 1 when any row was rejected. Importing a file twice changes nothing.",
    )


def record_group(kind: str) -> click.Group:
    """The ``ecerp <kind>s`` group: add, edit, list, deactivate, activate (and import)."""
    commands = [
        _add_command(kind),
        _edit_command(kind),
        _list_command(kind),
        _active_command(kind, False),
        _active_command(kind, True),
    ]
    if kind in IMPORTABLE:
        commands.append(_import_command(kind))
    name = "categories" if kind == "category" else f"{kind}s"
    return click.Group(name, commands={c.name: c for c in commands}, help=HELP[kind])


products = record_group("product")
suppliers = record_group("supplier")
customers = record_group("customer")
warehouses = record_group("warehouse")
shops = record_group("shop")
categories = record_group("category")
