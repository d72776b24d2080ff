"""Money columns of order exports: ``259.00``, ``¥1,299.00``, ``￥59``, ``0元``."""
from __future__ import annotations

import polars as pl

MONEY = pl.Decimal(18, 2)
_DECORATION = r"[¥￥元,，\s]|^'|^RMB"
_NUMBER = r"^[+-]?\d+(?:\.\d+)?$"


def cleaned(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Utf8).str.replace_all(_DECORATION, "")


def amount(column: str) -> pl.Expr:
    """The value, 0 where the field is empty, null where it is not a number."""
    text = cleaned(column)
    return (
        pl.when(text.is_null() | (text == "")).then(pl.lit(0).cast(MONEY))
        .when(text.str.contains(_NUMBER)).then(text.cast(MONEY, strict=False))
        .otherwise(pl.lit(None, MONEY))
    )


def unreadable(column: str) -> pl.Expr:
    text = cleaned(column)
    return (text.is_not_null() & (text != "") & ~text.str.contains(_NUMBER)).fill_null(False)
