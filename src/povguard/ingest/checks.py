"""Checks across rows and files: keys, ID numbers against birth dates, overlapping income
periods, water keys, and references to the registry (the files being imported plus the
database)."""

from __future__ import annotations

import polars as pl

from povguard.ingest.validate import Table


def _flag(table: Table, rows: pl.DataFrame, column: str, reason: pl.Expr | str) -> None:
    table.add_errors(
        rows.select(
            pl.lit(str(table.path)).alias("file"),
            pl.col("_line").alias("line"),
            pl.lit(column).alias("column"),
            pl.col(column).cast(pl.String).alias("value"),
            (pl.lit(reason) if isinstance(reason, str) else reason).alias("reason"),
        )
    )


def birth_dates_match_ids(members: Table) -> None:
    frame = members.frame.filter(
        pl.col("id_number").str.contains(r"^\d{17}[\dX]$")
        & pl.col("birth_date").str.contains(r"^\d{4}-\d{2}-\d{2}$")
    )
    bad = frame.filter(
        pl.col("id_number").str.slice(6, 8) != pl.col("birth_date").str.replace_all("-", "")
    )
    _flag(members, bad, "birth_date", "differs from the birth date in the ID number")


def income_periods(income: Table, stored: pl.DataFrame | None) -> None:
    """period_end ≥ period_start, and no two periods of a household overlap."""
    frame = income.frame.filter(
        pl.col("period_start").str.contains(r"^\d{4}-(0[1-9]|1[0-2])$")
        & pl.col("period_end").str.contains(r"^\d{4}-(0[1-9]|1[0-2])$")
    )
    _flag(income, frame.filter(pl.col("period_end") < pl.col("period_start")), "period_end",
          "ends before it starts")  # fmt: skip
    rows = frame.select("household_id", "period_start", "period_end", "_line")
    if stored is not None and stored.height:
        kept = stored.join(rows, on=["household_id", "period_start"], how="anti")
        no_line = pl.lit(None, dtype=pl.Int64).alias("_line")
        rows = pl.concat([rows, kept.select("household_id", "period_start", "period_end", no_line)])
    ordered = rows.sort("household_id", "period_start").with_columns(
        pl.col("period_end").shift(1).over("household_id").alias("_prev_end"),
        pl.col("period_start").shift(1).over("household_id").alias("_prev_start"),
        pl.col("_line").shift(1).over("household_id").alias("_prev_line"),
    )
    overlapping = ordered.filter(
        (pl.col("_prev_end") >= pl.col("period_start")) & pl.col("_line").is_not_null()
    )
    reason = pl.format(
        "overlaps the period starting {} ({})",
        pl.col("_prev_start"),
        pl.when(pl.col("_prev_line").is_null())
        .then(pl.lit("already stored"))
        .otherwise(pl.format("line {}", pl.col("_prev_line"))),
    )
    _flag(income, overlapping, "period_start", reason)


def water_keys(water: Table) -> None:
    both = pl.col("household_id").is_not_null() & pl.col("village_code").is_not_null()
    neither = pl.col("household_id").is_null() & pl.col("village_code").is_null()
    _flag(water, water.frame.filter(both | neither), "household_id",
          "exactly one of household_id and village_code must be filled")  # fmt: skip


def references(table: Table, column: str, known: pl.Series, what: str) -> None:
    """Rows whose `column` is not among `known` (the file's and the database's keys)."""
    frame = table.frame.filter(
        pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode())
    )
    _flag(table, frame, column, f"unknown {what}")


def in_household(members: Table) -> pl.Expr:
    """Whether a member row is in its household (`in_household` true)."""
    return members.as_text("in_household") == "true"


def ids_in_other_households(members: Table, stored: pl.DataFrame) -> None:
    """An in-household row's ID number stored for another member in a household, which the
    file leaves there (a person who moved keeps a row out of the old household)."""
    if not stored.height:
        return
    staying = stored.filter(pl.col("in_household") == "true").join(
        members.frame.select("member_id"), on="member_id", how="anti"
    )
    clash = members.frame.filter(in_household(members)).join(
        staying, on="id_number", how="inner", suffix="_stored"
    )
    _flag(members, clash, "id_number",
          pl.format("ID number already stored for member {} of household {}",
                    pl.col("member_id_stored"), pl.col("household_id_stored")))  # fmt: skip


def outside_scope(table: Table, located: pl.DataFrame, scope_prefix: str) -> None:
    """Rows about a region, household or person outside the importer's region subtree.

    `located` has each row's `_line`, `_column`, `_value` and `_village` (null: unknown,
    which the reference checks or the unmatched list handle)."""
    outside = located.filter(
        pl.col("_village").is_not_null() & ~pl.col("_village").str.starts_with(scope_prefix)
    )
    table.add_errors(
        outside.select(
            pl.lit(str(table.path)).alias("file"),
            pl.col("_line").alias("line"),
            pl.col("_column").alias("column"),
            pl.col("_value").cast(pl.String).alias("value"),
            pl.format("outside your region (in {})", pl.col("_village")).alias("reason"),
        )
    )
