"""Case pages: the worklist, one case with its step forms (HTMX, no full reloads), its
attachments and publicity notice, the assistance plan and referrals; cases opened from
screening clues and from the household page.

Every form posts to a page endpoint that calls the same service as the JSON API. A refused form
(stale version, illegal step, missing reason, bad attachment) answers 409/400 with the case
re-rendered around the user's input and the reason next to the form; the case page's htmx
configuration swaps those answers in.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from povguard.auth.principal import Principal
from povguard.cases import assistance, attachments, notice, worklist
from povguard.cases import service as cases
from povguard.cases.common import require_writer
from povguard.cases.enums import CaseKind, CaseSource, MeasureStatus
from povguard.cases.schemas import CaseCreate
from povguard.config import Settings
from povguard.core.errors import BadInput, Conflict, NotFound, PovguardError
from povguard.screening.lake import lake_policy
from povguard.web.cases import forms
from povguard.web.cases.api import attachment_store
from povguard.web.cases.context import (
    FormError,
    build_case_context,
    build_worklist_context,
    check_state_filter,
    nav,
)
from povguard.web.cases.intake import build_created_context
from povguard.web.cases.labels import ACTION, FILTERS
from povguard.web.cases.panel import build_household_panel
from povguard.web.deps import PageUser, SessionDep, SettingsDep
from povguard.web.households.pages import build_profile_context
from povguard.web.i18n import N_
from povguard.web.security import verify_csrf
from povguard.web.templating import gettext_for, render, templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
templates.env.filters.update(FILTERS)
__all__ = ["nav", "router"]

LIST_FIELDS = frozenset({"causes", "income_month", "income_value", "clue_id"})
STATUS = {Conflict: 409, BadInput: 400}
STALE = N_(
    "Someone else changed this record after you opened the page. The page now shows the "
    "current state: check it and submit again."
)
REFUSED = N_("Not done: %(reason)s")
DONE = N_("Done: %(what)s.")
MEASURE_ADDED = N_("Measure added")
MEASURE_UPDATED = N_("Measure updated")
REFERRAL_RECORDED = N_("Referral recorded")
ANSWER_RECORDED = N_("Answer recorded")


def case_writer(principal: PageUser) -> Principal:
    """The signed-in user, if its role may change cases. A read-only role gets 403 before any
    record is read, whatever the id (as the API answers): the refusal never depends on whether
    the record exists or lies in the scope."""
    require_writer(principal)
    return principal


CaseWriter = Annotated[Principal, Depends(case_writer)]


async def form_data(request: Request) -> FormData:
    """The posted form (urlencoded or multipart), read once on the event loop."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def fields_of(form: FormData) -> dict[str, Any]:
    """Text fields of a form; the repeated ones (causes, months …) as lists."""
    fields: dict[str, Any] = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        if key in LIST_FIELDS:
            fields[key] = values
        elif values:
            fields[key] = values[-1]
    return fields


def uploads_of(form: FormData) -> list[UploadFile]:
    return [f for f in form.getlist("files") if not isinstance(f, str) and f.filename]


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def explain(request: Request, exc: PovguardError) -> str:
    """The reason a form was refused, in the user's language where it is a known one."""
    gettext = gettext_for(request)
    if isinstance(exc, Conflict) and "changed by someone else" in str(exc):
        return f"{gettext(STALE)} ({exc})"
    return gettext(REFUSED) % {"reason": str(exc)}


def status_of(exc: PovguardError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


# ---------------------------------------------------------------- worklist


@router.get("/cases")
def worklist_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    state: Annotated[str, Query(max_length=32)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
    village: Annotated[str, Query(max_length=12)] = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    context = build_worklist_context(
        session, principal, state=check_state_filter(state), overdue=forms.checked(overdue),
        village=village, page=page, today=dt.date.today(),
    )  # fmt: skip
    partial = request.headers.get("HX-Target") == "worklist" and not request.headers.get(
        "HX-History-Restore-Request"
    )
    response = render(request, "cases/_worklist.html" if partial else "cases/worklist.html",
                      context)  # fmt: skip
    response.headers["Vary"] = "HX-Target, HX-History-Restore-Request, Accept-Language, Cookie"
    return response


# ---------------------------------------------------------------- one case


def case_response(
    request: Request,
    session: Session,
    settings: Settings,
    principal: Principal,
    case_id: int,
    *,
    submitted: dict[str, Any] | None = None,
    error: FormError | None = None,
    flash: str | None = None,
) -> Response:
    """The case page (or, for htmx, its `#case` block) with an optional error or message."""
    context = build_case_context(
        session, principal, case_id, lake=settings.lake, policy=lake_policy(settings.lake),
        today=dt.date.today(), submitted=submitted, error=error, flash=flash,
    )  # fmt: skip
    template = "cases/_case.html" if is_htmx(request) else "cases/case.html"
    return render(request, template, context, status_code=error.status if error else 200)


def after_change(
    request: Request,
    session: Session,
    settings: Settings,
    principal: Principal,
    case_id: int,
    what: str,
) -> Response:
    """The answer to an accepted form: the fresh case for htmx, a redirect for a plain post."""
    if not is_htmx(request):
        return RedirectResponse(f"/cases/{case_id}?{urlencode({'done': what})}", status_code=303)
    gettext = gettext_for(request)
    flash = gettext(DONE) % {"what": gettext(what)}
    return case_response(request, session, settings, principal, case_id, flash=flash)


def refused(
    request: Request,
    session: Session,
    settings: Settings,
    principal: Principal,
    case_id: int,
    *,
    form: str,
    exc: PovguardError,
    submitted: dict[str, Any],
) -> Response:
    """Undo whatever the refused service call did, then show the case around the input."""
    session.rollback()
    error = FormError(form=form, message=explain(request, exc), status=status_of(exc))
    return case_response(request, session, settings, principal, case_id,
                         submitted=submitted, error=error)  # fmt: skip


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    case_id: int,
    done: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    gettext = gettext_for(request)
    flash = gettext(DONE) % {"what": gettext(done)} if done in _DONE_LABELS else None
    return case_response(request, session, settings, principal, case_id, flash=flash)


# The messages a plain (non-htmx) post may ask the page to show after its redirect.
_DONE_LABELS = frozenset(
    {*ACTION.values(), MEASURE_ADDED, MEASURE_UPDATED, REFERRAL_RECORDED, ANSWER_RECORDED}
)


def _read_uploads(settings: Settings, form: FormData) -> list[str]:
    """Keep each uploaded file (PDF, PNG, JPEG ≤ 10 MiB) and return the ids of all."""
    ids = []
    for upload in uploads_of(form):
        content = upload.file.read(attachments.MAX_BYTES + 1)
        ids.append(attachments.save(attachment_store(settings), content).id)
    return ids


@router.post("/cases/{case_id}/steps")
def take_step(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    case_id: int,
    form: FormDep,
) -> Response:
    """One procedure step (the same service as `POST /api/v1/cases/{id}/transitions`)."""
    fields = fields_of(form)
    action = fields.get("action", "")
    case = cases.get(session, principal, case_id)  # 404 outside the scope, before anything
    try:
        data = forms.transition(fields, attachments=[],
                                elimination=case.kind is CaseKind.ELIMINATION)  # fmt: skip
        data = data.model_copy(update={"attachments": _read_uploads(settings, form)})
        cases.transition(session, principal, case_id, data)
    except (Conflict, BadInput) as exc:
        return refused(request, session, settings, principal, case_id,
                       form=f"step:{action}", exc=exc, submitted=fields)  # fmt: skip
    what = ACTION[data.action.value]
    return after_change(request, session, settings, principal, case_id, what)


@router.post("/cases/{case_id}/measures")
def add_measure(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    case_id: int,
    form: FormDep,
) -> Response:
    """A measure of the household's plan (the same service as the API's)."""
    fields = fields_of(form)
    try:
        assistance.add_measure(session, principal, case_id, forms.measure(fields))
    except (Conflict, BadInput) as exc:
        return refused(request, session, settings, principal, case_id,
                       form="measure", exc=exc, submitted=fields)  # fmt: skip
    return after_change(request, session, settings, principal, case_id, MEASURE_ADDED)


@router.post("/cases/{case_id}/measures/{measure_id}/status")
def set_measure_status(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    case_id: int,
    measure_id: int,
    form: FormDep,
) -> Response:
    fields = fields_of(form)
    cases.get(session, principal, case_id)
    try:
        status = forms.choice(fields.get("status"), MeasureStatus, "status")
        version = forms.version_of(fields)
        assistance.set_measure_status(session, principal, measure_id, status=status,
                                      version=version)  # fmt: skip
    except (Conflict, BadInput) as exc:
        return refused(request, session, settings, principal, case_id,
                       form=f"measure:{measure_id}", exc=exc, submitted=fields)  # fmt: skip
    return after_change(request, session, settings, principal, case_id, MEASURE_UPDATED)


@router.post("/cases/{case_id}/referrals")
def refer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    case_id: int,
    form: FormDep,
) -> Response:
    fields = fields_of(form)
    case = cases.get(session, principal, case_id)
    try:
        data = forms.referral(fields, household_id=case.household_id, case_id=case.id)
        assistance.refer(session, principal, data)
    except (Conflict, BadInput) as exc:
        return refused(request, session, settings, principal, case_id,
                       form="referral", exc=exc, submitted=fields)  # fmt: skip
    return after_change(request, session, settings, principal, case_id, REFERRAL_RECORDED)


@router.post("/cases/{case_id}/referrals/{referral_id}/answer")
def answer_referral(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    case_id: int,
    referral_id: int,
    form: FormDep,
) -> Response:
    fields = fields_of(form)
    cases.get(session, principal, case_id)
    try:
        assistance.answer_referral(session, principal, referral_id,
                                   forms.referral_answer(fields))  # fmt: skip
    except (Conflict, BadInput) as exc:
        return refused(request, session, settings, principal, case_id,
                       form=f"referral:{referral_id}", exc=exc, submitted=fields)  # fmt: skip
    return after_change(request, session, settings, principal, case_id, ANSWER_RECORDED)


@router.post("/cases/{case_id}/elimination")
def start_elimination(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    case_id: int,
    form: FormDep,
) -> Response:
    """Open the risk elimination case of a monitoring object (from its identification case)."""
    fields = fields_of(form)
    case = cases.get(session, principal, case_id)
    try:
        # The service would add this to an open case as evidence; a second click must not.
        busy = [c.id for c in worklist.household_cases(session, principal, case.household_id)
                if c.is_open]  # fmt: skip
        if busy:
            raise Conflict(f"household {case.household_id} already has an open case ({busy[0]})")
        note = (fields.get("note") or "")[:2000]
        data = CaseCreate(household_id=case.household_id, source=CaseSource.CADRE_VISIT,
                          kind=CaseKind.ELIMINATION, note=note)  # fmt: skip
        created, _ = cases.create(session, principal, data, policy=lake_policy(settings.lake))
    except (Conflict, BadInput) as exc:
        return refused(request, session, settings, principal, case_id,
                       form="elimination", exc=exc, submitted=fields)  # fmt: skip
    target = f"/cases/{created.id}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/cases/{case_id}/attachments/{attachment_id}")
def download_attachment(
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    case_id: int,
    attachment_id: str,
) -> Response:
    """A file attached to one of the case's steps (only through a case in the user's scope)."""
    case = cases.get(session, principal, case_id)
    if not any(attachment_id in step.attachments for step in case.steps):
        raise NotFound(f"attachment {attachment_id} not found")
    content, media_type = attachments.read(attachment_store(settings), attachment_id)
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[media_type]
    name = f"case-{case_id}-{attachment_id[:12]}.{extension}"
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


# The notice is a standalone printable page with its own inline style and no script.
NOTICE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@router.get("/cases/{case_id}/notice")
def notice_page(session: SessionDep, principal: PageUser, case_id: int) -> Response:
    """The village publicity notice of the case's batch (HTML, masked: SPEC §7 step 5)."""
    ids, start = notice.batch_of(session, principal, case_id)
    document = notice.build_notice(session, principal, ids, start=start)
    return Response(notice.notice_html(document), media_type="text/html",
                    headers={"Content-Security-Policy": NOTICE_CSP})  # fmt: skip


@router.get("/cases/{case_id}/notice.pdf")
def notice_pdf(session: SessionDep, principal: PageUser, case_id: int) -> Response:
    ids, start = notice.batch_of(session, principal, case_id)
    document = notice.build_notice(session, principal, ids, start=start)
    name = f"notice-{document.village_code}-{start.isoformat()}.pdf"
    return Response(notice.notice_pdf(document), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})  # fmt: skip


# ---------------------------------------------------------------- opening cases


@router.post("/cases/from-clues")
def create_from_clues(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    form: FormDep,
) -> Response:
    """The "Create cases" button of a screening run's clue table."""
    fields = fields_of(form)
    try:
        context = build_created_context(session, principal, settings, fields,
                                        today=dt.date.today())  # fmt: skip
    except BadInput as exc:
        # On the run page the answer replaces the result box, so it stays a 200 for htmx.
        context = {"results": [], "counts": {}, "error": str(exc), "run_id": fields.get("run_id")}
        status = 200 if is_htmx(request) else 400
        template = "cases/_created.html" if is_htmx(request) else "cases/created.html"
        return render(request, template, {"active_nav": "screening", **context}, status)
    template = "cases/_created.html" if is_htmx(request) else "cases/created.html"
    return render(request, template, {"active_nav": "screening", **context})


@router.post("/households/{household_id}/cases")
def open_from_household(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CaseWriter,
    household_id: str,
    form: FormDep,
) -> Response:
    """A case from a self-declaration (app, hotline 12317, written) or a cadre's visit."""
    fields = fields_of(form)
    today = dt.date.today()
    try:
        forms.received_on(fields.get("received_on"), today)
        data = forms.declaration(fields, household_id=household_id)
        case, _ = cases.create(session, principal, data, policy=lake_policy(settings.lake))
    except (Conflict, BadInput) as exc:
        session.rollback()
        context = build_profile_context(session, principal, household_id)
        context["case_panel"] = build_household_panel(
            session, principal, household_id, today=today, error=explain(request, exc),
            submitted={**fields, "serious_illness": forms.checked(fields.get("serious_illness"))},
        )  # fmt: skip
        return render(request, "households/profile.html", context, status_of(exc))
    return RedirectResponse(f"/cases/{case.id}", status_code=303)
