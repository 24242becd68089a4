"""Driving a case through the procedure in tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases import service
from povguard.cases.enums import Action, CaseKind, CaseSource
from povguard.cases.schemas import CaseCreate, CaseRead, TransitionIn
from tests.cases.factories import CADRE_A, COUNTY_OFFICER, TOWNSHIP_A_OFFICER

DAY0 = dt.date(2024, 3, 1)


def open_case(
    session: Session,
    household_id: str,
    *,
    principal: Principal = CADRE_A,
    source: CaseSource = CaseSource.SCREENING,
    kind: CaseKind = CaseKind.IDENTIFICATION,
    received_on: dt.date = DAY0,
    **extra: Any,
) -> CaseRead:
    data = CaseCreate(
        household_id=household_id, source=source, kind=kind, received_on=received_on, **extra
    )
    case, _ = service.create(session, principal, data, today=received_on)
    return case


def step(
    session: Session,
    case: CaseRead,
    action: Action,
    principal: Principal,
    on: dt.date,
    **extra: Any,
) -> CaseRead:
    data = TransitionIn(action=action, version=case.version, on=on, **extra)
    return service.transition(session, principal, case.id, data, today=on)


def identify(
    session: Session, case: CaseRead, *, start: dt.date = DAY0, **approve: Any
) -> CaseRead:
    """Every identification step, one day apart (publicity 5 days)."""
    day = start
    plan: list[tuple[Action, Principal, int, dict[str, Any]]] = [
        (Action.ACCEPT, CADRE_A, 0, {}),
        (Action.RECORD_VISIT, CADRE_A, 1, {"authorisation_signed": True}),
        (Action.RECORD_CROSS_CHECK, COUNTY_OFFICER, 1, approve.pop("cross_check", {})),
        (Action.RECORD_APPRAISAL, TOWNSHIP_A_OFFICER, 1, {}),
        (Action.START_PUBLICITY, TOWNSHIP_A_OFFICER, 0, {}),
        (Action.CLOSE_PUBLICITY, TOWNSHIP_A_OFFICER, 5, {}),
        (Action.REVIEW, TOWNSHIP_A_OFFICER, 1, {}),
    ]
    for action, who, gap, extra in plan:
        day += dt.timedelta(days=gap)
        case = step(session, case, action, who, day, **extra)
    day += dt.timedelta(days=1)
    return step(session, case, Action.APPROVE, COUNTY_OFFICER, day, **approve)
