"""Screening service: run rules R01–R16 over a dataset folder (SPEC §6, §13 `screen`)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from povguard.core.errors import BadInput
from povguard.interchange.spec import POLICY_FILE
from povguard.policy.service import PolicyBook, load_policy
from povguard.screening.clues import build_clues
from povguard.screening.dataset import locate
from povguard.screening.engines.base import SqlEngine
from povguard.screening.params import param_row
from povguard.screening.rules import RULES
from povguard.screening.window import Window

ENGINES = ("duckdb", "spark")


@dataclass
class ScreeningResult:
    as_of: dt.date
    engine: str
    policy_version: str
    clues: pl.DataFrame
    missing_income: list[str]
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)  # per rule and per category


def _engine(name: str, spark_master: str | None) -> SqlEngine:
    if name == "duckdb":
        from povguard.screening.engines.duckdb import DuckDBEngine

        return DuckDBEngine()
    if name == "spark":
        from povguard.screening.engines.spark import SparkEngine

        return SparkEngine(master=spark_master)
    raise BadInput(f"unknown engine {name!r} (choose {' or '.join(ENGINES)})")


def count_clues(clues: pl.DataFrame) -> dict[str, int]:
    counts = {rule.code: 0 for rule in RULES}
    for rules in clues["rules"].to_list():
        for code in rules.split(";"):
            counts[code] += 1
    for category, n in clues["category"].value_counts().iter_rows():
        counts[category] = n
    counts["clues"] = clues.height
    return counts


def screen_folder(
    folder: Path,
    as_of: dt.date,
    *,
    engine: str = "duckdb",
    policy: Path | None = None,
    spark_master: str | None = None,
) -> ScreeningResult:
    """Screen a SPEC §3 dataset folder at date `as_of` (no database needed)."""
    started = time.perf_counter()
    files = locate(folder)
    book: PolicyBook = load_policy(policy or folder / POLICY_FILE)
    runner = _engine(engine, spark_master)
    try:
        runner.load(files)
        entries = book.for_provinces(runner.provinces(), as_of.year)
        rows = runner.screen(Window(as_of), [param_row(entry) for entry in entries])
    finally:
        runner.close()
    clues, missing = build_clues(rows)
    return ScreeningResult(
        as_of=as_of,
        engine=engine,
        policy_version=book.version,
        clues=clues,
        missing_income=missing,
        seconds=time.perf_counter() - started,
        counts=count_clues(clues),
    )
