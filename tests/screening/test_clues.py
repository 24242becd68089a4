"""Clue formatting: the evidence JSON equals a plain-Python encoding of the engine's rows."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from povguard.policy.service import load_policy
from povguard.screening.clues import build_clues, format_cents
from povguard.screening.compiler import fact_columns
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
        return value.split(",")
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
