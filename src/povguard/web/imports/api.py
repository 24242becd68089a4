"""Imports over the API: upload a zip of SPEC §3 files (validated by a background job),
follow the batch, read its report, confirm it (loaded by a second job)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.config import Settings
from povguard.core.errors import Forbidden, NotFound
from povguard.ingest import batches, uploads
from povguard.ingest.schemas import BatchCreated, BatchDetail, BatchRead
from povguard.web.deps import CurrentUser, SessionDep, SettingsDep
from povguard.web.errors import api_errors

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])


def require_importer(principal: Principal) -> None:
    if principal.role not in batches.IMPORTERS:
        raise Forbidden(f"role {principal.role} may not import data")


def start_job(
    background: BackgroundTasks, batch_id: str, principal: Principal, settings: Settings, *,
    load: bool,
) -> None:  # fmt: skip
    background.add_task(uploads.run_job, batch_id, principal, lake=settings.lake,
                        database_url=settings.database_url, load=load)  # fmt: skip


def batch_detail(session: Session, principal: Principal, lake: Path, batch_id: str) -> BatchDetail:
    """The batch with its first bad rows and bad rows per file (shared with the pages)."""
    batch = BatchRead.model_validate(batches.get(session, principal, batch_id))
    rows, per_file = uploads.bad_rows(uploads.errors_file(session, principal, batch_id, lake=lake))
    return BatchDetail.model_validate(
        {**batch.model_dump(), "bad_rows": rows, "errors_per_file": per_file}
    )


@router.post(
    "",
    status_code=202,
    response_model=BatchCreated,
    responses=api_errors(400, 401, 403, 422),
)
def upload(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentUser,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="a zip of SPEC §3 files")],
) -> JSONResponse:
    """Upload a dataset zip; it is validated by a background job (follow the batch)."""
    batch = uploads.accept(session, principal, file.file, file.filename or "", lake=settings.lake)
    session.commit()  # the job reads the batch in its own transaction
    start_job(background, batch.id, principal, settings, load=False)
    return JSONResponse(status_code=202, content={"batch_id": batch.id})


@router.get("", response_model=list[BatchRead], responses=api_errors(401, 403))
def list_batches(session: SessionDep, principal: CurrentUser) -> list[BatchRead]:
    """Import batches made inside the caller's scope, newest first."""
    require_importer(principal)
    return [BatchRead.model_validate(b) for b in batches.list_batches(session, principal)]


@router.get("/{batch_id}", response_model=BatchDetail, responses=api_errors(401, 403, 404))
def get_batch(
    session: SessionDep, settings: SettingsDep, principal: CurrentUser, batch_id: str
) -> BatchDetail:
    """Status, progress, rows per file, and (after validation) the first bad rows."""
    require_importer(principal)
    return batch_detail(session, principal, settings.lake, batch_id)


@router.get("/{batch_id}/errors.csv", responses=api_errors(401, 403, 404))
def errors_csv(
    session: SessionDep, settings: SettingsDep, principal: CurrentUser, batch_id: str
) -> Response:
    """Every bad row of the batch as CSV (file, line, column, value, reason)."""
    require_importer(principal)
    return errors_response(session, principal, settings.lake, batch_id)


def errors_response(session: Session, principal: Principal, lake: Path, batch_id: str) -> Response:
    path = uploads.errors_file(session, principal, batch_id, lake=lake)
    if not path.exists():
        if batches.get(session, principal, batch_id).errors_count and not path.parent.exists():
            raise NotFound(
                f"the bad rows of import batch {batch_id} were removed with its upload after "
                "the retention (POVGUARD_UPLOAD_RETENTION_DAYS)"
            )
        raise NotFound(f"import batch {batch_id} has no bad rows")
    return FileResponse(path, media_type="text/csv",
                        filename=f"import-{batch_id[:8]}-errors.csv")  # fmt: skip


@router.post(
    "/{batch_id}/confirm",
    status_code=202,
    response_model=BatchCreated,
    responses=api_errors(401, 403, 404, 409),
)
def confirm(
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentUser,
    background: BackgroundTasks,
    batch_id: str,
) -> JSONResponse:
    """Load a validated batch (a background job); confirming twice is a 409."""
    require_importer(principal)
    batch = uploads.confirm(session, principal, batch_id)
    session.commit()
    start_job(background, batch.id, principal, settings, load=True)
    return JSONResponse(status_code=202, content={"batch_id": batch.id})
