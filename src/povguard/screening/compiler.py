"""Compile the rule declarations into one SQL query (DuckDB dialect) and transpile it.

The query reads only the screening frame (`frame.py`) and returns one row per household that
hits a rule or lacks income data, with one boolean column per rule, the category, the exact
pc_income fraction (`pc_num` / `pc_den`, cents) and every evidence column.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot

from povguard.screening.rules import CATEGORY, FACTS, KNOWN_INCOME, RULES, ColumnKind
from povguard.screening.window import Window

PRELUDE = (
    "pm AS (SELECT hh, mid, pid, birth_ymd, labour FROM mem WHERE inh)",
    "hp AS (SELECT h.hh, h.hid, h.village, h.formerly_poor, h.monitored, h.in_case, p.*"
    " FROM hh h JOIN params p ON p.prov = h.prov)",
)


def fact_columns() -> dict[str, ColumnKind]:
    """Every fact column as the rules see it (`<fact>_<column>`), with its kind."""
    return {
        f"{fact.name}_{column}": kind
        for fact in FACTS.values()
        for column, kind in fact.columns.items()
    }


def _scored() -> str:
    selected = ["hp.*"]
    joins = []
    for fact in FACTS.values():
        alias = f"x_{fact.name}"
        joins.append(f"LEFT JOIN {alias} ON {alias}.hh = hp.hh")
        for column in fact.columns:
            value = f"{alias}.{column}"
            default = fact.default(column)
            if default != "NULL":
                value = f"CAST(coalesce({value}, {default}) AS BIGINT)"
            selected.append(f"{value} AS {fact.name}_{column}")
    return f"scored AS (SELECT {', '.join(selected)} FROM hp {' '.join(joins)})"


def _judged() -> str:
    verdicts = [f"coalesce(({rule.fires}), false) AS {rule.code.lower()}" for rule in RULES]
    return (
        f"judged AS (SELECT scored.*, {', '.join(verdicts)}, {CATEGORY} AS category,"
        f" ({KNOWN_INCOME}) AS income_known FROM scored)"
    )


def output_columns() -> list[str]:
    evidence = sorted({column for rule in RULES for column in rule.evidence})
    return [
        "hh",
        "village",
        "in_case",
        "category",
        *[rule.code.lower() for rule in RULES],
        "income_known",
        "pc_num",
        "pc_den",
        "line_c",
        "assets_ids",
        *[column for column in evidence if column != "assets_ids"],
    ]


@lru_cache(maxsize=4)
def _template() -> str:
    facts = [f"x_{fact.name} AS ({fact.sql})" for fact in FACTS.values()]
    any_rule = " OR ".join(rule.code.lower() for rule in RULES)
    projection = []
    for column in output_columns():
        if column == "hh":
            projection.append("hid AS hh")
        elif column == "pc_num":
            projection.append("CAST(inc_s_c * 12 AS BIGINT) AS pc_num")
        elif column == "pc_den":
            projection.append("CAST(inc_m * size_n AS BIGINT) AS pc_den")
        else:
            projection.append(column)
    ctes = ",\n".join([*PRELUDE, *facts, _scored(), _judged()])
    return (
        f"WITH {ctes}\nSELECT {', '.join(projection)} FROM judged"
        f" WHERE {any_rule} OR NOT income_known"
    )


def compile_screening(window: Window, dialect: str = "duckdb") -> str:
    """The screening query for date D in `dialect` (written once, transpiled by sqlglot)."""
    sql = _template().format(**window.constants())
    if dialect == "duckdb":
        return sql
    return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=False)[0]
