"""Request dependencies: one unit of work per request, the caller as a Principal.

API routes authenticate with a bearer token (`CurrentUser`); page routes with the signed
session cookie (`PageUser`, which sends a browser to /login instead of answering 401).
A route either takes the request's session (`SessionDep`) or hands its service call to
`DatabaseDep`, which runs it in a unit of work of its own in one worker-thread hop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Concatenate, ParamSpec, TypeVar

import anyio
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from povguard.auth import service as auth_service
from povguard.auth.principal import Principal, Role
from povguard.config import Settings
from povguard.core.db import engine_for, has_engine
from povguard.core.errors import Forbidden
from povguard.core.uow import finish, open_session, run_in_unit_of_work, run_read
from povguard.web.security import SESSION_COOKIE


class LoginRequired(Exception):
    """No valid credentials: 401 for the API, a redirect to /login for pages."""


class PasswordChangeRequired(Exception):
    """A signed-in user with a temporary password: pages send it to PASSWORD_CHANGE_PATH."""


PASSWORD_CHANGE_PATH = "/account/password"
P = ParamSpec("P")
T = TypeVar("T")


async def get_settings_of(request: Request) -> Settings:  # no I/O: no thread hop
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_of)]


async def _engine(database_url: str) -> Engine:
    """The process's engine; the first request builds it (with a migration check) on a worker
    thread, later ones get it without a thread hop."""
    if has_engine(database_url):
        return engine_for(database_url)
    return await run_in_threadpool(engine_for, database_url)


async def get_session(settings: SettingsDep) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the handler succeeds, rolled back otherwise.

    Opening the session does no I/O once the process has its engine (the session connects on
    first use), so then only its end goes to a worker thread.
    """
    await _engine(settings.database_url)
    session = open_session(settings.database_url)
    try:
        yield session
    except BaseException:
        await _end(session, succeeded=False)
        raise
    await _end(session, succeeded=True)


async def _end(session: Session, *, succeeded: bool) -> None:
    if not session.in_transaction():  # never used (or already ended): nothing to send
        session.close()
        return
    # A limiter of its own, as FastAPI ends sync dependencies: when every shared worker thread
    # waits for a pooled connection, connections come back only through here.
    ending = partial(finish, session, succeeded=succeeded)
    await anyio.to_thread.run_sync(ending, limiter=anyio.CapacityLimiter(1))


# `scope="function"`: the unit of work ends (commits) before the response is sent. With the
# default, FastAPI ran the code after `yield` once the response had gone: a browser following
# a redirect after a POST (a new case → /cases/<id>) could ask for the row before its commit
# and get a 404, as a browser test did on a loaded machine.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class Database:
    """Runs a service call in a unit of work of its own on a worker thread: the session opens,
    the call runs and the transaction commits (rolls back on an error) in one thread hop,
    where `SessionDep` takes two (the route's call, then the session's end)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def run(
        self,
        work: Callable[Concatenate[Session, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        call = partial(run_in_unit_of_work, self.database_url, work, *args, **kwargs)
        return await anyio.to_thread.run_sync(call)

    async def read(
        self,
        work: Callable[Concatenate[Session, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`run` for a call that reads with one statement: without a transaction (no BEGIN
        and COMMIT round trips); a write raises WriteRefused (`core.uow.run_read`)."""
        call = partial(run_read, self.database_url, work, *args, **kwargs)
        return await anyio.to_thread.run_sync(call)


async def get_database(settings: SettingsDep) -> Database:
    return Database(settings.database_url)


DatabaseDep = Annotated[Database, Depends(get_database)]


bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def current_user(
    request: Request,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(bearer)],
) -> Principal:
    """The API caller named by a valid bearer token (read from the database at most every
    VERIFIED_TOKEN_TTL seconds per token and server process, in a unit of work of its own)."""
    if not token:
        raise LoginRequired("missing bearer token")
    secret_key = settings.secret_key
    engine = await _engine(settings.database_url)
    user = auth_service.recently_verified(engine, token, secret_key=secret_key, purpose="api")
    if user is None:
        user = await Database(settings.database_url).run(
            auth_service.verify_token,
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
