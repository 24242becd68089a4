"""The dashboard of the user's region: monitoring objects, cases, overdue cases and the clues of
the latest screening run, with charts and a drill-down to the regions below."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases.summary import region_summary
from povguard.regions.models import Region
from povguard.screening.rules import RULES
from povguard.web.deps import PageUser, SessionDep, SettingsDep
from povguard.web.i18n import N_
from povguard.web.navigation import NavEntry
from povguard.web.security import verify_csrf
from povguard.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
nav = NavEntry(key="dashboard", path="/dashboard", label=N_("Dashboard"), order=10)
NATIONAL = "000000000000"


def _children(session: Session, code: str) -> list[Region]:
    query = select(Region).order_by(Region.code)
    if code == NATIONAL:
        query = query.where(Region.level == "province")
    else:
        query = query.where(Region.parent_code == code)
    return list(session.scalars(query))


def build_dashboard_context(
    session: Session, principal: Principal, lake: Path, region: str
) -> dict[str, Any]:
    """Summary of `region` (default: the user's own), its charts and one row per child region."""
    code = region or principal.region_code
    if code == NATIONAL:
        children = _children(session, code)
        summaries = [region_summary(session, principal, c.code, lake=lake) for c in children]
        total = _combine(code, summaries)
    else:
        total = region_summary(session, principal, code, lake=lake)
        children = _children(session, code)
        summaries = [region_summary(session, principal, c.code, lake=lake) for c in children]
    name = session.get(Region, code)
    return {
        "active_nav": nav.key,
        "summary": total,
        "region_name": name.name if name else "",
        "rows": [{"region": c, "summary": s} for c, s in zip(children, summaries, strict=True)],
        "chart": {
            "rules": [rule.code for rule in RULES],
            "clues": [total.clues_by_rule.get(rule.code, 0) for rule in RULES],
            "categories": sorted(total.objects_by_category.items()),
        },
    }


def _combine(code: str, parts: list[Any]) -> Any:
    from collections import Counter

    from povguard.cases.summary import RegionSummary

    def add(field: str) -> dict[str, int]:
        counter: Counter[str] = Counter()
        for part in parts:
            counter.update(getattr(part, field))
        return dict(counter)

    return RegionSummary(
        region=code,
        objects=sum(p.objects for p in parts),
        objects_by_category=add("objects_by_category"),
        objects_by_cause=add("objects_by_cause"),
        objects_by_status=add("objects_by_status"),
        cases_by_state=add("cases_by_state"),
        open_cases=sum(p.open_cases for p in parts),
        overdue_cases=sum(p.overdue_cases for p in parts),
        latest_run=None,
        clues=sum(p.clues for p in parts),
        clues_by_rule=add("clues_by_rule"),
    )


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    region: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    context = build_dashboard_context(session, principal, settings.lake, region)
    return render(request, "dashboard/index.html", context)
