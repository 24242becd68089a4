"""Engine parity: Spark runs the same compiled SQL as DuckDB and must give identical clues."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from povguard.core.errors import BadInput
from povguard.screening.clues import CLUE_COLUMNS
from povguard.screening.service import screen_folder
from tests.conftest import EXAMPLES
from tests.screening.test_foreign_files import as_pandas_writes_parquet

pytestmark = pytest.mark.spark
DATASET = EXAMPLES / "screening-yunnan-2024"
AS_OF = dt.date(2024, 7, 15)


def _csv(frame: pl.DataFrame) -> str:
    return frame.select(CLUE_COLUMNS).sort("household_id").write_csv()


def test_spark_and_duckdb_give_byte_identical_clues_on_the_example() -> None:
    duck = screen_folder(DATASET, AS_OF, engine="duckdb")
    spark = screen_folder(DATASET, AS_OF, engine="spark")
    assert _csv(spark.clues) == _csv(duck.clues)
    assert spark.missing_income.equals(duck.missing_income)
    assert spark.counts == duck.counts


def test_spark_reports_bad_rows_as_bad_input(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATASET, data)
    households = data / "households.csv"
    lines = households.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace("formerly_poor", "poorish").replace("ordinary", "poorish")
    households.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match="status: unknown value"):
        screen_folder(data, AS_OF, engine="spark")


def test_spark_reads_parquet_written_by_pandas_as_duckdb_does(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATASET, data)
    as_pandas_writes_parquet(data, time_unit="us")
    duck = screen_folder(data, AS_OF)
    assert _csv(screen_folder(data, AS_OF, engine="spark").clues) == _csv(duck.clues)
    nanoseconds = tmp_path / "nanoseconds"  # which Spark cannot read: a clear error
    shutil.copytree(DATASET, nanoseconds)
    as_pandas_writes_parquet(nanoseconds)
    with pytest.raises(BadInput, match=r"\.parquet: spark: .*PARQUET_TYPE_ILLEGAL"):
        screen_folder(nanoseconds, AS_OF, engine="spark")


def _edit_line(path: Path, index: int, change: Callable[[str], str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[index] = change(lines[index])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_spark_reads_lines_short_of_values_or_with_a_trailing_comma_as_duckdb_does(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATASET, data)
    _edit_line(data / "feeds/disaster.csv", 1, lambda line: line.rsplit(",", 1)[0])
    _edit_line(data / "feeds/medical.csv", 1, lambda line: line + ",")
    duck = screen_folder(data, AS_OF)
    assert _csv(screen_folder(data, AS_OF, engine="spark").clues) == _csv(duck.clues)
    _edit_line(data / "feeds/medical.csv", 2, lambda line: line.rsplit(",", 2)[0])
    with pytest.raises(BadInput, match=r"medical\.csv: a row: out_of_pocket: empty required value"):
        screen_folder(data, AS_OF, engine="spark")


def test_spark_refuses_a_line_with_more_values_than_the_header(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATASET, data)
    _edit_line(data / "feeds/medical.csv", 2, lambda line: line + ",extra")
    problem = r"medical\.csv: the line starting 'MED0000002' has more values than the header"
    with pytest.raises(BadInput, match=problem):
        screen_folder(data, AS_OF, engine="spark")
