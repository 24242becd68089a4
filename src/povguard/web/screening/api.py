"""Screening runs over the lake: start one (a background job), follow it, read its clues."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import JSONResponse

from povguard.cases.summary import open_cases_for_screening
from povguard.config import Settings
from povguard.core.errors import PovguardError
from povguard.core.uow import unit_of_work
from povguard.screening import runs
from povguard.screening.schemas import CluePage, RunCreate, RunCreated, RunRead
from povguard.web.deps import CurrentUser, SessionDep, SettingsDep
from povguard.web.errors import api_errors

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/screening", tags=["screening"])


def execute_in_background(run_id: str, settings: Settings) -> None:
    """The job body: a failure is stored on the run (and logged), never lost."""
    try:
        with unit_of_work(settings.database_url) as session:
            open_cases = open_cases_for_screening(session)
        runs.execute_run(
            run_id, lake=settings.lake, database_url=settings.database_url, open_cases=open_cases
        )
    except PovguardError as exc:
        logger.warning("screening run %s failed: %s", run_id, exc)


@router.post(
    "/runs",
    status_code=202,
    response_model=RunCreated,
    responses=api_errors(400, 401, 403, 404, 422),
)
def start_run(
    body: RunCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentUser,
    background: BackgroundTasks,
) -> JSONResponse:
    """Queue a screening run over `region`'s subtree at date `as_of`; it runs as a job."""
    run = runs.create_run(
        session, principal, as_of=body.as_of, region_code=body.region, engine=body.engine
    )
    session.commit()  # the job reads the run in its own transaction
    background.add_task(execute_in_background, run.id, settings)
    return JSONResponse(status_code=202, content={"run_id": run.id})


@router.get("/runs", response_model=list[RunRead], responses=api_errors(401))
def list_runs(session: SessionDep, settings: SettingsDep, principal: CurrentUser) -> list[RunRead]:
    """Runs covering part of the caller's scope, newest first (figures within the scope)."""
    return runs.list_run_views(session, principal, settings.lake)


@router.get("/runs/{run_id}", response_model=RunRead, responses=api_errors(401, 404))
def get_run(
    session: SessionDep, settings: SettingsDep, principal: CurrentUser, run_id: str
) -> RunRead:
    """State, progress and counts per rule and category of one run, within the caller's scope."""
    return runs.get_run_view(session, principal, settings.lake, run_id)


@router.get(
    "/runs/{run_id}/clues", response_model=CluePage, responses=api_errors(400, 401, 404, 422)
)
def list_clues(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentUser,
    run_id: str,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 50,
    rule: Annotated[str | None, Query(pattern=r"^R\d{2}$")] = None,
    category: Annotated[str | None, Query()] = None,
    village: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
) -> CluePage:
    """The clues of a finished run inside the caller's scope, filtered and paged; a `village`
    unknown or outside the scope is a 404, as in every list's region filter."""
    return runs.list_clues(
        session, principal, settings.lake, run_id,
        page=page, size=size, rule=rule, category=category, village=village,
    )  # fmt: skip
