"""CSV files written by other tools, valid per SPEC §3: `screen --data` and `povguard import`
followed by a lake run read them alike, and give the example's expected clues."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import polars as pl
import pytest

from povguard.auth.principal import SYSTEM
from povguard.core.errors import BadInput
from povguard.core.uow import unit_of_work
from povguard.ingest.service import ImportRejected, import_dataset, validate
from povguard.interchange.spec import FILES, Kind
from povguard.screening import runs
from povguard.screening.service import screen_folder
from tests.conftest import EXAMPLES
from tests.screening.builders import Dataset
from tests.screening.test_example import FIELDS, expected_rows

DATASET = EXAMPLES / "screening-yunnan-2024"
AS_OF = dt.date(2024, 7, 15)
Rows = list[list[str]]


def _padded(name: str, rows: Rows) -> Rows:
    """Every name and value with blanks around it: spaces, and a full-width space around
    text."""
    kinds = [FILES[name].column(column).kind for column in rows[0]]
    text = (Kind.TEXT, Kind.CODE, Kind.ID_NUMBER, Kind.ENUM, Kind.BOOL, Kind.MONTH)
    return [[f" {column}" for column in rows[0]]] + [
        [f"\u3000{v} " if kind in text else f" {v} " if v else v
         for v, kind in zip(row, kinds, strict=True)]
        for row in rows[1:]
    ]  # fmt: skip


def _with_empty_lines(rows: Rows) -> Rows:
    """A blank line after the header, a line of commas (as spreadsheets write), a line of
    blanks and a blank line at the end."""
    nothing, blanks = [""] * len(rows[0]), [" \u3000"] * len(rows[0])
    return [rows[0], [], *rows[1:3], nothing, *rows[3:5], blanks, *rows[5:], []]


QUIRKS: dict[str, tuple[Callable[[str, Rows], Rows], dict[str, object]]] = {
    "byte order mark, every field quoted, CRLF": (
        lambda name, rows: rows,
        {"bom": True, "quoting": csv.QUOTE_ALL, "crlf": True},
    ),
    "blanks around values": (_padded, {}),
    "blank lines and lines of commas": (lambda name, rows: _with_empty_lines(rows), {}),
    "columns in another order": (lambda name, rows: [r[::-1] for r in rows], {}),
    "CRLF and LF line ends in one file (rows appended by another tool)": (
        lambda name, rows: rows,
        {"mixed": True},
    ),
}


def _rewrite(folder: Path, change: Callable[[str, Rows], Rows], **style: object) -> None:
    for path in sorted(folder.rglob("*.csv")):
        name = str(path.relative_to(folder).with_suffix(""))
        with path.open(encoding="utf-8", newline="") as handle:
            rows = change(name, list(csv.reader(handle)))
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n" if style.get("crlf") else "\n",
                            quoting=style.get("quoting", csv.QUOTE_MINIMAL))  # type: ignore[arg-type]  # fmt: skip
        for row in rows:
            if row:
                writer.writerow(row)
            else:
                text.write("\r\n" if style.get("crlf") else "\n")
        written = text.getvalue()
        if style.get("mixed"):  # the first half of the lines end in CRLF
            lines = written.split("\n")
            half = len(lines) // 2
            written = "\r\n".join(lines[:half]) + "\r\n" + "\n".join(lines[half:])
        path.write_bytes((("\ufeff" if style.get("bom") else "") + written).encode())


def _copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(DATASET, data)
    for path in data.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return data


def _clues(frame: pl.DataFrame) -> list[tuple[str, ...]]:
    return [tuple(row[f] or "" for f in FIELDS) for row in frame.iter_rows(named=True)]


def _lake_clues(database_url: str, lake: Path) -> list[tuple[str, ...]]:
    with unit_of_work(database_url) as session:
        run_id = runs.create_run(session, SYSTEM, as_of=AS_OF, region_code=runs.NATIONAL).id
    runs.execute_run(run_id, lake=lake, database_url=database_url)
    return _clues(runs.stored_clues(lake, run_id).sort("household_id").collect())


@pytest.mark.parametrize("quirk", list(QUIRKS))
def test_screen_data_reads_csv_written_by_other_tools(tmp_path: Path, quirk: str) -> None:
    data = _copy(tmp_path)
    change, style = QUIRKS[quirk]
    _rewrite(data, change, **style)
    assert _clues(screen_folder(data, AS_OF).clues) == expected_rows()


def test_import_and_a_lake_run_read_them_alike(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    data = _copy(tmp_path)
    _rewrite(data, lambda name, rows: _with_empty_lines(_padded(name, rows)), bom=True,
             quoting=csv.QUOTE_ALL, crlf=True)  # fmt: skip
    import_dataset(data, lake=lake, database_url=database_url)
    assert _lake_clues(database_url, lake) == expected_rows()


def test_import_reads_mixed_line_ends_alike(database_url: str, lake: Path, tmp_path: Path) -> None:
    data = _copy(tmp_path)
    _rewrite(data, lambda name, rows: rows, mixed=True)
    import_dataset(data, lake=lake, database_url=database_url)
    assert _lake_clues(database_url, lake) == expected_rows()


def test_a_water_record_of_a_household_and_a_village_at_once_is_refused(tmp_path: Path) -> None:
    # It would count as the household's record and as its village's.
    data = _copy(tmp_path)
    with (data / "feeds" / "water.csv").open("a", encoding="utf-8") as handle:
        handle.write("WAT9999999,H000001,530129003002,2024-01-10,false,quality\n")
    with pytest.raises(BadInput, match="record WAT9999999 must have exactly one of household_id"):
        screen_folder(data, AS_OF)


def _as_parquet(data: Path) -> None:
    """Each CSV file as Parquet the way another tool may write it: money as Decimal(14, 4),
    small integers, dates and booleans typed, choices dictionary-encoded, empty text cells as
    empty strings."""
    for path in sorted(data.rglob("*.csv")):
        spec = FILES[str(path.relative_to(data).with_suffix(""))]
        frame = pl.read_csv(path, infer_schema=False)
        kinds = {column: spec.column(column).kind for column in frame.columns}
        frame = frame.with_columns(
            pl.col(c).cast(pl.Decimal(14, 4)) if kind is Kind.MONEY
            else pl.col(c).cast(pl.Int16) if kind is Kind.INT
            else pl.col(c).str.to_date() if kind is Kind.DATE
            else (pl.col(c) == "true").alias(c) if kind is Kind.BOOL
            else pl.col(c).cast(pl.Categorical) if kind is Kind.ENUM
            else pl.col(c).fill_null("")
            for c, kind in kinds.items()
        )  # fmt: skip
        frame.write_parquet(path.with_suffix(".parquet"))
        path.unlink()


def as_pandas_writes_parquet(data: Path, time_unit: Literal["ns", "us"] = "ns") -> None:
    """Each CSV file as Parquet the way pandas writes it: dates as timestamps at midnight,
    integers as floats (an integer column with an empty cell is a float column in pandas),
    money as floats."""
    for path in sorted(data.rglob("*.csv")):
        spec = FILES[str(path.relative_to(data).with_suffix(""))]
        frame = pl.read_csv(path, infer_schema=False)
        kinds = {column: spec.column(column).kind for column in frame.columns}
        frame = frame.with_columns(
            pl.col(c).str.to_datetime("%Y-%m-%d", time_unit=time_unit) if kind is Kind.DATE
            else pl.col(c).cast(pl.Float64) if kind in (Kind.INT, Kind.MONEY)
            else pl.col(c)
            for c, kind in kinds.items()
        )  # fmt: skip
        frame.write_parquet(path.with_suffix(".parquet"))
        path.unlink()


def test_parquet_written_by_pandas_reads_alike_on_both_paths(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    data = _copy(tmp_path)
    as_pandas_writes_parquet(data)
    assert _clues(screen_folder(data, AS_OF).clues) == expected_rows()
    import_dataset(data, lake=lake, database_url=database_url)
    assert _lake_clues(database_url, lake) == expected_rows()


@pytest.mark.parametrize(
    ("file", "column", "value", "reason"),
    [
        ("feeds/medical", "date", pl.datetime(2024, 7, 5, 8, 30, time_unit="ns"), "not a valid date"),
        ("feeds/insurance", "year", pl.lit(2023.5), "not a valid int"),
    ],
)  # fmt: skip
def test_a_timestamp_with_a_time_or_a_fraction_for_an_integer_is_refused_on_both_paths(
    tmp_path: Path, file: str, column: str, value: pl.Expr, reason: str
) -> None:
    data = _copy(tmp_path)
    as_pandas_writes_parquet(data)
    path = data / f"{file}.parquet"
    frame = pl.read_parquet(path)
    first = pl.int_range(pl.len()) == 0
    frame.with_columns(
        pl.when(first).then(value).otherwise(pl.col(column)).alias(column)
    ).write_parquet(path)
    with pytest.raises(BadInput, match=rf"{file}\.parquet: row 1: {column}: {reason}"):
        screen_folder(data, AS_OF)
    with pytest.raises(ImportRejected) as rejected:
        validate(data, lake=tmp_path / "lake")
    found = rejected.value.errors.row(0, named=True)
    assert (found["line"], found["column"], found["reason"]) == (1, column, reason)


def test_parquet_written_by_another_tool_reads_alike_on_both_paths(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    data = _copy(tmp_path)
    _as_parquet(data)
    assert _clues(screen_folder(data, AS_OF).clues) == expected_rows()
    import_dataset(data, lake=lake, database_url=database_url)
    assert _lake_clues(database_url, lake) == expected_rows()


def test_a_file_both_as_csv_and_as_parquet_is_refused_on_both_paths(
    tmp_path: Path, lake: Path
) -> None:
    data = _copy(tmp_path)
    pl.read_csv(data / "feeds" / "medical.csv", infer_schema=False).head(3).write_parquet(
        data / "feeds" / "medical.parquet"
    )
    with pytest.raises(BadInput, match="both feeds/medical.csv and feeds/medical.parquet"):
        screen_folder(data, AS_OF)
    with pytest.raises(BadInput, match="both feeds/medical.csv and feeds/medical.parquet"):
        import_dataset(data, lake=lake, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert not lake.exists()


def test_a_dataset_without_members_screens_alike_from_the_lake(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    # The members file has its header only: the import leaves no members partition.
    ds = Dataset(tmp_path / "data", as_of=AS_OF).household("H1").household("H2")
    folder = ds.declaration("H1", AS_OF - dt.timedelta(days=3)).write()
    direct = _clues(screen_folder(folder, AS_OF).clues)
    assert direct == [("H1", "sudden_difficulty", "R15", "", "7260")]
    import_dataset(folder, lake=lake, database_url=database_url)
    assert _lake_clues(database_url, lake) == direct
