"""Bulk inserts given column by column (``db.insert_columns``): what an import writes."""

from __future__ import annotations

from sqlalchemy import select

from ecerp_core.catalog.models import Currency
from ecerp_core.db import _one_literal, insert_columns


def test_a_value_every_row_shares_reads_back_as_given(session):
    """On SQLite a column holding one value in every row is written into the statement as a
    literal: quotes, percent signs and question marks stay text, NULLs and flags stay what they were."""
    codes = ["QQA", "QQB", "QQC"]
    insert_columns(
        session,
        Currency,
        {
            "code": codes,
            "name_zh": ["it's 50% off? 半价"] * 3,
            "name_en": [""] * 3,
            "minor_unit": [2, 2, 2],
            "active": [True, True, True],
        },
    )
    stmt = select(Currency.code, Currency.name_zh, Currency.name_en, Currency.minor_unit, Currency.active)
    rows = session.execute(stmt.where(Currency.code.in_(codes)).order_by(Currency.code)).all()
    assert [tuple(r) for r in rows] == [(c, "it's 50% off? 半价", "", 2, True) for c in codes]


def test_only_alike_plain_values_are_one_literal():
    assert _one_literal(["a", "a"]) and _one_literal([None, None]) and _one_literal([0.5, 0.5])
    assert not _one_literal([1, 1.0, True])  # equal, not alike
    assert not _one_literal(["a", "b"])
    assert not _one_literal([float("inf")] * 2)  # no literal for it
    assert not _one_literal([b"x", b"x"])
