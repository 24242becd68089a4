"""The Reports page: request a PDF (monthly report, object list) or an Excel export, watch its
progress, download it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.core.errors import BadInput
from povguard.reports import service
from povguard.reports.schemas import ReportCreate, ReportKind, ReportRead
from povguard.screening import runs
from povguard.web.deps import PageUser, SessionDep, SettingsDep
from povguard.web.i18n import N_
from povguard.web.navigation import NavEntry
from povguard.web.reports.api import file_response, queue
from povguard.web.security import verify_csrf
from povguard.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
nav = NavEntry(key="reports", path="/reports", label=N_("Reports"), order=60)
KIND_LABELS = {
    ReportKind.MONTHLY.value: N_("Monthly county report (PDF)"),
    ReportKind.ROSTER.value: N_("List of monitoring objects for printing (PDF)"),
    ReportKind.OBJECTS.value: N_("Monitoring objects (Excel)"),
    ReportKind.CLUES.value: N_("Clues of a screening run (Excel)"),
    ReportKind.KPIS.value: N_("KPI table by region (Excel)"),
}

# The form fields each kind of report reads (the others are left out of the request).
NEEDED_FIELDS = {"monthly": ("month",), "roster": ("month",), "kpis": ("from", "to"),
                 "clues": ("run_id",)}  # fmt: skip


def _last_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


def build_reports_context(
    session: Session, principal: Principal, today: dt.date, error: str | None = None
) -> dict[str, Any]:
    """The page: the request form (with finished runs to pick from) and the caller's reports."""
    jobs = [ReportRead.model_validate(job) for job in service.list_jobs(session, principal)]
    finished = [run for run in runs.list_runs(session, principal) if run.state == "done"]
    return {
        "active_nav": nav.key,
        "kinds": KIND_LABELS,
        "jobs": jobs,
        "busy": any(job.state in ("queued", "running") for job in jobs),
        "runs": finished,
        "default_region": principal.region_code,
        "default_month": _last_month(today),
        "default_from": f"{today.year}-01",
        "error": error,
    }


@router.get("/reports")
def reports_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    context = build_reports_context(session, principal, dt.date.today())
    # The job list polls this page while a report is being built; HTMX swaps in the list only.
    template = "reports/_jobs.html" if request.headers.get("HX-Target") == "report-jobs" else None
    return render(request, template or "reports/index.html", context)


def _form_request(values: dict[str, str]) -> ReportCreate:
    kind = values["kind"]
    needed = NEEDED_FIELDS.get(kind, ())
    data = {"kind": kind, "region": values["region"], **{k: values[k] for k in needed if values[k]}}
    try:
        return ReportCreate.model_validate(data)
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        raise BadInput(f"{field}: {exc.errors()[0]['msg']}", field=field) from exc


@router.post("/reports")
def request_report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    background: BackgroundTasks,
    kind: Annotated[str, Form(max_length=10)],
    region: Annotated[str, Form(max_length=12)],
    month: Annotated[str, Form(max_length=7)] = "",
    first: Annotated[str, Form(alias="from", max_length=7)] = "",
    last: Annotated[str, Form(alias="to", max_length=7)] = "",
    run_id: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    values = {"kind": kind, "region": region, "month": month, "from": first, "to": last}
    try:
        data = _form_request({**values, "run_id": run_id})
        queue(session, principal, data, settings, background)
    except BadInput as exc:
        context = build_reports_context(session, principal, dt.date.today(), error=str(exc))
        return render(request, "reports/index.html", context, status_code=400)
    return RedirectResponse("/reports", status_code=303)


@router.get("/reports/{report_id}/download")
def download(
    session: SessionDep, settings: SettingsDep, principal: PageUser, report_id: str
) -> FileResponse:
    return file_response(session, principal, settings, report_id)
