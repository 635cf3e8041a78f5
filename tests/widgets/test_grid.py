"""The paged grid on 5,000 products: paging, sorting and filtering happen in the database."""

from __future__ import annotations

import time

import pytest

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services
from ecerp_core.db import session_scope
from ecerp_core.query import sort_stmt
from widgets.base_data import app as base_data
from widgets.common.grid import PageRequest, format_cell

N = 5000


@pytest.fixture
def many_products(db):
    rows = [
        {
            "sku": f"SKU-{i:05d}",
            "name_zh": f"商品{i}",
            "name_en": f"Product {i}",
            "list_price": f"{i % 500}.50",
            "cost": "1.00",
        }
        for i in range(1, N + 1)
    ]
    with session_scope(db) as session:
        services.create_records(session, resolve_actor(session, "admin"), "product", rows)
    return db


def test_pages_through_5000_products_one_page_at_a_time(many_products):
    view = base_data.build("admin", "en")
    grid = view.grid
    assert grid.page.total == N and len(grid.table.rows) == 25
    assert grid.page_label.value == "Page 1 of 200, 5,000 in all"
    assert grid.previous_button.disabled and not grid.next_button.disabled
    assert grid.table.rows[0]["key"] == "SKU-00001"
    grid.next_page(grid.next_button)
    assert grid.table.rows[0]["key"] == "SKU-00026" and grid.page_number == 2
    grid.page_size.value = 100
    assert grid.page_number == 1 and len(grid.table.rows) == 100
    assert grid.page_label.value == "Page 1 of 50, 5,000 in all"
    for _ in range(49):
        grid.next_page(grid.next_button)
    assert grid.table.rows[-1]["key"] == "SKU-05000" and grid.next_button.disabled
    grid.previous_page(grid.previous_button)
    assert grid.page_number == 49


def test_sorts_in_sql_and_a_second_click_reverses(many_products):
    view = base_data.build("admin", "en")
    view.grid.table.click_header("list_price")
    prices = [row["cells"][6] for row in view.grid.table.rows]
    assert prices[0] == "0.50" and view.grid.table.sort == "list_price" and not view.grid.table.descending
    view.grid.table.click_header("list_price")
    assert view.grid.table.rows[0]["cells"][6] == "499.50" and view.grid.table.descending
    assert view.grid.table.rows[0]["key"] == "SKU-00499"  # ties broken by id: stable pages


def test_filters_in_sql_and_starts_from_page_one(many_products):
    view = base_data.build("admin", "en")
    view.grid.next_page(view.grid.next_button)
    start = time.perf_counter()
    view.filter_bar.search.value = "SKU-0049"
    assert time.perf_counter() - start < 2
    assert view.grid.page.total == 10 and view.grid.page_number == 1
    assert {r["key"] for r in view.grid.table.rows} == {f"SKU-{i:05d}" for i in range(490, 500)}
    view.filter_bar.search.value = "商品4999"
    assert [r["key"] for r in view.grid.table.rows] == ["SKU-04999"]
    view.filter_bar.search.value = "nothing like this"
    assert view.grid.table.rows == [] and view.grid.table.empty_text == "No matching rows"
    view.filter_bar.clear()
    assert view.grid.page.total == N


def test_inactive_filter_and_muted_rows(many_products):
    view = base_data.build("admin", "en")
    view.grid.table.click_row("SKU-00003")
    view.toggle_active(view.active_button)
    assert view.grid.page.total == N - 1
    view.filter_bar.status.value = "inactive"
    assert [r["key"] for r in view.grid.table.rows] == ["SKU-00003"] and view.grid.table.rows[0]["muted"]
    view.filter_bar.status.value = "all"
    assert view.grid.page.total == N


def test_sort_stmt_ignores_unknown_columns():
    stmt = services.list_stmt("product")
    assert str(sort_stmt(stmt, "no_such_column")) == str(stmt)
    assert "ORDER BY product.cost DESC, product.id" in str(sort_stmt(stmt, "cost", True))


def test_format_cell():
    from decimal import Decimal

    assert format_cell(Decimal("1234.50"), "en") == "1,234.50"
    assert format_cell(True, "en") == "✓" and format_cell(None, "en") == ""
    assert PageRequest().limit == 50
