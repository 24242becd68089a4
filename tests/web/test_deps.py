"""Role checks for routes other features add: require_roles and WriterUser (403, JSON body)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from povguard.auth.principal import Principal, Role
from povguard.config import Settings
from povguard.web.app import create_app
from povguard.web.deps import SessionDep, WriterUser, require_roles
from tests.web import factories
from tests.web.test_api import assert_error, bearer


@pytest.fixture
def guarded(settings: Settings) -> TestClient:
    app = create_app(settings)
    router = APIRouter(prefix="/api/v1/test")

    @router.post("/write")
    def write(principal: WriterUser) -> dict[str, str]:
        return {"by": principal.username}

    @router.get("/county-only")
    def county_only(
        principal: Principal = Depends(require_roles(Role.COUNTY, Role.ADMIN)),
    ) -> dict[str, str]:
        return {"by": principal.username}

    app.include_router(router)
    return TestClient(app)


@pytest.mark.parametrize(
    ("role", "region", "may_write", "is_county"),
    [
        ("analyst", factories.CITY, False, False),
        ("auditor", factories.COUNTY_A, False, False),
        ("cadre", factories.VILLAGE_A1, True, False),
        ("county", factories.COUNTY_A, True, True),
    ],
)
def test_role_dependencies(
    guarded: TestClient,
    token_for: Callable,
    role: str,
    region: str,
    may_write: bool,
    is_county: bool,
) -> None:
    headers = bearer(token_for(role, region))
    write = guarded.post("/api/v1/test/write", headers=headers)
    if may_write:
        assert write.status_code == 200
    else:
        assert_error(write, 403, "forbidden")
    county = guarded.get("/api/v1/test/county-only", headers=headers)
    assert county.status_code == (200 if is_county else 403)


def test_the_unit_of_work_ends_before_the_response_is_sent(settings: Settings) -> None:
    """A redirect after a write must not reach the browser before the commit: its next
    request could miss the row."""
    open_when_sent: list[bool] = []

    class Observed(Response):
        def __init__(self, session: object) -> None:
            super().__init__("ok")
            self.session = session

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            open_when_sent.append(self.session.in_transaction())  # type: ignore[attr-defined]
            await super().__call__(scope, receive, send)

    app = create_app(settings)
    router = APIRouter(prefix="/api/v1/test")

    @router.post("/observed")
    def observed(session: SessionDep) -> Response:
        session.execute(sa.text("SELECT 1"))  # the transaction begins
        return Observed(session)

    app.include_router(router)
    assert TestClient(app).post("/api/v1/test/observed").status_code == 200
    assert open_when_sent == [False]
