"""Request dependencies: one unit of work per request, the caller as a Principal.

API routes authenticate with a bearer token (`CurrentUser`); page routes with the signed
session cookie (`PageUser`, which sends a browser to /login instead of answering 401).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from povguard.auth import service as auth_service
from povguard.auth.principal import Principal, Role
from povguard.config import Settings
from povguard.core.db import has_engine
from povguard.core.errors import Forbidden
from povguard.core.uow import finish, open_session
from povguard.web.security import SESSION_COOKIE


class LoginRequired(Exception):
    """No valid credentials: 401 for the API, a redirect to /login for pages."""


class PasswordChangeRequired(Exception):
    """A signed-in user with a temporary password: pages send it to PASSWORD_CHANGE_PATH."""


PASSWORD_CHANGE_PATH = "/account/password"


async def get_settings_of(request: Request) -> Settings:  # no I/O: no thread hop
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_of)]


async def get_session(settings: SettingsDep) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the handler succeeds, rolled back otherwise.

    Opening the session does no I/O once the process has its engine (the session connects on
    first use), so then only its end goes to a worker thread.
    """
    url = settings.database_url
    if has_engine(url):
        session = open_session(url)
    else:  # the process's first request builds the engine, with a migration check
        session = await run_in_threadpool(open_session, url)
    try:
        yield session
    except BaseException:
        await _end(session, succeeded=False)
        raise
    await _end(session, succeeded=True)


async def _end(session: Session, *, succeeded: bool) -> None:
    # A limiter of its own, as FastAPI ends sync dependencies: when every shared worker thread
    # waits for a pooled connection, connections come back only through here.
    ending = partial(finish, session, succeeded=succeeded)
    await anyio.to_thread.run_sync(ending, limiter=anyio.CapacityLimiter(1))


SessionDep = Annotated[Session, Depends(get_session)]

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(bearer)],
) -> Principal:
    """The API caller named by a valid bearer token (read from the database at most every
    VERIFIED_TOKEN_TTL seconds per token and server process)."""
    if not token:
        raise LoginRequired("missing bearer token")
    secret_key = settings.secret_key
    user = auth_service.recently_verified(session, token, secret_key=secret_key, purpose="api")
    if user is None:
        user = await run_in_threadpool(
            auth_service.verify_token,
            session,
            token,
            secret_key=secret_key,
            purpose="api",
            remember=True,
        )
    if user is None:
        raise LoginRequired("invalid or expired token")
    principal = user.principal()
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def optional_page_user(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Principal | None:
    """The signed-in browser user, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = auth_service.verify_token(
        session, token, secret_key=settings.secret_key, purpose="session"
    )
    if user is None:
        return None
    principal = user.principal()
    request.state.principal = principal
    request.state.me = auth_service.describe(session, principal)
    request.state.must_change_password = user.must_change_password
    if user.must_change_password and request.url.path != PASSWORD_CHANGE_PATH:
        raise PasswordChangeRequired("change the temporary password first")
    return principal


OptionalPageUser = Annotated[Principal | None, Depends(optional_page_user)]


def page_user(principal: OptionalPageUser) -> Principal:
    """The signed-in browser user; anyone else is sent to the sign-in page."""
    if principal is None:
        raise LoginRequired("sign in first")
    return principal


PageUser = Annotated[Principal, Depends(page_user)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting only API callers with one of `roles` (others get 403)."""
    allowed = frozenset(roles)

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in allowed:
            raise Forbidden(f"a {principal.role.value} user may not do this")
        return principal

    return check


def writer(principal: CurrentUser) -> Principal:
    """The API caller, if its role may change records (analysts and auditors only read)."""
    if principal.read_only:
        raise Forbidden(f"a {principal.role.value} user may only read")
    return principal


WriterUser = Annotated[Principal, Depends(writer)]
