"""Role checks for routes other features add: require_roles and WriterUser (403, JSON body)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from povguard.auth.principal import Principal, Role
from povguard.config import Settings
from povguard.web.app import create_app
from povguard.web.deps import WriterUser, require_roles
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
