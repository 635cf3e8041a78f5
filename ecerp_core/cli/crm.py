"""``ecerp customers show|suggest|merge|unmerge|adopt|note|tiers|segment`` (added to the customers
record group) and ``ecerp complaints add|list|start|resolve|close|reopen``."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import DATE
from ecerp_core.cli.output import FORMAT, echo_json, print_table
from ecerp_core.cli.records import customers
from ecerp_core.i18n import t

TICKET_COLUMNS = ("id", "kind", "status", "customer", "order", "sku", "subject", "owner", "due_at", "overdue")


@customers.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print the whole 360 view as JSON.")
@pass_ctx
def show(ctx: Context, code: str, as_json: bool) -> None:
    """Customer 360 / 客户360: figures, buyer ids, recent orders, tickets, tier history."""
    from ecerp_core.crm.services import customer_360

    with ctx.acting(readonly=True) as (session, actor):
        view = customer_360(session, actor, code)
    if as_json:
        echo_json(view)
        return
    click.echo(f"{view['code']}  {view['name']}  [{t('choice.tier.' + view['tier'])}]")
    for key in ("orders", "lifetime_value", "average_order_value", "first_order", "last_order", "refunded",
                "returns", "complaints"):  # fmt: skip
        click.echo(f"  {t('field.' + key)}: {view[key] if view[key] is not None else ''}")
    for a in view["accounts"]:
        click.echo(f"  {a['shop']} ({a['platform']}): {a['buyer_id']}")
    print_table(
        view["recent_orders"], ("number", "shop", "order_date", "status", "currency", "total_amount"), "table"
    )


@customers.command("suggest")
@click.option("--limit", default=200, show_default=True)
@FORMAT
@pass_ctx
def suggest(ctx: Context, limit: int, fmt: str) -> None:
    """Merge suggestions / 合并建议: customers sharing a phone, e-mail, or name and address."""
    from ecerp_core.crm.merges import merge_suggestions

    with ctx.acting(readonly=True) as (session, actor):
        rows = merge_suggestions(session, actor, limit=limit)
    print_table(rows, ("kept", "merged", "key", "value"), fmt)


@customers.command("merge")
@click.argument("kept")
@click.argument("merged")
@click.option("--reason", default="", help="Why they are one person (kept in the audit row).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def merge(ctx: Context, kept: str, merged: str, reason: str, as_json: bool) -> None:
    """Merge customer MERGED into KEPT / 合并客户 (undo with `unmerge ID`)."""
    from ecerp_core.crm.merges import merge_customers

    with ctx.acting() as (session, actor):
        merge_id = merge_customers(session, actor, kept, merged, reason)
    if as_json:
        echo_json({"merge_id": merge_id})
    else:
        click.echo(t("crm.merged", kept=kept, merged=merged, id=merge_id))


@customers.command("unmerge")
@click.argument("merge_id", type=int)
@pass_ctx
def unmerge(ctx: Context, merge_id: int) -> None:
    """Undo a merge / 撤销合并 by its id (see `customers merges`)."""
    from ecerp_core.crm.merges import undo_merge

    with ctx.acting() as (session, actor):
        undo_merge(session, actor, merge_id)
    click.echo(t("crm.unmerged", id=merge_id))


@customers.command("merges")
@FORMAT
@pass_ctx
def merges(ctx: Context, fmt: str) -> None:
    """Merges done, newest first / 合并记录."""
    from ecerp_core.crm.merges import list_merges

    with ctx.acting(readonly=True) as (session, actor):
        rows = list_merges(session, actor)
    print_table(rows, ("id", "kept", "merged", "at", "reason", "undone_at"), fmt)


@customers.command("adopt")
@click.option("--shop", default=None, help="Only this shop's buyers.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def adopt(ctx: Context, shop: str | None, as_json: bool) -> None:
    """Make customers of buyer ids that have orders but no customer (a history shop) / 买家建档."""
    from ecerp_core.crm.services import adopt_buyers

    with ctx.acting() as (session, actor):
        created = adopt_buyers(session, actor, shop)
    if as_json:
        echo_json({"created": created})
    else:
        click.echo(t("crm.adopted", count=created))


@customers.command("note")
@click.argument("code")
@click.argument("text")
@pass_ctx
def note(ctx: Context, code: str, text: str) -> None:
    """Add a note to a customer / 客户备注."""
    from ecerp_core.crm.services import add_note

    with ctx.acting() as (session, actor):
        add_note(session, actor, code, text)


@customers.group("tiers")
def tiers() -> None:
    """Customer tiers / 客户分层: rules, recompute (cron-friendly), counts."""


@tiers.command("recompute")
@click.option(
    "--as-of", "as_of", type=DATE, default=None, help="Day the 12-month window ends (default today)."
)
@click.option("--dry-run", is_flag=True, help="List the changes, write nothing.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def tiers_recompute(ctx: Context, as_of: dt.date | None, dry_run: bool, as_json: bool) -> None:
    """Apply the tier rules to every customer / 重算客户等级; each change is kept with its reason."""
    from ecerp_core.crm.tiers import recompute_tiers

    with ctx.acting(readonly=dry_run) as (session, actor):
        changes = recompute_tiers(session, actor, as_of=as_of, dry_run=dry_run)
    if as_json:
        echo_json({"changed": len(changes), "changes": changes})
        return
    print_table(changes, ("code", "from_tier", "to_tier", "spend", "orders"), "table")
    click.echo(t("crm.tiers_changed", count=len(changes)))


@tiers.command("rules")
@click.option(
    "--set", "rules", multiple=True, metavar="TIER=SPEND/ORDERS", help="e.g. gold=5000/5 (all tiers)."
)
@click.option("--months", default=12, show_default=True)
@FORMAT
@pass_ctx
def tiers_rules(ctx: Context, rules: tuple[str, ...], months: int, fmt: str) -> None:
    """Show or set the tier rules / 等级规则 (spend and orders over the window)."""
    from ecerp_core.crm.rules import TierRuleValue
    from ecerp_core.crm.tiers import set_tier_rules, tier_rules

    with ctx.acting(readonly=not rules) as (session, actor):
        if rules:
            parsed = []
            for spec in rules:
                tier, _, rest = spec.partition("=")
                spend, _, count = rest.partition("/")
                try:
                    parsed.append(TierRuleValue(tier.strip(), Decimal(spend), int(count or 0)))
                except (ArithmeticError, ValueError) as exc:
                    raise click.BadParameter(spec) from exc
            set_tier_rules(session, actor, parsed, months)
        found, window = tier_rules(session, actor)
    print_table(
        [{**r._asdict(), "months": window} for r in found], ("tier", "min_spend", "min_orders", "months"), fmt
    )


@customers.command("segment")
@click.option("--method", type=click.Choice(["rfm", "kmeans"]), default="rfm", show_default=True)
@click.option("--clusters", default=4, show_default=True, help="KMeans clusters.")
@click.option("--segment", "only", default=None, help="Export only this segment (e.g. important_value).")
@click.option("--shop", default=None, help="Only this shop's orders.")
@click.option("--tier", default=None, help="Only customers of this tier (e.g. vip: the VIP list).")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Recency measured to this day.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "json"]), default="table")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write (xlsx needs one).")
@pass_ctx
def segment(
    ctx: Context,
    method: str,
    clusters: int,
    only: str | None,
    shop: str | None,
    tier: str | None,
    as_of: dt.date | None,
    fmt: str,
    output: str | None,
) -> None:
    """RFM segments / RFM客户分群 (or KMeans with its silhouette score); export a marketing list."""
    from ecerp_core.crm.rfm import export_segment, kmeans_segments, rfm_table, segment_counts, segment_name

    with ctx.acting(readonly=True) as (session, actor):
        rows = rfm_table(session, actor, as_of=as_of, shop=shop)
    score = kmeans_segments(rows, clusters) if method == "kmeans" else None
    if tier:  # scored among all customers, listed for one tier
        rows = [r for r in rows if r["tier"] == tier]
    if fmt == "table":
        counts = segment_counts(rows)
        print_table(
            [{"segment": k, "name": segment_name(k), "customers": n} for k, n in counts.items()],
            ("segment", "name", "customers"),
            "table",
        )
        if score is not None:
            click.echo(t("crm.silhouette", score=score))
        return
    if fmt == "json":
        echo_json(
            {"silhouette": score, "customers": [r for r in rows if only is None or r["segment"] == only]}
        )
        return
    if fmt == "xlsx" and not output:
        raise click.UsageError("--format xlsx needs --output FILE")
    if output:
        n = export_segment(rows, output, fmt, segment=only)
        click.echo(t("crm.exported", count=n, path=output), err=True)
    else:
        export_segment(rows, sys.stdout.buffer, "csv", segment=only)


@click.group()
def complaints() -> None:
    """Inquiries, complaints and feedback / 咨询、投诉、反馈, with their workflow."""


@complaints.command("add")
@click.argument("subject")
@click.option("--kind", type=click.Choice(["inquiry", "complaint", "feedback"]), default="complaint")
@click.option("--customer", default="", help="Customer code.")
@click.option("--order", default="", help="Platform order number (its customer is used if none given).")
@click.option("--sku", default="")
@click.option("--channel", default="other", help="platform_chat, phone, email, wechat, review, other.")
@click.option("--owner", default="", help="Username handling it.")
@click.option("--detail", default="")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def complaints_add(ctx: Context, subject: str, as_json: bool, **values) -> None:
    """Open an inquiry, complaint or feedback / 新建工单."""
    from ecerp_core.crm.tickets import TicketDraft, add_tickets

    with ctx.acting() as (session, actor):
        [ticket_id] = add_tickets(session, actor, [TicketDraft(subject=subject, **values)])
    if as_json:
        echo_json({"id": ticket_id})
    else:
        click.echo(t("crm.ticket_added", id=ticket_id))


@complaints.command("list")
@click.option("--kind", type=click.Choice(["inquiry", "complaint", "feedback"]), default=None)
@click.option("--status", default=None, help="new, in_progress, resolved, closed, or open.")
@click.option("--search", default="")
@FORMAT
@pass_ctx
def complaints_list(ctx: Context, kind: str | None, status: str | None, search: str, fmt: str) -> None:
    """Tickets, newest first / 工单列表."""
    from ecerp_core.crm.tickets import list_tickets

    with ctx.acting(readonly=True) as (session, actor):
        page = list_tickets(session, actor, kind=kind, status=status, search=search, limit=1000)
    print_table(page.rows, TICKET_COLUMNS, fmt)


def _move_command(name: str, doc: str, with_satisfaction: bool = False) -> click.Command:
    @pass_ctx
    def command(ctx: Context, ids: tuple[int, ...], note: str, satisfaction: int | None = None) -> None:
        from ecerp_core.crm.tickets import move_tickets

        target = {"start": "in_progress", "resolve": "resolved", "close": "closed", "reopen": "in_progress"}[
            name
        ]
        with ctx.acting() as (session, actor):
            move_tickets(session, actor, list(ids), target, note=note, satisfaction=satisfaction)
        click.echo(t("crm.tickets_moved", count=len(ids), status=t(f"ticket.{target}")))

    params = [
        click.Argument(["ids"], nargs=-1, required=True, type=int),
        click.Option(["--note"], default="", help="A note (the resolution, when resolving)."),
    ]
    if with_satisfaction:
        params.append(click.Option(["--satisfaction"], type=click.IntRange(1, 5), default=None))
    return click.Command(name, callback=command, params=params, help=doc)


for _name, _doc, _sat in (
    ("start", "Start working on tickets / 处理中.", False),
    ("resolve", "Resolve tickets / 已解决 (with --note as the resolution, --satisfaction 1-5).", True),
    ("close", "Close tickets / 关闭.", False),
    ("reopen", "Reopen resolved or closed tickets / 重新打开.", False),
):
    complaints.add_command(_move_command(_name, _doc, _sat))
