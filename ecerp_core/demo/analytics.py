"""The demo's saved custom reports (自定义报表): what an analyst keeps to hand, one of them rendered
every month as a notebook (``ecerp report run-due``)."""

from __future__ import annotations

from ecerp_core.analytics.reports import ReportSpec
from ecerp_core.analytics.schedules import schedule_report
from ecerp_core.analytics.services import save_report
from ecerp_core.demo.context import DemoContext, DemoStep

CNY = {"currency": ["CNY"]}
"""Money in one currency: the export shop sells in USD."""
REPORTS = (  # name, title, chart, spec
    ("月度销售", "月度销售（按平台）", "bar", ReportSpec(("month", "platform"), ("sales", "orders"), CNY)),
    (
        "热销商品",
        "热销商品 Top 20",
        "bar",
        ReportSpec(("sku",), ("units", "sales", "orders"), CNY, "units", True, 20),
    ),
    ("客户分层", "客户分层分布", "bar", ReportSpec(("tier",), ("customers", "orders", "sales"), CNY)),
    (
        "地区分布",
        "客户地区分布",
        "table",
        ReportSpec(("province",), ("customers", "orders", "sales"), CNY, "customers", True),
    ),
)
SCHEDULED = ("月度销售", "monthly", "07:00")


def setup(ctx: DemoContext) -> None:
    analyst = ctx.users["analyst"]
    for name, title, chart, spec in REPORTS:
        save_report(ctx.session, analyst, name, spec, title=title, chart=chart)
    name, every, at = SCHEDULED
    schedule_report(ctx.session, analyst, name, every, at)


STEP = DemoStep("analytics", setup)
