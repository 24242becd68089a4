"""Hypothesis drives the real case service (SQLite) with random actors, actions and days.

Whatever the order, nobody reaches an outcome without every step, nobody outside the scope or
with a read-only role changes anything, and no household is eliminated before six months,
without a measure, or while it has no labour and lives on social security.
"""

from __future__ import annotations

import atexit
import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from functools import cache
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases import assistance, service
from povguard.cases.deadlines import add_months
from povguard.cases.enums import (
    Action,
    CaseKind,
    CaseSource,
    CaseState,
    Category,
    EliminationRoute,
    MeasureGroup,
    MeasureStatus,
)
from povguard.cases.models import Case, Measure, MonitoringObject
from povguard.cases.schemas import (
    CaseCreate,
    CaseRead,
    EliminationEvidence,
    MeasureCreate,
    TransitionIn,
)
from povguard.core.errors import PovguardError
from povguard.core.uow import unit_of_work
from povguard.households.models import Member
from tests.cases.factories import (
    ADMIN,
    AUDITOR,
    CADRE_A,
    COUNTY_OFFICER,
    TOWNSHIP_A_OFFICER,
    TOWNSHIP_B_OFFICER,
    add_household,
    add_regions,
)

DAY0 = dt.date(2024, 1, 31)
COMPLETING = [
    "accept",
    "record_visit",
    "record_cross_check",
    "record_appraisal",
    "close_publicity",
    "review",
    "approve",
]
ACTORS = [CADRE_A, TOWNSHIP_A_OFFICER, COUNTY_OFFICER, ADMIN, AUDITOR, TOWNSHIP_B_OFFICER]
OUTSIDERS = {AUDITOR.username, TOWNSHIP_B_OFFICER.username}


@cache
def database() -> str:
    folder = tempfile.mkdtemp(prefix="povguard-stateful-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{Path(folder) / 'stateful.sqlite3'}"
    with unit_of_work(url) as session:
        add_regions(session)
    return url


def evidence(as_of: dt.date) -> EliminationEvidence:
    months = {
        add_months(as_of.replace(day=1), -i).strftime("%Y-%m"): Decimal(9000) for i in range(1, 7)
    }
    return EliminationEvidence(
        monthly_pc_income=months,
        rigid_spending_resolved=True,
        education_secured=True,
        medical_secured=True,
        housing_secured=True,
        water_secured=True,
        line=Decimal(6900),
    )


class CaseMachine(RuleBasedStateMachine):
    @initialize(
        labour=st.sampled_from([("full",), ("none", "none")]), source=st.sampled_from(CaseSource)
    )
    def open_household(self, labour: tuple[str, ...], source: CaseSource) -> None:
        self.url = database()
        self.today = DAY0
        with unit_of_work(self.url) as session:
            self.household_id = add_household(session, labour=labour).household_id
            data = CaseCreate(household_id=self.household_id, source=source, received_on=DAY0)
            case, _ = service.create(session, CADRE_A, data, today=DAY0)
        self.case_id, self.version = case.id, case.version
        self.measures = 0

    @rule(days=st.integers(0, 120))
    def time_passes(self, days: int) -> None:
        self.today += dt.timedelta(days=days)

    def _transition(self, actor: Principal, data: TransitionIn) -> None:
        try:
            with unit_of_work(self.url) as session:
                case = service.transition(session, actor, self.case_id, data, today=self.today)
        except PovguardError:
            return
        assert actor.username not in OUTSIDERS, f"{actor.username} changed a case"
        assert case.version == self.version + 1
        self.version = case.version

    @rule(
        actor=st.sampled_from(ACTORS),
        action=st.sampled_from(Action),
        comment=st.sampled_from(["", "", "", "理由"]),  # a reason closes cases: rarely
        signed=st.booleans(),
        category=st.sampled_from([None, *Category]),
        causes=st.sampled_from([None, ["07"], ["0201", "01"]]),
        route=st.sampled_from([None, *EliminationRoute]),
    )
    def act(
        self,
        actor: Principal,
        action: Action,
        comment: str,
        signed: bool,
        category: Category | None,
        causes: list[str] | None,
        route: EliminationRoute | None,
    ) -> None:
        data = TransitionIn(
            action=action,
            version=self.version,
            comment=comment,
            authorisation_signed=signed,
            category=category,
            causes=causes,
            route=route,
            elimination=evidence(self.today) if action is Action.RECORD_CROSS_CHECK else None,
        )
        self._transition(actor, data)

    @rule(
        actors=st.lists(st.sampled_from([CADRE_A, TOWNSHIP_A_OFFICER, COUNTY_OFFICER]), max_size=8),
        patient=st.booleans(),
    )
    def advance(self, actors: list[Principal], patient: bool) -> None:
        """Try the steps the case waits for, with complete input (random search rarely gets far).

        A patient county waits until six months after identification before approving.
        """
        for actor in actors:
            if patient:
                self._wait_for_six_months()
            with unit_of_work(self.url) as session:
                case = service.get(session, actor, self.case_id, today=self.today)
            if case.state is CaseState.PUBLICITY and case.publicity_started_on:
                self.today = max(self.today, case.publicity_started_on + dt.timedelta(days=5))
                case = self._reread(actor)
            for action in case.allowed_actions:
                if action not in (Action.REJECT, Action.WITHDRAW):
                    self.act(
                        actor,
                        action,
                        "",
                        True,
                        Category.MARGINAL,
                        ["07"],
                        EliminationRoute.BY_ASSISTANCE,
                    )
                    break

    def _wait_for_six_months(self) -> None:
        with unit_of_work(self.url) as session:
            case = session.get(Case, self.case_id)
            obj = session.get(MonitoringObject, self.household_id)
            if case is not None and case.state == "county_approval" and obj is not None:
                self.today = max(self.today, add_months(obj.identified_on, 6))

    def _reread(self, actor: Principal) -> CaseRead:
        with unit_of_work(self.url) as session:
            return service.get(session, actor, self.case_id, today=self.today)

    @rule(group=st.sampled_from([MeasureGroup.EMPLOYMENT, MeasureGroup.SOCIAL_SECURITY]))
    def add_measure(self, group: MeasureGroup) -> None:
        kind = "workshop_job" if group is MeasureGroup.EMPLOYMENT else "dibao"
        data = MeasureCreate(
            group=group,
            type=kind,
            responsible_unit="县民政局",
            start=self.today,
            status=MeasureStatus.DONE,
        )
        try:
            with unit_of_work(self.url) as session:
                assistance.add_measure(session, CADRE_A, self.case_id, data)
        except PovguardError:
            return
        self.measures += 1

    @rule()
    def open_elimination(self) -> None:
        data = CaseCreate(
            household_id=self.household_id,
            source=CaseSource.CADRE_VISIT,
            kind=CaseKind.ELIMINATION,
            received_on=self.today,
        )
        try:
            with unit_of_work(self.url) as session:
                case, created = service.create(session, CADRE_A, data, today=self.today)
        except PovguardError:
            return
        if created:
            self.case_id, self.version = case.id, case.version

    @invariant()
    def outcomes_need_every_step(self) -> None:
        if not hasattr(self, "url"):
            return
        with unit_of_work(self.url) as session:
            case = session.get(Case, self.case_id)
            assert case is not None
            done = [s.action for s in case.steps if s.action != "start_publicity"]
            if case.state in ("monitoring_object", "eliminated", "secured_by_social_security"):
                assert done == COMPLETING
                assert case.publicity_started_on and case.publicity_ended_on
                assert (case.publicity_ended_on - case.publicity_started_on).days >= 5
            if case.state == "eliminated":
                self._check_elimination(session, case)

    def _check_elimination(self, session: Session, case: Case) -> None:
        obj = session.get(MonitoringObject, case.household_id)
        assert obj is not None and obj.eliminated_on is not None
        assert obj.eliminated_on >= add_months(obj.identified_on, 6)
        measures = session.query(Measure).filter(Measure.household_id == case.household_id).all()
        assert measures
        no_labour = all(m.labour == "none" for m in _members(session, case.household_id))
        assert not (no_labour and any(m.group == "social_security" for m in measures))
        assert CaseState(case.state) is CaseState.ELIMINATED


def _members(session: Session, household_id: str) -> list[Member]:
    return session.query(Member).filter(Member.household_id == household_id).all()


CaseMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=50, deadline=None)
TestCaseMachine = CaseMachine.TestCase
