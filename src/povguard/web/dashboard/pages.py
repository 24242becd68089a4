"""The dashboard of the user's region: monitoring objects, cases, overdue cases and the clues of
the latest screening run, with charts and a drill-down to the regions below."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import year_to_month
from povguard.auth.principal import Principal
from povguard.screening.rules import RULES
from povguard.web.cases import labels as case_labels
from povguard.web.deps import PageUser, SessionDep, SettingsDep
from povguard.web.i18n import N_
from povguard.web.navigation import NavEntry
from povguard.web.security import verify_csrf
from povguard.web.templating import gettext_for, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
nav = NavEntry(key="dashboard", path="/dashboard", label=N_("Dashboard"), order=10)
OBJECT_STATUS = {"monitored": N_("monitored"), "eliminated": N_("risk eliminated")}


def build_dashboard_context(
    session: Session, principal: Principal, lake: Path, region: str, today: dt.date | None = None
) -> dict[str, Any]:
    """Summary and year-to-date KPIs of `region` (default: the user's own), its charts and one
    row per child region, all read through the KPI layer."""
    code = region or principal.region_code
    day = today or dt.date.today()
    total = kpi.region_summary(session, principal, code, lake=lake, today=day)
    year = kpi.kpis(session, principal, code, year_to_month(day), lake=lake, today=day)
    rows = kpi.kpis_by_child(session, principal, code, year_to_month(day), lake=lake, today=day)
    return {
        "active_nav": nav.key,
        "summary": total,
        "kpis": year,
        "region_name": kpi.region_name(session, code) if code != kpi.NATIONAL else "",
        "rows": [{"region": region, "summary": figures} for region, figures in rows],
        "chart": {
            "rules": [rule.code for rule in RULES],
            "clues": [total.clues_by_rule.get(rule.code, 0) for rule in RULES],
            "categories": sorted(total.objects_by_category.items()),
        },
    }


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    region: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    context = build_dashboard_context(session, principal, settings.lake, region)
    context["charts"] = _charts(context, gettext_for(request))
    return render(request, "dashboard/index.html", context)


def _counts(counts: dict[str, int], labels: dict[str, str], gettext: Any) -> dict[str, Any]:
    codes = sorted(counts)
    return {
        "labels": [gettext(labels.get(code, code)) for code in codes],
        "values": [counts[code] for code in codes],
    }


def _charts(context: dict[str, Any], gettext: Any) -> dict[str, dict[str, Any]]:
    """Chart data with labels in the page's language (drawn by static/dashboard.js)."""
    summary, year = context["summary"], context["kpis"]
    months = year.months
    return {
        "months": {
            "labels": [m.month for m in months],
            "series": [
                {"name": gettext("Identified"), "values": [m.identified for m in months]},
                {"name": gettext("Eliminated"), "values": [m.eliminated for m in months]},
            ],
        },
        "category": _counts(summary.objects_by_category, case_labels.CATEGORY, gettext),
        "cause": _counts(summary.objects_by_cause, case_labels.CAUSE, gettext),
        "status": _counts(summary.objects_by_status, OBJECT_STATUS, gettext),
    }
