"""Screening service: run rules R01–R16 over a dataset folder (SPEC §6, §13 `screen`)."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from povguard.core.errors import BadInput
from povguard.interchange.spec import POLICY_FILE
from povguard.policy.service import PolicyBook, load_policy
from povguard.regions.codes import prefix
from povguard.screening.clues import build_clues, empty_clues, empty_missing
from povguard.screening.dataset import locate
from povguard.screening.engines.base import SqlEngine
from povguard.screening.engines.duckdb import DuckDBEngine
from povguard.screening.framestore import ensure_frame, load_frame
from povguard.screening.lake import locate_lake, policy_path
from povguard.screening.lake import provinces as lake_provinces
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
    missing_income: pl.DataFrame  # household_id, village_code
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)  # per rule and per category
    households: int = 0  # households screened
    missing_count: int = 0  # households whose income data are missing


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
    for code, n in clues["rules"].str.split(";").explode().value_counts().iter_rows():
        counts[code] += n
    for category, n in clues["category"].value_counts().iter_rows():
        counts[category] = n
    counts["clues"] = clues.height
    return counts


Progress = Callable[[float], None]


Loader = Callable[[SqlEngine], None]


def _evaluate(
    runner: SqlEngine,
    load: Loader,
    book: PolicyBook,
    as_of: dt.date,
    *,
    stored_frame: bool = False,
    evidence: bool = True,
) -> tuple[pa.Table, int]:
    """Load one batch of households into `runner` and return (rule rows, households)."""
    try:
        load(runner)
        entries = book.for_provinces(runner.provinces(), as_of.year)
        households = runner.household_count()
        params = [param_row(entry) for entry in entries]
        rows = runner.screen(Window(as_of), params, stored_frame=stored_frame, evidence=evidence)
        return rows, households
    finally:
        runner.close()


Sink = Callable[[pl.DataFrame, pl.DataFrame], None]


@dataclass
class _Batch:
    """One batch's clues, households with missing income, counts, and households screened."""

    clues: pl.DataFrame
    missing: pl.DataFrame
    counts: dict[str, int]
    households: int


def _batch(rows: pa.Table, households: int) -> _Batch:
    clues, missing = build_clues(rows)
    counts = count_clues(clues)
    counts["to_verify"] = int((clues["to_verify"] != "").sum())
    return _Batch(clues, missing, counts, households)


@dataclass
class _Collector:
    """Gathers the batches of a run: kept in memory, or handed to a sink one by one."""

    sink: Sink | None = None
    clues: list[pl.DataFrame] = field(default_factory=list)
    missing: list[pl.DataFrame] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    households: int = 0
    missing_count: int = 0
    batches: int = 0

    def keep(self, batch: _Batch) -> None:
        for key, value in batch.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        self.households += batch.households
        self.missing_count += batch.missing.height
        self.batches += 1
        if self.sink is not None:
            self.sink(batch.clues, batch.missing)
        else:
            self.clues.append(batch.clues)
            self.missing.append(batch.missing)

    def result(
        self, book: PolicyBook, as_of: dt.date, engine: str, started: float
    ) -> ScreeningResult:
        clues = pl.concat(self.clues) if self.clues else empty_clues()
        missing = pl.concat(self.missing) if self.missing else empty_missing()
        return ScreeningResult(
            as_of=as_of,
            engine=engine,
            policy_version=book.version,
            clues=clues,
            missing_income=missing,
            seconds=time.perf_counter() - started,
            counts=self.counts or count_clues(clues),
            households=self.households,
            missing_count=self.missing_count,
        )


def screen_folder(
    folder: Path,
    as_of: dt.date,
    *,
    engine: str = "duckdb",
    policy: Path | None = None,
    spark_master: str | None = None,
    evidence: bool = True,
) -> ScreeningResult:
    """Screen a SPEC §3 dataset folder at date `as_of` (no database needed); without
    `evidence`, the clues' evidence is left empty (and not computed)."""
    started = time.perf_counter()
    files = locate(folder)
    book = load_policy(policy or folder / POLICY_FILE)
    collector = _Collector()
    runner = _engine(engine, spark_master)
    at = Window(as_of)
    collector.keep(
        _batch(
            *_evaluate(
                runner, lambda loading: loading.load(files, at=at), book, as_of, evidence=evidence
            )
        )
    )
    return collector.result(book, as_of, engine, started)


def screen_lake(
    lake: Path,
    as_of: dt.date,
    *,
    region_code: str | None = None,
    engine: str = "duckdb",
    open_cases: dict[str, bool] | None = None,
    spark_master: str | None = None,
    progress: Progress | None = None,
    sink: Sink | None = None,
) -> ScreeningResult:
    """Screen the imported lake (optionally one region's subtree) at date `as_of`.

    DuckDB works province by province from the stored frames (built or refreshed first), so
    memory is bounded by the largest province; Spark reads the lake's files in one job. With
    a `sink`, each province's (clues, missing income) go to it instead of the result.
    """
    started = time.perf_counter()
    report = progress or (lambda _share: None)
    available = lake_provinces(lake)
    book = load_policy(policy_path(lake))
    scope = prefix(region_code) if region_code else ""
    collector = _Collector(sink)
    if engine != "duckdb":
        files = locate_lake(lake)
        batch = _evaluate(
            _engine(engine, spark_master),
            lambda runner: runner.load(files, region_prefix=scope, open_cases=open_cases),
            book,
            as_of,
        )
        collector.keep(_batch(*batch))
        return collector.result(book, as_of, engine, started)
    in_scope = [p for p in available if p.startswith(scope[:2])]
    if not in_scope:
        raise BadInput(f"the lake holds no household of region {region_code}")
    _screen_provinces(
        lake, in_scope, book, as_of, scope=scope, open_cases=open_cases, collector=collector,
        report=report,
    )  # fmt: skip
    return collector.result(book, as_of, engine, started)


# Two provinces are screened at once, each by its own DuckDB connection on half the cores:
# a province's query leaves cores idle in its single-threaded stretches (clue building in
# Polars, the start and end of each operator), which the other fills. Memory stays that of
# two provinces.
PROVINCES_AT_ONCE = 2


def _screen_provinces(
    lake: Path,
    provinces: list[str],
    book: PolicyBook,
    as_of: dt.date,
    *,
    scope: str,
    open_cases: dict[str, bool] | None,
    collector: _Collector,
    report: Progress,
) -> None:
    """Screen the lake's stored frames province by province, keeping batches in order."""
    cores = os.cpu_count() or 1
    frame_building = threading.Lock()  # frames are built one at a time (each uses all cores)

    def screen(province: str, threads: int) -> _Batch:
        with frame_building:
            folder = ensure_frame(lake, province)

        def load(runner: SqlEngine) -> None:
            assert isinstance(runner, DuckDBEngine)
            load_frame(runner, [folder], region_prefix=scope, open_cases=open_cases)

        runner = DuckDBEngine(threads=threads)
        return _batch(*_evaluate(runner, load, book, as_of, stored_frame=True))

    def keep_oldest() -> None:
        collector.keep(pending.popleft().result())
        report(0.1 + 0.8 * collector.batches / len(provinces))

    pending: deque[Future[_Batch]] = deque()
    with ThreadPoolExecutor(max_workers=PROVINCES_AT_ONCE) as pool:
        for index, province in enumerate(provinces):
            if len(pending) == PROVINCES_AT_ONCE:
                keep_oldest()
            last = index == len(provinces) - 1
            threads = cores if last else max(1, cores // PROVINCES_AT_ONCE)
            pending.append(pool.submit(screen, province, threads))
        while pending:
            keep_oldest()
