"""Clue formatting: the evidence JSON equals a plain-Python encoding of the engine's rows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa

from povguard.policy.service import load_policy
from povguard.screening.clues import build_clues, format_cents
from povguard.screening.compiler import fact_columns, output_columns
from povguard.screening.dataset import locate
from povguard.screening.engines.duckdb import DuckDBEngine
from povguard.screening.params import param_row
from povguard.screening.rules import RULES, ColumnKind
from povguard.screening.window import Window
from tests.conftest import EXAMPLES

DATASET = EXAMPLES / "screening-yunnan-2024"
AS_OF = dt.date(2024, 7, 15)


def _value(value: Any, kind: ColumnKind) -> Any:
    if value is None:
        return None
    if kind is ColumnKind.MONEY:
        return format_cents(value)
    if kind is ColumnKind.IDS:
        return sorted(value.split(","))
    return value


def _expected_evidence(row: dict[str, Any]) -> str:
    kinds = fact_columns()
    evidence = {
        rule.code: {column: _value(row[column], kinds[column]) for column in rule.evidence}
        for rule in RULES
        if row[rule.code.lower()]
    }
    return json.dumps(evidence, ensure_ascii=False, separators=(",", ":"))


def test_evidence_lists_the_figures_of_every_rule_that_fired_and_no_other() -> None:
    engine = DuckDBEngine()
    try:
        engine.load(locate(DATASET))
        book = load_policy(DATASET / "policy.yaml")
        params = [param_row(entry) for entry in book.for_provinces(engine.provinces(), 2024)]
        rows = engine.screen(Window(AS_OF), params)
    finally:
        engine.close()
    clues, _ = build_clues(rows)
    by_household = {row["hh"]: row for row in rows.to_pylist()}
    expected = [_expected_evidence(by_household[h]) for h in clues["household_id"]]
    assert clues["evidence"].to_list() == expected
    assert clues.height == 438 and any(e.count('":{') > 2 for e in expected)  # several rules


def _engine_row(**values: Any) -> dict[str, Any]:
    """One row as the rule query returns it: no rule fired, no figures, but `values`."""
    kinds = fact_columns()
    row: dict[str, Any] = {
        column: "" if kinds[column] in (ColumnKind.IDS, ColumnKind.TEXT) else 0
        for column in output_columns()
        if column in kinds
    }
    row.update({rule.code.lower(): False for rule in RULES})
    row.update(hh="H1", hh_order="H1", village="530102001001", in_case=False)
    row.update(category="sudden_difficulty")
    row.update(income_known=True, pc_num=1200000, pc_den=12, line_c=600000)
    return {**row, **values}


def test_record_ids_come_from_the_engine_in_any_order_and_are_shown_sorted() -> None:
    rows = pa.Table.from_pylist(
        [_engine_row(r13=True, disab_ids="DIS9,DIS10,DIS2", assets_ids="AS3,AS1")]
    )
    clues, _ = build_clues(rows)
    assert json.loads(clues["evidence"][0]) == {"R13": {"disab_ids": ["DIS10", "DIS2", "DIS9"]}}
    assert clues["to_verify"][0] == "AS1,AS3"
