import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from ecerp_core.audit import AuditLog
from ecerp_core.catalog import services as catalog
from ecerp_core.catalog.importers import import_file
from ecerp_core.catalog.models import Category, CustomerAccount, Product, Supplier
from ecerp_core.errors import ImportFileError, PermissionDenied

PRODUCTS = """sku,name,price,cost,barcode,category
TEE-001,纯棉T恤 白色 M,59.00,22.50,6901234567892,服装/T恤
TEE-002,纯棉T恤 黑色 M,59.00,22.50,6901234567908,服装/T恤
MUG-01,陶瓷马克杯,29.9,8,,家居/杯具
BAD 1,坏SKU,abc,,,
TEE-001,重复,1,1,,
SOCK-1,袜子,-5,1,,服装
DUPBAR,条码重复,5,1,6901234567892,
"""


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_products_import_reports_rows_with_line_numbers(session, admin):
    report = import_file(session, admin, "product", PRODUCTS.encode(), name="p.csv")
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert [(r.line, r.file) for r in report.rejected] == [
        (5, "p.csv"),
        (6, "p.csv"),
        (7, "p.csv"),
        (8, "p.csv"),
    ]
    assert "not a number" in report.rejected[0].reason or "不是数字" in report.rejected[0].reason
    tee = session.scalar(select(Product).where(Product.sku == "TEE-001"))
    assert (tee.list_price, tee.cost, tee.category.path) == (Decimal("59.00"), Decimal("22.50"), "服装/T恤")
    assert count(session, Product) == 3
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")) == 3


def test_reimporting_changes_nothing_and_a_newer_file_updates(session, admin):
    import_file(session, admin, "product", PRODUCTS.encode(), name="p.csv")
    audit_rows = count(session, AuditLog)
    again = import_file(session, admin, "product", PRODUCTS.encode(), name="p.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert count(session, AuditLog) == audit_rows
    newer = import_file(
        session,
        admin,
        "product",
        b"sku,name,price\nMUG-01,\xe9\x99\xb6\xe7\x93\xb7\xe9\xa9\xac\xe5\x85\x8b\xe6\x9d\xaf,32.00\n",
        name="n.csv",
    )
    assert (newer.created, newer.updated) == (0, 1)
    assert session.scalar(select(Product.list_price).where(Product.sku == "MUG-01")) == Decimal("32.00")


def test_gbk_files_with_chinese_headers_and_excel_armour(session, admin):
    text = '商家编码,商品名称,售价,条码,分类\n="A-001",保温杯,"1,299.00",\'6901234567892,家居\n'
    report = import_file(session, admin, "product", text.encode("gbk"), name="商品.csv")
    assert (report.created, report.rejected) == (1, [])
    product = session.scalar(select(Product))
    assert (product.sku, product.list_price, product.barcode) == (
        "A-001",
        Decimal("1299.00"),
        "6901234567892",
    )


def test_xlsx_import_and_bundles(session, admin):
    wb = Workbook()
    ws = wb.active
    ws.append(["SKU", "Name", "Price", "Components"])
    ws.append(["CUP", "杯子", 10, None])
    ws.append(["LID", "杯盖", 2, None])
    ws.append(["GIFT", "礼盒", 25, "CUP*2; LID"])
    ws.append(["BADKIT", "坏礼盒", 25, "NOPE*1"])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_file(session, admin, "product", buf.getvalue(), name="products.xlsx")
    assert report.created == 4
    assert [r.line for r in report.rejected] == [5]
    gift = catalog.get_record(session, admin, "product", "GIFT")
    assert gift["is_bundle"] and gift["components"] == [("CUP", 2), ("LID", 1)]


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (bytes(range(256)) * 4, "random.csv", "NUL bytes"),
        (b"", "empty.csv", "empty"),
        (
            b"foo,bar\n1,2\n",
            "nocols.csv",
            "required columns are missing: SKU (sku), Name (Chinese) (name_zh)",
        ),
        (b"\xfa\xfb,\x81\x30\xfa\xfb\n", "enc.csv", "encoding"),
        (b"sku,name\nA,b\n", "products.pdf", "unsupported file type"),
        (b"PK\x03\x04broken", "broken.xlsx", "cannot be read"),
        (b"sku,sku,name\n", "dup.csv", "duplicate column"),
    ],
)
def test_unusable_files_raise_one_clear_error_and_write_nothing(session, admin, data, name, reason):
    from ecerp_core.i18n import set_language

    set_language("en")
    with pytest.raises(ImportFileError) as info:
        import_file(session, admin, "product", data, name=name)
    assert reason in info.value.message("en") and name in info.value.message("en")
    assert count(session, Product) == 0 and count(session, Category) == 0


def test_missing_file(session, admin, tmp_path):
    with pytest.raises(ImportFileError) as info:
        import_file(session, admin, "product", tmp_path / "nope.csv")
    assert info.value.message("en") == "File nope.csv cannot be imported: the file does not exist"
    assert info.value.message("zh_CN") == "文件 nope.csv 无法导入：文件不存在"


def test_import_needs_permission(session, actor_with_role):
    with pytest.raises(PermissionDenied):
        import_file(session, actor_with_role("warehouse_clerk"), "product", PRODUCTS.encode(), name="p.csv")
    assert count(session, Product) == 0


def test_suppliers_and_customers(session, admin):
    catalog.create_shop(session, admin, code="TB1", name="淘宝店", platform="taobao")
    suppliers = (
        "供应商编码,供应商名称,币种,交货周期,最小起订量\n"
        "S1,义乌工厂,CNY,7,100\n"
        "S2,US Co,XYZ,3,1\n"
        "S3,坏的,CNY,abc,0\n"
    )
    report = import_file(session, admin, "supplier", suppliers.encode(), name="s.csv")
    assert report.created == 1 and [r.line for r in report.rejected] == [3, 4]
    assert session.scalar(select(Supplier.lead_time_days)) == 7
    report = import_file(
        session,
        admin,
        "customer",
        "code,name,province,shop,buyer_id\nC1,张三,浙江,TB1,tb_zs\nC2,李四,江苏,NOPE,x\n".encode(),
        name="c.csv",
    )
    assert report.created == 2 and [r.line for r in report.rejected] == [3]
    assert session.scalar(select(CustomerAccount.buyer_id)) == "tb_zs"
