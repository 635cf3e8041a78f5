"""Base Data in plain pytest: build the view, fill the form, press the buttons, check the database."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select

from ecerp_core.auth import resolve_actor
from ecerp_core.catalog import services
from ecerp_core.catalog.models import Product, Shop, Warehouse
from ecerp_core.db import session_scope
from widgets.base_data import app as base_data
from widgets.base_data.model import ENTITY_ORDER


def fill(view, **values) -> None:
    for name, value in values.items():
        view.form.inputs[name].input.value = value


def product(db, sku: str) -> SimpleNamespace | None:
    """The stored product, read in a session of its own (the app's sessions are separate)."""
    with session_scope(db, readonly=True) as session:
        obj = session.scalar(select(Product).where(Product.sku == sku))
        if obj is None:
            return None
        return SimpleNamespace(**{c.key: getattr(obj, c.key) for c in Product.__table__.columns})


def test_first_screen_is_chinese_with_an_empty_new_product_form(db):
    view = base_data.build()
    assert view.i18n.language == "zh_CN"
    assert view.form_title.value == "新建商品"
    assert view.save_button.description == "保存"
    assert [label for label, _ in view.entity_tabs.options] == [
        "商品",
        "供应商",
        "客户",
        "仓库",
        "店铺",
        "分类",
    ]
    assert view.grid.table.columns[0]["label"] == "SKU 编码"
    assert view.active_button.layout.visibility == "hidden"


def test_create_shows_problems_next_to_fields_then_saves_when_fixed(db):
    view = base_data.build("admin", "en")
    fill(view, sku="TEE 001", name_zh="", list_price="12.345")
    view.save(view.save_button)
    assert view.form.messages() == {
        "sku": (
            "SKU 'TEE 001' may only hold letters, digits and . _ - / # + "
            "and must start with a letter or digit"
        ),
        "name_zh": "Name (Chinese) is required",
        "list_price": "List price '12.345' has too many decimals (at most 2)",
    }
    assert (
        view.alerts.kind == "error"
        and view.alerts.text == "The input has 3 problem(s); see the messages under the fields."
    )
    assert product(db, "TEE 001") is None

    fill(view, sku="TEE-001", name_zh="纯棉T恤", list_price="59.00", spec="颜色: 白色")
    view.save(view.save_button)
    assert view.form.messages() == {}
    assert view.alerts.kind == "success" and view.alerts.text == "Created product 'TEE-001'"
    saved = product(db, "TEE-001")
    assert saved.list_price == Decimal("59.00") and saved.spec == {"颜色": "白色"} and saved.unit == "件"
    assert [r["key"] for r in view.grid.table.rows] == ["TEE-001"] and view.grid.table.selected == "TEE-001"
    assert view.form_title.value == "Edit product · TEE-001"


def test_edit_an_existing_record_from_the_grid(db):
    with session_scope(db) as session:
        services.create_product(session, resolve_actor(session), sku="MUG-1", name_zh="马克杯", cost="8.00")
    view = base_data.build("admin", "en")
    view.grid.table.click_row("MUG-1")
    assert (
        view.form.inputs["name_zh"].input.value == "马克杯" and view.form.inputs["cost"].input.value == "8.00"
    )
    fill(view, name_en="Mug", cost="abc")
    view.save(view.save_button)
    assert view.form.messages() == {"cost": "Cost 'abc' is not a number"}
    fill(view, cost="9.50")
    view.save(view.save_button)
    assert view.alerts.text == "Saved product 'MUG-1'"
    saved = product(db, "MUG-1")
    assert (saved.name_en, saved.cost) == ("Mug", Decimal("9.50"))


def test_deactivate_and_reactivate(db):
    with session_scope(db) as session:
        services.create_product(session, resolve_actor(session), sku="OLD-1", name_zh="旧款")
    view = base_data.build("admin", "zh_CN")
    view.open_record("OLD-1")
    assert view.active_button.description == "停用"
    view.toggle_active(view.active_button)
    assert not product(db, "OLD-1").active
    assert view.alerts.text == "已停用商品“OLD-1”" and view.active_button.description == "启用"
    assert "已停用" in view.form_title.value and view.grid.table.rows == []
    view.toggle_active(view.active_button)
    assert product(db, "OLD-1").active and [r["key"] for r in view.grid.table.rows] == ["OLD-1"]


def test_an_analyst_who_saves_sees_a_friendly_refusal_and_nothing_is_written(db, make_user):
    view = base_data.build(make_user("analyst"), "zh_CN")
    fill(view, sku="NOPE-1", name_zh="不该保存")
    view.save(view.save_button)
    assert view.alerts.kind == "error"
    assert view.alerts.text == "用户 analyst_user 没有“编辑基础资料”权限"
    assert "Traceback" not in view.alerts.value
    assert product(db, "NOPE-1") is None


def test_every_kind_of_record_can_be_listed_and_created(db):
    view = base_data.build("admin", "en")
    for name in ENTITY_ORDER:
        view.entity_tabs.value = name
        assert view.model.entity_name == name
        assert list(view.form.inputs) == [f.name for f in services.ENTITIES[name].fields]
        assert view.alerts.kind == ""
    view.entity_tabs.value = "warehouse"
    fill(view, code="SH", name="上海仓", priority="10")
    view.save(view.save_button)
    view.entity_tabs.value = "shop"
    assert "SH" in view.form.inputs["default_warehouse"].input.options
    fill(view, code="TB-1", name="淘宝旗舰店", platform="taobao", default_warehouse="SH")
    view.save(view.save_button)
    assert view.alerts.text == "Created shop 'TB-1'"
    assert view.grid.table.rows[0]["cells"][2] == "Taobao"  # choices read by their names
    with session_scope(db, readonly=True) as session:
        shop = session.scalar(select(Shop).where(Shop.code == "TB-1"))
        assert shop.default_warehouse_id == session.scalar(select(Warehouse.id).where(Warehouse.code == "SH"))
        assert shop.currency == "CNY"
    fill(view, name="淘宝旗舰店（新）", currency="")  # an empty currency leaves it as it is
    view.save(view.save_button)
    assert view.alerts.kind == "success" and view.model.record["currency"] == "CNY"


def test_choice_filter_on_customers(db):
    with session_scope(db) as session:
        admin = resolve_actor(session)
        services.create_records(
            session,
            admin,
            "customer",
            [{"code": "C1", "name": "张三", "tier": "gold"}, {"code": "C2", "name": "李四"}],
        )
    view = base_data.build("admin", "en")
    view.entity_tabs.value = "customer"
    assert list(view.filter_bar.choice_widgets) == ["tier"]
    view.filter_bar.choice_widgets["tier"].value = "gold"
    assert [r["key"] for r in view.grid.table.rows] == ["C1"]


def test_switching_language_relabels_the_whole_app_and_keeps_the_work(db):
    view = base_data.build("admin", "zh_CN")
    view.entity_tabs.value = "supplier"
    fill(view, code="S 1")
    view.save(view.save_button)
    assert view.form.messages()["code"].startswith("编码“S 1”")
    view.shell.language_switch.value = "en"
    assert view.entity_tabs.value == "supplier" and view.entity_tabs.label == "Suppliers"
    assert view.form_title.value == "New supplier"
    assert view.save_button.description == "Save" and view.filter_bar.search.placeholder.startswith("Search")
    assert view.grid.table.columns[0]["label"] == "Code"
    assert view.form.messages()["code"].startswith("Code 'S 1'")
    assert view.form.inputs["code"].input.value == "S 1"
    assert "Base Data" in view.shell.title.value and "lang=en" in view.shell.title.value
    assert view.alerts.kind == ""


def test_nothing_is_written_by_browsing(db):
    view = base_data.build("admin", "en")
    for name in ENTITY_ORDER:
        view.entity_tabs.value = name
    with session_scope(db, readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_bundle_components_are_edited_in_the_product_form(db, session, admin):
    services.create_product(session, admin, sku="CUP", name_zh="杯子")
    services.create_product(session, admin, sku="LID", name_zh="杯盖")
    session.commit()
    view = base_data.build("admin", "en")
    fill(view, sku="GIFT", name_zh="礼盒", is_bundle=True, components="CUP*2; NOPE*1")
    view.save(view.save_button)
    assert view.form.messages() == {"components": "Components 'NOPE' does not exist"}
    assert product(db, "GIFT") is None
    fill(view, components="CUP*2; LID")
    view.save(view.save_button)
    with session_scope(db, readonly=True) as s:
        assert services.get_record(s, admin, "product", "GIFT")["components"] == [("CUP", 2), ("LID", 1)]
    view.open_record("GIFT")
    assert view.form.inputs["components"].input.value == "CUP*2; LID*1"


def test_a_shop_is_set_to_prices_including_tax_in_its_form(db):
    view = base_data.build("admin", "en")
    view.entity_tabs.value = "shop"
    assert view.form.inputs["prices_include_tax"].input.value is False
    fill(view, code="ZA", name="ZA shop", platform="shopify", prices_include_tax=True)
    view.save(view.save_button)
    assert view.alerts.text == "Created shop 'ZA'"
    with session_scope(db, readonly=True) as session:
        assert session.scalar(select(Shop.prices_include_tax).where(Shop.code == "ZA")) is True
    fill(view, prices_include_tax=False)
    view.save(view.save_button)
    assert view.alerts.kind == "success" and view.model.record["prices_include_tax"] is False
