"""``ecerp finance statements`` as text: columns aligned under their heads (Chinese labels take two
terminal columns), every amount with two decimals (issue 11, defect 18)."""

from __future__ import annotations

from decimal import Decimal

from ecerp_core.cli.finance import statement_text
from ecerp_core.cli.output import width


def test_statement_text_is_aligned_and_every_amount_has_two_decimals():
    section = {
        "columns": ["this_period", "year_to_date"],
        "lines": [
            {"label": "一、营业收入", "this_period": Decimal("1234.5"), "year_to_date": Decimal("98765.43")},
            {"label": "税金及附加", "this_period": 0, "year_to_date": None},
            {"label": "IV. Net profit", "this_period": Decimal("-7"), "year_to_date": Decimal("0")},
        ],
    }
    head, *rows = statement_text(section)
    assert rows[0].split()[-2:] == ["1,234.50", "98,765.43"]
    assert rows[1].split()[-1] == "0.00" and "None" not in rows[1]
    assert rows[2].split()[-2:] == ["-7.00", "0.00"]
    assert {width(r) for r in [head, rows[0], rows[2]]} == {width(head)}  # amounts end under their heads
