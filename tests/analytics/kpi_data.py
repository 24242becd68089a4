"""Case-table rows for KPI and report tests, inserted directly (a varied history, quickly).

`seed(session, households)` gives each household (id, village) a story: identified on some
day, maybe eliminated, maybe returned to risk, with or without measures, so every KPI has
something to count. Rows go in with SQLAlchemy; the procedure itself is tested in tests/cases.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from povguard.cases.models import Case, Measure, MonitoringObject

CATEGORIES = ("unstable", "marginal", "sudden_difficulty")
CAUSES = (["01"], ["07", "04"], ["0203"], ["01", "09"], ["06"])
RULES = ("R01", "R03;R05", "R02", None, "R01;R07")
MONTHS = [dt.date(2024, month, 1) for month in range(1, 13)]


def add_case(
    session: Session,
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
    case = Case(
        household_id=household_id, village_code=village, kind=kind, source=source, state=state,
        is_open=closed_on is None, rules=rules, causes=[], returned_to_risk=returned,
        received_on=received_on, accepted_on=received_on, closed_on=closed_on,
        identification_days=30, publicity_days=5, stable_months=6, created_by="test",
        created_at=dt.datetime.combine(received_on, dt.time(9), dt.UTC),
    )  # fmt: skip
    session.add(case)
    session.flush()
    return case


def _measure(session: Session, case: Case, group: str, status: str, start: dt.date) -> None:
    session.add(
        Measure(
            household_id=case.household_id, case_id=case.id, village_code=case.village_code,
            group=group, type="subsidy" if group == "industry" else "dibao",
            responsible_unit="乡农业服务中心", start=start, status=status,
        )
    )  # fmt: skip


def seed(session: Session, households: list[tuple[str, str]]) -> None:
    """A story per household (id, village); the i-th household gets variant i mod 5."""
    for index, (household_id, village) in zip(itertools.count(), households, strict=False):
        variant = index % 5
        received = MONTHS[index % 12] + dt.timedelta(days=index % 9)
        approved = received + dt.timedelta(days=10 + 7 * variant)
        rules = RULES[variant]
        case = add_case(
            session, household_id, village, kind="identification", state="monitoring_object",
            received_on=received, closed_on=approved, rules=rules, returned=variant == 4,
            source="screening" if rules else "cadre_visit",
        )  # fmt: skip
        eliminated = approved + dt.timedelta(days=45 if variant == 1 else 120)
        gone = variant in (1, 2) and eliminated.year == 2024
        session.add(
            MonitoringObject(
                household_id=household_id, village_code=village,
                status="eliminated" if gone else "monitored",
                category=CATEGORIES[index % 3], causes=CAUSES[variant], identified_on=approved,
                identification_case_id=case.id, secured_by_social_security=variant == 3,
                eliminated_on=eliminated if gone else None,
                pc_income_at_elimination=Decimal("5200.00" if variant == 1 else "9800.00")
                if gone else None,
                line_at_elimination=Decimal("6000.00") if gone else None,
            )
        )  # fmt: skip
        if gone:
            add_case(
                session, household_id, village, kind="elimination", state="eliminated",
                received_on=eliminated - dt.timedelta(days=20), closed_on=eliminated,
            )  # fmt: skip
        if variant in (0, 2):
            _measure(session, case, "industry", "in_progress", approved)
        if variant == 3:
            _measure(session, case, "social_security", "done", approved)
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
