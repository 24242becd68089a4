"""KPIs of a region and a period under /api/v1 (SPEC §11), read through the KPI layer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import period
from povguard.analytics.kpi.schemas import Kpis
from povguard.web.deps import CurrentUser, SessionDep, SettingsDep
from povguard.web.errors import api_errors

router = APIRouter(prefix="/api/v1", tags=["analytics"])


@router.get("/regions/{code}/kpis", response_model=Kpis, responses=api_errors(400, 401, 404, 422))
def region_kpis(
    code: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentUser,
    first: Annotated[str, Query(alias="from", max_length=7, description="first month, YYYY-MM")],
    last: Annotated[str, Query(alias="to", max_length=7, description="last month, YYYY-MM")],
) -> Kpis:
    """Objects by category, cause and status; monthly identifications and eliminations; days
    from clue to approval; overdue cases; rule hit rates and yield; rates; data-quality flags."""
    return kpi.kpis(session, principal, code, period(first, last), lake=settings.lake)
