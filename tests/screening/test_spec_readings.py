"""SPEC §4–§6 read a second time, independently of the engine: the edges the rule-edge dataset
(test_rule_edges.py) leaves out. D = 2024-07-15, so W = 2023-07 … 2024-06 and
W′ = 2022-07 … 2023-06; line 7260; RDI 16361. Each dataset is also screened by the reference
reading (reference.py), which must agree row for row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from povguard.screening.service import screen_folder
from tests.screening import reference
from tests.screening.builders import Dataset

D = dt.date(2024, 7, 15)
ADULT = dt.date(1980, 3, 1)
CHILD = dt.date(2014, 1, 1)  # 10 at D
GUANGDONG_VILLAGE = "440103001001"
Result = dict[str, tuple[str, str, str, str]]


def _screened(folder: Path) -> Result:
    clues = screen_folder(folder, D).clues
    rows = [
        {k: row[k] or "" for k in ("household_id", "category", "rules", "pc_income", "line")}
        for row in clues.iter_rows(named=True)
    ]
    assert rows == reference.screen(folder, D)
    return {
        row["household_id"]: (row["rules"], row["category"], row["pc_income"], row["line"])
        for row in rows
    }


def _household(ds: Dataset, hh: str, *, members: int = 1, annual: float | None = 40000,
               village: str | None = None) -> list[str]:  # fmt: skip
    if village:
        ds.household(hh, village=village)
    else:
        ds.household(hh)
    people = [ds.member(hh, ADULT) for _ in range(members)]
    if annual is not None:
        ds.year_income(hh, annual)
    return people


def _income_rules(ds: Dataset) -> None:
    # R02: a fall to exactly (1 − 0.3) × pc_income(W′) fires; W′ unknown or ≤ 0 never does.
    _household(ds, "DROP_EQ", annual=10500)
    ds.year_income("DROP_EQ", 15000, window="W′")
    _household(ds, "DROP_MISS", annual=10500.01)
    ds.year_income("DROP_MISS", 15000, window="W′")
    _household(ds, "DROP_WP_5M", annual=5000)
    ds.income("DROP_WP_5M", "2022-07", "2022-11", 100000)
    _household(ds, "DROP_WP_ZERO", annual=5000)
    ds.year_income("DROP_WP_ZERO", 0, window="W′")
    # R03: 6 months of income are annualised (8000), the spending in W is not.
    for hh, oop in [("RIGID_700", "700.00"), ("RIGID_EQ", "740.00"), ("RIGID_FIRES", "740.01")]:
        person = _household(ds, hh, annual=None)[0]
        ds.income(hh, "2024-01", "2024-06", 4000)
        ds.feed("medical", id_number=person, date=dt.date(2024, 6, 30), out_of_pocket=oop)
    # pc_income rounds half away from zero below zero too.
    _household(ds, "ROUND_NEG_HALF", members=2, annual=-0.01)  # −0.005
    _household(ds, "ROUND_NEG_ZERO", members=3, annual=-0.01)  # −0.0033…


def _feed_rules(ds: Dataset) -> None:
    # R05: any loss when the window income is 0; otherwise the annualised household total.
    _household(ds, "LOSS_ZERO_INCOME", annual=0)
    ds.feed("disaster", household_id="LOSS_ZERO_INCOME", date=dt.date(2024, 1, 1), loss="0.01")
    for hh, loss in [("LOSS_ANNUAL", "10000.00"), ("LOSS_ANNUAL_MISS", "9999.99")]:
        _household(ds, hh, members=2, annual=None)
        ds.income(hh, "2024-01", "2024-06", 10000)  # 20000 a year, 10000 per person
        ds.feed("disaster", household_id=hh, date=dt.date(2024, 1, 1), loss=loss)
    # R08: costs of every status, summed over the household's members, compared with `>`.
    for hh, second in [("EDU_EQ", "6000.00"), ("EDU_ABOVE", "6000.01")]:
        one, two = _household(ds, hh, members=2)
        ds.feed("education", id_number=one, date=dt.date(2023, 9, 1), status="enrolled",
                cost="4000.00")  # fmt: skip
        ds.feed("education", id_number=two, date=dt.date(2024, 3, 1), status="suspended",
                cost=second)  # fmt: skip
    # R12: the latest employment record decides; returned_home and partial labour count.
    person = _household(ds, "JOB_BACK_AT_WORK")[0]
    ds.feed("employment", id_number=person, date=D - dt.timedelta(days=60), status="unemployed")
    ds.feed("employment", id_number=person, date=D - dt.timedelta(days=10), status="employed")
    ds.household("JOB_RETURNED")
    person = ds.member("JOB_RETURNED", ADULT, labour="partial")
    ds.year_income("JOB_RETURNED", 40000)
    ds.feed("employment", id_number=person, date=D - dt.timedelta(days=45), status="returned_home")
    # R07: "latest" is not limited to W: a record in D's own month, dated ≤ D, decides.
    _household(ds, "DROPOUT_THIS_MONTH")
    child = ds.member("DROPOUT_THIS_MONTH", CHILD, labour="none", relation="child")
    ds.feed("education", id_number=child, date=dt.date(2023, 9, 1), status="enrolled")
    ds.feed("education", id_number=child, date=dt.date(2024, 7, 10), status="dropout")
    # R10: a record dated D counts, one dated after D does not.
    _household(ds, "HOUSE_ON_D")
    ds.feed("housing", household_id="HOUSE_ON_D", date=D, grade="D")
    _household(ds, "HOUSE_AFTER_D")
    ds.feed("housing", household_id="HOUSE_AFTER_D", date=dt.date(2020, 1, 1), grade="B")
    ds.feed("housing", household_id="HOUSE_AFTER_D", date=D + dt.timedelta(days=1), grade="C")
    # R06: a member recorded as no longer in the household (died) is left out of every
    # person-keyed feed, the accident records too (SPEC §6, exact readings).
    _household(ds, "ACC_LEFT")
    gone = ds.member("ACC_LEFT", ADULT, in_household=False, relation="spouse")
    ds.feed("accident", id_number=gone, date=dt.date(2024, 2, 1), outcome="death")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Result:
    ds = Dataset(tmp_path_factory.mktemp("readings"), as_of=D)
    _income_rules(ds)
    _feed_rules(ds)
    return _screened(ds.write())


def rules(result: Result, hh: str) -> set[str]:
    return set(result[hh][0].split(";")) if hh in result else set()


def test_r02_fires_on_the_exact_fall_and_needs_a_known_positive_previous_window(
    result: Result,
) -> None:
    assert result["DROP_EQ"][:3] == ("R02", "sudden_difficulty", "10500.00")
    assert "DROP_MISS" not in result
    assert rules(result, "DROP_WP_5M") == {"R01"}
    assert rules(result, "DROP_WP_ZERO") == {"R01"}


def test_r03_spending_is_not_annualised_and_compares_strictly(result: Result) -> None:
    assert "RIGID_700" not in result  # 8000 − 700 ≥ 7260 (annualised spending would fire)
    assert "RIGID_EQ" not in result  # 8000 − 740 = 7260: not below
    assert result["RIGID_FIRES"][:3] == ("R03", "sudden_difficulty", "8000.00")


def test_negative_pc_income_rounds_half_away_from_zero(result: Result) -> None:
    assert result["ROUND_NEG_HALF"][:3] == ("R01", "marginal", "-0.01")
    assert result["ROUND_NEG_ZERO"][:3] == ("R01", "marginal", "0.00")


def test_r05_any_loss_at_zero_income_else_the_annualised_household_total(result: Result) -> None:
    assert rules(result, "LOSS_ZERO_INCOME") == {"R01", "R05"}
    assert rules(result, "LOSS_ANNUAL") == {"R03", "R05"}  # 10000 ≥ 0.5 × 20000
    assert rules(result, "LOSS_ANNUAL_MISS") == {"R03"}  # not the 6 months' 10000


def test_r08_sums_the_members_costs_of_any_status(result: Result) -> None:
    assert "EDU_EQ" not in result
    assert rules(result, "EDU_ABOVE") == {"R08"}


def test_r12_the_latest_record_decides(result: Result) -> None:
    assert "JOB_BACK_AT_WORK" not in result
    assert rules(result, "JOB_RETURNED") == {"R12"}


def test_r07_latest_record_in_the_month_of_d(result: Result) -> None:
    assert rules(result, "DROPOUT_THIS_MONTH") == {"R07"}


def test_r10_a_record_dated_d_counts_a_later_one_does_not(result: Result) -> None:
    assert rules(result, "HOUSE_ON_D") == {"R10"}
    assert "HOUSE_AFTER_D" not in result


def test_r06_leaves_out_members_no_longer_in_the_household(result: Result) -> None:
    assert "ACC_LEFT" not in result


def test_each_province_uses_its_own_policy_entry_for_the_year_of_d(tmp_path: Path) -> None:
    ds = Dataset(tmp_path, as_of=D)
    for hh, village in [("GD_LOW", GUANGDONG_VILLAGE), ("YN_LOW", None)]:
        _household(ds, hh, annual=8000, village=village)
    for hh, village in [("GD_MED", GUANGDONG_VILLAGE), ("YN_MED", None)]:
        person = _household(ds, hh, village=village)[0]
        ds.feed("medical", id_number=person, date=dt.date(2024, 1, 1), out_of_pocket="10000.01")
    folder = ds.write()
    guangdong = {"province": "440000000000", "monitoring_line": 8700,
                 "rural_disposable_income": 20000, "medical_ratio_other": 0.5}  # fmt: skip
    entries = [ds.policy, {**guangdong, "year": 2024},
               {**guangdong, "year": 2023, "monitoring_line": 99999}]  # fmt: skip
    (folder / "policy.yaml").write_text(yaml.safe_dump(entries), encoding="utf-8")
    result = _screened(folder)
    assert result["GD_LOW"] == ("R01", "marginal", "8000.00", "8700")
    assert "YN_LOW" not in result  # 8000 ≥ 7260
    assert result["GD_MED"] == ("R04", "sudden_difficulty", "40000.00", "8700")
    assert "YN_MED" not in result  # 10000.01 ≤ 1.0 × 16361
