"""The SPEC §7 procedure as a transition table: pure, no I/O.

A case's `state` is the step it is waiting for. Each action is a verb that completes that step
and moves the case on; who may take it depends on the role (SPEC §1). Identification and risk
elimination run through the same steps and differ only in the outcome of the county approval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from povguard.auth.principal import Role
from povguard.cases.enums import CLOSED_STATES, Action, CaseKind, CaseState
from povguard.core.errors import Conflict

S = CaseState
VILLAGE = frozenset({Role.CADRE, Role.TOWNSHIP})
TOWNSHIP = frozenset({Role.TOWNSHIP})
TOWNSHIP_OR_COUNTY = frozenset({Role.TOWNSHIP, Role.COUNTY})
COUNTY = frozenset({Role.COUNTY})
LOCAL = frozenset({Role.CADRE, Role.TOWNSHIP, Role.COUNTY})

# (state, action) → (next state, roles allowed besides admin). APPROVE's target is resolved by
# `approval_outcome`. REJECT and WITHDRAW are added below for every review step / open state.
TABLE: dict[tuple[CaseState, Action], tuple[CaseState, frozenset[Role]]] = {
    (S.CLUE, Action.ACCEPT): (S.HOME_VISIT, LOCAL),
    (S.HOME_VISIT, Action.RECORD_VISIT): (S.CROSS_CHECK, VILLAGE),
    (S.CROSS_CHECK, Action.RECORD_CROSS_CHECK): (S.VILLAGE_APPRAISAL, TOWNSHIP_OR_COUNTY),
    (S.VILLAGE_APPRAISAL, Action.RECORD_APPRAISAL): (S.PUBLICITY, TOWNSHIP),
    (S.PUBLICITY, Action.START_PUBLICITY): (S.PUBLICITY, TOWNSHIP),
    (S.PUBLICITY, Action.CLOSE_PUBLICITY): (S.TOWNSHIP_REVIEW, TOWNSHIP),
    (S.TOWNSHIP_REVIEW, Action.REVIEW): (S.COUNTY_APPROVAL, TOWNSHIP),
    (S.COUNTY_APPROVAL, Action.APPROVE): (S.MONITORING_OBJECT, COUNTY),
}
REVIEW_STEPS = {
    S.CROSS_CHECK: TOWNSHIP_OR_COUNTY,
    S.VILLAGE_APPRAISAL: TOWNSHIP_OR_COUNTY,
    S.TOWNSHIP_REVIEW: TOWNSHIP_OR_COUNTY,
    S.COUNTY_APPROVAL: COUNTY,
}
for _state, _roles in REVIEW_STEPS.items():
    TABLE[(_state, Action.REJECT)] = (S.REJECTED, _roles)
for _state in (s for s in CaseState if s not in CLOSED_STATES):
    TABLE[(_state, Action.WITHDRAW)] = (S.WITHDRAWN, LOCAL)

# The order of the steps: a case reaches an outcome only through every one of them.
STEP_ORDER = (
    S.CLUE,
    S.HOME_VISIT,
    S.CROSS_CHECK,
    S.VILLAGE_APPRAISAL,
    S.PUBLICITY,
    S.TOWNSHIP_REVIEW,
    S.COUNTY_APPROVAL,
)
NEEDS_REASON = frozenset({Action.REJECT, Action.WITHDRAW})


@dataclass(frozen=True)
class Facts:
    """What the procedure needs to know about the case and the request (no database)."""

    today: dt.date
    publicity_days: int = 5
    publicity_started_on: dt.date | None = None
    comment: str = ""
    authorisation_signed: bool = False
    secured_by_social_security: bool = False  # elimination: no labour, needs met by security
    blockers: tuple[str, ...] = field(default_factory=tuple)  # unmet approval conditions


def _structural_refusal(state: CaseState, action: Action, role: Role, facts: Facts) -> str | None:
    """Why `action` cannot be taken now by `role` (state, role, timing), or None."""
    rule = TABLE.get((state, action))
    if rule is None:
        if state in CLOSED_STATES:
            return f"the case is closed ({state.value})"
        return f"{action.value} is not possible in state {state.value}"
    if role is not Role.ADMIN and role not in rule[1]:
        return f"role {role.value} may not {action.value} in state {state.value}"
    if action is Action.START_PUBLICITY and facts.publicity_started_on is not None:
        return f"the publicity already started on {facts.publicity_started_on.isoformat()}"
    if action is Action.CLOSE_PUBLICITY:
        return _publicity_refusal(facts)
    return None


def _publicity_refusal(facts: Facts) -> str | None:
    start = facts.publicity_started_on
    if start is None:
        return "the publicity has not started"
    earliest = start + dt.timedelta(days=facts.publicity_days)
    if facts.today < earliest:
        return (
            f"the publicity started on {start.isoformat()} must last at least "
            f"{facts.publicity_days} days: it can close on {earliest.isoformat()} at the earliest"
        )
    return None


def _input_refusal(action: Action, facts: Facts) -> str | None:
    """Why the request itself is incomplete for `action`, or None."""
    if action in NEEDS_REASON and not facts.comment.strip():
        return f"{action.value} needs a reason in the comment"
    if action is Action.RECORD_VISIT and not facts.authorisation_signed:
        return (
            "the home visit needs the household's signed authorisation for checking "
            "deposits, vehicles and housing"
        )
    if action is Action.APPROVE and facts.blockers:
        return "approval refused: " + "; ".join(facts.blockers)
    return None


def approval_outcome(kind: CaseKind, facts: Facts) -> CaseState:
    if kind is CaseKind.IDENTIFICATION:
        return S.MONITORING_OBJECT
    if facts.secured_by_social_security:
        return S.SECURED_BY_SOCIAL_SECURITY
    return S.ELIMINATED


def next_state(
    kind: CaseKind, state: CaseState, action: Action, role: Role, facts: Facts
) -> CaseState:
    """The state after `action`; `Conflict` with the reason when it is not allowed."""
    refusal = _structural_refusal(state, action, role, facts) or _input_refusal(action, facts)
    if refusal is not None:
        raise Conflict(refusal)
    if action is Action.APPROVE:
        return approval_outcome(kind, facts)
    return TABLE[(state, action)][0]


def allowed_actions(state: CaseState, role: Role, facts: Facts) -> list[Action]:
    """The actions `role` may take now (the request still has to carry reasons etc.)."""
    if role in (Role.ANALYST, Role.AUDITOR, Role.CLERK):
        return []
    return [a for a in Action if _structural_refusal(state, a, role, facts) is None]
