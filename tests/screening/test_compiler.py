"""The compiled rule query: its shape where it matters for the engines' cost."""

from __future__ import annotations

import datetime as dt
import re

import pytest
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


@pytest.mark.parametrize("only_prunes", [True, False])
def test_a_fact_computed_with_more_columns_keeps_its_own_values(
    only_prunes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The income fact's WHERE only prunes (`Fact.where_only_prunes`), so the one pass drops it;
    a fact whose WHERE matters has it as a FILTER of its aggregates: either way the rule query
    sees the fact's own values."""
    from dataclasses import replace

    from povguard.screening.compiler import fact_with_columns
    from povguard.screening.engines.duckdb import DuckDBEngine
    from povguard.screening.rules import FACTS

    monkeypatch.setitem(FACTS, "inc", replace(FACTS["inc"], where_only_prunes=only_prunes))
    window = Window(dt.date(2024, 7, 15))
    first = window.wp_lo - 3  # rows before W′, in W′, in W and after W
    rows = [(f"H{k % 4}", first + k, first + k + k % 3, 100 * k) for k in range(30)]
    rows.append(("H9", window.w_hi + 1, window.w_hi + 1, 5))  # no row the fact counts
    engine = DuckDBEngine(threads=1)
    try:
        types = {"hh": "VARCHAR", "s_mon": "INTEGER", "e_mon": "INTEGER", "net_c": "BIGINT"}
        engine.register_table("inc", types, rows)
        fused = fact_with_columns("inc", window, {"n": "count(*)"})
        assert ("FILTER" in fused) is not only_prunes
        own = engine.rows(f"{FACTS['inc'].sql.format(**window.constants())} ORDER BY hh")
        both = engine.rows(f"SELECT hh, m, s_c, mp, sp_c, n FROM ({fused}) AS f ORDER BY hh")
        # A household without rows for the fact has none of its values, or zeros: the rule
        # query's default either way, as when it has no row at all.
        absent = (0, 0, 0, 0) if only_prunes else (None, None, None, None)
        assert [row[:5] for row in both] == [*own, ("H9", *absent)]
        assert [row[5] for row in both] == [8, 8, 7, 7, 1]  # every row of each household
        assert all(FACTS["inc"].default(column) == "0" for column in FACTS["inc"].columns)
    finally:
        engine.close()
