"""Measures, green channel, elimination, returned to risk, referrals and data-quality flags."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.audit.models import AuditEntry
from povguard.cases import assistance, service
from povguard.cases.enums import (
    Action,
    CaseKind,
    CaseSource,
    CaseState,
    Category,
    EliminationRoute,
    MeasureGroup,
    MeasureStatus,
    ReferralAnswer,
    ReferralProgram,
)
from povguard.cases.models import MonitoringObject
from povguard.cases.schemas import (
    CaseRead,
    EliminationEvidence,
    MeasureCreate,
    ReferralAnswerIn,
    ReferralCreate,
)
from povguard.core.errors import Conflict, NotFound
from tests.cases.factories import (
    CADRE_A,
    COUNTY_OFFICER,
    TOWNSHIP_A_OFFICER,
    TOWNSHIP_B_OFFICER,
    VILLAGE_A,
    add_household,
)
from tests.cases.helpers import DAY0, identify, open_case, step

LINE = Decimal("6900")


def measure(
    group: MeasureGroup, type_: str, status: MeasureStatus = MeasureStatus.DONE
) -> MeasureCreate:
    return MeasureCreate(
        group=group,
        type=type_,
        responsible_unit="县人社局",
        responsible_cadre="王五",
        start=DAY0,
        amount=Decimal("1200.00"),
        status=status,
    )


def evidence(
    as_of: dt.date, *, income: Decimal = Decimal("9000"), **changes: Any
) -> EliminationEvidence:
    months = {}
    for back in range(1, 7):
        first = (as_of.replace(day=1) - dt.timedelta(days=28 * back)).strftime("%Y-%m")
        months[first] = income
    values: dict[str, Any] = {
        "monthly_pc_income": months,
        "rigid_spending_resolved": True,
        "education_secured": True,
        "medical_secured": True,
        "housing_secured": True,
        "water_secured": True,
        "open_rules": [],
        "line": LINE,
    }
    values.update(changes)
    return EliminationEvidence.model_validate(values)


def monitored(session: Session, **household: Any) -> tuple[str, CaseRead]:
    h = add_household(session, **household)
    case = identify(
        session, open_case(session, h.household_id, causes=["07"]), category=Category.MARGINAL
    )
    return h.household_id, case


def run_elimination(
    session: Session, household_id: str, start: dt.date, ev: EliminationEvidence, **approve: Any
) -> CaseRead:
    case = open_case(
        session,
        household_id,
        kind=CaseKind.ELIMINATION,
        source=CaseSource.CADRE_VISIT,
        received_on=start,
    )
    day = start
    case = step(session, case, Action.ACCEPT, CADRE_A, day)
    case = step(session, case, Action.RECORD_VISIT, CADRE_A, day, authorisation_signed=True)
    case = step(session, case, Action.RECORD_CROSS_CHECK, COUNTY_OFFICER, day, elimination=ev)
    case = step(session, case, Action.RECORD_APPRAISAL, TOWNSHIP_A_OFFICER, day)
    case = step(session, case, Action.START_PUBLICITY, TOWNSHIP_A_OFFICER, day)
    day += dt.timedelta(days=5)
    case = step(session, case, Action.CLOSE_PUBLICITY, TOWNSHIP_A_OFFICER, day)
    case = step(session, case, Action.REVIEW, TOWNSHIP_A_OFFICER, day)
    return step(session, case, Action.APPROVE, COUNTY_OFFICER, day, **approve)


def test_measures_wait_for_identification_unless_green_channel(session: Session) -> None:
    ordinary = add_household(session)
    case = open_case(session, ordinary.household_id, causes=["07"])
    assert not case.green_channel
    with pytest.raises(Conflict, match="measures start once"):
        assistance.add_measure(
            session, CADRE_A, case.id, measure(MeasureGroup.EMPLOYMENT, "workshop_job")
        )
    flood = add_household(session)
    green = open_case(session, flood.household_id, causes=["0201"])
    assert green.green_channel and green.state is CaseState.CLUE
    added = assistance.add_measure(
        session, CADRE_A, green.id, measure(MeasureGroup.SOCIAL_SECURITY, "temporary_assistance")
    )
    assert added.status is MeasureStatus.DONE and added.household_id == flood.household_id
    # the procedure must still be completed
    assert service.get(session, CADRE_A, green.id).is_open


GREEN_CHANNEL_CASES = [
    (["05"], False, "healthy", True),
    (["01"], True, "healthy", True),
    (["01"], False, "serious", True),
    (["01"], False, "chronic", False),
    (["0207", "07"], False, "healthy", True),
    (["06"], False, "healthy", False),
]


def test_green_channel_causes(session: Session) -> None:
    for causes, serious, health, green in GREEN_CHANNEL_CASES:
        h = add_household(session, health=health)
        case = open_case(session, h.household_id, causes=causes, serious_illness=serious)
        assert case.green_channel is green, (causes, serious, health)


def test_measure_type_must_belong_to_group() -> None:
    with pytest.raises(ValueError, match="'dibao' is not a industry measure"):
        measure(MeasureGroup.INDUSTRY, "dibao")


def test_plan_warning_for_labour_capable_household(session: Session) -> None:
    household_id, case = monitored(session, labour=("full",))
    assert assistance.plan_warnings(session, CADRE_A, household_id) == [
        assistance.DEVELOPMENT_WARNING
    ]
    assistance.add_measure(
        session, CADRE_A, case.id, measure(MeasureGroup.SOCIAL_SECURITY, "dibao")
    )
    assert assistance.plan_warnings(session, CADRE_A, household_id) == [
        assistance.DEVELOPMENT_WARNING
    ]
    assistance.add_measure(
        session, CADRE_A, case.id, measure(MeasureGroup.INDUSTRY, "courtyard_economy")
    )
    assert assistance.plan_warnings(session, CADRE_A, household_id) == []
    no_labour_id, _ = monitored(session, labour=("none",))
    assert assistance.plan_warnings(session, CADRE_A, no_labour_id) == []


def test_measure_status_is_versioned_and_audited(session: Session) -> None:
    _, case = monitored(session)
    m = assistance.add_measure(
        session,
        CADRE_A,
        case.id,
        measure(MeasureGroup.EMPLOYMENT, "labour_transfer", MeasureStatus.PLANNED),
    )
    moved = assistance.set_measure_status(
        session, CADRE_A, m.id, status=MeasureStatus.IN_PROGRESS, version=m.version
    )
    assert moved.version == m.version + 1
    with pytest.raises(Conflict, match="you had 1"):
        assistance.set_measure_status(session, CADRE_A, m.id, status=MeasureStatus.DONE, version=1)
    with pytest.raises(NotFound):
        assistance.set_measure_status(
            session, TOWNSHIP_B_OFFICER, m.id, status=MeasureStatus.DONE, version=moved.version
        )


def test_elimination_after_six_months_with_measure(session: Session) -> None:
    household_id, case = monitored(session)
    assistance.add_measure(
        session, CADRE_A, case.id, measure(MeasureGroup.EMPLOYMENT, "workshop_job")
    )
    start = dt.date(2024, 10, 1)
    done = run_elimination(
        session, household_id, start, evidence(start), route=EliminationRoute.BY_ASSISTANCE
    )
    assert done.state is CaseState.ELIMINATED and done.route is EliminationRoute.BY_ASSISTANCE
    obj = session.get(MonitoringObject, household_id)
    assert (
        obj is not None and obj.status == "eliminated" and obj.eliminated_on == dt.date(2024, 10, 6)
    )
    assert obj.pc_income_at_elimination == Decimal("9000.00")
    # back at risk: a new identification case is marked returned to risk
    again = open_case(session, household_id, received_on=dt.date(2025, 1, 5))
    assert again.returned_to_risk and again.kind is CaseKind.IDENTIFICATION


def test_no_elimination_before_six_months(session: Session) -> None:
    household_id, case = monitored(session)
    assistance.add_measure(
        session, CADRE_A, case.id, measure(MeasureGroup.EMPLOYMENT, "workshop_job")
    )
    start = dt.date(2024, 5, 1)  # identified 2024-03-11: six months end 2024-09-11
    with pytest.raises(Conflict, match="identified_6_months not met"):
        run_elimination(
            session, household_id, start, evidence(start), route=EliminationRoute.NATURALLY
        )


def test_no_elimination_without_a_measure_or_stable_income(session: Session) -> None:
    household_id, _ = monitored(session)
    start = dt.date(2024, 11, 1)
    ev = evidence(start, income=Decimal("6000"), open_rules=["R01"])
    with pytest.raises(
        Conflict, match="income_stable not met.*no_open_rule_hit not met.*measure_given"
    ):
        run_elimination(session, household_id, start, ev, route=EliminationRoute.NATURALLY)


def test_report_shows_the_data_behind_each_check(session: Session) -> None:
    household_id, _ = monitored(session)
    start = dt.date(2024, 11, 1)
    elim = open_case(
        session,
        household_id,
        kind=CaseKind.ELIMINATION,
        source=CaseSource.CADRE_VISIT,
        received_on=start,
    )
    ev = evidence(start, water_secured=False)
    report = service.elimination_report(session, COUNTY_OFFICER, elim.id, ev, today=start)
    checks = {c.name: c for c in report.checks}
    assert not report.passed
    assert checks["guarantees_and_water"].data["water"] is False
    assert checks["income_stable"].passed and checks["income_stable"].data["line"] == "6900"
    assert checks["identified_6_months"].data["earliest"] == "2024-09-11"
    assert not checks["measure_given"].passed


def test_household_without_labour_secured_by_social_security_stays_monitored(
    session: Session,
) -> None:
    household_id, case = monitored(session, labour=("none", "none"))
    assistance.add_measure(
        session, CADRE_A, case.id, measure(MeasureGroup.SOCIAL_SECURITY, "dibao")
    )
    start = dt.date(2024, 11, 1)
    done = run_elimination(
        session, household_id, start, evidence(start), route=EliminationRoute.BY_ASSISTANCE
    )
    assert done.state is CaseState.SECURED_BY_SOCIAL_SECURITY and done.route is None
    obj = session.get(MonitoringObject, household_id)
    assert obj is not None and obj.status == "monitored" and obj.secured_by_social_security


def test_referrals_are_tracked_until_answered(session: Session) -> None:
    household_id, case = monitored(session)
    referral = assistance.refer(
        session,
        CADRE_A,
        ReferralCreate(
            household_id=household_id,
            program=ReferralProgram.DIBAO,
            case_id=case.id,
            referred_on=dt.date(2024, 2, 14),
        ),
    )
    assert referral.due_on == dt.date(2024, 2, 29)  # leap year
    assert (
        assistance.list_referrals(session, CADRE_A, overdue=True, today=dt.date(2024, 2, 29)) == []
    )
    late = assistance.list_referrals(
        session, COUNTY_OFFICER, overdue=True, today=dt.date(2024, 3, 1)
    )
    assert [r.id for r in late] == [referral.id]
    assert (
        assistance.list_referrals(
            session, TOWNSHIP_B_OFFICER, overdue=True, today=dt.date(2024, 3, 1)
        )
        == []
    )
    answered = assistance.answer_referral(
        session,
        CADRE_A,
        referral.id,
        ReferralAnswerIn(
            answer=ReferralAnswer.ACCEPTED,
            answered_on=dt.date(2024, 3, 2),
            version=referral.version,
        ),
    )
    assert answered.answer is ReferralAnswer.ACCEPTED
    assert (
        assistance.list_referrals(session, CADRE_A, overdue=True, today=dt.date(2024, 4, 1)) == []
    )
    with pytest.raises(Conflict, match="already answered"):
        assistance.answer_referral(
            session,
            CADRE_A,
            referral.id,
            ReferralAnswerIn(answer=ReferralAnswer.REFUSED, version=answered.version),
            today=dt.date(2024, 4, 1),
        )


def test_data_quality_flags(session: Session) -> None:
    idle_id, _ = monitored(session, labour=("full",))  # labour, no development measure
    fast_id, fast_case = monitored(session, labour=("partial",))
    assistance.add_measure(
        session, CADRE_A, fast_case.id, measure(MeasureGroup.INDUSTRY, "microcredit")
    )
    obj = session.get(MonitoringObject, fast_id)
    assert obj is not None
    obj.status, obj.eliminated_on = "eliminated", obj.identified_on + dt.timedelta(days=40)
    obj.pc_income_at_elimination, obj.line_at_elimination = Decimal("6500"), LINE
    session.flush()
    flags = {(f.household_id, f.flag) for f in assistance.quality_flags(session, COUNTY_OFFICER)}
    assert flags == {
        (idle_id, "no_development_measure"),
        (fast_id, "eliminated_below_line"),
        (fast_id, "eliminated_within_2_months"),
    }
    assert assistance.quality_flags(session, TOWNSHIP_B_OFFICER) == []
    assert {f.village_code for f in assistance.quality_flags(session, CADRE_A)} == {VILLAGE_A}


def test_measures_and_referrals_are_audited(session: Session) -> None:
    household_id, case = monitored(session)
    m = assistance.add_measure(
        session,
        CADRE_A,
        case.id,
        measure(MeasureGroup.EMPLOYMENT, "skills_training", MeasureStatus.PLANNED),
    )
    assistance.set_measure_status(
        session, CADRE_A, m.id, status=MeasureStatus.CANCELLED, version=m.version
    )
    r = assistance.refer(
        session,
        CADRE_A,
        ReferralCreate(household_id=household_id, program=ReferralProgram.TEMPORARY),
        today=DAY0,
    )
    assistance.answer_referral(
        session,
        CADRE_A,
        r.id,
        ReferralAnswerIn(answer=ReferralAnswer.REFUSED, version=r.version),
        today=DAY0,
    )
    rows = session.execute(
        sa.select(AuditEntry.action, AuditEntry.entity, AuditEntry.before, AuditEntry.after)
        .where(AuditEntry.entity.in_(["measure", "referral"]))
        .order_by(AuditEntry.id)
    ).all()
    assert [(row.action, row.entity) for row in rows] == [
        ("add_measure", "measure"),
        ("set_measure_status", "measure"),
        ("refer", "referral"),
        ("answer_referral", "referral"),
    ]
    assert rows[1].before["status"] == "planned" and rows[1].after["status"] == "cancelled"
    assert rows[3].before["answer"] is None and rows[3].after["answer"] == "refused"
    assert r.due_on == DAY0 + dt.timedelta(days=15)
