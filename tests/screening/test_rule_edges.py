"""Every rule on its edges (SPEC §6 "Exact readings"): thresholds, windows, ages, latest
records, members who left, household versus village water. D = 2024-07-15, so
W = 2023-07 … 2024-06 and W′ = 2022-07 … 2023-06; line 7260; RDI 16361."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from povguard.screening.service import screen_folder
from tests.screening.builders import OTHER_VILLAGE, Dataset

D = dt.date(2024, 7, 15)
ADULT = dt.date(1980, 3, 1)
Result = dict[str, tuple[str, str, str]]


def _household(ds: Dataset, hh: str, *, members: int = 2, annual: float = 40000,
               status: str = "ordinary", village: str | None = None) -> list[str]:  # fmt: skip
    if village:
        ds.household(hh, status=status, village=village)
    else:
        ds.household(hh, status=status)
    ids = [ds.member(hh, ADULT, relation="head" if i == 0 else "spouse") for i in range(members)]
    if annual is not None:
        ds.year_income(hh, annual)
    return ids


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Result:
    ds = Dataset(tmp_path_factory.mktemp("edges"), as_of=D)
    # Income thresholds and coverage.
    _household(ds, "INC_EQUAL", annual=7260 * 2)  # pc == line: not below
    _household(ds, "INC_BELOW", annual=7260 * 2 - 0.01)  # pc 7259.995: below, printed 7260.00
    ds.household("INC_5M")
    ds.member("INC_5M", ADULT)
    ds.income("INC_5M", "2023-07", "2023-11", 100)  # 5 months: unknown
    ds.household("INC_6M", status="formerly_poor")
    ds.member("INC_6M", ADULT)
    ds.income("INC_6M", "2024-01", "2024-06", 3000)  # 6 months: 6000 a year
    ds.household("INC_EDGE")
    ds.member("INC_EDGE", ADULT)
    ds.income("INC_EDGE", "2023-06", "2023-08", 100)  # straddles W's start: ignored
    ds.income("INC_EDGE", "2023-09", "2024-06", 100000)  # 10 months
    ds.income("INC_EDGE", "2024-07", "2024-07", 1)  # D's own month: ignored
    # R02: W′ 20000 per person, W 9000 per person.
    _household(ds, "DROP", members=1, annual=9000)
    ds.year_income("DROP", 20000, window="W′")
    _household(ds, "DROP_NEAR", members=1, annual=10890)  # not < 1.5 × line
    ds.year_income("DROP_NEAR", 20000, window="W′")
    # R04 thresholds.
    for hh, status, oop in [("MED_FP_EQ", "formerly_poor", "8180.50"),
                            ("MED_FP_ABOVE", "formerly_poor", "8180.51"),
                            ("MED_ORD_EQ", "ordinary", "16361.00")]:  # fmt: skip
        person = _household(ds, hh, status=status)[0]
        ds.feed("medical", id_number=person, date=dt.date(2023, 7, 1), out_of_pocket=oop)
    person = _household(ds, "MED_OUTSIDE_W")[0]
    ds.feed("medical", id_number=person, date=dt.date(2023, 6, 30), out_of_pocket="90000.00")
    ds.feed("medical", id_number=person, date=dt.date(2024, 7, 1), out_of_pocket="90000.00")
    # A member who left: not counted, costs not counted.
    _household(ds, "LEFT", members=1, annual=7260 * 1.5)
    gone = ds.member("LEFT", ADULT, in_household=False, relation="child")
    ds.feed("medical", id_number=gone, date=dt.date(2024, 1, 1), out_of_pocket="90000.00")
    # R07 ages and latest records.
    for hh, born, status in [("AGE6", dt.date(2018, 7, 15), "dropout"),
                             ("AGE5", dt.date(2018, 7, 16), "dropout"),
                             ("AGE15", dt.date(2008, 7, 16), "suspended"),
                             ("AGE16", dt.date(2008, 7, 15), "dropout")]:  # fmt: skip
        _household(ds, hh)
        child = ds.member(hh, born, labour="none", relation="child")
        ds.feed("education", id_number=child, date=dt.date(2023, 9, 1), status=status)
    _household(ds, "BACK_AT_SCHOOL")
    child = ds.member("BACK_AT_SCHOOL", dt.date(2014, 1, 1), labour="none", relation="child")
    ds.feed("education", id_number=child, date=dt.date(2023, 9, 1), status="dropout")
    ds.feed("education", id_number=child, date=dt.date(2024, 3, 1), status="enrolled")
    ds.feed("education", id_number=child, date=dt.date(2024, 7, 20), status="dropout")
    # R12 days and labour.
    for hh, days, labour in [("JOB30", 30, "full"), ("JOB29", 29, "full"),
                             ("JOBNONE", 60, "none")]:  # fmt: skip
        ds.household(hh)
        person = ds.member(hh, ADULT, labour=labour)
        ds.year_income(hh, 40000)
        ds.feed("employment", id_number=person, date=D - dt.timedelta(days=days),
                status="unemployed")  # fmt: skip
    # R15 days.
    for hh, days in [("DECL90", 90), ("DECL91", 91), ("DECL0", 0), ("DECL_LATER", -1)]:
        _household(ds, hh)
        ds.declaration(hh, D - dt.timedelta(days=days))
    # R11: the household's own record decides, even when the village has a newer one.
    _household(ds, "WATER_OWN", village=OTHER_VILLAGE)
    ds.feed("water", household_id="WATER_OWN", date=dt.date(2020, 1, 1), safe="true")
    _household(ds, "WATER_VILLAGE", village=OTHER_VILLAGE)
    ds.feed("water", village_code=OTHER_VILLAGE, date=dt.date(2024, 1, 1), safe="false")
    ds.feed("water", village_code=OTHER_VILLAGE, date=dt.date(2024, 7, 16), safe="true")
    # R09: only D's year.
    person = _household(ds, "INS_OTHER_YEAR")[0]
    ds.feed("insurance", id_number=person, year=2023, enrolled="false")
    person = _household(ds, "INS_THIS_YEAR")[0]
    ds.feed("insurance", id_number=person, year=2024, enrolled="false")
    # R05.
    _household(ds, "COLLAPSED")
    ds.feed("disaster", household_id="COLLAPSED", date=dt.date(2024, 6, 30), loss="0",
            house_damage="collapsed")  # fmt: skip
    _household(ds, "LOSS_SMALL", annual=40000)
    ds.feed("disaster", household_id="LOSS_SMALL", date=dt.date(2024, 1, 1), loss="19999.99")
    _household(ds, "LOSS_HALF", annual=40000)
    ds.feed("disaster", household_id="LOSS_HALF", date=dt.date(2024, 1, 1), loss="20000.00")
    _household(ds, "LOSS_UNKNOWN", annual=None)  # type: ignore[arg-type]
    ds.feed("disaster", household_id="LOSS_UNKNOWN", date=dt.date(2024, 1, 1), loss="1.00")
    # R16: only the start month.
    person = _household(ds, "CIVIL_IN_W")[0]
    ds.feed("civil", id_number=person, program="dibao", start=dt.date(2023, 7, 1))
    person = _household(ds, "CIVIL_BEFORE_W")[0]
    ds.feed("civil", id_number=person, program="dibao", start=dt.date(2023, 6, 30),
            end=dt.date(2025, 1, 1))  # fmt: skip
    clues = screen_folder(ds.write(), D).clues
    return {
        row["household_id"]: (row["rules"], row["category"], row["pc_income"] or "")
        for row in clues.iter_rows(named=True)
    }


def rules(result: Result, hh: str) -> set[str]:
    return set(result[hh][0].split(";")) if hh in result else set()


def test_income_thresholds_and_coverage(result: Result) -> None:
    assert "INC_EQUAL" not in result
    assert result["INC_BELOW"] == ("R01", "marginal", "7260.00")
    assert "R01" not in rules(result, "INC_5M")
    assert result["INC_6M"] == ("R01", "unstable", "6000.00")
    assert "INC_EDGE" not in result  # 100000 over 10 months: 120000 a year


def test_r02_needs_a_fall_and_nearness_to_the_line(result: Result) -> None:
    assert result["DROP"][0] == "R02"
    assert "DROP_NEAR" not in result


def test_r04_thresholds_by_status_and_window(result: Result) -> None:
    assert "MED_FP_EQ" not in result
    assert "R04" in rules(result, "MED_FP_ABOVE")
    assert "MED_ORD_EQ" not in result
    assert "MED_OUTSIDE_W" not in result


def test_members_who_left_do_not_count(result: Result) -> None:
    # 10890 a year for the one member still in the household: above the line, no R04.
    assert "LEFT" not in result


def test_r07_ages_on_the_day_and_the_latest_record(result: Result) -> None:
    assert "R07" in rules(result, "AGE6")
    assert "AGE5" not in result
    assert "R07" in rules(result, "AGE15")
    assert "AGE16" not in result
    assert "BACK_AT_SCHOOL" not in result


def test_r12_days_and_labour(result: Result) -> None:
    assert rules(result, "JOB30") == {"R12"}
    assert "JOB29" not in result and "JOBNONE" not in result


def test_r15_day_window(result: Result) -> None:
    assert rules(result, "DECL90") == {"R15"} and rules(result, "DECL0") == {"R15"}
    assert "DECL91" not in result and "DECL_LATER" not in result


def test_r11_household_record_before_village(result: Result) -> None:
    assert "WATER_OWN" not in result
    assert rules(result, "WATER_VILLAGE") == {"R11"}


def test_r09_only_this_years_insurance(result: Result) -> None:
    assert "INS_OTHER_YEAR" not in result
    assert rules(result, "INS_THIS_YEAR") == {"R09"}


def test_r05_collapse_and_loss_share(result: Result) -> None:
    assert rules(result, "COLLAPSED") == {"R05"}
    assert "LOSS_SMALL" not in result
    assert rules(result, "LOSS_HALF") == {"R05"}
    assert result["LOSS_UNKNOWN"] == ("R05", "sudden_difficulty", "")


def test_r16_start_month_only(result: Result) -> None:
    assert rules(result, "CIVIL_IN_W") == {"R16"}
    assert "CIVIL_BEFORE_W" not in result


def test_builder_writes_the_spec_columns(tmp_path: Path) -> None:
    folder = Dataset(tmp_path).write()
    header = (folder / "members.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("member_id,household_id,id_number")
