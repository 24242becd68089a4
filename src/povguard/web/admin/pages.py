"""Administration pages: users (admins), the policy in force (admins), the audit log
(auditors and admins, HTMX paging, CSV export), and every user's own password change."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from povguard.admin import service as admin
from povguard.audit import service as audit
from povguard.auth import service as auth_service
from povguard.auth.principal import Principal, Role
from povguard.auth.service import TOKEN_MAX_AGE
from povguard.config import Settings
from povguard.core.errors import BadInput, Conflict, Forbidden, NotFound
from povguard.policy.service import in_force
from povguard.web.admin.api import UserId, policy_book
from povguard.web.deps import (
    PASSWORD_CHANGE_PATH,
    PageUser,
    SessionDep,
    SettingsDep,
    page_user,
)
from povguard.web.i18n import N_
from povguard.web.navigation import NavEntry
from povguard.web.security import SESSION_COOKIE, set_cookie, verify_csrf
from povguard.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
nav = NavEntry(
    key="admin",
    path="/admin",
    label=N_("Admin"),
    order=90,
    roles=frozenset({Role.ADMIN, Role.AUDITOR}),
)
PAGE_SIZE = 50
ROLE_CHOICES = [role.value for role in Role]
TABS = [  # (key, path, label, roles)
    ("users", "/admin/users", N_("Users"), {Role.ADMIN}),
    ("policy", "/admin/policy", N_("Policy in force"), {Role.ADMIN}),
    ("audit", "/admin/audit", N_("Audit log"), {Role.ADMIN, Role.AUDITOR}),
]


def _base_context(principal: Principal, tab: str) -> dict[str, Any]:
    tabs = [(key, path, label) for key, path, label, roles in TABS if principal.role in roles]
    return {"active_nav": nav.key, "tab": tab, "tabs": tabs, "roles": ROLE_CHOICES}


def _require_admin_page(principal: Principal) -> None:
    admin.require_admin(principal)  # Forbidden → the 403 page


def _query_url(path: str, params: dict[str, str], page: int) -> str:
    query = {key: value for key, value in params.items() if value}
    if page > 1:
        query["page"] = str(page)
    return path + (f"?{urlencode(query)}" if query else "")


@router.get("/admin")
def admin_home(principal: PageUser) -> RedirectResponse:
    if principal.role is Role.ADMIN:
        return RedirectResponse("/admin/users", status_code=303)
    if principal.role in audit.READERS:
        return RedirectResponse("/admin/audit", status_code=303)
    raise Forbidden(f"a {principal.role.value} user may not administer")


# Users ---------------------------------------------------------------------------------------


def build_users_context(
    session: Session, principal: Principal, filters: dict[str, str], page: int
) -> dict[str, Any]:
    """The users table (filtered, paged) and the form to add one."""
    active = {"yes": True, "no": False}.get(filters["active"])
    role = auth_service.parse_role(filters["role"]) if filters["role"] else None
    user_filter = auth_service.UserFilter(
        role=role, region=filters["region"] or None, active=active, q=filters["q"] or None
    )
    users, total = admin.list_users(session, principal, user_filter, page=page, size=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        **_base_context(principal, "users"),
        "users": users,
        "total": total,
        "page": page,
        "pages": pages,
        "filters": filters,
        "previous_url": _query_url("/admin/users", filters, page - 1) if page > 1 else None,
        "next_url": _query_url("/admin/users", filters, page + 1) if page < pages else None,
        "form": {"username": "", "role": "", "region_code": ""},
        "error": None,
    }


def _user_filters(q: str, role: str, region: str, active: str) -> dict[str, str]:
    return {"q": q, "role": role, "region": region, "active": active}


@router.get("/admin/users")
def users_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    q: Annotated[str, Query(max_length=60)] = "",
    role: Annotated[str, Query(max_length=12)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    active: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    _require_admin_page(principal)
    context = build_users_context(session, principal, _user_filters(q, role, region, active), page)
    template = "admin/_users.html" if request.headers.get("HX-Target") == "users" else None
    return render(request, template or "admin/users.html", context)


@router.post("/admin/users")
def add_user(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[str, Form(max_length=12)],
    region_code: Annotated[str, Form(max_length=12)],
) -> Response:
    _require_admin_page(principal)
    try:
        user = admin.add_user(
            session, principal, username=username, password=password, role=role,
            region_code=region_code,
        )  # fmt: skip
    except (BadInput, Conflict) as exc:
        session.rollback()
        context = build_users_context(session, principal, _user_filters("", "", "", ""), 1)
        context["form"] = {"username": username, "role": role, "region_code": region_code}
        context["error"] = str(exc)
        status = 409 if isinstance(exc, Conflict) else 400
        return render(request, "admin/users.html", context, status_code=status)
    return RedirectResponse(f"/admin/users/{user.id}?done=created", status_code=303)


def build_user_context(
    session: Session, principal: Principal, user_id: int, done: str
) -> dict[str, Any]:
    user = admin.get_user(session, principal, user_id)
    history = audit.search(
        session, principal, audit.AuditFilter(entity=admin.ENTITY, entity_id=str(user_id)), size=20
    )
    return {
        **_base_context(principal, "users"),
        "user": user,
        "history": history.items,
        "done": done,
        "error": None,
        "temporary_password": None,
        "is_self": user.id == principal.user_id,
    }


@router.get("/admin/users/{user_id}")
def user_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    user_id: UserId,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    _require_admin_page(principal)
    return render(request, "admin/user.html", build_user_context(session, principal, user_id, done))


@router.post("/admin/users/{user_id}")
def change_user(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    user_id: UserId,
    role: Annotated[str, Form(max_length=12)],
    region_code: Annotated[str, Form(max_length=12)],
    active: Annotated[str, Form(pattern="^(yes|no)$")],
) -> Response:
    _require_admin_page(principal)
    try:
        admin.change_user(
            session, principal, user_id, role=role, region_code=region_code,
            active=active == "yes",
        )  # fmt: skip
    except BadInput as exc:
        session.rollback()
        context = build_user_context(session, principal, user_id, "")
        context["error"] = str(exc)
        return render(request, "admin/user.html", context, status_code=400)
    return RedirectResponse(f"/admin/users/{user_id}?done=saved", status_code=303)


@router.post("/admin/users/{user_id}/password-reset")
def reset_password(
    request: Request, session: SessionDep, principal: PageUser, user_id: UserId
) -> Response:
    """Show the temporary password once, on this response only (never in a URL)."""
    _require_admin_page(principal)
    _, password = admin.reset_password(session, principal, user_id)
    context = build_user_context(session, principal, user_id, "")
    context["temporary_password"] = password
    return render(request, "admin/user.html", context)


# Policy --------------------------------------------------------------------------------------


def build_policy_context(
    session: Session, principal: Principal, settings: Settings, province: str, year: int
) -> dict[str, Any]:
    """The provinces and years of the imported policy file and the entry chosen of them."""
    context: dict[str, Any] = {
        **_base_context(principal, "policy"),
        "provinces": [],
        "years": [],
        "province": province,
        "year": year,
        "policy": None,
        "error": None,
    }
    try:
        book = policy_book(settings)
    except (BadInput, NotFound) as exc:  # no file imported yet, or an invalid one
        context["error"] = str(exc)
        return context
    provinces = sorted({code for code, _ in book.entries})
    context["provinces"] = [(code, auth_service.region_name(session, code)) for code in provinces]
    context["years"] = sorted({entry_year for _, entry_year in book.entries})
    context["province"] = province = province or provinces[0]
    try:
        context["policy"] = in_force(book, province, year)
    except (BadInput, NotFound) as exc:
        context["error"] = str(exc)
    return context


@router.get("/admin/policy")
def policy_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: PageUser,
    province: Annotated[str, Query(max_length=12)] = "",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    _require_admin_page(principal)
    context = build_policy_context(
        session, principal, settings, province, year or dt.date.today().year
    )
    return render(request, "admin/policy.html", context)


# Audit log -----------------------------------------------------------------------------------


def _audit_filter(filters: dict[str, str]) -> audit.AuditFilter:
    def day(name: str) -> dt.date | None:
        if not filters[name]:
            return None
        try:
            return dt.date.fromisoformat(filters[name])
        except ValueError:
            raise BadInput(f"{name}: not a date (YYYY-MM-DD)", field=name) from None

    return audit.AuditFilter(
        actor=filters["actor"] or None,
        entity=filters["entity"] or None,
        entity_id=filters["entity_id"] or None,
        action=filters["action"] or None,
        since=day("since"),
        until=day("until"),
    )


def build_audit_context(
    session: Session, principal: Principal, filters: dict[str, str], page: int
) -> dict[str, Any]:
    """One page of the audit log in the caller's scope, the filters and the export link."""
    result = audit.search(session, principal, _audit_filter(filters), page=page, size=PAGE_SIZE)
    pages = max(1, -(-result.total // PAGE_SIZE))
    return {
        **_base_context(principal, "audit"),
        "entries": result.items,
        "total": result.total,
        "page": page,
        "pages": pages,
        "filters": filters,
        "export_url": _query_url("/admin/audit.csv", filters, 1),
        "previous_url": _query_url("/admin/audit", filters, page - 1) if page > 1 else None,
        "next_url": _query_url("/admin/audit", filters, page + 1) if page < pages else None,
    }


def audit_filters(
    actor: Annotated[str, Query(max_length=60)] = "",
    entity: Annotated[str, Query(max_length=40)] = "",
    entity_id: Annotated[str, Query(max_length=60)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> dict[str, str]:
    return {
        "actor": actor, "entity": entity, "entity_id": entity_id, "action": action,
        "since": since, "until": until,
    }  # fmt: skip


AuditFilters = Annotated[dict[str, str], Depends(audit_filters)]


@router.get("/admin/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    filters: AuditFilters,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    context = build_audit_context(session, principal, filters, page)
    template = "admin/_audit.html" if request.headers.get("HX-Target") == "audit" else None
    return render(request, template or "admin/audit.html", context)


@router.get("/admin/audit.csv")
def audit_export(session: SessionDep, principal: PageUser, filters: AuditFilters) -> Response:
    """The matching rows as a CSV download (with a BOM, so that Excel reads UTF-8)."""
    text = audit.export_csv(session, principal, _audit_filter(filters))
    name = f"audit-{dt.date.today():%Y%m%d}.csv"
    return Response(
        ("\ufeff" + text).encode(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# Own password --------------------------------------------------------------------------------


@router.get(PASSWORD_CHANGE_PATH, dependencies=[Depends(page_user)])
def password_page(request: Request, done: str = "") -> Response:
    context = {"must_change": _must_change(request), "error": None, "done": done == "1"}
    return render(request, "admin/password.html", context)


def _must_change(request: Request) -> bool:
    return bool(getattr(request.state, "must_change_password", False))


@router.post(PASSWORD_CHANGE_PATH)
def change_password(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    settings: SettingsDep,
    current_password: Annotated[str, Form(max_length=1000)],
    new_password: Annotated[str, Form(max_length=1000)],
    repeat_password: Annotated[str, Form(max_length=1000)],
) -> Response:
    """Replace the signed-in user's password and renew the session (older ones stop working)."""
    assert principal.user_id is not None
    try:
        if new_password != repeat_password:
            raise BadInput("the two new passwords differ", field="repeat_password")
        user = auth_service.change_own_password(
            session, principal.user_id, current=current_password, new=new_password
        )
    except BadInput as exc:
        session.rollback()
        context = {"must_change": _must_change(request), "error": str(exc), "done": False}
        return render(request, "admin/password.html", context, status_code=400)
    token = auth_service.issue_token(
        session, user, secret_key=settings.secret_key, purpose="session"
    )
    response = RedirectResponse(f"{PASSWORD_CHANGE_PATH}?done=1", status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=TOKEN_MAX_AGE)
    return response
