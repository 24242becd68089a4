"""What screening needs to know about cases (the region summary and every other KPI are read
through `povguard.analytics.kpi`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.cases.models import Case, MonitoringObject


def open_cases_for_screening(session: Session, *, region_prefix: str = "") -> dict[str, bool]:
    """Households in an open case or being monitored → True when already a monitoring object
    (screening counts those as formerly poor for R04 and flags their clues)."""
    like = f"{region_prefix}%"
    open_cases = session.scalars(
        sa.select(Case.household_id).where(Case.is_open, Case.village_code.like(like))
    )
    result = dict.fromkeys(open_cases, False)
    monitored = session.scalars(
        sa.select(MonitoringObject.household_id).where(
            MonitoringObject.status == "monitored", MonitoringObject.village_code.like(like)
        )
    )
    result.update(dict.fromkeys(monitored, True))
    return result
