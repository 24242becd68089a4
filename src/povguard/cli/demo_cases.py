"""The demo's cases: a few clues of the screening run taken through the identification
procedure by the demo users, with the same services as the pages and the API, so that the
dashboard and the monthly report have monitoring objects to show."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from povguard.auth import service as auth
from povguard.auth.principal import Principal
from povguard.cases import service as cases
from povguard.cases.enums import Action, CaseSource, CaseState, Category
from povguard.cases.schemas import CaseCreate, CaseRead, TransitionIn
from povguard.screening import runs

UNSTABLE_EMPLOYMENT = "07"  # a SPEC §7 cause code
APPROVED = 4  # clues that become monitoring objects
IN_PROGRESS = 2  # clues left waiting for the cross-check, for the worklist
# The identification steps after the opening: (action, who, days after the previous step);
# "village" is the cadre for a clue of its village, else the township officer.
IDENTIFICATION = [
    (Action.ACCEPT, "village", 0),
    (Action.RECORD_VISIT, "village", 1),
    (Action.RECORD_CROSS_CHECK, "county", 1),
    (Action.RECORD_APPRAISAL, "township", 1),
    (Action.START_PUBLICITY, "township", 0),
    (Action.CLOSE_PUBLICITY, "township", 5),
    (Action.REVIEW, "township", 1),
    (Action.APPROVE, "county", 1),
]
DAYS = sum(gap for _, _, gap in IDENTIFICATION)


def identify_some(session: Session, *, lake: Path, run_id: str, as_of: dt.date) -> int:
    """Open cases from the first clues of the township officer's township in run `run_id` and
    approve some of them, the last step on `as_of`; returns how many were approved. Nothing is
    done when the county already has cases (a second demo run)."""
    users = {name: auth.principal_for(session, name) for name in ("cadre", "township", "county")}
    if cases.list_cases(session, users["county"], limit=1):
        return 0
    clues = runs.list_clues(session, users["township"], lake, run_id,
                            size=APPROVED + IN_PROGRESS).items  # fmt: skip
    start = as_of - dt.timedelta(days=DAYS)
    approved = 0
    for number, clue in enumerate(clues):
        # The village cadre works the clues of its own village; the township the others.
        local = "cadre" if users["cadre"].covers(clue.village_code) else "township"
        actors = {**users, "village": users[local]}
        data = CaseCreate(household_id=clue.household_id, source=CaseSource.SCREENING,
                          clue_id=clue.clue_id, rules=clue.rules,
                          category=Category(clue.category), causes=[UNSTABLE_EMPLOYMENT],
                          received_on=start)  # fmt: skip
        case, _ = cases.create(session, actors["village"], data, today=start)
        steps = IDENTIFICATION if number < APPROVED else IDENTIFICATION[:2]
        case = _walk(session, case, actors, steps, start)
        approved += case.state == CaseState.MONITORING_OBJECT
    return approved


def _walk(
    session: Session,
    case: CaseRead,
    users: dict[str, Principal],
    steps: list[tuple[Action, str, int]],
    day: dt.date,
) -> CaseRead:
    for action, who, gap in steps:
        day += dt.timedelta(days=gap)
        data = TransitionIn(action=action, version=case.version, on=day,
                            authorisation_signed=action is Action.RECORD_VISIT)  # fmt: skip
        case = cases.transition(session, users[who], case.id, data, today=day)
    return case
