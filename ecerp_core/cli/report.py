"""``ecerp report``: custom reports (自定义报表) over the semantic layer — list, save, run, delete, the
fields a report may use, and today's key figures."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.output import echo_json, print_table
from ecerp_core.i18n import t


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for v in values:
        if "=" not in v:
            raise click.BadParameter(f"{v!r}: use NAME=VALUE", param_hint=option)
        k, _, val = v.partition("=")
        out[k.strip()] = val.strip()
    return out


@click.group()
def report() -> None:
    """Custom reports / 自定义报表: save a definition, run it with parameters, export CSV/XLSX/JSON."""


@report.command("fields")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 输出 JSON。")
def fields(as_json: bool) -> None:
    """The dimensions, measures and filters a report may use. / 报表可用的维度、指标和筛选。"""
    from ecerp_core.analytics.layer import describe
    from ecerp_core.analytics.services import label

    names = describe()
    if as_json:
        echo_json(names)
        return
    for kind, items in names.items():
        click.echo(f"{kind}:")
        for name in items:
            click.echo(f"  {name:<18}{label(name) if kind != 'filters' else ''}")


@report.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@pass_ctx
def list_(ctx: Context, fmt: str) -> None:
    """Saved reports (shared by every user), each with its schedule and when it renders next
    (company time). / 已保存的报表（所有用户共享），及其计划与下次生成时间（公司时区）。"""
    from ecerp_core.analytics.schedules import next_run_text, report_schedules, schedule_text
    from ecerp_core.analytics.services import list_reports

    with ctx.acting(readonly=True) as (session, actor):
        rows = list_reports(session, actor)
        plans = report_schedules(session, actor)
    for row in rows:
        plan = plans.get(row["name"], {})
        row.update(every=plan.get("every"), at=plan.get("at"), next_at=plan.get("next_at"))
        row.update(due=bool(plan.get("due")), schedule=schedule_text(plan), next_run=next_run_text(plan))
    columns = ("name", "title", "chart", "dimensions", "measures", "schedule", "next_run", "updated_at")
    if fmt == "json":  # the schedule as data too, not only in words
        columns = (*columns[:5], "every", "at", "next_at", "due", columns[-1])
    print_table(rows, columns, fmt)


@report.command("save")
@click.argument("name")
@click.option(
    "--dimension", "-d", "dimensions", multiple=True, help="Group by (repeat). / 分组维度（可重复）。"
)
@click.option("--measure", "-m", "measures", multiple=True, required=True, help="Measure (repeat). / 指标。")
@click.option("--filter", "-f", "filters", multiple=True, metavar="NAME=VALUE", help="Filter. / 筛选条件。")
@click.option("--sort", default=None, help="Sort by this dimension or measure. / 排序字段。")
@click.option("--desc", is_flag=True, help="Largest first. / 降序。")
@click.option(
    "--limit", type=click.IntRange(1, 10000), default=None, help="At most this many rows. / 行数上限。"
)
@click.option("--chart", type=click.Choice(["bar", "line", "table"]), default="bar", show_default=True)
@click.option("--title", default="", help="Title shown above it. / 标题。")
@pass_ctx
def save(
    ctx: Context,
    name: str,
    dimensions: tuple[str, ...],
    measures: tuple[str, ...],
    filters: tuple[str, ...],
    sort: str | None,
    desc: bool,
    limit: int | None,
    chart: str,
    title: str,
) -> None:
    """Save (or replace) report NAME. / 保存（或替换）报表 NAME。

    Example: ecerp report save monthly-sales -d month -d platform -m sales -m orders -f date_from=2026-01-01
    """
    from ecerp_core.analytics.reports import ReportSpec
    from ecerp_core.analytics.services import save_report

    spec = ReportSpec(dimensions, measures, _pairs(filters, "--filter"), sort, desc, limit)
    with ctx.acting() as (session, actor):
        save_report(session, actor, name, spec, title=title, chart=chart)
    click.echo(t("cli.report_saved", None, name=name))


@report.command("run")
@click.argument("name")
@click.option(
    "--param", "-p", "params", multiple=True, metavar="K=V", help="Override a filter. / 覆盖筛选条件。"
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "xlsx", "json"]), default="table", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@pass_ctx
def run(ctx: Context, name: str, params: tuple[str, ...], fmt: str, output: str | None) -> None:
    """Run saved report NAME, filters overridden by --param. / 运行已保存的报表。"""
    from ecerp_core.analytics.rollup import keep_fresh
    from ecerp_core.analytics.services import export_report, get_report, run_saved_report

    with ctx.acting() as (session, actor):
        keep_fresh(session, actor)
    with ctx.acting(readonly=True) as (session, actor):
        report_row, _spec = get_report(session, actor, name)
        result = run_saved_report(session, actor, name, _pairs(params, "--param"))
        title = report_row.title or name
    if fmt in ("csv", "xlsx"):
        data = export_report(result, fmt, title=title)
        if output:
            with open(output, "wb") as fh:
                fh.write(data)
        elif fmt == "xlsx":
            raise click.UsageError("--format xlsx needs --output FILE")
        else:
            sys.stdout.write(data.decode("utf-8").lstrip("\ufeff"))
        return
    if output:
        raise click.UsageError("--output is for csv and xlsx")
    print_table(result.rows, result.columns, "json" if fmt == "json" else "table")


@report.command("refresh")
@click.option("--full", is_flag=True, help="Rebuild it from every order. / 从全部订单重建。")
@pass_ctx
def refresh(ctx: Context, full: bool) -> None:
    """Bring the sales rollup the dashboards read up to date. / 更新看板所读的销售汇总。"""
    from ecerp_core.analytics.rollup import refresh_rollup

    with ctx.acting() as (session, actor):
        done = refresh_rollup(session, actor, full=full)
    if done["full"]:
        click.echo(t("cli.rollup_rebuilt", None))
    else:
        click.echo(t("cli.rollup_refreshed", None, days=done["days"]))


@report.command("delete")
@click.argument("name")
@pass_ctx
def delete(ctx: Context, name: str) -> None:
    """Delete saved report NAME. / 删除已保存的报表。"""
    from ecerp_core.analytics.services import delete_report

    with ctx.acting() as (session, actor):
        delete_report(session, actor, name)
    click.echo(t("cli.report_deleted", None, name=name))


@report.command("schedule")
@click.argument("name")
@click.option(
    "--every",
    type=click.Choice(["daily", "weekly", "monthly"]),
    required=True,
    help="Daily, weekly (Mondays) or monthly (the 1st). / 每天、每周（周一）或每月（1 日）。",
)
@click.option(
    "--at",
    "at",
    default="07:00",
    show_default=True,
    help="HH:MM in the company's time zone. / 公司时区的时间。",
)
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="K=V",
    help="Override a filter in every run. / 每次运行覆盖的筛选条件。",
)
@pass_ctx
def schedule(ctx: Context, name: str, every: str, at: str, params: tuple[str, ...]) -> None:
    """Render saved report NAME as a notebook on a schedule. / 按计划将报表渲染为笔记本。

    Without date_from/date_to a run covers the period that just ended (yesterday, last week, last
    month). `ecerp report run-due`, run every few minutes by cron, renders what is due.
    """
    from ecerp_core.analytics.schedules import parse_at, schedule_report

    with ctx.acting() as (session, actor):
        schedule_report(session, actor, name, every, at, _pairs(params, "--param"))
    at = parse_at(at).strftime("%H:%M")
    click.echo(t("cli.report_scheduled", None, name=name, every=t(f"analytics.every.{every}", None), at=at))


@report.command("unschedule")
@click.argument("name")
@pass_ctx
def unschedule(ctx: Context, name: str) -> None:
    """Stop rendering saved report NAME on a schedule. / 取消报表的计划。"""
    from ecerp_core.analytics.schedules import unschedule_report

    with ctx.acting() as (session, actor):
        unschedule_report(session, actor, name)
    click.echo(t("cli.report_unscheduled", None, name=name))


def _out_dir(out: str | None) -> Path:
    from ecerp_core.config import project_root

    return Path(out) if out else project_root() / "data" / "reports"


def _render(ctx: Context, claimed, out_dir: Path, database_url: str, username: str) -> int:
    """Render each claimed run, record how it ended; returns how many failed."""
    from ecerp_core.analytics.schedules import finish_run, render_run
    from ecerp_core.i18n import current_language

    failed = 0
    for run in claimed:
        files = render_run(
            run, out_dir, database_url=database_url, username=username, language=current_language()
        )
        with ctx.acting() as (session, actor):
            finish_run(session, actor, run.run_id, **files)
        if files["error"]:
            failed += 1
            click.echo(
                t("error.analytics_render_failed", None, name=run.name, reason=files["error"]), err=True
            )
        else:
            click.echo(t("cli.report_rendered", None, name=run.name, html=files["html"]))
    return failed


@report.command("render")
@click.argument("name")
@click.option(
    "--param", "-p", "params", multiple=True, metavar="K=V", help="Override a filter. / 覆盖筛选条件。"
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the notebook and HTML (default data/reports). / 输出文件夹。",
)
@pass_ctx
def render(ctx: Context, name: str, params: tuple[str, ...], out: str | None) -> None:
    """Render saved report NAME as a notebook and HTML now. / 立即将报表渲染为笔记本和 HTML。"""
    from ecerp_core.analytics.schedules import start_run

    with ctx.acting() as (session, actor):
        run = start_run(session, actor, name, _pairs(params, "--param"))
        url, username = _database_url(session), actor.username
    if _render(ctx, [run], _out_dir(out), url, username):
        sys.exit(1)


@report.command("run-due")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder for the notebooks and HTML (default data/reports). / 输出文件夹。",
)
@pass_ctx
def run_due(ctx: Context, out: str | None) -> None:
    """Render every scheduled report that is due (for cron or a systemd timer). / 渲染所有到期的报表。

    Each due slot is rendered once: a slot already run (or being run by another runner) is skipped.
    Example crontab line: */10 * * * * cd /srv/ecerp && .venv/bin/ecerp report run-due
    """
    from ecerp_core.analytics.schedules import claim_due_runs

    with ctx.acting() as (session, actor):
        claimed = claim_due_runs(session, actor)
        url, username = _database_url(session), actor.username
    if not claimed:
        click.echo(t("cli.report_nothing_due", None))
        return
    if _render(ctx, claimed, _out_dir(out), url, username):
        sys.exit(1)


@report.command("runs")
@click.argument("name", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@pass_ctx
def runs(ctx: Context, name: str | None, fmt: str) -> None:
    """The latest renderings of saved reports (of NAME, if given). / 报表的渲染记录。"""
    from ecerp_core.analytics.schedules import list_runs

    with ctx.acting(readonly=True) as (session, actor):
        rows = list_runs(session, actor, name)
    print_table(rows, ("name", "slot", "started_at", "by", "outcome", "html", "error"), fmt)


def _database_url(session) -> str:
    """The URL the notebook's kernel reads (passed in its environment, never written to a file)."""
    return session.get_bind().url.render_as_string(hide_password=False)


@report.command("today")
@click.option("--json", "as_json", is_flag=True, help="Print JSON. / 输出 JSON。")
@pass_ctx
def today(ctx: Context, as_json: bool) -> None:
    """Today's key figures: orders, sales, queues waiting, stock alerts. / 今日关键指标。"""
    from ecerp_core.analytics.keyfigures import key_figures

    with ctx.acting(readonly=True) as (session, actor):
        figures = key_figures(session, actor)
    if as_json:
        echo_json(figures)
        return
    for key, value in figures.items():
        click.echo(f"{t(f'keyfig.{key}', None)}: {value}")
