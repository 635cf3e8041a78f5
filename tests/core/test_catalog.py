import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ecerp_core.audit import AuditLog, history
from ecerp_core.auth import Actor
from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.company import get_company, rate_on, set_exchange_rates, setup_company
from ecerp_core.catalog.customers import link_customer_account
from ecerp_core.catalog.models import Category, Product, Shop
from ecerp_core.catalog.products import expand_bundles
from ecerp_core.errors import NotFound, PermissionDenied, ValidationError


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def codes(error: ValidationError) -> set[tuple[str | None, str]]:
    return {(p.field, p.code.removeprefix("problem.")) for p in error.problems}


def test_create_update_deactivate_and_list_a_product_with_audit(session, admin):
    product = catalog.create_product(
        session,
        admin,
        sku="TEE-001",
        name_zh="纯棉T恤",
        list_price="59.00",
        cost="22.5",
        barcode="6901234567892",
        spec={"颜色": "白色"},
    )
    assert product.list_price == Decimal("59.00") and product.cost == Decimal("22.50")
    catalog.update_product(session, admin, "TEE-001", list_price="69.00", name_en="Cotton tee")
    catalog.set_active(session, admin, "product", "TEE-001", False)
    rows = history(session, "product", product.id)
    assert [r.action for r in rows] == ["create", "update", "deactivate"]
    assert all(r.actor_name == "admin" for r in rows)
    assert rows[1].detail["list_price"] == ["59.00", "69.00"]
    assert catalog.list_records(session, admin, "product").total == 0
    page = catalog.list_records(session, admin, "product", active=None, search="cotton")
    assert [r["sku"] for r in page.rows] == ["TEE-001"]


def test_a_bad_batch_lists_every_problem_and_writes_nothing(session, admin):
    catalog.create_product(session, admin, sku="A1", name_zh="一", barcode="6901234567892")
    audit_before = count(session, AuditLog)
    with pytest.raises(ValidationError) as info:
        catalog.create_records(
            session,
            admin,
            "product",
            [
                {"sku": "A2", "name_zh": "二"},
                {"sku": "A1", "name_zh": "重复"},
                {"sku": "A3", "name_zh": "条码重复", "barcode": "6901234567892"},
                {"sku": "A4", "name_zh": "", "list_price": "abc", "cost": "-1"},
                {"sku": "A5", "name_zh": "五", "category": "NO-SUCH", "colour": "red"},
            ],
        )
    assert codes(info.value) == {
        ("sku", "duplicate"),
        ("barcode", "duplicate"),
        ("name_zh", "required"),
        ("list_price", "not_a_number"),
        ("cost", "below_minimum"),
        ("category", "unknown_ref"),
        ("colour", "unknown_field"),
    }
    assert count(session, Product) == 1
    assert count(session, AuditLog) == audit_before


def test_duplicates_within_one_batch_are_caught(session, admin):
    with pytest.raises(ValidationError) as info:
        catalog.create_records(
            session, admin, "warehouse", [{"code": "SH", "name": "a"}, {"code": "SH", "name": "b"}]
        )
    assert codes(info.value) == {("code", "duplicate")}


def test_unknown_currency_and_warehouse_references(session, admin):
    with pytest.raises(ValidationError) as info:
        catalog.create_supplier(session, admin, code="S1", name="义乌小商品", currency="XYZ")
    assert codes(info.value) == {("currency", "unknown_currency")}
    with pytest.raises(ValidationError) as info:
        catalog.create_shop(
            session, admin, code="TM1", name="天猫旗舰店", platform="tmall", default_warehouse="NOPE"
        )
    assert codes(info.value) == {("default_warehouse", "unknown_ref")}
    with pytest.raises(ValidationError) as info:
        catalog.create_shop(session, admin, code="X", name="x", platform="ebay")
    assert codes(info.value) == {("platform", "not_a_choice")}
    catalog.create_warehouse(session, admin, code="SH", name="上海仓", region="上海", priority="10")
    shop = catalog.create_shop(
        session, admin, code="TM1", name="天猫旗舰店", platform="tmall", default_warehouse="SH"
    )
    assert session.get(Shop, shop.id).default_warehouse_id is not None
    assert catalog.get_record(session, admin, "shop", "TM1")["default_warehouse"] == "SH"


def test_bundles_consume_their_components(session, admin):
    catalog.create_product(session, admin, sku="CUP", name_zh="杯子")
    catalog.create_product(session, admin, sku="LID", name_zh="杯盖")
    kit = catalog.create_records(
        session,
        admin,
        "product",
        [{"sku": "GIFT", "name_zh": "礼盒", "is_bundle": True, "components": [("CUP", 2), ("LID", 1)]}],
    )[0]
    cup = session.scalar(select(Product).where(Product.sku == "CUP"))
    consumed = dict(expand_bundles(session, [(kit.id, 3), (cup.id, 1)]))
    assert consumed == {cup.id: 7, session.scalar(select(Product.id).where(Product.sku == "LID")): 3}
    for bad, expected in [
        ({"components": [("GIFT2", 1)]}, ("components", "bundle_self")),
        ({"components": [("GIFT", 1)]}, ("components", "bundle_nested")),
        ({"components": [("NOPE", 1)]}, ("components", "unknown_ref")),
        ({"components": []}, ("components", "bundle_empty")),
        ({"components": [("CUP", 0)]}, ("components", "below_minimum")),
    ]:
        with pytest.raises(ValidationError) as info:
            catalog.create_records(
                session, admin, "product", [{"sku": "GIFT2", "name_zh": "x", "is_bundle": True, **bad}]
            )
        assert expected in codes(info.value)
    assert count(session, Product) == 3


def test_category_paths_build_a_tree(session, admin):
    leaf = catalog.ensure_category_path(session, admin, "服装/女装/T恤")
    again = catalog.ensure_category_path(session, admin, "服装 / 女装 / T恤")
    assert leaf.id == again.id and leaf.path == "服装/女装/T恤"
    assert count(session, Category) == 3
    other = catalog.ensure_category_path(session, admin, "童装/女装")
    assert other.id != leaf.parent_id


def test_company_settings_are_validated(session, admin):
    company = get_company(session)
    assert (company.base_currency, company.timezone, company.vat_rate) == (
        "CNY",
        "Asia/Shanghai",
        Decimal("0.13"),
    )
    with pytest.raises(ValidationError) as info:
        setup_company(session, admin, timezone="Mars/Olympus", vat_rate="1.5", base_currency="ZZZ")
    assert codes(info.value) == {
        ("timezone", "unknown_timezone"),
        ("vat_rate", "above_maximum"),
        ("base_currency", "unknown_currency"),
    }
    setup_company(session, admin, phone="021-12345678")
    assert get_company(session).phone == "021-12345678"


def test_exchange_rates_by_date(session, admin):
    set_exchange_rates(
        session,
        admin,
        [
            {"currency": "USD", "rate_date": "2026-01-01", "rate": "7.10"},
            {"currency": "USD", "rate_date": "2026-02-01", "rate": "7.20"},
        ],
    )
    assert rate_on(session, "USD", dt.date(2026, 1, 15)) == Decimal("7.10")
    assert rate_on(session, "USD", dt.date(2026, 3, 1)) == Decimal("7.20")
    assert rate_on(session, "CNY", dt.date(2026, 3, 1)) == Decimal(1)
    with pytest.raises(NotFound):
        rate_on(session, "USD", dt.date(2025, 12, 31))
    with pytest.raises(ValidationError) as info:
        set_exchange_rates(
            session,
            admin,
            [
                {"currency": "USD", "rate_date": "2026-13-01", "rate": "7"},
                {"currency": "XXX", "rate_date": "2026-01-01", "rate": "-1"},
            ],
        )
    assert [p.line for p in info.value.problems] == [1, 2, 2]


def test_customer_buyer_ids_per_shop(session, admin):
    catalog.create_shop(session, admin, code="TB1", name="淘宝店", platform="taobao")
    catalog.create_customer(session, admin, code="C1", name="张三", region="浙江")
    catalog.create_customer(session, admin, code="C2", name="李四")
    first = link_customer_account(session, admin, "C1", "TB1", "tb_zhangsan")
    assert link_customer_account(session, admin, "C1", "TB1", "tb_zhangsan").id == first.id
    with pytest.raises(ValidationError):
        link_customer_account(session, admin, "C2", "TB1", "tb_zhangsan")


def test_paging_and_search_happen_in_sql(session, admin):
    catalog.create_records(
        session, admin, "product", [{"sku": f"P{i:04d}", "name_zh": f"商品{i}"} for i in range(120)]
    )
    page = catalog.list_records(session, admin, "product", offset=100, limit=50)
    assert page.total == 120 and len(page.rows) == 20 and page.page_count == 3
    assert catalog.list_records(session, admin, "product", search="P011").total == 10
    assert catalog.list_records(session, admin, "product", search="%").total == 0


def test_renaming_or_moving_a_category_updates_paths_below_it(session, admin):
    leaf = catalog.ensure_category_path(session, admin, "服装/女装/T恤")
    catalog.update_record(session, admin, "category", "服装", {"name_zh": "服饰"})
    assert session.get(Category, leaf.id).path == "服饰/女装/T恤"
    catalog.ensure_category_path(session, admin, "特价")
    catalog.update_record(session, admin, "category", "服装/女装", {"parent": "特价"})
    assert session.get(Category, leaf.id).path == "特价/女装/T恤"
    with pytest.raises(ValidationError):
        catalog.update_record(session, admin, "category", "特价", {"parent": "特价"})


def test_blank_optional_fields_mean_not_given(session, admin):
    supplier = catalog.create_supplier(
        session, admin, code="S1", name="供应商", currency="", lead_time_days=""
    )
    assert (supplier.currency, supplier.lead_time_days) == ("CNY", 7)
    catalog.update_record(session, admin, "supplier", "S1", {"currency": "USD", "phone": ""})
    catalog.update_record(session, admin, "supplier", "S1", {"currency": " "})
    assert session.get(type(supplier), supplier.id).currency == "USD"


def test_pick_lists_offer_active_records_warehouses_by_priority(session, admin, actor_with_role):
    sh = catalog.create_warehouse(session, admin, code="SH", name="上海仓", priority=20)
    gz = catalog.create_warehouse(session, admin, code="GZ", name="广州仓", priority=10)
    catalog.create_warehouse(session, admin, code="CD", name="成都仓", priority=5)
    catalog.set_active(session, admin, "warehouse", "CD", False)
    catalog.create_supplier(session, admin, code="S2", name="乙")
    catalog.create_supplier(session, admin, code="S1", name="甲")
    clerk = actor_with_role("order_clerk")
    assert catalog.choices(session, clerk, "warehouse") == [("GZ 广州仓", gz.id), ("SH 上海仓", sh.id)]
    assert [label for label, _ in catalog.choices(session, clerk, "supplier", separator=" · ")] == [
        "S1 · 甲",
        "S2 · 乙",
    ]
    catalog.create_product(session, admin, sku="CUP", name_zh="杯子")
    assert [label for label, _ in catalog.choices(session, clerk, "product")] == ["CUP 杯子"]
    with pytest.raises(NotFound):
        catalog.choices(session, clerk, "planet")


def test_a_record_is_found_by_its_key_active_or_not(session, admin):
    shanghai = catalog.create_warehouse(session, admin, code="SH", name="上海仓")
    tee = catalog.create_product(session, admin, sku="TEE-001", name_zh="纯棉T恤")
    catalog.set_active(session, admin, "product", "TEE-001", False)
    assert catalog.record_id(session, admin, "warehouse", "SH") == shanghai.id
    assert catalog.record_id(session, admin, "product", "TEE-001") == tee.id
    with pytest.raises(NotFound) as missing:
        catalog.record_id(session, admin, "shop", "TB")
    assert missing.value.message("en") == "No shop 'TB'"
    with pytest.raises(PermissionDenied):
        catalog.record_id(session, Actor(None, "nobody", "custom", frozenset()), "warehouse", "SH")
