"""`GET /api/v1/households` and `GET /api/v1/households/{household_id}`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from povguard.households import service as households
from povguard.households.schemas import HouseholdPage, HouseholdRead
from povguard.web.deps import CurrentUser, DatabaseDep
from povguard.web.errors import api_errors

router = APIRouter(prefix="/api/v1/households", tags=["households"])


@router.get("", response_model=HouseholdPage, responses=api_errors(400, 401, 404, 422))
async def list_households(
    database: DatabaseDep,
    principal: CurrentUser,
    region: Annotated[str | None, Query(description="12-digit region code in scope")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="household id, name or ID number")
    ] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=households.MAX_PAGE_SIZE)] = 20,
) -> HouseholdPage:
    """Households in the caller's scope, personal data masked by role."""
    return await database.run(
        households.search, principal, q=q, region=region, page=page, size=size
    )


@router.get("/{household_id}", response_model=HouseholdRead, responses=api_errors(401, 404))
async def get_household(
    database: DatabaseDep, principal: CurrentUser, household_id: str
) -> HouseholdRead:
    """One household with its members; 404 when unknown or outside the caller's scope."""
    return await database.read(households.get, principal, household_id)
