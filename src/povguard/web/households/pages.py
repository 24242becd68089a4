"""Household search (HTMX live results) and the household profile."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.households import service as households
from povguard.households.schemas import HouseholdPage
from povguard.web.cases.panel import build_household_panel
from povguard.web.deps import PageUser, SessionDep
from povguard.web.i18n import N_
from povguard.web.navigation import NavEntry
from povguard.web.security import verify_csrf
from povguard.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
nav = NavEntry(key="households", path="/households", label=N_("Households"), order=20)
PAGE_SIZE = 20


def page_url(*, q: str, region: str, page: int) -> str:
    params = {key: value for key, value in (("q", q), ("region", region)) if value}
    if page > 1:
        params["page"] = str(page)
    return "/households" + (f"?{urlencode(params)}" if params else "")


def build_households_context(
    session: Session, principal: Principal, *, q: str, region: str, page: int
) -> dict[str, Any]:
    """The search page: the query, one page of results and links to its neighbours."""
    results: HouseholdPage = households.search(
        session, principal, q=q, region=region or None, page=page, size=PAGE_SIZE
    )
    previous_url = page_url(q=q, region=region, page=page - 1) if page > 1 else None
    has_next = page < results.pages
    return {
        "active_nav": nav.key,
        "q": q,
        "region": region,
        "region_choices": households.region_choices(session, principal),
        "results": results,
        "pages": results.pages,
        "previous_url": previous_url,
        "next_url": page_url(q=q, region=region, page=page + 1) if has_next else None,
    }


@router.get("/households")
def search_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    q: Annotated[str, Query(max_length=100)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    context = build_households_context(session, principal, q=q, region=region, page=page)
    # HTMX live search swaps only the results; a normal visit (or htmx restoring a page from
    # history) gets the whole page.
    is_partial = request.headers.get("HX-Target") == "results" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "households/_results.html" if is_partial else "households/search.html"
    response = render(request, template, context)
    response.headers["Vary"] = "HX-Target, HX-History-Restore-Request, Accept-Language, Cookie"
    return response


def build_profile_context(
    session: Session, principal: Principal, household_id: str
) -> dict[str, Any]:
    """The profile page: the household (masked for the caller's role), its members, and its
    cases with the form that opens one from a declaration or a visit."""
    household = households.get(session, principal, household_id)
    return {
        "active_nav": nav.key,
        "household": household,
        "in_household": sum(1 for member in household.members if member.in_household),
        "case_panel": build_household_panel(
            session, principal, household_id, today=dt.date.today()
        ),
    }


@router.get("/households/{household_id}")
def profile_page(
    request: Request, session: SessionDep, principal: PageUser, household_id: str
) -> Response:
    context = build_profile_context(session, principal, household_id)
    return render(request, "households/profile.html", context)
