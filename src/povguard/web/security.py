"""Security headers, session cookie and CSRF protection of every page form.

CSRF uses a signed double-submit token: a random value lives in an HttpOnly cookie and every
form (and every HTMX request, in the `X-CSRF-Token` header) carries an HMAC of it under the
server's secret key, so a cookie planted by another site cannot be paired with a valid token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from fastapi import Request, Response
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSRF_COOKIE = "povguard_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_COOKIE = "povguard_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
API_PREFIX = "/api/"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class CsrfFailed(Exception):
    """A state-changing page request without a valid CSRF token."""


def csrf_token_for(secret_key: str, cookie_value: str) -> str:
    """The token forms must send back for the CSRF cookie `cookie_value`."""
    return hmac.new(secret_key.encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Lax cookie (Secure when served over HTTPS)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def secret_of(request: Request) -> str:
    return str(request.app.state.settings.secret_key)


class SecurityMiddleware:
    """Give every page visitor a CSRF cookie, and every response the security headers.

    A plain ASGI middleware (not `BaseHTTPMiddleware`, which costs a task and a stream copy on
    every request). API requests get no CSRF cookie: they authenticate with a bearer token,
    never a cookie, so a forged cross-site request carries no credentials to protect against.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = scope.get("scheme") == "https"
        extra = _response_headers(path.startswith("/static/"), https)
        if not path.startswith(API_PREFIX):
            extra = extra + _csrf_cookie(scope, https)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name == "set-cookie":
                        headers.append(name, value)
                    elif name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _csrf_cookie(scope: Scope, https: bool) -> list[tuple[str, str]]:
    """Put the CSRF cookie and form token in the request state; the cookie to set, if new."""
    connection = HTTPConnection(scope)
    cookie_value = connection.cookies.get(CSRF_COOKIE)
    fresh = cookie_value is None or len(cookie_value) < 32
    if fresh:
        cookie_value = secrets.token_urlsafe(32)
    assert cookie_value is not None
    secret = str(connection.app.state.settings.secret_key)
    state = scope.setdefault("state", {})
    state["csrf_cookie"] = cookie_value
    state["csrf_token"] = csrf_token_for(secret, cookie_value)
    return [("set-cookie", _cookie_header(CSRF_COOKIE, cookie_value, https))] if fresh else []


@cache
def _response_headers(static: bool, https: bool) -> list[tuple[str, str]]:
    headers = [(name.lower(), value) for name, value in SECURITY_HEADERS.items()]
    if not static:
        # Pages and API answers carry personal data: no copy on shared office computers.
        headers.append(("cache-control", "no-store"))
    if https:
        headers.append(("strict-transport-security", "max-age=31536000"))
    return headers


def _cookie_header(name: str, value: str, https: bool) -> str:
    response = Response()
    response.set_cookie(
        name, value, max_age=7 * 24 * 3600, httponly=True, samesite="lax", secure=https, path="/"
    )
    return response.headers["set-cookie"]


async def verify_csrf(request: Request) -> None:
    """Dependency of page routers: refuse an unsafe request without the right token (403)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    cookie_value = request.cookies.get(CSRF_COOKIE)
    if not sent or not cookie_value:
        raise CsrfFailed("missing CSRF token")
    if not hmac.compare_digest(sent, csrf_token_for(secret_of(request), cookie_value)):
        raise CsrfFailed("invalid CSRF token")
