"""Cases through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.audit.models import AuditEntry
from povguard.auth.principal import Principal
from povguard.cases import assistance, service, worklist
from povguard.cases.enums import Action, CaseKind, CaseSource, CaseState, Category
from povguard.cases.models import MonitoringObject
from povguard.cases.schemas import TransitionIn
from povguard.core.errors import BadInput, Conflict, Forbidden, NotFound
from povguard.policy.service import parse_policy
from povguard.regions.codes import Level
from tests.cases.factories import (
    ADMIN,
    AUDITOR,
    CADRE_A,
    COUNTY_OFFICER,
    TOWNSHIP_A,
    TOWNSHIP_A_OFFICER,
    TOWNSHIP_B_OFFICER,
    VILLAGE_A,
    VILLAGE_B,
    add_household,
)
from tests.cases.helpers import DAY0, identify, open_case, step


def test_full_identification_makes_a_monitoring_object(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id, rules="R01", causes=["07"])
    assert case.state is CaseState.CLUE and case.version == 1 and case.is_open
    done = identify(session, case, category=Category.MARGINAL)
    assert done.state is CaseState.MONITORING_OBJECT and not done.is_open
    assert [s.action for s in done.steps][-1] == "approve"
    assert len(done.steps) == 8
    obj = session.get(MonitoringObject, household.household_id)
    assert obj is not None and obj.status == "monitored" and obj.category == "marginal"
    assert obj.causes == ["07"] and obj.identified_on == done.closed_on


def test_second_clue_attaches_as_evidence(session: Session) -> None:
    household = add_household(session)
    first = open_case(session, household.household_id)
    again, created = service.create(
        session,
        CADRE_A,
        service.CaseCreate(
            household_id=household.household_id,
            source=CaseSource.DECLARATION_HOTLINE,
            causes=["01"],
            received_on=DAY0,
        ),
        today=DAY0,
    )
    assert not created and again.id == first.id
    assert [e.source for e in again.evidence] == ["screening", "declaration_hotline"]


def test_approval_needs_category_and_causes(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    with pytest.raises(Conflict, match="category is required.*cause codes"):
        identify(session, case)


def test_publicity_cannot_close_early(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    case = step(session, case, Action.ACCEPT, CADRE_A, DAY0)
    case = step(session, case, Action.RECORD_VISIT, CADRE_A, DAY0, authorisation_signed=True)
    case = step(session, case, Action.RECORD_CROSS_CHECK, TOWNSHIP_A_OFFICER, DAY0)
    case = step(session, case, Action.RECORD_APPRAISAL, TOWNSHIP_A_OFFICER, DAY0)
    case = step(session, case, Action.START_PUBLICITY, TOWNSHIP_A_OFFICER, DAY0)
    with pytest.raises(Conflict, match="at least 5 days.*2024-03-06"):
        step(session, case, Action.CLOSE_PUBLICITY, TOWNSHIP_A_OFFICER, DAY0 + dt.timedelta(4))
    closed = step(session, case, Action.CLOSE_PUBLICITY, TOWNSHIP_A_OFFICER, DAY0 + dt.timedelta(5))
    assert closed.state is CaseState.TOWNSHIP_REVIEW


def test_visit_needs_signed_authorisation_and_roles_are_enforced(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    case = step(session, case, Action.ACCEPT, CADRE_A, DAY0)
    with pytest.raises(Conflict, match="signed authorisation"):
        step(session, case, Action.RECORD_VISIT, CADRE_A, DAY0)
    with pytest.raises(Conflict, match="role county may not record_visit"):
        step(session, case, Action.RECORD_VISIT, COUNTY_OFFICER, DAY0, authorisation_signed=True)
    with pytest.raises(Conflict, match="approve is not possible in state home_visit"):
        step(session, case, Action.APPROVE, ADMIN, DAY0)


def test_reject_needs_reason_and_closes(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    case = step(session, case, Action.ACCEPT, CADRE_A, DAY0)
    case = step(session, case, Action.RECORD_VISIT, CADRE_A, DAY0, authorisation_signed=True)
    with pytest.raises(Conflict, match="needs a reason"):
        step(session, case, Action.REJECT, TOWNSHIP_A_OFFICER, DAY0, comment="  ")
    rejected = step(session, case, Action.REJECT, TOWNSHIP_A_OFFICER, DAY0, comment="收入达标")
    assert rejected.state is CaseState.REJECTED and not rejected.is_open
    assert rejected.allowed_actions == []
    # a new clue after the rejection opens a new case
    again = open_case(session, household.household_id, received_on=DAY0 + dt.timedelta(3))
    assert again.id != rejected.id


def test_allowed_actions_depend_on_role(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    assert service.get(session, CADRE_A, case.id).allowed_actions == [
        Action.ACCEPT,
        Action.WITHDRAW,
    ]
    assert service.get(session, AUDITOR, case.id).allowed_actions == []
    with pytest.raises(Forbidden):
        step(session, case, Action.ACCEPT, AUDITOR, DAY0)


def test_stale_version_is_a_conflict(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    step(session, case, Action.ACCEPT, CADRE_A, DAY0)
    stale = TransitionIn(action=Action.WITHDRAW, version=case.version, comment="dup", on=DAY0)
    with pytest.raises(
        Conflict, match=rf"case {case.id} was changed by someone else \(version 2, you had 1\)"
    ):
        service.transition(session, CADRE_A, case.id, stale, today=DAY0)


def test_a_clue_is_evidence_for_its_own_household_only(session: Session) -> None:
    a = add_household(session, village=VILLAGE_A)
    b = add_household(session, village=VILLAGE_B)
    open_case(session, a.household_id)
    for household in (a, b):  # whether the household has an open case or not
        with pytest.raises(BadInput, match="is not household") as refused:
            open_case(session, household.household_id, principal=COUNTY_OFFICER,
                      clue_id="run1:H999999", rules="R01")  # fmt: skip
        assert refused.value.field == "clue_id"
    case = open_case(session, b.household_id, principal=COUNTY_OFFICER,
                     clue_id=f"run1:{b.household_id}", rules="R01")  # fmt: skip
    assert case.clue_id == f"run1:{b.household_id}"


def test_scoping_hides_other_townships(session: Session) -> None:
    a = add_household(session, village=VILLAGE_A)
    b = add_household(session, village=VILLAGE_B)
    case_a = open_case(session, a.household_id)
    case_b = open_case(session, b.household_id, principal=COUNTY_OFFICER)
    with pytest.raises(NotFound, match=f"case {case_a.id} not found"):
        service.get(session, TOWNSHIP_B_OFFICER, case_a.id)
    with pytest.raises(NotFound):
        step(session, case_a, Action.ACCEPT, TOWNSHIP_B_OFFICER, DAY0)
    with pytest.raises(NotFound):
        open_case(session, a.household_id, principal=TOWNSHIP_B_OFFICER)
    assert [c.id for c in service.list_cases(session, TOWNSHIP_B_OFFICER, today=DAY0)] == [
        case_b.id
    ]
    assert {c.id for c in service.list_cases(session, COUNTY_OFFICER, today=DAY0)} == {
        case_a.id,
        case_b.id,
    }
    with pytest.raises(NotFound):
        service.list_cases(session, TOWNSHIP_B_OFFICER, region=TOWNSHIP_A)


# A township code of the county that the region registry does not hold.
UNKNOWN_TOWNSHIP = "530102009000"


@pytest.mark.parametrize(
    "list_call",
    [
        lambda s, p, r: service.list_cases(s, p, region=r),
        lambda s, p, r: service.list_overdue(s, p, region=r, today=DAY0),
        lambda s, p, r: service.count_overdue(s, p, region=r, today=DAY0),
        lambda s, p, r: service.overdue_by_region(s, p, level=Level.VILLAGE, region=r),
        lambda s, p, r: worklist.worklist(s, p, village=r, today=DAY0),
        lambda s, p, r: worklist.state_counts(s, p, village=r, today=DAY0),
        lambda s, p, r: assistance.list_referrals(s, p, region=r),
        lambda s, p, r: assistance.quality_flags(s, p, region=r),
    ],
    ids=["cases", "overdue", "count", "by_region", "worklist", "states", "referrals", "flags"],
)
def test_region_filters_refuse_unknown_and_outside_regions_alike(
    session: Session, list_call: Callable[[Session, Principal, str], object]
) -> None:
    add_household(session, village=VILLAGE_A)
    list_call(session, COUNTY_OFFICER, TOWNSHIP_A)  # a region of the registry, in scope
    for region in (UNKNOWN_TOWNSHIP, TOWNSHIP_A):
        officer = COUNTY_OFFICER if region == UNKNOWN_TOWNSHIP else TOWNSHIP_B_OFFICER
        with pytest.raises(NotFound, match=f"^region {region} not found$"):
            list_call(session, officer, region)
    with pytest.raises(BadInput, match="not a 12-digit region code"):
        list_call(session, COUNTY_OFFICER, "530102")


def test_overdue_lists_by_level(session: Session) -> None:
    late = add_household(session, village=VILLAGE_A)
    fresh = add_household(session, village=VILLAGE_B)
    late_case = open_case(session, late.household_id, source=CaseSource.DECLARATION_APP)
    open_case(
        session,
        fresh.household_id,
        principal=COUNTY_OFFICER,
        received_on=DAY0 + dt.timedelta(days=14),
    )
    today = DAY0 + dt.timedelta(days=16)
    rows = service.list_overdue(session, COUNTY_OFFICER, today=today)
    assert [(r.case_id, r.missed, r.days_left) for r in rows] == [
        (late_case.id, ["accept", "procedure"], -1)
    ]
    assert service.overdue_by_region(
        session, COUNTY_OFFICER, level=Level.TOWNSHIP, today=today
    ) == {TOWNSHIP_A: 1}
    on_time = service.list_cases(session, COUNTY_OFFICER, overdue=False, today=today)
    assert [c.household_id for c in on_time] == [fresh.household_id]


def test_overdue_filter_in_sql_agrees_with_each_cases_deadlines(session: Session) -> None:
    # Cases left at different steps: the stored due dates must follow every transition.
    waiting: list[tuple[CaseSource, list[tuple[Action, dict[str, object]]]]] = [
        (CaseSource.DECLARATION_APP, []),
        (CaseSource.SCREENING, []),
        (CaseSource.SCREENING, [(Action.ACCEPT, {})]),
        (
            CaseSource.SCREENING,
            [(Action.ACCEPT, {}), (Action.RECORD_VISIT, {"authorisation_signed": True})],
        ),
    ]
    for source, actions in waiting:
        case = open_case(session, add_household(session).household_id, source=source)
        for action, extra in actions:
            case = step(session, case, action, CADRE_A, DAY0, **extra)
    finished = open_case(session, add_household(session).household_id, causes=["07"])
    identify(session, finished, category=Category.MARGINAL)
    for offset in range(0, 18):
        today = DAY0 + dt.timedelta(days=offset)
        every = service.list_cases(session, COUNTY_OFFICER, today=today)
        late = service.list_cases(session, COUNTY_OFFICER, overdue=True, today=today)
        on_time = service.list_cases(session, COUNTY_OFFICER, overdue=False, today=today)
        assert {c.id for c in late} == {c.id for c in every if c.overdue}, today
        assert {c.id for c in on_time} == {c.id for c in every if not c.overdue}, today
        assert service.count_overdue(session, COUNTY_OFFICER, today=today) == len(late)


def test_policy_sets_identification_days(session: Session) -> None:
    policy = parse_policy(
        "- {province: '530000000000', year: 2024, monitoring_line: 6900, "
        "rural_disposable_income: 15000, identification_days: 10, publicity_days: 7}",
        source="policy.yaml",
    )
    household = add_household(session)
    data = service.CaseCreate(
        household_id=household.household_id, source=CaseSource.SCREENING, received_on=DAY0
    )
    case, _ = service.create(session, CADRE_A, data, policy=policy, today=DAY0)
    assert case.procedure_due == dt.date(2024, 3, 11)
    later = service.CaseCreate(
        household_id=add_household(session).household_id,
        source=CaseSource.SCREENING,
        received_on=dt.date(2025, 1, 2),
    )
    # A year without its own entry keeps the province's latest earlier deadlines…
    carried, _ = service.create(session, CADRE_A, later, policy=policy, today=dt.date(2025, 1, 2))
    assert carried.procedure_due == dt.date(2025, 1, 12)
    earlier = service.CaseCreate(
        household_id=add_household(session).household_id,
        source=CaseSource.SCREENING,
        received_on=dt.date(2023, 5, 2),
    )
    # …and a year before any entry takes the SPEC §5 defaults (15 days).
    default, _ = service.create(session, CADRE_A, earlier, policy=policy, today=dt.date(2023, 5, 2))
    assert default.procedure_due == dt.date(2023, 5, 17)


def test_step_dates_cannot_go_backwards_or_forwards(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    with pytest.raises(BadInput, match="before the previous step"):
        step(session, case, Action.ACCEPT, CADRE_A, DAY0 - dt.timedelta(days=1))
    data = TransitionIn(action=Action.ACCEPT, version=1, on=DAY0 + dt.timedelta(days=1))
    with pytest.raises(BadInput, match="in the future"):
        service.transition(session, CADRE_A, case.id, data, today=DAY0)


def test_every_change_is_audited(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id, causes=["07"])
    identify(session, case, category=Category.MARGINAL)
    rows = session.execute(
        sa.select(AuditEntry.action, AuditEntry.entity, AuditEntry.role).order_by(AuditEntry.id)
    ).all()
    actions = [r.action for r in rows]
    assert actions[:2] == ["attach_evidence", "open"]
    assert actions[2:] == [
        "accept",
        "record_visit",
        "record_cross_check",
        "record_appraisal",
        "start_publicity",
        "close_publicity",
        "review",
        "identify",
        "approve",
    ]
    last = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.before is not None and last.after is not None
    assert last.before["state"] == "county_approval" and last.after["state"] == "monitoring_object"
    assert last.actor == "county" and last.region_code == VILLAGE_A


def test_identified_household_cannot_be_identified_again(session: Session) -> None:
    household = add_household(session)
    identify(
        session,
        open_case(session, household.household_id, causes=["07"]),
        category=Category.MARGINAL,
    )
    with pytest.raises(Conflict, match="already a monitoring object"):
        open_case(session, household.household_id, received_on=DAY0 + dt.timedelta(days=30))
    with pytest.raises(Conflict, match="not a monitoring object"):
        open_case(
            session,
            add_household(session).household_id,
            kind=CaseKind.ELIMINATION,
            source=CaseSource.CADRE_VISIT,
        )


def test_withdraw_closes_an_open_case_and_read_only_roles_cannot_open(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    withdrawn = step(session, case, Action.WITHDRAW, CADRE_A, DAY0, comment="重复申报")
    assert withdrawn.state is CaseState.WITHDRAWN and withdrawn.closed_on == DAY0
    assert withdrawn.steps[-1].comment == "重复申报" and withdrawn.steps[-1].role == "cadre"
    with pytest.raises(Conflict, match="the case is closed"):
        step(session, withdrawn, Action.ACCEPT, CADRE_A, DAY0)
    data = service.CaseCreate(household_id=household.household_id, source=CaseSource.SCREENING)
    with pytest.raises(Forbidden):
        service.create(session, AUDITOR, data, today=DAY0)


def test_attachments_are_recorded_with_the_step(session: Session) -> None:
    household = add_household(session)
    case = open_case(session, household.household_id)
    case = step(session, case, Action.ACCEPT, CADRE_A, DAY0)
    visited = step(
        session,
        case,
        Action.RECORD_VISIT,
        CADRE_A,
        DAY0,
        authorisation_signed=True,
        attachments=["visit-2024-03-01.jpg", "authorisation.pdf"],
    )
    assert visited.steps[-1].attachments == ["visit-2024-03-01.jpg", "authorisation.pdf"]
    assert visited.step_deadline is not None and visited.step_deadline.step == "cross_check"
    assert visited.step_deadline.due == DAY0 + dt.timedelta(days=5)
