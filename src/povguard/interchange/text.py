"""SPEC §3 text forms of typed values, as vectorised Polars expressions."""

from __future__ import annotations

import polars as pl


def cents_to_text(cents: pl.Expr) -> pl.Expr:
    """Integer cents as yuan with exactly 2 decimals ("-0.50", "7260.00")."""
    magnitude = cents.abs()
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        sign,
        (magnitude // 100).cast(pl.String),
        pl.lit("."),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )


def days_to_text(days: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 as YYYY-MM-DD."""
    return days.cast(pl.Int32).cast(pl.Date).dt.strftime("%Y-%m-%d")


def bool_to_text(flag: pl.Expr) -> pl.Expr:
    return pl.when(flag).then(pl.lit("true")).when(~flag).then(pl.lit("false"))
