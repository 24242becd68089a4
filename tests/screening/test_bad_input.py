"""A dataset the rules cannot read is a clear error naming file, line and column."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from povguard.core.errors import BadInput
from povguard.ingest.service import ImportRejected, validate
from povguard.screening.service import screen_folder
from tests.conftest import EXAMPLES

DATASET = EXAMPLES / "screening-yunnan-2024"
AS_OF = dt.date(2024, 7, 15)


def _edit(path: Path, change: Callable[[list[str]], None]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    change(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _set(line: int, column: int, value: str) -> Callable[[list[str]], None]:
    def change(lines: list[str]) -> None:
        cells = lines[line - 1].split(",")
        cells[column] = value
        lines[line - 1] = ",".join(cells)

    return change


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATASET, copy)
    return copy


CASES = [
    ("feeds/medical.csv", _set(4, 2, "2024-02-30"), "medical.csv: line 4: date: not a real date"),
    ("feeds/medical.csv", _set(7, 5, "12.345"), "line 7: out_of_pocket: not a valid money"),
    ("members.csv", _set(3, 9, "yes"), "members.csv: line 3: in_household: must be true or false"),
    ("members.csv", _set(3, 7, "boss"), "line 3: labour: unknown value"),
    ("income.csv", _set(2, 1, "2023-13"), "income.csv: line 2: period_start: not a valid month"),
    ("households.csv", _set(2, 1, ""), "line 2: village_code: empty required value"),
    ("feeds/disability.csv", _set(2, 3, "5"), "line 2: grade: above 4"),
    ("households.csv", lambda lines: lines.__setitem__(0, lines[0] + ",extra"), "unknown column"),
    ("feeds/health.csv", lambda lines: lines.__setitem__(0, "record_id,id_number,date"),
     "required column 'serious' is missing"),
]  # fmt: skip


@pytest.mark.parametrize(("file", "change", "message"), CASES)
def test_bad_values_are_reported_with_file_line_and_column(
    data: Path, file: str, change: Callable[[list[str]], None], message: str
) -> None:
    _edit(data / file, change)
    with pytest.raises(BadInput) as error:
        screen_folder(data, AS_OF)
    assert message in str(error.value)


def test_overlapping_income_periods_are_refused(data: Path) -> None:
    with (data / "income.csv").open("a", encoding="utf-8") as handle:
        handle.write("H000001,2023-08,2023-08,1.00,0,0,0,0,survey\n")
        handle.write("H000001,2023-07,2023-09,1.00,0,0,0,0,survey\n")
    with pytest.raises(BadInput, match="household H000001 has overlapping income periods"):
        screen_folder(data, AS_OF)


def test_a_period_ending_before_it_starts_is_refused(data: Path) -> None:
    # After every other period of the household, so that no overlap is reported first.
    with (data / "income.csv").open("a", encoding="utf-8") as handle:
        handle.write("H000001,2025-03,2025-01,1.00,0,0,0,0,survey\n")
    with pytest.raises(BadInput, match=r"household H000001 has a period ending before it starts"
                                       r" \(2025-03\)"):  # fmt: skip
        screen_folder(data, AS_OF)


FEEDS_WITH_A_RECORD_ID = ["feeds/medical.csv", "feeds/education.csv", "feeds/disaster.csv",
                          "feeds/housing.csv", "feeds/water.csv", "feeds/civil.csv",
                          "feeds/disability.csv", "feeds/health.csv", "feeds/accident.csv",
                          "feeds/employment.csv", "feeds/assets.csv"]  # fmt: skip


def _repeat_first_row(path: Path, change: dict[str, str] | None = None) -> str:
    """Append the file's first row again (with `change` to some of its cells); returns its key."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    for column, value in (change or {}).items():
        first[header.index(column)] = value
    with path.open("a", encoding="utf-8") as handle:
        handle.write(",".join(first) + "\n")
    return first[0]


@pytest.mark.parametrize("file", FEEDS_WITH_A_RECORD_ID)
@pytest.mark.parametrize("typed", [False, True])
def test_a_record_id_in_two_rows_is_refused(
    data: Path, tmp_path: Path, file: str, typed: bool
) -> None:
    """A feed's key is its record id: the amounts of a repeated record would count twice, and
    which of two records of one date is the latest would be undefined."""
    record = _repeat_first_row(data / file)
    if typed:  # found out by the Polars scan of the record ids (DuckDB)
        _write_typed(data, data := tmp_path / "typed")
    with pytest.raises(BadInput, match=f"{file[: -len('.csv')]}: record_id {record} appears twice"):
        screen_folder(data, AS_OF)


@pytest.mark.parametrize("file", ["feeds/housing.csv", "feeds/medical.csv"])
@pytest.mark.parametrize("typed", [False, True])
def test_a_record_id_repeated_on_another_date_is_refused_too(
    data: Path, tmp_path: Path, file: str, typed: bool
) -> None:
    lines = (data / file).read_text(encoding="utf-8").splitlines()
    day = dt.date.fromisoformat(lines[1].split(",")[lines[0].split(",").index("date")])
    record = _repeat_first_row(data / file, {"date": (day + dt.timedelta(days=1)).isoformat()})
    if typed:
        _write_typed(data, data := tmp_path / "typed")
    with pytest.raises(BadInput, match=f"record_id {record} appears twice"):
        screen_folder(data, AS_OF)


@pytest.mark.parametrize("typed", [False, True])
def test_a_declaration_id_in_two_rows_is_refused(data: Path, tmp_path: Path, typed: bool) -> None:
    record = _repeat_first_row(data / "declarations.csv")
    if typed:
        _write_typed(data, data := tmp_path / "typed")
    with pytest.raises(BadInput, match=f"declarations: declaration_id {record} appears twice"):
        screen_folder(data, AS_OF)


@pytest.mark.parametrize("typed", [False, True])
def test_a_member_id_in_two_rows_is_refused(data: Path, tmp_path: Path, typed: bool) -> None:
    """(With another ID number, out of the household: no other check would find it.)"""
    record = _repeat_first_row(
        data / "members.csv", {"id_number": "11010119900307663X", "in_household": "false"}
    )
    if typed:
        _write_typed(data, data := tmp_path / "typed")
    with pytest.raises(BadInput, match=f"members: member_id {record} appears twice"):
        screen_folder(data, AS_OF)


@pytest.mark.parametrize("typed", [False, True])
def test_a_household_id_in_two_household_rows_is_refused(
    data: Path, tmp_path: Path, typed: bool
) -> None:
    lines = (data / "households.csv").read_text(encoding="utf-8").splitlines()
    with (data / "households.csv").open("a", encoding="utf-8") as handle:
        handle.write(lines[1] + "\n")
    if typed:
        _write_typed(data, data := tmp_path / "typed")
    with pytest.raises(BadInput, match="households: household_id H000001 appears twice"):
        screen_folder(data, AS_OF)


@pytest.mark.parametrize("typed", [False, True])
def test_the_same_id_number_in_two_member_rows_is_refused(
    data: Path, tmp_path: Path, typed: bool
) -> None:
    lines = (data / "members.csv").read_text(encoding="utf-8").splitlines()
    twin = lines[1].split(",")
    twin[0], twin[1] = "M9999999", "H000002"
    with (data / "members.csv").open("a", encoding="utf-8") as handle:
        handle.write(",".join(twin) + "\n")
    if typed:
        _write_typed(data, data := tmp_path / "typed")
    with pytest.raises(BadInput, match=f"ID number {twin[2]} appears in two in-household member"):
        screen_folder(data, AS_OF)


@pytest.mark.parametrize("typed", [False, True])
def test_a_person_who_moved_keeps_a_row_out_of_the_old_household(
    data: Path, tmp_path: Path, typed: bool
) -> None:
    """The row left behind (in_household false) shares the ID number: accepted, and the
    person's feed rows stay their new household's."""
    before = screen_folder(data, AS_OF).clues
    lines = (data / "members.csv").read_text(encoding="utf-8").splitlines()
    header, left = lines[0].split(","), lines[1].split(",")
    left[0], left[1] = "M9999999", "H000002"
    left[header.index("in_household")] = "false"
    with (data / "members.csv").open("a", encoding="utf-8") as handle:
        handle.write(",".join(left) + "\n")
    if typed:
        _write_typed(data, data := tmp_path / "typed")
    assert screen_folder(data, AS_OF).clues.equals(before)


def test_missing_feed_files_mean_no_records(data: Path) -> None:
    shutil.rmtree(data / "feeds")
    (data / "declarations.csv").unlink()
    result = screen_folder(data, AS_OF)
    assert set(result.counts) >= {"R01", "R02", "R03"}
    assert all(set(rules.split(";")) <= {"R01", "R02", "R03"} for rules in result.clues["rules"])
    assert result.counts["R01"] == 57


def test_parquet_dataset_gives_the_same_clues(data: Path, tmp_path: Path) -> None:
    import polars as pl

    parquet = tmp_path / "parquet"
    for csv_file in data.rglob("*.csv"):
        target = parquet / csv_file.relative_to(data).with_suffix(".parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        pl.read_csv(csv_file, infer_schema=False).write_parquet(target)
    shutil.copy(data / "policy.yaml", parquet / "policy.yaml")
    from_csv = screen_folder(data, AS_OF).clues
    from_parquet = screen_folder(parquet, AS_OF).clues
    assert from_parquet.equals(from_csv)


def _write_typed(data: Path, typed: Path, money: pl.DataType = pl.Decimal(18, 2)) -> None:
    """The dataset as Parquet with real types (date32, decimal, bool, int), as the lake holds."""
    from povguard.interchange.spec import FILES, Kind

    casts = {Kind.MONEY: money, Kind.INT: pl.Int64}
    for name, spec in FILES.items():
        frame = pl.read_csv(data / f"{name}.csv", infer_schema=False)
        frame = frame.with_columns(
            pl.col(c.name).replace_strict({"true": True, "false": False}, default=None)
            if c.kind is Kind.BOOL
            else pl.col(c.name).str.to_date("%Y-%m-%d")
            if c.kind is Kind.DATE
            else pl.col(c.name).cast(casts[c.kind])
            for c in spec.columns
            if c.kind in casts or c.kind in (Kind.BOOL, Kind.DATE)
        )
        target = typed / f"{name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(target)
    shutil.copy(data / "policy.yaml", typed / "policy.yaml")


def test_typed_parquet_gives_the_same_clues(data: Path, tmp_path: Path) -> None:
    _write_typed(data, tmp_path / "typed")
    assert screen_folder(tmp_path / "typed", AS_OF).clues.equals(screen_folder(data, AS_OF).clues)


@pytest.mark.parametrize("file", ["feeds/education", "feeds/employment", "feeds/medical"])
def test_an_empty_typed_parquet_feed_is_a_feed_without_records(
    data: Path, tmp_path: Path, file: str
) -> None:
    """(The scan of its ID numbers returns no row to read the checks from.)"""
    _write_typed(data, typed := tmp_path / "typed")
    empty = pl.read_parquet(typed / f"{file}.parquet").clear()
    empty.write_parquet(typed / f"{file}.parquet")
    (data / f"{file}.csv").write_text(",".join(empty.columns) + "\n", encoding="utf-8")
    assert screen_folder(typed, AS_OF).clues.equals(screen_folder(data, AS_OF).clues)


@pytest.mark.parametrize(
    ("file", "column", "value", "message"),
    [
        ("feeds/medical", "out_of_pocket", Decimal("12.345"),
         "medical.parquet: row 1: out_of_pocket: not a valid money (more than 2 decimals)"),
        ("feeds/disability", "grade", 5, "disability.parquet: row 1: grade: above 4"),
        ("feeds/insurance", "enrolled", None,
         "insurance.parquet: row 1: enrolled: empty required value"),
    ],
)  # fmt: skip
def test_bad_values_in_typed_parquet_are_reported(
    data: Path, tmp_path: Path, file: str, column: str, value: object, message: str
) -> None:
    typed = tmp_path / "typed"
    _write_typed(data, typed, money=pl.Decimal(18, 3))
    target = typed / f"{file}.parquet"
    frame = pl.read_parquet(target)
    first = frame.head(1).with_columns(pl.lit(value, dtype=frame.schema[column]).alias(column))
    pl.concat([first, frame.slice(1)]).write_parquet(target)
    with pytest.raises(BadInput) as error:
        screen_folder(typed, AS_OF)
    assert message in str(error.value) and "(1 bad" not in str(error.value)


def test_text_dates_in_parquet_are_read_as_text(data: Path, tmp_path: Path) -> None:
    text = tmp_path / "text"
    shutil.copytree(data, text)
    source = text / "feeds" / "medical.csv"
    frame = pl.read_csv(source, infer_schema=False)
    frame = pl.concat([frame.head(1).with_columns(pl.lit("2024-02-30").alias("date")),
                       frame.slice(1)])  # fmt: skip
    frame.write_parquet(source.with_suffix(".parquet"))
    source.unlink()
    with pytest.raises(BadInput, match=r"medical.parquet: row 1: date: not a real date$"):
        screen_folder(text, AS_OF)


@pytest.mark.parametrize(
    ("file", "column", "value", "message"),
    [
        ("members", "labour", "boss", "members.parquet: row 2: labour: unknown value"),
        ("members", "in_household", "yes", "row 2: in_household: must be true or false"),
        ("income", "period_end", "2023-13", "income.parquet: row 2: period_end: not a valid month"),
        ("households", "village_code", None, "row 2: village_code: empty required value"),
        ("households", "village_code", "53012", "row 2: village_code: not a valid code"),
        ("feeds/health", "date", "2024-02-30", "health.parquet: row 2: date: not a real date"),
        ("feeds/disability", "grade", "5", "disability.parquet: row 2: grade: above 4"),
        # ID numbers are matched by Polars first (`DuckDBEngine.matching_pattern`).
        ("feeds/insurance", "id_number", "53012419940610256x",
         "insurance.parquet: row 2: id_number: not a valid id_number"),
        ("members", "id_number", "5301241984081689471",
         "members.parquet: row 2: id_number: not a valid id_number"),
        ("households", "head_id_number", "53012419840816894",
         "households.parquet: row 2: head_id_number: not a valid id_number"),
        ("feeds/medical", "id_number", None, "row 2: id_number: empty required value"),
    ],
)  # fmt: skip
def test_bad_values_in_text_parquet_are_reported(
    data: Path, tmp_path: Path, file: str, column: str, value: str | None, message: str
) -> None:
    parquet = tmp_path / "parquet"
    for csv_file in data.rglob("*.csv"):
        target = parquet / csv_file.relative_to(data).with_suffix(".parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        frame = pl.read_csv(csv_file, infer_schema=False)
        if csv_file.relative_to(data).with_suffix("").as_posix() == file:
            changed = frame.slice(1, 1).with_columns(pl.lit(value, dtype=pl.String).alias(column))
            frame = pl.concat([frame.head(1), changed, frame.slice(2)])
        frame.write_parquet(target)
    shutil.copy(data / "policy.yaml", parquet / "policy.yaml")
    with pytest.raises(BadInput) as error:
        screen_folder(parquet, AS_OF)
    assert message in str(error.value) and "(2 bad" not in str(error.value)


@pytest.mark.parametrize("typed", [False, True])
def test_two_insurance_rows_of_one_person_for_the_year_of_d_are_refused(
    data: Path, tmp_path: Path, typed: bool
) -> None:
    # R09 would follow the "not enrolled" row and ignore the "enrolled" one.
    with (data / "feeds" / "insurance.csv").open("a", encoding="utf-8") as handle:
        handle.write("530129196709208589,2024,false\n")
    if typed:  # found out by the Polars scan of the ID numbers (DuckDB)
        _write_typed(data, data := tmp_path / "typed")
    with pytest.raises(BadInput, match="ID number 530129196709208589 has two rows for year 2024"):
        screen_folder(data, AS_OF)


@pytest.mark.parametrize("typed", [False, True])
def test_two_insurance_rows_of_another_year_change_no_clue(
    data: Path, tmp_path: Path, typed: bool
) -> None:
    # Left to `povguard import` (a key error there): R09 reads D's year only.
    with (data / "feeds" / "insurance.csv").open("a", encoding="utf-8") as handle:
        handle.write("530124198408168947,2023,false\n")
    if typed:
        _write_typed(data, data := tmp_path / "typed")
    assert screen_folder(data, AS_OF).counts["clues"] == 438


# Values DuckDB's own CSV parsing would take (2024-7-5, 5.123e2, 2023.0): `screen --data` refuses
# them as `povguard import` does, with the same line, column and reason.
LENIENT = [
    ("feeds/medical.csv", 2, 2, "2024-7-5", "date", "not a valid date"),
    ("members.csv", 3, 5, "1966-1-9", "birth_date", "not a valid date"),
    ("feeds/medical.csv", 4, 5, "5.123e2", "out_of_pocket", "not a valid money"),
    ("feeds/insurance.csv", 2, 1, "2023.0", "year", "not a valid int"),
    ("feeds/insurance.csv", 3, 1, "2e3", "year", "not a valid int"),
    ("feeds/insurance.csv", 2, 1, "+2023", "year", "not a valid int"),
]


@pytest.mark.parametrize(("file", "line", "column", "value", "name", "reason"), LENIENT)
def test_values_a_lenient_parser_would_take_are_refused_as_import_refuses_them(
    data: Path, tmp_path: Path, file: str, line: int, column: int, value: str, name: str,
    reason: str,
) -> None:  # fmt: skip
    _edit(data / file, _set(line, column, value))
    with pytest.raises(BadInput) as error:
        screen_folder(data, AS_OF)
    assert str(error.value) == f"{data / file}: line {line}: {name}: {reason}"
    with pytest.raises(ImportRejected) as rejected:
        validate(data, lake=tmp_path / "lake")
    first = rejected.value.errors.row(0, named=True)
    assert (first["line"], first["column"], first["reason"]) == (line, name, reason)


def test_a_bad_value_after_blank_lines_is_reported_on_its_own_line(data: Path) -> None:
    def change(lines: list[str]) -> None:
        lines[2:2] = ["", ",,,,,", " , , , , , "]  # the bad value moves from line 4 to 7
        _set(7, 2, "2024-02-30")(lines)

    _edit(data / "feeds/medical.csv", change)
    with pytest.raises(BadInput, match=r"medical\.csv: line 7: date: not a real date"):
        screen_folder(data, AS_OF)


def test_a_line_with_too_many_values_is_refused_on_both_paths(data: Path, tmp_path: Path) -> None:
    _edit(data / "feeds/medical.csv", lambda lines: lines.__setitem__(2, lines[2] + ",extra"))
    problem = "line 3: 7 values where the header names 6 columns"
    with pytest.raises(BadInput, match=rf"medical\.csv: {problem}$"):
        screen_folder(data, AS_OF)
    with pytest.raises(ImportRejected) as rejected:
        validate(data, lake=tmp_path / "lake")
    first = rejected.value.errors.row(0, named=True)
    assert f"line {first['line']}: {first['reason']}" == problem


def test_a_line_without_its_last_empty_values_reads_as_if_they_were_there(
    data: Path, tmp_path: Path
) -> None:
    path = data / "feeds/disaster.csv"
    with_commas = screen_folder(data, AS_OF).clues
    _edit(path, lambda lines: lines.__setitem__(1, lines[1].rsplit(",", 1)[0] + ","))
    emptied = screen_folder(data, AS_OF).clues
    _edit(path, lambda lines: lines.__setitem__(1, lines[1].rstrip(",")))
    assert screen_folder(data, AS_OF).clues.equals(emptied)
    assert emptied.height == with_commas.height
    validate(data, lake=tmp_path / "lake")  # import reads it too


def test_a_file_cut_short_is_refused_naming_its_last_line(data: Path) -> None:
    path = data / "income.csv"
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text.rsplit(",", 1)[0], encoding="utf-8")  # the optional `source` lost
    line = text.count("\n") + 1
    with pytest.raises(BadInput, match=rf"income\.csv: line {line}: .* it looks cut short$"):
        screen_folder(data, AS_OF)


def test_an_unclosed_quote_names_its_line(data: Path) -> None:
    _edit(data / "feeds/medical.csv", _set(3, 2, '"2023-10-29'))
    with pytest.raises(BadInput, match=r"medical\.csv: line 3: a quoted value is never closed$"):
        screen_folder(data, AS_OF)


def test_a_line_with_too_many_values_is_named_in_a_file_of_mixed_line_ends(data: Path) -> None:
    """(DuckDB reads such a file from a copy whose lines all end in LF: the message names the
    file itself.)"""
    path = data / "feeds/medical.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] += ",1"
    path.write_bytes(("\r\n".join(lines[:3]) + "\r\n" + "\n".join(lines[3:]) + "\n").encode())
    with pytest.raises(BadInput, match=rf"^{path}: line 5: 7 values where the header names 6"):
        screen_folder(data, AS_OF)


def test_a_column_name_holding_a_line_break_is_refused(data: Path) -> None:
    path = data / "feeds/medical.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("record_id", '"record_id\r"', 1), encoding="utf-8")
    with pytest.raises(BadInput, match=r"medical\.csv: line 1: a column name holds a line break"):
        screen_folder(data, AS_OF)
