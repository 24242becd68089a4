"""The compiled rule query: its shape where it matters for the engines' cost."""

from __future__ import annotations

import datetime as dt
import re

import sqlglot
from sqlglot import exp

from povguard.screening.compiler import compile_screening
from povguard.screening.window import Window


def test_the_wide_household_rows_are_read_once_so_no_engine_stores_them() -> None:
    # DuckDB materialises a CTE that several queries read; `hp` carries every parameter.
    query = sqlglot.parse_one(compile_screening(Window(dt.date(2024, 7, 15))), read="duckdb")
    readers = [t for t in query.find_all(exp.Table) if t.name == "hp"]
    assert len(readers) == 1


def test_record_ids_are_aggregated_without_sorting() -> None:
    query = compile_screening(Window(dt.date(2024, 7, 15)))
    assert "string_agg(" in query and not re.search(r"list_sort|ORDER BY", query)
