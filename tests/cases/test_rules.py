"""Pure rules: deadline and month arithmetic, elimination checks, data-quality flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from povguard.cases import deadlines, elimination
from povguard.cases.deadlines import CaseDates, add_months, months_between
from povguard.cases.enums import CaseSource, CaseState

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 8, 31), 6, D(2025, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
        (D(2024, 1, 15), -13, D(2022, 12, 15)),
    ],
)
def test_add_months_clamps_to_month_end(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


@given(st.dates(D(1990, 1, 1), D(2090, 12, 31)), st.integers(0, 120))
def test_months_between_inverts_add_months(start: dt.date, months: int) -> None:
    end = add_months(start, months)
    assert months_between(start, end) == months or start.day > end.day
    assert months_between(start, end - dt.timedelta(days=1)) < max(months, 1)


def test_procedure_deadline_counts_calendar_days_across_month_ends() -> None:
    dates = CaseDates(source=CaseSource.SCREENING, received_on=D(2024, 2, 20))
    assert deadlines.procedure_due(dates) == D(2024, 3, 6)  # 2024 has Feb 29
    dates = CaseDates(source=CaseSource.SCREENING, received_on=D(2023, 2, 20))
    assert deadlines.procedure_due(dates) == D(2023, 3, 7)
    dates = CaseDates(source=CaseSource.SCREENING, received_on=D(2024, 12, 25))
    assert deadlines.procedure_due(dates) == D(2025, 1, 9)
    assert deadlines.days_left(dates, D(2025, 1, 9)) == 0
    assert deadlines.overdue_steps(CaseState.TOWNSHIP_REVIEW, dates, D(2025, 1, 9)) == []
    assert deadlines.overdue_steps(CaseState.TOWNSHIP_REVIEW, dates, D(2025, 1, 10)) == [
        "procedure"
    ]


def test_step_deadlines() -> None:
    app = CaseDates(source=CaseSource.DECLARATION_APP, received_on=D(2024, 2, 28))
    assert deadlines.step_deadline(CaseState.CLUE, app) == deadlines.Deadline(
        "accept", D(2024, 3, 1)
    )
    hotline = CaseDates(source=CaseSource.DECLARATION_HOTLINE, received_on=D(2024, 2, 28))
    assert deadlines.step_deadline(CaseState.CLUE, hotline) is None
    visited = CaseDates(
        source=CaseSource.SCREENING,
        received_on=D(2024, 2, 26),
        accepted_on=D(2024, 2, 27),
        visited_on=D(2024, 2, 28),
    )
    assert deadlines.step_deadline(CaseState.HOME_VISIT, visited) == deadlines.Deadline(
        "home_visit", D(2024, 3, 1)
    )
    assert deadlines.step_deadline(CaseState.CROSS_CHECK, visited) == deadlines.Deadline(
        "cross_check", D(2024, 3, 4)
    )
    assert deadlines.overdue_steps(CaseState.CROSS_CHECK, visited, D(2024, 3, 5)) == ["cross_check"]


def test_income_stable_over_the_last_months() -> None:
    months = {f"2024-{m:02d}": Decimal("7000") for m in range(1, 13)}
    check = elimination.income_stable(months, Decimal("6900"), 6, D(2024, 8, 15))
    assert check.passed
    assert list(check.data["months"]) == [
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
        "2024-07",
    ]
    months["2024-04"] = Decimal("6899.99")
    failed = elimination.income_stable(months, Decimal("6900"), 6, D(2024, 8, 15))
    assert not failed.passed and failed.data["below_line"] == ["2024-04"]
    gap = elimination.income_stable({"2024-07": Decimal("9000")}, Decimal("6900"), 2, D(2024, 8, 1))
    assert not gap.passed and gap.data["missing"] == ["2024-06"]
    equal = elimination.income_stable(
        {"2024-01": Decimal("6900")}, Decimal("6900"), 1, D(2024, 2, 1)
    )
    assert equal.passed  # income ≥ line


def test_identified_six_months_at_month_end() -> None:
    assert not elimination.identified_long_enough(D(2023, 8, 31), D(2024, 2, 28)).passed
    assert elimination.identified_long_enough(D(2023, 8, 31), D(2024, 2, 29)).passed


def test_secured_by_social_security() -> None:
    assert elimination.secured_by_social_security(labour_capable=False, social_security_measures=1)
    assert not elimination.secured_by_social_security(
        labour_capable=True, social_security_measures=1
    )
    assert not elimination.secured_by_social_security(
        labour_capable=False, social_security_measures=0
    )
    assert elimination.labour_capable([("none", True), ("partial", True)])
    assert not elimination.labour_capable([("none", True), ("full", False)])


def _object(**changes: object) -> elimination.ObjectFacts:
    values: dict[str, object] = {
        "household_id": "H1",
        "village_code": "530102001001",
        "identified_on": D(2023, 12, 31),
        "eliminated_on": None,
        "pc_income_at_elimination": None,
        "line": None,
        "labour_capable": True,
        "development_measures": 1,
    }
    values.update(changes)
    return elimination.ObjectFacts(**values)  # type: ignore[arg-type]


def test_quality_flags() -> None:
    assert elimination.quality_flags(_object()) == []
    assert elimination.quality_flags(_object(development_measures=0)) == ["no_development_measure"]
    assert elimination.quality_flags(_object(development_measures=0, labour_capable=False)) == []
    early = _object(
        eliminated_on=D(2024, 2, 29), pc_income_at_elimination=Decimal("7000"), line=Decimal("6900")
    )
    assert elimination.quality_flags(early) == ["eliminated_within_2_months"]
    later = _object(
        eliminated_on=D(2024, 3, 1), pc_income_at_elimination=Decimal("6000"), line=Decimal("6900")
    )
    assert elimination.quality_flags(later) == ["eliminated_below_line"]
