"""`povguard measures`: SPEC §11 income measures of a CSV of incomes, as JSON."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import typer

from povguard.core.errors import BadInput


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise BadInput(f"{where}: {text!r} is not a number") from exc
    if not math.isfinite(value):
        raise BadInput(f"{where}: {text!r} is not a finite number")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_incomes(path: Path, weights_column: str | None) -> tuple[list[float], list[float] | None]:
    """Incomes (the only column, or the one named `income`) and optional weights."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError as exc:
        raise BadInput(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{path}: not UTF-8 text") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if rows and len(rows[0]) == 1 and _is_number(rows[0][0]):
        rows.insert(0, ["income"])  # a bare column of numbers, without a header row
    if len(rows) < 2:
        raise BadInput(f"{path}: no incomes")
    header = [name.strip() for name in rows[0]]
    if "income" in header:
        income_at = header.index("income")
    elif len(header) == 1:
        income_at = 0
    else:
        raise BadInput(f"{path}: several columns and none named 'income'")
    weight_at = None
    if weights_column is not None:
        if weights_column not in header:
            raise BadInput(f"{path}: no weights column {weights_column!r}")
        weight_at = header.index(weights_column)
    incomes: list[float] = []
    weights: list[float] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise BadInput(f"{path}: line {line}: {len(row)} values for {len(header)} columns")
        incomes.append(_number(row[income_at].strip(), f"{path}: line {line}"))
        if weight_at is not None:
            weight = _number(row[weight_at].strip(), f"{path}: line {line}, {weights_column}")
            if weight < 0:
                raise BadInput(f"{path}: line {line}: negative weight {weight:g}")
            weights.append(weight)
    return incomes, (weights if weight_at is not None else None)


def measures(
    incomes: Path = typer.Option(..., "--incomes", help="CSV: one column, or one named income."),
    line: float = typer.Option(..., "--line", help="Poverty line z (same unit as the incomes)."),
    weights: str | None = typer.Option(
        None, "--weights", help="Column of person weights (e.g. household size)."
    ),
) -> None:
    """Headcount, gap, FGT(2), Watts, Sen, Gini and Theil T of an income file, as JSON."""
    from povguard.analytics.measures import summary

    values, person_weights = read_incomes(incomes, weights)
    typer.echo(json.dumps(summary(values, line, person_weights)))


def register(app: typer.Typer) -> None:
    app.command("measures")(measures)
