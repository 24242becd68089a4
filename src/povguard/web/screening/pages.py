"""Screening pages: start a run (a background job with a live progress bar), list runs,
read a run's counts per rule and its clues filtered by rule, category and village."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases.common import may_write
from povguard.screening import runs
from povguard.screening.rules import RULES
from povguard.web.deps import PageUser, SessionDep, SettingsDep
from povguard.web.i18n import N_
from povguard.web.navigation import NavEntry
from povguard.web.screening.api import execute_in_background
from povguard.web.security import verify_csrf
from povguard.web.templating import language_of, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
nav = NavEntry(key="screening", path="/screening", label=N_("Screening"), order=30)
PAGE_SIZE = 50
CATEGORY_LABELS = {
    "unstable": N_("unstable (formerly poor)"),
    "marginal": N_("marginal (easily poor)"),
    "sudden_difficulty": N_("sudden serious difficulty"),
}


def build_runs_context(
    session: Session, principal: Principal, lake: Path, today: dt.date
) -> dict[str, Any]:
    """The runs page: runs in scope, newest first, and the form to start one."""
    return {
        "active_nav": nav.key,
        "runs": runs.list_run_views(session, principal, lake),
        "can_start": principal.role in runs.RUNNERS,
        "default_region": principal.scope_prefix.ljust(12, "0") if principal.scope_prefix else "",
        "default_as_of": today.isoformat(),
    }


@router.get("/screening")
def runs_page(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PageUser
) -> Response:
    context = build_runs_context(session, principal, settings.lake, dt.date.today())
    return render(request, "screening/runs.html", context)


@router.post("/screening/runs")
def start_run(
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    background: BackgroundTasks,
    as_of: Annotated[dt.date, Form()],
    region: Annotated[str, Form(max_length=12)],
) -> Response:
    run = runs.create_run(session, principal, as_of=as_of, region_code=region)
    session.commit()
    background.add_task(execute_in_background, run.id, settings)
    return RedirectResponse(f"/screening/runs/{run.id}", status_code=303)


def _clues_url(run_id: str, filters: dict[str, str], page: int) -> str:
    params = {key: value for key, value in filters.items() if value}
    if page > 1:
        params["page"] = str(page)
    return f"/screening/runs/{run_id}" + (f"?{urlencode(params)}" if params else "")


def build_run_context(
    session: Session,
    principal: Principal,
    lake: Path,
    run_id: str,
    *,
    language: str,
    filters: dict[str, str],
    page: int,
) -> dict[str, Any]:
    """One run: its state, counts per rule and category, and (when done) a page of clues."""
    run = runs.get_run_view(session, principal, lake, run_id)
    rule_rows = [
        {
            "code": rule.code,
            "title": rule.title_zh if language == "zh" else rule.title_en,
            "cause": rule.cause,
            "count": run.counts.get(rule.code, 0),
        }
        for rule in RULES
    ]
    context: dict[str, Any] = {
        "active_nav": nav.key,
        "run": run,
        "rules": rule_rows,
        "categories": CATEGORY_LABELS,
        "filters": filters,
        "clues": None,
        "can_create_cases": may_write(principal),  # the clue table's "Create cases" button
        "today": dt.date.today().isoformat(),
    }
    if run.state == "done":
        clues = runs.list_clues(
            session, principal, lake, run_id, page=page, size=PAGE_SIZE,
            rule=filters["rule"] or None, category=filters["category"] or None,
            village=filters["village"] or None,
        )  # fmt: skip
        pages = max(1, -(-clues.total // PAGE_SIZE))
        context.update(
            clues=clues,
            page=page,
            pages=pages,
            previous_url=_clues_url(run_id, filters, page - 1) if page > 1 else None,
            next_url=_clues_url(run_id, filters, page + 1) if page < pages else None,
        )
    return context


@router.get("/screening/runs/{run_id}")
def run_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    run_id: str,
    rule: Annotated[str, Query(max_length=3)] = "",
    category: Annotated[str, Query(max_length=20)] = "",
    village: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    filters = {"rule": rule, "category": category, "village": village}
    context = build_run_context(
        session, principal, settings.lake, run_id,
        language=language_of(request), filters=filters, page=page,
    )  # fmt: skip
    # The progress bar polls this page; HTMX then swaps in only the status block, and the
    # whole page is reloaded once the run has ended (to show the counts and clues).
    target = request.headers.get("HX-Target")
    if target == "run-status" and context["run"].state in ("done", "failed"):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    template = {"run-status": "screening/_status.html", "clues": "screening/_clues.html"}.get(
        target or "", "screening/run.html"
    )
    return render(request, template, context)
