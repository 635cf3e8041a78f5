import re

import pytest

from ecerp_core.errors import PermissionDenied, ValidationError, problem
from ecerp_core.i18n import catalogue, set_language, t

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_both_catalogues_have_the_same_keys_and_placeholders():
    zh, en = catalogue("zh_CN"), catalogue("en")
    assert sorted(zh) == sorted(en)
    for key in zh:
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(en[key])), key
        assert zh[key].strip() and en[key].strip(), key


def test_translation_fills_parameters_and_translates_field_names():
    p = problem("sku", "duplicate", value="A1")
    assert p.message("zh_CN") == "SKU 编码“A1”已存在"
    assert p.message("en") == "SKU 'A1' already exists"


def test_errors_speak_both_languages():
    err = PermissionDenied(user="bob", permission="permission.catalog.write")
    assert err.message("en") == "User bob may not edit base data"
    assert err.message("zh_CN") == "用户 bob 没有“编辑基础资料”权限"
    err = ValidationError([problem("name", "required").at_line(3)])
    assert "line 3: Name is required" in err.message("en")


def test_unknown_language_is_refused_and_missing_keys_show_the_key():
    with pytest.raises(ValueError):
        set_language("fr")
    assert t("no.such.key", "en") == "no.such.key"


def test_an_error_raised_in_one_language_reads_right_in_the_other():
    from ecerp_core.errors import ImportFileError
    from ecerp_core.i18n import lazy

    set_language("zh_CN")
    error = ImportFileError(file="a.csv", reason=lazy("reason.empty"))
    assert error.message("en") == "File a.csv cannot be imported: the file is empty"
    assert error.message("zh_CN") == "文件 a.csv 无法导入：文件是空的"
