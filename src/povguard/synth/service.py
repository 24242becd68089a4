"""`povguard synth`: a seeded synthetic population in the SPEC §3 format, written in chunks.

Each chunk of households draws from its own random stream (seed, chunk number), so the same
seed always gives the same bytes, memory stays flat and any size can be written.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from povguard.core.errors import BadInput
from povguard.interchange.spec import POLICY_FILE
from povguard.synth import records
from povguard.synth.people import IdAllocator, make_people
from povguard.synth.regions import Geography, build_geography
from povguard.synth.writer import DatasetWriter

CHUNK = 50_000
FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class SynthResult:
    folder: Path
    households: int
    rows: dict[str, int]


def policy_entries(geo: Geography, as_of: dt.date) -> list[dict[str, object]]:
    """The province's published-looking parameters for D's year and the year before."""
    entries = []
    for year in (as_of.year - 1, as_of.year):
        line = geo.province.monitoring_line.get(year, max(geo.province.monitoring_line.values()))
        income = geo.province.rural_income.get(year, max(geo.province.rural_income.values()))
        entries.append({"province": geo.province.code, "year": year,
                        "monitoring_line": line, "rural_disposable_income": income})  # fmt: skip
    return entries


def _check(households: int, out: Path, fmt: str) -> None:
    if households <= 0:
        raise BadInput("--households must be a positive number")
    if fmt not in FORMATS:
        raise BadInput(f"--format must be csv or parquet, not {fmt!r}")
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out: {out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        raise BadInput(f"--out: {out} is not empty")


def synthesise(
    out: Path,
    *,
    households: int,
    seed: int,
    as_of: dt.date,
    fmt: str = "csv",
    province: str = "530000000000",
    counties: int | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int], None] | None = None,
) -> SynthResult:
    """Write a complete dataset of `households` households into the empty folder `out`."""
    _check(households, out, fmt)
    geo = build_geography(province, counties, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    rows: dict[str, int] = {}
    try:
        writer = DatasetWriter(building, fmt)
        _write(writer, "regions", geo.regions.with_columns(pl.col("key_county")), rows)
        line = int(policy_entries(geo, as_of)[-1]["monitoring_line"])  # type: ignore[call-overload]
        ids = IdAllocator.new()
        clock = records.Clock(as_of)
        for number, first in enumerate(range(0, households, chunk)):
            size = min(chunk, households - first)
            rng = np.random.default_rng([seed, number])
            people = make_people(rng, geo, first, size, as_of, ids)
            _write(writer, "households", people.households, rows)
            _write(writer, "members", people.members, rows)
            _write(writer, "income", records.income(rng, people, clock, line), rows)
            feeds = records.person_feeds(rng, geo, people, clock, first)
            feeds |= records.household_feeds(rng, geo, people, clock, first, number == 0)
            for name in sorted(feeds):
                _write(writer, f"feeds/{name}", feeds[name], rows)
            _write(writer, "declarations", records.declarations(rng, people, clock, first), rows)
            if progress:
                progress(size)
        writer.close()
        (building / POLICY_FILE).write_text(
            "# Synthetic policy parameters (SPEC section 5), one entry per province and year.\n"
            + yaml.safe_dump(policy_entries(geo, as_of), allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        if out.exists():
            out.rmdir()
        building.rename(out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return SynthResult(out, households, rows)


def _write(writer: DatasetWriter, name: str, frame: pl.DataFrame, rows: dict[str, int]) -> None:
    writer.write(name, frame)
    rows[name] = rows.get(name, 0) + frame.height
