"""The transition table as a state machine: hypothesis explores random action sequences."""

from __future__ import annotations

import datetime as dt

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from povguard.auth.principal import Role
from povguard.cases import elimination
from povguard.cases.enums import CLOSED_STATES, Action, CaseKind, CaseState
from povguard.cases.procedure import STEP_ORDER, Facts, allowed_actions, next_state
from povguard.core.errors import Conflict

DAY0 = dt.date(2024, 1, 31)
REACHED: set[CaseState] = set()
# the action that completes each step of STEP_ORDER
COMPLETING = {
    CaseState.CLUE: Action.ACCEPT,
    CaseState.HOME_VISIT: Action.RECORD_VISIT,
    CaseState.CROSS_CHECK: Action.RECORD_CROSS_CHECK,
    CaseState.VILLAGE_APPRAISAL: Action.RECORD_APPRAISAL,
    CaseState.PUBLICITY: Action.CLOSE_PUBLICITY,
    CaseState.TOWNSHIP_REVIEW: Action.REVIEW,
    CaseState.COUNTY_APPROVAL: Action.APPROVE,
}


class Procedure(RuleBasedStateMachine):
    """One case; random roles try random actions on random days with random inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = CaseKind.IDENTIFICATION
        self.state = CaseState.CLUE
        self.today = DAY0
        self.publicity_started_on: dt.date | None = None
        self.completed: list[CaseState] = []
        self.identified_on = DAY0 - dt.timedelta(days=400)
        self.measures = 0
        self.labour = True
        self.security = 0

    @rule(kind=st.sampled_from(CaseKind))
    def choose_kind(self, kind: CaseKind) -> None:
        if self.state is CaseState.CLUE and not self.completed:
            self.kind = kind

    @rule(
        identified_months_ago=st.integers(0, 12),
        measures=st.integers(0, 2),
        labour=st.booleans(),
        security=st.integers(0, 1),
    )
    def change_household(
        self, identified_months_ago: int, measures: int, labour: bool, security: int
    ) -> None:
        from povguard.cases.deadlines import add_months

        self.identified_on = add_months(self.today, -identified_months_ago)
        self.measures, self.labour, self.security = measures, labour, security

    @rule(days=st.integers(0, 10))
    def time_passes(self, days: int) -> None:
        self.today += dt.timedelta(days=days)

    def _facts(self, comment: str, signed: bool) -> Facts:
        checks = [
            elimination.identified_long_enough(self.identified_on, self.today),
            elimination.Check("measure_given", self.measures > 0),
        ]
        blockers = elimination.blockers(checks) if self.kind is CaseKind.ELIMINATION else ()
        secured = elimination.secured_by_social_security(self.labour, self.security)
        return Facts(
            today=self.today,
            publicity_days=5,
            publicity_started_on=self.publicity_started_on,
            comment=comment,
            authorisation_signed=signed,
            secured_by_social_security=secured and self.kind is CaseKind.ELIMINATION,
            blockers=() if secured else blockers,
        )

    @rule(
        action=st.sampled_from(Action),
        role=st.sampled_from(Role),
        comment=st.sampled_from(["", "  ", "理由"]),
        signed=st.booleans(),
    )
    def act(self, action: Action, role: Role, comment: str, signed: bool) -> None:
        facts = self._facts(comment, signed)
        allowed = action in allowed_actions(self.state, role, facts)
        try:
            target = next_state(self.kind, self.state, action, role, facts)
        except Conflict:
            return
        assert allowed, f"{action} by {role} succeeded although not listed as allowed"
        assert role not in (Role.ANALYST, Role.AUDITOR, Role.CLERK)
        if target is CaseState.ELIMINATED:
            assert elimination.months_identified_ok(self.identified_on, self.today)
            assert self.measures > 0
            assert not elimination.secured_by_social_security(self.labour, self.security)
        if self.state in COMPLETING and action is COMPLETING[self.state]:
            self.completed.append(self.state)
        if action is Action.START_PUBLICITY:
            self.publicity_started_on = self.today
        if action is Action.CLOSE_PUBLICITY:
            assert self.publicity_started_on is not None
            assert (self.today - self.publicity_started_on).days >= 5
        if action is Action.REJECT:
            assert comment.strip()
        self.state = target
        REACHED.add(target)

    @rule(role=st.sampled_from([Role.CADRE, Role.TOWNSHIP, Role.COUNTY, Role.ADMIN]))
    def advance(self, role: Role) -> None:
        """Try the step the case waits for (random search alone rarely gets far)."""
        action = COMPLETING.get(self.state)
        if action is Action.CLOSE_PUBLICITY and self.publicity_started_on is None:
            action = Action.START_PUBLICITY
        if action is not None:
            self.act(action, role, "理由", True)

    @invariant()
    def outcomes_only_through_every_step(self) -> None:
        if self.state in (
            CaseState.MONITORING_OBJECT,
            CaseState.ELIMINATED,
            CaseState.SECURED_BY_SOCIAL_SECURITY,
        ):
            assert self.completed == list(STEP_ORDER)
        if self.state is CaseState.MONITORING_OBJECT:
            assert self.kind is CaseKind.IDENTIFICATION
        if self.state in (CaseState.ELIMINATED, CaseState.SECURED_BY_SOCIAL_SECURITY):
            assert self.kind is CaseKind.ELIMINATION

    @invariant()
    def closed_cases_allow_nothing(self) -> None:
        if self.state in CLOSED_STATES:
            for role in Role:
                assert allowed_actions(self.state, role, self._facts("x", True)) == []


Procedure.TestCase.settings = settings(max_examples=100, stateful_step_count=60, deadline=None)
TestProcedure = Procedure.TestCase


def test_happy_path_reaches_monitoring_object() -> None:
    state = CaseState.CLUE
    start = DAY0
    for action, role, day in [
        (Action.ACCEPT, Role.CADRE, 0),
        (Action.RECORD_VISIT, Role.CADRE, 1),
        (Action.RECORD_CROSS_CHECK, Role.COUNTY, 2),
        (Action.RECORD_APPRAISAL, Role.TOWNSHIP, 3),
        (Action.START_PUBLICITY, Role.TOWNSHIP, 3),
    ]:
        facts = Facts(today=start + dt.timedelta(days=day), authorisation_signed=True)
        state = next_state(CaseKind.IDENTIFICATION, state, action, role, facts)
    assert state is CaseState.PUBLICITY
    started = Facts(today=dt.date(2024, 2, 5), publicity_started_on=dt.date(2024, 2, 3))
    with pytest.raises(Conflict, match="can close on 2024-02-08 at the earliest"):
        next_state(CaseKind.IDENTIFICATION, state, Action.CLOSE_PUBLICITY, Role.TOWNSHIP, started)


def test_reject_only_at_review_steps() -> None:
    facts = Facts(today=DAY0, comment="不符合")
    for state in (CaseState.CLUE, CaseState.HOME_VISIT, CaseState.PUBLICITY):
        with pytest.raises(Conflict, match="not possible"):
            next_state(CaseKind.IDENTIFICATION, state, Action.REJECT, Role.COUNTY, facts)
    with pytest.raises(Conflict, match="role township may not reject"):
        next_state(
            CaseKind.IDENTIFICATION, CaseState.COUNTY_APPROVAL, Action.REJECT, Role.TOWNSHIP, facts
        )
    assert (
        next_state(CaseKind.IDENTIFICATION, CaseState.CROSS_CHECK, Action.REJECT, Role.ADMIN, facts)
        is CaseState.REJECTED
    )
