"""Screening frames kept in the lake, so that a run over imported data starts from them.

Building the frame (parse, check, join person feeds to in-household members) is most of the
work of a screening pass and depends only on the imported files. It is done once per province
and stored as Parquet under `<lake>/frame/province=<pp>/<table>.parquet`, with the fingerprint
of the source partitions; a later run reuses it until an import changes the province.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from povguard.screening.compiler import static_fact_columns, static_facts_query
from povguard.screening.engines.duckdb import DuckDBEngine
from povguard.screening.frame import FRAME, INPUT_TYPES
from povguard.screening.lake import fingerprint, locate_lake

MANIFEST = "manifest.json"
# Bumped whenever the stored tables change shape or order, so that older frames are rebuilt.
FRAME_FORMAT = 5
# Open-case columns change between runs: they are joined in when the frame is loaded.
RUN_COLUMNS = {"hh": ("monitored", "in_case")}
# The static facts (household size…), computed when the frame is built: held by `hh`.
STATIC = "static_facts"


def frame_folder(lake: Path, province: str) -> Path:
    return lake / "frame" / f"province={province}"


def stored_columns(table: str) -> tuple[str, ...]:
    skip = RUN_COLUMNS.get(table, ())
    return tuple(c for c in FRAME[table] if c not in skip)


# Stored frames join on a compact integer household key instead of the household id text
# (32 bits: narrower to read, join and group on than 64).
KEYS = "SELECT hh AS hid, CAST(row_number() OVER (ORDER BY hh) AS INTEGER) AS k FROM hh"


# Stored row order. A run reads only the Parquet row groups whose statistics can match its
# filters, so the feeds whose rules keep few rows (this year's non-enrolled insurance rows,
# the unemployed, school dropouts) are ordered by those columns first; then by household, so
# that the per-household aggregates see each household's rows together (the "latest record"
# feeds come out of their window function in person order otherwise).
ORDER = {
    "hh": ("hh",),
    "f_insurance": ("year", "enrolled", "hh"),
    "f_employment": ("status", "hh"),
    "f_education": ("status", "hh"),
    "f_housing": ("hh",),
    "f_water": ("hh",),
}


def _stored_select(table: str) -> str:
    columns = ["k.k AS hh" if column == "hh" else f"t.{column}" for column in stored_columns(table)]
    if table == "hh":
        columns += [f"s.{column}" for column in static_fact_columns()]
        source = f"hh t JOIN keys k ON k.hid = t.hh JOIN {STATIC} s ON s.hh = t.hh"
    else:
        source = f"{table} t LEFT JOIN keys k ON k.hid = t.hh"
    query = f"SELECT {', '.join(columns)} FROM {source}"
    if table in ORDER:
        order = ("k.k" if column == "hh" else f"t.{column}" for column in ORDER[table])
        query += " ORDER BY " + ", ".join(order)
    return query


def _fresh(folder: Path, expected: str) -> bool:
    manifest = folder / MANIFEST
    if not manifest.exists():
        return False
    return bool(json.loads(manifest.read_text()).get("fingerprint") == expected)


def ensure_frame(lake: Path, province: str) -> Path:
    """The province's stored frame, rebuilt first if its source partitions changed."""
    folder = frame_folder(lake, province)
    expected = f"frame-v{FRAME_FORMAT}:{fingerprint(lake, province)}"
    if _fresh(folder, expected):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".building-{province}-", dir=folder.parent))
    try:
        engine = DuckDBEngine()
        try:
            engine.load(locate_lake(lake, province))
            engine.materialize("keys", KEYS)
            engine.materialize(STATIC, static_facts_query())
            for table in engine.frame_tables():
                engine.export(_stored_select(table), building / f"{table}.parquet")
        finally:
            engine.close()
        (building / MANIFEST).write_text(json.dumps({"fingerprint": expected}))
        stale = folder.with_name(folder.name + ".stale")
        if folder.exists():
            os.replace(folder, stale)
        os.replace(building, folder)
        shutil.rmtree(stale, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def load_frame(
    engine: DuckDBEngine,
    folders: list[Path],
    *,
    region_prefix: str = "",
    open_cases: dict[str, bool] | None = None,
) -> None:
    """Load stored frames (one folder per province) instead of parsing the lake's files."""
    engine.register_table(
        "open_cases", INPUT_TYPES["open_cases"], sorted((open_cases or {}).items())
    )
    for table in engine.frame_tables():
        source = engine.parquet_source([folder / f"{table}.parquet" for folder in folders])
        if table == "hh":
            held = "".join(f" f.{column}," for column in static_fact_columns())
            query = (
                f"SELECT f.hh, f.hid, f.village, f.prov, f.formerly_poor,{held}"
                " coalesce(o.monitored, false) AS monitored, o.hh IS NOT NULL AS in_case"
                f" FROM {source} f LEFT JOIN open_cases o ON o.hh = f.hid"
                f" WHERE f.village LIKE '{region_prefix}%'"
            )
        else:
            query = f"SELECT {', '.join(FRAME[table])} FROM {source}"
        engine.view(table, query)
