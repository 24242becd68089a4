"""Domain errors → HTTP: `{"error": {"code", "message", "field"}}` for the API, a page otherwise.

| error | status |
|---|---|
| BadInput | 400 |
| request validation | 422 |
| LoginRequired, AuthenticationFailed | 401 (pages: redirect to /login) |
| Forbidden, CsrfFailed | 403 |
| NotFound, unknown route | 404 (outside the caller's scope too: existence is not revealed) |
| Conflict | 409 |
| TooManyAttempts | 429 with Retry-After |
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from povguard.auth.errors import AuthenticationFailed, TooManyAttempts
from povguard.core.errors import BadInput, Conflict, Forbidden, NotFound, PovguardError
from povguard.web.deps import PASSWORD_CHANGE_PATH, LoginRequired, PasswordChangeRequired
from povguard.web.i18n import N_
from povguard.web.security import API_PREFIX, CsrfFailed
from povguard.web.templating import gettext_for, render

logger = logging.getLogger(__name__)

# error class → (HTTP status, error code, page title msgid)
STATUS: list[tuple[type[Exception], int, str, str]] = [
    (BadInput, 400, "bad_input", N_("The request is not valid")),
    (AuthenticationFailed, 401, "unauthorized", N_("Sign-in failed")),
    (Forbidden, 403, "forbidden", N_("Not allowed")),
    (NotFound, 404, "not_found", N_("Not found")),
    (Conflict, 409, "conflict", N_("Conflict")),
    (TooManyAttempts, 429, "rate_limited", N_("Too many attempts")),
]


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """The body of every API error response."""

    error: ErrorDetail


def api_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting the error body for `statuses`."""
    return {status: {"model": ErrorBody} for status in statuses}


def is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """JSON for the API, the error page (translated title, the message) for browsers."""
    if is_api(request):
        return JSONResponse(error_body(code, message, field), status, headers=headers)
    gettext = gettext_for(request)
    context = {"status": status, "title": gettext(title or "Error"), "message": message}
    response = render(request, "error.html", context, status_code=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _status_of(exc: Exception) -> tuple[int, str, str]:
    for error_class, status, code, title in STATUS:
        if isinstance(exc, error_class):
            return status, code, title
    return 400, "bad_input", "The request is not valid"


async def domain_error(request: Request, exc: Exception) -> Response:
    status, code, title = _status_of(exc)
    headers = None
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, AuthenticationFailed):
        headers = {"WWW-Authenticate": "Bearer"}
    field = exc.field if isinstance(exc, BadInput) else None
    return error_response(
        request, status, code, str(exc), field=field, title=title, headers=headers
    )


async def login_required(request: Request, exc: Exception) -> Response:
    if is_api(request):
        headers = {"WWW-Authenticate": "Bearer"}
        return JSONResponse(error_body("unauthorized", str(exc)), 401, headers=headers)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def password_change_required(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return JSONResponse(error_body("password_change_required", str(exc)), 403)
    if request.headers.get("HX-Request"):
        return Response(status_code=200, headers={"HX-Redirect": PASSWORD_CHANGE_PATH})
    return RedirectResponse(PASSWORD_CHANGE_PATH, status_code=303)


async def csrf_failed(request: Request, exc: Exception) -> Response:
    title = N_("The form has expired; reload the page and try again")
    return error_response(request, 403, "csrf_failed", str(exc), title=title)


def _field_of(location: Sequence[Any]) -> str | None:
    # ("query", "size") → "size"; ("body", "items", 0, "name") → "items.0.name"
    parts = [str(part) for part in location[1:]] if len(location) > 1 else list(map(str, location))
    return ".".join(parts) or None


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = _field_of(first.get("loc", ()))
    message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    return error_response(
        request, 422, "validation_error", message, field=field, title=N_("The request is not valid")
    )


def allowed_methods(request: Request) -> str | None:
    """Every method the API document gives this path (Starlette names one route's only)."""
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            return ", ".join(sorted(method.upper() for method in operations))
    return None


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
    titles = {404: N_("Not found"), 405: N_("The request is not valid")}
    headers = dict(exc.headers or {})
    allowed = allowed_methods(request) if exc.status_code == 405 else None
    if allowed:
        headers["Allow"] = allowed
    return error_response(
        request,
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        title=titles.get(exc.status_code),
        headers=headers,
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(error_body("internal_error", "internal server error"), 500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PovguardError, domain_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PasswordChangeRequired, password_change_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, internal_error)
