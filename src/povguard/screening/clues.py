"""Turn the engine's rows into SPEC §6 clues: rules, category, pc_income, line, evidence."""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from povguard.core.errors import BadInput
from povguard.screening.compiler import fact_columns
from povguard.screening.rules import RULES, ColumnKind

CLUE_COLUMNS = ("household_id", "category", "rules", "pc_income", "line", "evidence")


def format_cents(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def pc_income_cents(numerator: int, denominator: int) -> int:
    """numerator ÷ denominator cents, rounded half away from zero (output only)."""
    magnitude = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -magnitude if numerator < 0 else magnitude


def plain_number(cents: int) -> str:
    """A money amount as a plain number: 7260, 6600.5, 6600.25."""
    text = format(Decimal(cents).scaleb(-2).normalize(), "f")
    return text


def _evidence(row: dict[str, Any], fired: list[str], kinds: dict[str, ColumnKind]) -> str:
    evidence: dict[str, dict[str, Any]] = {}
    for rule in RULES:
        if rule.code not in fired:
            continue
        items: dict[str, Any] = {}
        for column in rule.evidence:
            value = row[column]
            if value is None:
                continue
            if kinds[column] is ColumnKind.MONEY:
                value = format_cents(value)
            elif kinds[column] is ColumnKind.IDS:
                value = str(value).split(",")
            items[column] = value
        evidence[rule.code] = items
    return json.dumps(evidence, ensure_ascii=False, separators=(",", ":"))


def build_clues(rows: pa.Table) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(clues, households whose income data are missing), both sorted by household_id."""
    kinds = fact_columns()
    codes = [rule.code for rule in RULES]
    clues: list[dict[str, Any]] = []
    missing: list[tuple[str, str]] = []
    for row in rows.to_pylist():
        if not row["income_known"]:
            missing.append((row["hh"], row["village"]))
        fired = [code for code in codes if row[code.lower()]]
        if not fired:
            continue
        known = row["income_known"]
        pc = format_cents(pc_income_cents(row["pc_num"], row["pc_den"])) if known else ""
        clues.append(
            {
                "household_id": row["hh"],
                "category": row["category"],
                "rules": ";".join(fired),
                "pc_income": pc,
                "line": plain_number(row["line_c"]),
                "evidence": _evidence(row, fired, kinds),
                "village_code": row["village"],
                "in_open_case": bool(row["in_case"]),
                "to_verify": row["assets_ids"] or "",
            }
        )
    schema: dict[str, type[pl.DataType]] = dict.fromkeys(
        (*CLUE_COLUMNS, "village_code", "to_verify"), pl.String
    )
    schema["in_open_case"] = pl.Boolean
    frame = pl.DataFrame(clues, schema=schema).sort("household_id")
    gaps = pl.DataFrame(
        missing, schema={"household_id": pl.String, "village_code": pl.String}, orient="row"
    ).sort("household_id")
    return frame, gaps


def write_atomically(frame: pl.DataFrame, out: Path, *, fmt: str | None = None) -> None:
    """Write CSV or Parquet to a temporary name beside `out`, then rename: never a partial file."""
    kind = fmt or ("parquet" if out.suffix == ".parquet" else "csv")
    if kind not in ("csv", "parquet"):
        raise BadInput(f"unknown output format {kind!r} (csv or parquet)")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"{out}: folder {folder} does not exist")
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    os.close(handle)
    try:
        if kind == "csv":
            frame.write_csv(temporary)
        else:
            frame.write_parquet(temporary)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
