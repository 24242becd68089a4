"""The "Cases" panel of the household profile: the household's cases and the form that opens
one from a self-declaration (app, hotline 12317, written) or a cadre's visit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases import worklist
from povguard.cases.common import may_write
from povguard.cases.enums import CaseSource, ObjectStatus
from povguard.web.cases.labels import CAUSE

DECLARATION_SOURCES = [s.value for s in CaseSource if s is not CaseSource.SCREENING]


def build_household_panel(
    session: Session,
    principal: Principal,
    household_id: str,
    *,
    today: dt.date,
    submitted: dict[str, Any] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """The household's cases (open first) and, for writers, the form to open or add to one."""
    cases = worklist.household_cases(session, principal, household_id, today=today)
    open_case = next((c for c in cases if c.is_open), None)
    status = worklist.monitoring_status(session, principal, household_id)
    monitored = status == ObjectStatus.MONITORED
    values: dict[str, Any] = {
        "source": CaseSource.DECLARATION_APP.value,
        "received_on": today.isoformat(),
        "causes": [],
        "note": "",
        "serious_illness": False,
    }
    values.update(submitted or {})
    return {
        "household_id": household_id,
        "cases": cases,
        "open_case": open_case,
        "monitoring_status": status,
        # A monitoring object gets no second identification case; a declaration about it is
        # added to its open case when it has one.
        "can_open": may_write(principal) and (open_case is not None or not monitored),
        "sources": DECLARATION_SOURCES,
        "causes": list(CAUSE),
        "values": values,
        "error": error,
        "today": today.isoformat(),
    }
