"""`POST /api/v1/auth/token` and `GET /api/v1/me`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from povguard.auth import service as auth_service
from povguard.auth.schemas import Me, Token
from povguard.web.deps import CurrentUser, SessionDep, SettingsDep
from povguard.web.errors import api_errors, error_body

router = APIRouter(prefix="/api/v1", tags=["auth"])


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/token", response_model=Token, responses=api_errors(401, 403, 422, 429))
def issue_token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(min_length=1, max_length=200)],
    password: Annotated[str, Form(min_length=1, max_length=1000)],
) -> Any:
    """A bearer token for a username and password (429 after 5 failures of a username, or 20
    of any usernames, from one address in 15 minutes; 403 for a temporary password)."""
    user = auth_service.authenticate(
        session, username=username, password=password, address=client_address(request)
    )
    if user is None:  # returned, not raised, so that the recorded failure is committed
        body = error_body("unauthorized", "wrong username or password")
        return JSONResponse(body, 401, headers={"WWW-Authenticate": "Bearer"})
    if user.must_change_password:
        message = "the password is temporary: sign in on the web and change it first"
        return JSONResponse(error_body("password_change_required", message), 403)
    token = auth_service.issue_token(session, user, secret_key=settings.secret_key, purpose="api")
    return Token(access_token=token)


@router.get("/me", response_model=Me, responses=api_errors(401))
def me(session: SessionDep, principal: CurrentUser) -> Me:
    """The caller: username, role, region and what the role may see."""
    return auth_service.describe(session, principal)
