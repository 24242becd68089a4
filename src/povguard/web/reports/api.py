"""Reports under /api/v1: request one (a background job), follow its progress, download it
(scoped to the requester, audited)."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.config import Settings
from povguard.core.errors import PovguardError
from povguard.reports import service
from povguard.reports.schemas import ReportCreate, ReportCreated, ReportRead
from povguard.web.deps import CurrentUser, SessionDep, SettingsDep
from povguard.web.errors import api_errors

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


def reports_dir(settings: Settings) -> Path:
    return service.reports_dir(settings.lake)


def execute_in_background(job_id: str, settings: Settings) -> None:
    """The job body: a failure is stored on the job (and logged), never lost."""
    try:
        service.execute_job(
            job_id,
            lake=settings.lake,
            reports_dir=reports_dir(settings),
            database_url=settings.database_url,
        )
    except PovguardError as exc:
        logger.warning("report %s failed: %s", job_id, exc)


def queue(
    session: Session,
    principal: Principal,
    data: ReportCreate,
    settings: Settings,
    background: BackgroundTasks,
) -> str:
    """Create the job, commit it (the job reads it in its own transaction) and schedule it."""
    job = service.create_job(session, principal, data)
    session.commit()
    background.add_task(execute_in_background, job.id, settings)
    return job.id


def file_response(
    session: Session, principal: Principal, settings: Settings, report_id: str
) -> FileResponse:
    path, name, media_type = service.download(
        session, principal, report_id, reports_dir=reports_dir(settings)
    )
    session.commit()  # the audit row is stored before a single byte is sent
    return FileResponse(path, media_type=media_type, filename=name)


@router.post("", status_code=202, response_model=ReportCreated,
             responses=api_errors(400, 401, 404, 422))  # fmt: skip
def request_report(
    body: ReportCreate,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentUser,
    background: BackgroundTasks,
) -> JSONResponse:
    """Queue a report: `monthly` or `roster` (PDF; `month`), `objects`, `clues` (`run_id`) or `kpis`
    (`from`, `to`) for `region`; it is built in the background."""
    report_id = queue(session, principal, body, settings, background)
    return JSONResponse(status_code=202, content={"report_id": report_id})


@router.get("", response_model=list[ReportRead], responses=api_errors(401))
def list_reports(session: SessionDep, principal: CurrentUser) -> list[ReportRead]:
    """The caller's reports, newest first."""
    return [ReportRead.model_validate(job) for job in service.list_jobs(session, principal)]


@router.get("/{report_id}", response_model=ReportRead, responses=api_errors(401, 404))
def get_report(session: SessionDep, principal: CurrentUser, report_id: str) -> ReportRead:
    """State and progress of one of the caller's reports."""
    return ReportRead.model_validate(service.get_job(session, principal, report_id))


@router.get("/{report_id}/download", response_class=FileResponse,
            responses=api_errors(401, 404))  # fmt: skip
def download_report(
    session: SessionDep, settings: SettingsDep, principal: CurrentUser, report_id: str
) -> FileResponse:
    """The finished report's file (PDF or Excel); each download is written to the audit log."""
    return file_response(session, principal, settings, report_id)
