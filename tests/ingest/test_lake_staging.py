"""Staging a typed file into the lake: per province, rows pointing at nobody set aside."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from povguard.ingest.lake import LakeChange
from povguard.ingest.service import ImportReport, _stage_table

HOUSEHOLDS = pl.DataFrame({
    "household_id": ["H1", "H2", "H3"],
    "village_code": ["530129001001", "530129001002", "520102003004"],
})  # fmt: skip
PEOPLE = pl.DataFrame({"id_number": ["P1", "P2", "P3"], "household_id": ["H1", "H2", "H3"]})
REASON = "person or household not in the registry"


def _medical(people: list[str]) -> pl.DataFrame:
    count = len(people)
    return pl.DataFrame({
        "record_id": [f"R{i}" for i in range(count)], "id_number": people,
        "date": [dt.date(2024, 1, 1)] * count, "out_of_pocket": [1.5] * count,
    })  # fmt: skip


def _stage(lake: Path, name: str, frame: pl.DataFrame) -> tuple[ImportReport, Path]:
    report = ImportReport()
    change = LakeChange(lake)
    _stage_table(change, name, frame, (HOUSEHOLDS, PEOPLE), report)
    return report, change.staging


def _records(path: Path) -> list[str]:
    return pl.read_parquet(path / "part-0.parquet")["record_id"].to_list()


def test_rows_of_one_province_are_staged_whole_with_strangers_set_aside(tmp_path: Path) -> None:
    frame = _medical(["P1", "X9", "P2", "P1", "X8"])
    report, staging = _stage(tmp_path, "feeds/medical", frame)
    assert report.provinces == {"53"} and report.unmatched == {"feeds/medical": 2}
    stored = pl.read_parquet(staging / "feeds" / "medical" / "province=53" / "part-0.parquet")
    assert stored["record_id"].to_list() == ["R0", "R2", "R3"]  # in the file's order
    assert stored["household_id"].to_list() == ["H1", "H2", "H1"]
    unmatched = pl.read_parquet(staging / "unmatched" / "feeds" / "medical" / "part-0.parquet")
    assert unmatched["record_id"].to_list() == ["R1", "R4"]
    assert unmatched["household_id"].null_count() == 2
    assert set(unmatched["reason"]) == {REASON}


def test_an_unknown_household_of_a_household_keyed_feed_is_unmatched(tmp_path: Path) -> None:
    frame = pl.DataFrame({"record_id": ["R0", "R1", "R2"], "household_id": ["H1", "H9", "H2"],
                          "date": [dt.date(2024, 1, 1)] * 3, "grade": ["C", "D", "A"]})  # fmt: skip
    report, staging = _stage(tmp_path, "feeds/housing", frame)
    assert report.provinces == {"53"} and report.unmatched == {"feeds/housing": 1}
    assert _records(staging / "feeds" / "housing" / "province=53") == ["R0", "R2"]
    assert _records(staging / "unmatched" / "feeds" / "housing") == ["R1"]


def test_rows_of_several_provinces_are_split_by_province(tmp_path: Path) -> None:
    report, staging = _stage(tmp_path, "feeds/medical", _medical(["P3", "P1", "X9", "P2"]))
    assert report.provinces == {"52", "53"} and report.unmatched == {"feeds/medical": 1}
    assert _records(staging / "feeds" / "medical" / "province=53") == ["R1", "R3"]
    assert _records(staging / "feeds" / "medical" / "province=52") == ["R0"]
    assert _records(staging / "unmatched" / "feeds" / "medical") == ["R2"]


def test_a_file_of_strangers_only_is_all_unmatched(tmp_path: Path) -> None:
    report, staging = _stage(tmp_path, "feeds/medical", _medical(["X1", "X2"]))
    assert report.provinces == set() and report.unmatched == {"feeds/medical": 2}
    assert _records(staging / "unmatched" / "feeds" / "medical") == ["R0", "R1"]
    assert not (staging / "feeds" / "medical").exists()
