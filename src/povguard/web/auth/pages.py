"""Sign-in, sign-out and the language switch (every POST carries the CSRF token)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from povguard.auth import service as auth_service
from povguard.auth.service import TOKEN_MAX_AGE
from povguard.web.auth.api import client_address
from povguard.web.deps import PASSWORD_CHANGE_PATH, OptionalPageUser, SessionDep, SettingsDep
from povguard.web.i18n import LANG_COOKIE, LANGUAGES, N_
from povguard.web.security import SESSION_COOKIE, set_cookie, verify_csrf
from povguard.web.templating import gettext_for, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
HOME = "/dashboard"
WRONG_CREDENTIALS = N_("Wrong username or password.")


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else (other sites) goes home."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    return target


def build_login_context(*, next_path: str, error: str | None, username: str = "") -> dict[str, Any]:
    return {"next": safe_next(next_path), "error": error, "username": username}


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse(HOME, status_code=303)


@router.get("/login")
def login_page(request: Request, principal: OptionalPageUser, next: str = HOME) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", build_login_context(next_path=next, error=None))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    """Check the credentials; on success set the session cookie and go to `next`."""
    user = auth_service.authenticate(
        session, username=username, password=password, address=client_address(request)
    )
    if user is None:  # returned, not raised, so that the recorded failure is committed
        error = gettext_for(request)(WRONG_CREDENTIALS)
        context = build_login_context(next_path=next, error=error, username=username)
        return render(request, "login.html", context, status_code=401)
    token = auth_service.issue_token(
        session, user, secret_key=settings.secret_key, purpose="session"
    )
    target = PASSWORD_CHANGE_PATH if user.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=TOKEN_MAX_AGE)
    return response


@router.post("/logout")
def logout() -> RedirectResponse:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def switch_language(
    request: Request,
    lang: Annotated[str, Form(max_length=5)],
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> RedirectResponse:
    """Remember the chosen language for a year and go back to the page it was chosen on."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response
