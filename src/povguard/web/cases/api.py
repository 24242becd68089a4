"""Cases under /api/v1 (SPEC §14): open, list, read, take a procedure step, add a measure;
and the region summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from povguard.analytics.kpi.schemas import RegionSummary
from povguard.analytics.kpi.service import region_summary
from povguard.cases import assistance, attachments
from povguard.cases import service as cases
from povguard.cases.common import require_writer
from povguard.cases.enums import CaseState
from povguard.cases.schemas import CaseCreate, CaseRead, MeasureCreate, MeasureRead, TransitionIn
from povguard.config import Settings
from povguard.screening import runs
from povguard.screening.lake import lake_policy
from povguard.web.deps import CurrentUser, DatabaseDep, SessionDep, SettingsDep
from povguard.web.errors import api_errors

# Bounded, so that an id no database integer can hold is a 422 rather than a driver error.
CaseId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
router = APIRouter(prefix="/api/v1", tags=["cases"])


@router.post("/cases", status_code=201, response_model=CaseRead,
             responses=api_errors(400, 401, 403, 404, 409, 422))  # fmt: skip
def open_case(
    body: CaseCreate, session: SessionDep, settings: SettingsDep, principal: CurrentUser
) -> JSONResponse:
    """Open a case (state `clue`), or attach the clue to the household's open case (200)."""
    if body.clue_id:
        clue = runs.get_clue(session, principal, settings.lake, body.clue_id)
        body = CaseCreate.model_validate({
            **body.model_dump(),
            "rules": body.rules or clue.rules,
            "category": body.category or clue.category,
        })  # fmt: skip
    case, created = cases.create(session, principal, body, policy=lake_policy(settings.lake))
    return JSONResponse(status_code=201 if created else 200, content=case.model_dump(mode="json"))


@router.get("/cases", response_model=list[CaseRead], responses=api_errors(400, 401, 404, 422))
def list_cases(
    session: SessionDep,
    principal: CurrentUser,
    region: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    state: CaseState | None = None,
    overdue: bool | None = None,
) -> list[CaseRead]:
    """Cases in the caller's scope, newest first."""
    return cases.list_cases(session, principal, region=region, state=state, overdue=overdue)


@router.get("/cases/{case_id}", response_model=CaseRead, responses=api_errors(401, 404, 422))
def get_case(session: SessionDep, principal: CurrentUser, case_id: CaseId) -> CaseRead:
    """The case with its steps, state, deadlines, version and the caller's allowed actions."""
    return cases.get(session, principal, case_id)


@router.post("/cases/{case_id}/transitions", response_model=CaseRead,
             responses=api_errors(400, 401, 403, 404, 409, 422))  # fmt: skip
def take_step(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentUser,
    case_id: CaseId,
    body: TransitionIn,
) -> CaseRead:
    """One procedure step of SPEC §7; a stale `version` or an illegal step is a 409.
    `attachments` are ids returned by `POST /api/v1/attachments`."""
    attachments.check_known(attachment_store(settings), body.attachments)
    return cases.transition(session, principal, case_id, body)


def attachment_store(settings: Settings) -> Path:
    return attachments.store_for(settings.lake)


@router.post("/attachments", status_code=201, response_model=attachments.AttachmentRead,
             responses=api_errors(400, 401, 403, 422))  # fmt: skip
async def upload_attachment(
    settings: SettingsDep, principal: CurrentUser, file: UploadFile
) -> attachments.AttachmentRead:
    """Keep a PDF, PNG or JPEG (≤ 10 MiB) for a procedure step; returns its id (SHA-256)."""
    require_writer(principal)
    content = await file.read(attachments.MAX_BYTES + 1)
    return attachments.save(attachment_store(settings), content)


@router.post("/cases/{case_id}/measures", status_code=201, response_model=MeasureRead,
             responses=api_errors(400, 401, 403, 404, 409, 422))  # fmt: skip
def add_measure(
    session: SessionDep, principal: CurrentUser, case_id: CaseId, body: MeasureCreate
) -> MeasureRead:
    """An assistance measure of SPEC §8 for the case's household."""
    return assistance.add_measure(session, principal, case_id, body)


@router.get("/regions/{code}/summary", response_model=RegionSummary,
            responses=api_errors(400, 401, 404))  # fmt: skip
async def summary(
    code: str, database: DatabaseDep, settings: SettingsDep, principal: CurrentUser
) -> RegionSummary:
    """Objects by category, cause and status; cases; overdue cases; clues of the latest run."""
    return await database.run(region_summary, principal, code, lake=settings.lake)
