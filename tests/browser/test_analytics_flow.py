"""Analytics in headless Chromium: a dashboard chart drawn from a small sales history, the customers'
map of China; then a custom report built (a dimension and two measures), saved, exported and
scheduled; in zh_CN and en; then the home page's key figures and its Analytics card. Screenshots go
to ``test-artifacts/``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
PREHEAT = ("analytics.ipynb", "home.ipynb")
HISTORY = """order_id,sku,name,quantity,unit_price,ordered_at,customer_id,province
S1,MUG-001,陶瓷马克杯,2,39.00,2026-08-03 10:00:00,buyer1,上海
S2,TEE-001,纯棉T恤 白色 M,1,59.00,2026-08-15 11:00:00,buyer2,浙江
S3,MUG-001,陶瓷马克杯,3,39.00,2026-09-02 09:30:00,buyer1,上海
S4,BAG-001,帆布托特包,1,79.00,2026-09-20 20:00:00,buyer3,广东
S5,TEE-002,纯棉T恤 黑色 L,2,59.00,2026-10-05 15:00:00,buyer2,浙江
S6,MUG-001,陶瓷马克杯,1,39.00,2026-10-28 08:00:00,buyer4,上海
"""


@pytest.fixture(scope="module")
def sales_database(apps_database, tmp_path_factory):
    from ecerp_core.auth import resolve_actor
    from ecerp_core.catalog import services
    from ecerp_core.connectors.files import import_files
    from ecerp_core.db import session_scope

    path = tmp_path_factory.mktemp("history") / "history.csv"
    path.write_text(HISTORY, encoding="utf-8")
    with session_scope(apps_database) as session:
        admin = resolve_actor(session, "admin")
        services.create_shop(session, admin, code="TB", name="淘宝店", platform="taobao")
        summary = import_files(session, admin, "csv", [str(path)], shop="TB", history=True)
    assert summary["created"] == 6
    return apps_database


def test_dashboard_and_report_builder(sales_database, voila_server, page, artifacts):
    page.goto(f"{voila_server['url']}/voila/render/analytics.ipynb", timeout=120_000)
    page.locator(".ecerp-title").get_by_text("数据分析").wait_for(timeout=60_000)
    chart = page.locator(".ecerp-an-chart .main-svg").first
    chart.wait_for(timeout=30_000)
    expect(page.locator(".ecerp-an-chart")).to_contain_text("按月销售额与去年同期（CNY）")
    expect(page.locator(".ecerp-an-rows")).to_contain_text("2026-10")
    expect(page.locator(".ecerp-an-rows")).to_contain_text("157.00")  # 2 × 59.00 + 39.00 in October
    expect(page.locator(".ecerp-an-chart g.trace.bars")).to_have_count(1)
    page.screenshot(path=str(artifacts / "analytics_dashboard_zh.png"), full_page=True)
    page.locator(".ecerp-an-board select").select_option(label="商品热销排行榜")
    expect(page.locator(".ecerp-an-chart")).to_contain_text("商品热销排行榜（销量）")
    expect(page.locator(".ecerp-an-rows")).to_contain_text("陶瓷马克杯")
    page.screenshot(path=str(artifacts / "analytics_bestsellers_zh.png"), full_page=True)
    page.locator(".ecerp-an-board select").select_option(label="客户分布：中国地图")
    expect(page.locator(".ecerp-an-chart")).to_contain_text("客户分布（按省份，客户数）")
    # the provinces are drawn from the boundaries shipped with ecerp, with no network
    expect(page.locator(".ecerp-an-chart path.choroplethlocation")).to_have_count(34)
    page.screenshot(path=str(artifacts / "analytics_map_zh.png"), full_page=True)

    page.locator(".ecerp-analytics-tabs").get_by_text("自定义报表").click()
    page.locator(".ecerp-an-dims select").select_option(label="省份/地区")
    page.locator(".ecerp-an-measures select").select_option(label=["销售额", "客户数"])
    page.locator("button.ecerp-an-run").click()
    table = page.locator(".ecerp-an-report-table")
    expect(table).to_contain_text("上海")
    expect(table).to_contain_text("234.00")  # 上海: 6 mugs at 39.00
    expect(page.locator(".ecerp-an-report-chart g.trace.bars")).to_have_count(2)
    page.locator(".ecerp-an-name input").fill("省份销售")
    page.locator("button.ecerp-an-save").click()
    page.locator(".ecerp-alert-success").get_by_text("报表“省份销售”已保存").wait_for()
    page.locator("button.ecerp-an-export").click()
    expect(page.locator(".ecerp-an-download")).to_contain_text("省份销售-")
    schedules = page.locator(".ecerp-an-schedules-box")
    expect(schedules).to_contain_text("未计划")
    page.locator(".ecerp-an-at input").fill("06:30")
    page.locator("button.ecerp-an-schedule").click()
    page.locator(".ecerp-alert-success").get_by_text("报表 省份销售 已计划：每月 06:30").wait_for()
    expect(schedules).to_contain_text("每月 06:30")
    page.screenshot(path=str(artifacts / "analytics_report_zh.png"), full_page=True)
    schedules.screenshot(path=str(artifacts / "analytics_schedules_zh.png"))

    page.locator(".ecerp-language button", has_text="English").click()
    page.locator(".ecerp-title").get_by_text("Analytics").wait_for()
    expect(table).to_contain_text("Province / region")
    expect(page.locator(".ecerp-an-saved select")).to_contain_text("省份销售")
    expect(page.locator(".ecerp-an-download")).to_have_count(0)  # its label was Chinese: export again
    expect(schedules).to_contain_text("monthly 06:30")
    schedules.screenshot(path=str(artifacts / "analytics_schedules_en.png"))
    page.screenshot(path=str(artifacts / "analytics_report_en.png"), full_page=True)
    page.locator(".ecerp-analytics-tabs").get_by_text("Dashboards").click()
    expect(page.locator(".ecerp-an-chart")).to_contain_text("Customers by province")
    page.screenshot(path=str(artifacts / "analytics_dashboard_en.png"), full_page=True)

    page.goto(f"{voila_server['url']}/voila/render/home.ipynb?lang=zh_CN", timeout=120_000)
    strip = page.locator(".ecerp-keyfigs")
    expect(strip).to_contain_text("今日订单", timeout=60_000)
    expect(strip).to_contain_text("待审核")
    expect(page.locator('a[data-app="analytics"]')).to_contain_text("数据分析")
    page.screenshot(path=str(artifacts / "analytics_home_key_figures_zh.png"), full_page=True)
