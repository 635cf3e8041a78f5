"""``ecerp forecast``: backtest, forecast and replenishment from demand history (需求预测与补货)."""

from __future__ import annotations

import math

import click

from ecerp_core.cli.context import Context, pass_ctx
from ecerp_core.cli.options import DATE
from ecerp_core.cli.output import echo_json, print_table

SCORE_COLUMNS = (
    "model",
    "demand_class",
    "series",
    "mase",
    "rmsse",
    "rw_rmsse",
    "wape",
    "bias",
    "pinball",
    "rmsse_spread",
    "seconds",
)
REPLENISH_COLUMNS = (
    "sku",
    "warehouse",
    "supplier",
    "demand_class",
    "model",
    "mean_daily",
    "sigma_daily",
    "lead_days",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "position",
    "moq",
    "pack_size",
    "quantity",
    "unit_price",
    "currency",
)

_scope_options = [
    click.option("--warehouse", help="Only this warehouse (code). / 只看此仓库。"),
    click.option("--sku", help="Only this SKU. / 只看此 SKU。"),
    click.option("--category", help="Only this category (code or part of its path). / 只看此类目。"),
    click.option(
        "--as-of",
        "as_of",
        type=DATE,
        metavar="YYYY-MM-DD",
        help="Last day of history to use (default: the last day with sales). / 历史截止日。",
    ),
    click.option("--no-ml", is_flag=True, help="Baselines only (no scikit-learn model). / 只用基线模型。"),
    click.option(
        "--net-returns", is_flag=True, help="Refunded orders are not demand. / 退款订单不计入需求。"
    ),
]


def scope_options(fn):
    for option in reversed(_scope_options):
        fn = option(fn)
    return fn


def _scope(warehouse, sku, category, as_of, net_returns):
    from ecerp_core.forecast.services import Scope

    return Scope(warehouse=warehouse, sku=sku, category=category, as_of=as_of, net_returns=net_returns)


def _clean(value):
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


@click.group()
def forecast() -> None:
    """Demand forecasts, backtests and replenishment. / 需求预测、回测与补货建议。"""


@forecast.command("backtest")
@click.option("--horizon", default=28, show_default=True, help="Days forecast from each origin. / 预测天数。")
@click.option("--origins", default=4, show_default=True, help="Rolling origins. / 滚动起点数。")
@click.option(
    "--service-level", default=0.95, show_default=True, help="Quantile of the pinball loss. / 服务水平。"
)
@scope_options
@click.option(
    "--json", "as_json", is_flag=True, help="Print scores, choices and stock as JSON. / 以 JSON 输出。"
)
@pass_ctx
def backtest(
    ctx: Context,
    horizon,
    origins,
    service_level,
    warehouse,
    sku,
    category,
    as_of,
    no_ml,
    net_returns,
    as_json,
):
    """Rolling-origin backtest of every model, overall and per demand class. / 滚动起点回测。"""
    from ecerp_core.forecast import services

    with ctx.acting(readonly=True) as (session, actor):
        panel, bt = services.backtest(
            session,
            actor,
            _scope(warehouse, sku, category, as_of, net_returns),
            horizon=horizon,
            origins=origins,
            service_level=service_level,
            with_ml=not no_ml,
        )
    scores = [{k: _clean(v) for k, v in s.__dict__.items()} for s in bt.scores]
    choices = {c: {k: _clean(v) for k, v in ch.__dict__.items()} for c, ch in bt.choices.items()}
    stock = [
        {
            "model": r["model"],
            "cover_90": _clean(r["cover_90"]),
            "cover_95": _clean(r["cover_95"]),
            "points": [[round(f, 4), round(c, 2)] for f, c in r["points"]],
        }
        for r in bt.stock
    ]
    if as_json:
        echo_json(
            {
                "series": len(panel),
                "horizon": horizon,
                "origins": [d.isoformat() for d in bt.origin_days],
                "scores": scores,
                "choices": choices,
                "stock": stock,
            }
        )
        return
    click.echo(f"series {len(panel)}, origins {', '.join(d.isoformat() for d in bt.origin_days)}")
    print_table(scores, SCORE_COLUMNS, "table")
    click.echo("")
    print_table(
        [{"demand_class": c, **v} for c, v in choices.items()],
        ("demand_class", "model", "reason", "best_baseline", "baseline_score", "ml_score"),
        "table",
    )
    click.echo("")
    print_table(stock, ("model", "cover_90", "cover_95"), "table")


@forecast.command("run")
@click.option("--horizon", default=28, show_default=True, help="Days to forecast. / 预测天数。")
@click.option(
    "--origins", default=4, show_default=True, help="Backtest origins that choose the models. / 回测起点数。"
)
@scope_options
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="csv", show_default=True
)
@pass_ctx
def run(ctx: Context, horizon, origins, warehouse, sku, category, as_of, no_ml, net_returns, fmt):
    """Forecast every SKU × warehouse sold in the last 90 days: sku, warehouse, date, forecast, quantiles.
    / 预测近 90 天有销量的每个 SKU × 仓库。"""
    from ecerp_core.forecast import services

    with ctx.acting(readonly=True) as (session, actor):
        result = services.run_forecast(
            session,
            actor,
            _scope(warehouse, sku, category, as_of, net_returns),
            horizon=horizon,
            origins=origins,
            with_ml=not no_ml,
        )
    columns = ("sku", "warehouse", "date", "forecast", *(services.quantile_name(q) for q in result.quantiles))
    print_table(result.rows(), columns, fmt)


@forecast.command("replenish")
@click.option(
    "--service-level", default=0.95, show_default=True, help="Target fill / service level. / 目标服务水平。"
)
@click.option("--review-days", default=7, show_default=True, help="Days between orders. / 订货周期（天）。")
@scope_options
@click.option("--create-drafts", is_flag=True, help="Create draft purchase orders. / 生成采购草稿单。")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@pass_ctx
def replenish(
    ctx: Context,
    service_level,
    review_days,
    warehouse,
    sku,
    category,
    as_of,
    no_ml,
    net_returns,
    create_drafts,
    fmt,
):
    """Safety stock, reorder point, order-up-to and the quantity to order, per SKU × warehouse.
    / 安全库存、再订货点、目标库存与建议采购量。"""
    from ecerp_core.forecast import services

    with ctx.acting(readonly=not create_drafts) as (session, actor):
        scope = _scope(warehouse, sku, category, as_of, net_returns)
        result = services.run_forecast(session, actor, scope, service_level=service_level, with_ml=not no_ml)
        lines = services.replenishment(
            session, actor, result, service_level=service_level, review_days=review_days
        )
        ids = services.create_draft_orders(session, actor, lines) if create_drafts else []
    print_table([line.__dict__ for line in lines], REPLENISH_COLUMNS, fmt)
    if create_drafts:
        click.echo(f"draft purchase orders: {ids}", err=True)
