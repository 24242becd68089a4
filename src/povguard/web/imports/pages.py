"""Import pages: upload a zip of SPEC §3 files, follow its validation (a background job with
a live progress bar), read the report (rows per file, bad rows, errors CSV), confirm it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.ingest import batches, uploads
from povguard.ingest.schemas import BatchRead
from povguard.web.deps import PageUser, SessionDep, SettingsDep
from povguard.web.i18n import N_
from povguard.web.imports.api import batch_detail, errors_response, require_importer, start_job
from povguard.web.navigation import NavEntry
from povguard.web.security import verify_csrf
from povguard.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
nav = NavEntry(key="imports", path="/imports", label=N_("Imports"), order=50,
               roles=frozenset(batches.IMPORTERS))  # fmt: skip
RUNNING = ("validating", "loading")


def build_imports_context(session: Session, principal: Principal) -> dict[str, Any]:
    """The imports page: the upload form and the batches made inside the caller's scope."""
    require_importer(principal)
    return {
        "active_nav": nav.key,
        "batches": [BatchRead.model_validate(b) for b in batches.list_batches(session, principal)],
        "max_upload_mb": uploads.MAX_UPLOAD_BYTES // (1024 * 1024),
    }


@router.get("/imports")
def imports_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    return render(request, "imports/list.html", build_imports_context(session, principal))


@router.post("/imports")
def upload(
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File()],
) -> Response:
    batch = uploads.accept(session, principal, file.file, file.filename or "", lake=settings.lake)
    session.commit()
    start_job(background, batch.id, principal, settings, load=False)
    return RedirectResponse(f"/imports/{batch.id}", status_code=303)


def build_batch_context(
    session: Session, principal: Principal, lake: Path, batch_id: str
) -> dict[str, Any]:
    """One batch: status and progress, rows per file, the bad rows, the confirm button."""
    require_importer(principal)
    detail = batch_detail(session, principal, lake, batch_id)
    files = sorted(set(detail.rows) | set(detail.errors_per_file))
    return {
        "active_nav": nav.key,
        "batch": detail,
        "running": detail.status in RUNNING,
        "files": [
            {
                "name": name,
                "rows": detail.rows.get(name),
                "unmatched": detail.unmatched.get(name, 0),
                "errors": detail.errors_per_file.get(name, 0),
            }
            for name in files
        ],
        "can_confirm": detail.status == "validated",
    }


@router.get("/imports/{batch_id}")
def batch_page(
    request: Request, session: SessionDep, settings: SettingsDep, principal: PageUser,
    batch_id: str,
) -> Response:  # fmt: skip
    context = build_batch_context(session, principal, settings.lake, batch_id)
    # The progress bar polls this page; once the job has ended the whole page is reloaded.
    if request.headers.get("HX-Target") == "batch-status":
        if not context["running"]:
            return Response(status_code=204, headers={"HX-Refresh": "true"})
        return render(request, "imports/_status.html", context)
    return render(request, "imports/batch.html", context)


@router.post("/imports/{batch_id}/confirm")
def confirm(
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    background: BackgroundTasks,
    batch_id: str,
) -> Response:
    require_importer(principal)
    batch = uploads.confirm(session, principal, batch_id)
    session.commit()
    start_job(background, batch.id, principal, settings, load=True)
    return RedirectResponse(f"/imports/{batch.id}", status_code=303)


@router.get("/imports/{batch_id}/errors.csv")
def errors_csv(
    session: SessionDep, settings: SettingsDep, principal: PageUser, batch_id: str
) -> Response:
    require_importer(principal)
    return errors_response(session, principal, settings.lake, batch_id)
