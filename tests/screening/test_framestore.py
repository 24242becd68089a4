"""Stored frames: built once per province, reused until the province's files change."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from povguard.screening import framestore
from povguard.screening.clues import CLUE_COLUMNS
from povguard.screening.lake import table_folder
from povguard.screening.service import screen_folder, screen_lake
from tests.conftest import EXAMPLES
from tests.screening.builders import Dataset
from tests.screening.lake_util import dataset_to_lake
from tests.screening.test_reference_property import D, datasets

DATASET = EXAMPLES / "screening-yunnan-2024"
AS_OF = dt.date(2024, 7, 15)


def _add_province(lake: Path, digits: str, tag: str, id_digit: str) -> None:
    """Another province: the example's households again, moved to province `digits`."""
    for folder in sorted(lake.glob("**/province=53")):
        target = folder.with_name(f"province={digits}")
        target.mkdir()
        frame = pl.read_parquet(folder / "part-0.parquet")
        moved = frame.with_columns(
            pl.col(c).str.replace(r"^53", digits)
            for c in ("village_code", "code", "parent_code")
            if c in frame.columns
        ).with_columns(
            pl.col(c) + tag
            for c in ("household_id", "member_id", "record_id", "declaration_id")
            if c in frame.columns
        )
        for column in ("id_number", "head_id_number"):
            if column in moved.columns:
                moved = moved.with_columns(pl.lit(id_digit) + pl.col(column).str.slice(1))
        moved.write_parquet(target / "part-0.parquet")
    policy = lake / "policy" / "policy.yaml"
    entries = yaml.safe_load(policy.read_text())
    moved_entries = [
        {**e, "province": f"{digits}0000000000"} for e in entries if e["province"] == "530000000000"
    ]
    policy.write_text(yaml.safe_dump(entries + moved_entries))


def _add_guizhou(lake: Path) -> None:
    _add_province(lake, "52", "G", "9")


def test_frames_are_built_once_and_rebuilt_when_the_province_changes(tmp_path: Path) -> None:
    lake = dataset_to_lake(DATASET, tmp_path / "lake")
    first = screen_lake(lake, AS_OF)
    manifest = framestore.frame_folder(lake, "53") / framestore.MANIFEST
    built = manifest.stat().st_mtime_ns
    again = screen_lake(lake, AS_OF)
    assert manifest.stat().st_mtime_ns == built
    assert again.clues.equals(first.clues)
    # An import that replaces a partition (here: all medical costs zeroed) rebuilds the frame.
    medical = table_folder(lake, "feeds/medical") / "province=53" / "part-0.parquet"
    pl.read_parquet(medical).with_columns(pl.lit("0.00").alias("out_of_pocket")).write_parquet(
        medical
    )
    os.utime(medical, ns=(built + 10**9, built + 10**9))
    changed = screen_lake(lake, AS_OF)
    assert manifest.stat().st_mtime_ns != built
    assert changed.counts["R04"] == 0 and first.counts["R04"] == 33


def test_provinces_are_screened_one_by_one_with_the_same_result(tmp_path: Path) -> None:
    lake = dataset_to_lake(DATASET, tmp_path / "lake")
    _add_guizhou(lake)
    both = screen_lake(lake, AS_OF)
    yunnan = screen_lake(lake, AS_OF, region_code="530000000000")
    guizhou = screen_lake(lake, AS_OF, region_code="520000000000")
    county = screen_lake(lake, AS_OF, region_code="520129000000")
    direct = screen_folder(DATASET, AS_OF).clues
    assert both.households == 2000 and both.clues.height == 2 * 438
    assert yunnan.clues.select(direct.columns).equals(direct)
    assert guizhou.clues["rules"].to_list() == direct["rules"].to_list()
    assert set(county.clues["village_code"].str.slice(0, 6)) == {"520129"}
    assert county.households == 442


def test_provinces_screened_two_at_once_reach_the_sink_in_order(tmp_path: Path) -> None:
    lake = dataset_to_lake(DATASET, tmp_path / "lake")
    for digits, tag, id_digit in (("52", "G", "9"), ("51", "S", "8"), ("50", "C", "7")):
        _add_province(lake, digits, tag, id_digit)
    handed: list[str] = []
    shares: list[float] = []

    def sink(clues: pl.DataFrame, _missing: pl.DataFrame) -> None:
        handed.append(clues["village_code"][0][:2])

    run = screen_lake(lake, AS_OF, sink=sink, progress=shares.append)
    one = screen_lake(lake, AS_OF, region_code="530000000000")
    assert handed == ["50", "51", "52", "53"]
    assert shares == sorted(shares) and shares[-1] == pytest.approx(0.9)
    assert run.households == 4 * one.households
    assert run.counts == {key: 4 * value for key, value in one.counts.items()}


@given(datasets())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_run_from_the_stored_frame_equals_one_from_the_files(dataset: Dataset) -> None:
    folder = dataset.write()
    lake = dataset_to_lake(folder, folder.parent / f"{folder.name}-lake")
    from_lake = screen_lake(lake, D).clues.select(CLUE_COLUMNS)
    assert from_lake.equals(screen_folder(folder, D).clues.select(CLUE_COLUMNS))


def test_stored_frames_are_lz4_compressed_with_32_bit_household_keys(tmp_path: Path) -> None:
    lake = dataset_to_lake(DATASET, tmp_path / "lake")
    folder = framestore.ensure_frame(lake, "53")
    for table in ("hh", "inc", "f_education"):
        stored = pq.ParquetFile(folder / f"{table}.parquet")
        assert stored.schema_arrow.field("hh").type == pa.int32()
        assert stored.metadata.row_group(0).column(0).compression == "LZ4"
