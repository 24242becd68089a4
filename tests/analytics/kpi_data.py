"""Case-table rows for KPI and report tests, inserted directly (a varied history, quickly).

`seed(session, households)` gives each household (id, village) a story: identified on some
day, maybe eliminated, maybe returned to risk, with or without measures, so every KPI has
something to count. Rows go in with SQLAlchemy; the procedure itself is tested in tests/cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from povguard.cases.models import Case, Measure, MonitoringObject

CATEGORIES = ("unstable", "marginal", "sudden_difficulty")
CAUSES = (["01"], ["07", "04"], ["0203"], ["01", "09"], ["06"])
RULES = ("R01", "R03;R05", "R02", None, "R01;R07")
MONTHS = [dt.date(2024, month, 1) for month in range(1, 13)]


def new_case(
    household_id: str,
    village: str,
    *,
    kind: str,
    state: str,
    received_on: dt.date,
    closed_on: dt.date | None,
    source: str = "screening",
    rules: str | None = None,
    returned: bool = False,
) -> Case:
    return Case(
        household_id=household_id, village_code=village, kind=kind, source=source, state=state,
        is_open=closed_on is None, rules=rules, causes=[], returned_to_risk=returned,
        received_on=received_on, accepted_on=received_on, closed_on=closed_on,
        identification_days=30, publicity_days=5, stable_months=6, created_by="test",
        created_at=dt.datetime.combine(received_on, dt.time(9), dt.UTC),
    )  # fmt: skip


def add_case(session: Session, household_id: str, village: str, **values: Any) -> Case:
    """A case as `new_case` makes it, stored (it has its id)."""
    case = new_case(household_id, village, **values)
    session.add(case)
    session.flush()
    return case


def _measure(case: Case, group: str, status: str, start: dt.date) -> Measure:
    return Measure(
        household_id=case.household_id, case_id=case.id, village_code=case.village_code,
        group=group, type="subsidy" if group == "industry" else "dibao",
        responsible_unit="乡农业服务中心", start=start, status=status,
    )  # fmt: skip


@dataclass(frozen=True)
class _Story:
    index: int
    household_id: str
    village: str

    @property
    def variant(self) -> int:
        return self.index % 5

    @property
    def approved(self) -> dt.date:
        received = MONTHS[self.index % 12] + dt.timedelta(days=self.index % 9)
        return received + dt.timedelta(days=10 + 7 * self.variant)

    @property
    def eliminated(self) -> dt.date | None:
        on = self.approved + dt.timedelta(days=45 if self.variant == 1 else 120)
        return on if self.variant in (1, 2) and on.year == 2024 else None

    def cases(self) -> tuple[Case, Case | None]:
        rules = RULES[self.variant]
        identification = new_case(
            self.household_id, self.village, kind="identification", state="monitoring_object",
            received_on=self.approved - dt.timedelta(days=10 + 7 * self.variant),
            closed_on=self.approved, rules=rules, returned=self.variant == 4,
            source="screening" if rules else "cadre_visit",
        )  # fmt: skip
        if self.eliminated is None:
            return identification, None
        elimination = new_case(
            self.household_id, self.village, kind="elimination", state="eliminated",
            received_on=self.eliminated - dt.timedelta(days=20), closed_on=self.eliminated,
        )  # fmt: skip
        return identification, elimination

    def object_and_measures(self, case: Case) -> list[MonitoringObject | Measure]:
        gone = self.eliminated is not None
        rows: list[MonitoringObject | Measure] = [
            MonitoringObject(
                household_id=self.household_id, village_code=self.village,
                status="eliminated" if gone else "monitored",
                category=CATEGORIES[self.index % 3], causes=CAUSES[self.variant],
                identified_on=self.approved, identification_case_id=case.id,
                secured_by_social_security=self.variant == 3, eliminated_on=self.eliminated,
                pc_income_at_elimination=Decimal("5200.00" if self.variant == 1 else "9800.00")
                if gone else None,
                line_at_elimination=Decimal("6000.00") if gone else None,
            )
        ]  # fmt: skip
        if self.variant in (0, 2):
            rows.append(_measure(case, "industry", "in_progress", self.approved))
        if self.variant == 3:
            rows.append(_measure(case, "social_security", "done", self.approved))
        return rows


def seed(session: Session, households: list[tuple[str, str]]) -> None:
    """A story per household (id, village); the i-th household gets variant i mod 5.

    Rows go in two batches (cases, then what refers to them), so thousands of stories take
    seconds."""
    stories = [_Story(i, h, v) for i, (h, v) in enumerate(households)]
    cases = [story.cases() for story in stories]
    session.add_all([case for pair in cases for case in pair if case is not None])
    session.flush()
    session.add_all([row for story, (case, _) in zip(stories, cases, strict=True)
                     for row in story.object_and_measures(case)])  # fmt: skip
    rejected_household, village = households[0]
    add_case(
        session, rejected_household, village, kind="identification", state="rejected",
        received_on=MONTHS[2], closed_on=MONTHS[2] + dt.timedelta(days=3), rules="R01",
    )  # fmt: skip
    add_case(
        session, rejected_household, village, kind="identification", state="home_visit",
        received_on=dt.date(2024, 1, 2), closed_on=None, rules="R03",
    )  # fmt: skip
    session.flush()
