"""A person who moved keeps a member row out of the old household (`in_household` false) and
has one in the new household: the registry and `screen --data` accept both rows (SPEC §3 keys
members by member_id), and the person's feed rows belong to the new household."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from povguard.auth.principal import SYSTEM
from povguard.core.db import engine_for
from povguard.core.uow import unit_of_work
from povguard.ingest.service import ImportRejected, import_dataset
from povguard.screening import runs
from povguard.screening.service import screen_folder
from tests.conftest import EXAMPLES

DATASET = EXAMPLES / "screening-yunnan-2024"
AS_OF = dt.date(2024, 7, 15)
RECORD = "MED0000002"  # a bill inside the window
NEW_HOUSEHOLD = "H000002"


def _member_of_record(data: Path) -> tuple[str, list[str], list[str]]:
    """(the record's ID number, the members file's lines, that person's row's cells)."""
    medical = (data / "feeds" / "medical.csv").read_text(encoding="utf-8").splitlines()
    id_number = next(line.split(",")[1] for line in medical if line.startswith(RECORD))
    lines = (data / "members.csv").read_text(encoding="utf-8").splitlines()
    row = next(line.split(",") for line in lines if line.split(",")[2] == id_number)
    return id_number, lines, row


def _moved(row: list[str], member_id: str) -> str:
    """The person's row in the new household."""
    return ",".join([member_id, NEW_HOUSEHOLD, *row[2:6], "other", *row[7:9], "true"])


def _left_behind(row: list[str]) -> str:
    return ",".join([*row[:9], "false"])


@pytest.fixture
def moved(tmp_path: Path) -> tuple[Path, str]:
    """The example with the person of `RECORD` moved to `NEW_HOUSEHOLD`."""
    data = tmp_path / "data"
    shutil.copytree(DATASET, data)
    id_number, lines, row = _member_of_record(data)
    lines = [_left_behind(row) if line.split(",")[0] == row[0] else line for line in lines]
    lines.append(_moved(row, "M9999999"))
    (data / "members.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data, id_number


def _clues(frame: pl.DataFrame) -> list[tuple[str, ...]]:
    fields = ("household_id", "category", "rules", "pc_income", "line", "evidence")
    return [tuple(row[f] or "" for f in fields) for row in frame.iter_rows(named=True)]


def test_screen_data_and_a_lake_run_give_the_moved_persons_bill_to_the_new_household(
    database_url: str, lake: Path, moved: tuple[Path, str]
) -> None:
    data, id_number = moved
    screened = screen_folder(data, AS_OF).clues
    import_dataset(data, lake=lake, database_url=database_url)
    bills = pl.read_parquet(lake / "feeds" / "medical" / "province=53" / "*.parquet")
    assert bills.filter(pl.col("record_id") == RECORD)["household_id"].to_list() == [NEW_HOUSEHOLD]
    with engine_for(database_url).connect() as connection:
        rows = connection.execute(
            sa.text("SELECT household_id, in_household FROM members WHERE id_number = :n"),
            {"n": id_number},
        ).all()
    assert sorted(bool(i) for h, i in rows) == [False, True]
    assert [h for h, i in rows if i] == [NEW_HOUSEHOLD]
    with unit_of_work(database_url) as session:
        run_id = runs.create_run(session, SYSTEM, as_of=AS_OF, region_code=runs.NATIONAL).id
    runs.execute_run(run_id, lake=lake, database_url=database_url)
    stored = runs.stored_clues(lake, run_id).sort("household_id").collect()
    assert _clues(stored) == _clues(screened)


def test_a_later_file_may_move_a_stored_person(
    database_url: str, lake: Path, tmp_path: Path
) -> None:
    """The new row's member id sorts before the old one's: the rows leaving a household are
    stored first, so that the ID number is never in two households on the way."""
    import_dataset(DATASET, lake=lake, database_url=database_url)
    _id_number, lines, row = _member_of_record(DATASET)
    later = tmp_path / "later"
    later.mkdir()
    text = "\n".join([lines[0], _left_behind(row), _moved(row, "A0000001")]) + "\n"
    (later / "members.csv").write_text(text, encoding="utf-8")
    import_dataset(later, lake=lake, database_url=database_url)
    again = tmp_path / "again"
    again.mkdir()
    twin = _moved(row, "B0000001").replace(NEW_HOUSEHOLD, "H000003", 1)
    (again / "members.csv").write_text(f"{lines[0]}\n{twin}\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:
        import_dataset(again, lake=lake, database_url=database_url)
    [error] = refused.value.errors.to_dicts()
    assert (
        error["reason"]
        == f"ID number already stored for member A0000001 of household {NEW_HOUSEHOLD}"
    )


def test_two_in_household_rows_of_one_person_are_still_refused(
    database_url: str, lake: Path, moved: tuple[Path, str]
) -> None:
    data, _id_number = moved
    path = data / "members.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",false\n", ",true\n"), encoding="utf-8"
    )
    with pytest.raises(ImportRejected) as refused:
        import_dataset(data, lake=lake, database_url=database_url)
    reasons = refused.value.errors["reason"].to_list()
    assert any("ID number in two in-household member rows" in r for r in reasons)
