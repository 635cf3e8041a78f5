from decimal import Decimal

import pytest

from ecerp_core.money import parse_decimal, parse_money, round_money


def test_round_half_up_to_the_currency_minor_unit():
    assert round_money(Decimal("2.345"), "CNY") == Decimal("2.35")
    assert round_money(Decimal("-2.345"), "CNY") == Decimal("-2.35")
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert round_money("0.005") == Decimal("0.01")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,299.00", "1299.00"),
        ("￥12", "12"),
        (" 3 ", "3"),
        ("(5.10)", "-5.10"),
        ("CNY 7.5", "7.5"),
        (4, "4"),
        ("１２．５", "12.5"),
        ("￥1，299.00", "1299.00"),
        ("$5", "5"),
        (Decimal("-2.50"), "-2.50"),
    ],
)
def test_parse_decimal_reads_what_sellers_write(text, expected):
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize(
    "bad", ["abc", "", " ", "¥", "1.2.3", "NaN", "inf", "1e15", 1.5, None, True, Decimal("NaN")]
)
def test_parse_decimal_refuses_non_numbers_and_floats(bad):
    with pytest.raises(ValueError):
        parse_decimal(bad)


def test_parse_money_refuses_fractions_of_a_cent():
    assert parse_money("12.5") == Decimal("12.50")
    with pytest.raises(ValueError, match="more decimals"):
        parse_money("12.345")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", "12.50"),
        (" 7 ", "7"),
        ("１２", "12"),
        ("٣.٥٠", "3.50"),
        ("1_000", "1000"),
        ("￥1,299.50", "1299.50"),
    ],
)
def test_a_number_keeps_its_digits_however_it_is_written(text, expected):
    # a plain number reads straight through Decimal, the rest after cleaning: the same digits either way
    assert str(parse_decimal(text)) == expected
