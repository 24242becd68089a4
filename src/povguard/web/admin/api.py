"""Users, the audit log and the policy in force under /api/v1 (admins; auditors read the log)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from povguard.admin import service as admin
from povguard.audit import service as audit
from povguard.auth import service as auth_service
from povguard.auth.principal import Principal, Role
from povguard.auth.schemas import UserRead
from povguard.config import Settings
from povguard.core.errors import NotFound
from povguard.core.types import IsoDate
from povguard.policy.service import PolicyBook, PolicyInForce, in_force
from povguard.screening.lake import lake_policy
from povguard.web.deps import CurrentUser, SessionDep, SettingsDep, require_roles
from povguard.web.errors import api_errors

router = APIRouter(prefix="/api/v1", tags=["admin"])
AdminUser = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
MAX_PAGE_SIZE = 200
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(max_length=60)]
    password: Annotated[str, Field(max_length=1000)]
    role: Role
    region_code: RegionCode


class UserChange(BaseModel):
    """The fields to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    region_code: RegionCode | None = None
    active: StrictBool | None = None


class UserPage(BaseModel):
    items: list[UserRead]
    total: int
    page: int
    size: int


class PasswordReset(BaseModel):
    user: UserRead
    temporary_password: str = Field(description="shown this once; to change at next sign-in")


def policy_book(settings: Settings) -> PolicyBook:
    """The policy file imported into the lake (`povguard import`)."""
    book = lake_policy(settings.lake)
    if book is None:
        raise NotFound("no policy file has been imported yet")
    return book


@router.get("/users", response_model=UserPage, responses=api_errors(400, 401, 403, 404, 422))
def list_users(
    session: SessionDep,
    principal: AdminUser,
    role: Role | None = None,
    region: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=60, description="part of the username")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> UserPage:
    """Users by username, filtered by role, region subtree and active flag."""
    filters = auth_service.UserFilter(role=role, region=region, active=active, q=q)
    items, total = admin.list_users(session, principal, filters, page=page, size=size)
    return UserPage(items=items, total=total, page=page, size=size)


@router.post(
    "/users",
    status_code=201,
    response_model=UserRead,
    responses=api_errors(400, 401, 403, 409, 422),
)
def create_user(session: SessionDep, principal: AdminUser, body: UserCreate) -> UserRead:
    """Create an active user bound to a role over a region subtree (audited)."""
    return admin.add_user(
        session,
        principal,
        username=body.username,
        password=body.password,
        role=body.role.value,
        region_code=body.region_code,
    )


@router.get("/users/{user_id}", response_model=UserRead, responses=api_errors(401, 403, 404, 422))
def get_user(session: SessionDep, principal: AdminUser, user_id: UserId) -> UserRead:
    return admin.get_user(session, principal, user_id)


@router.patch(
    "/users/{user_id}", response_model=UserRead, responses=api_errors(400, 401, 403, 404, 422)
)
def change_user(
    session: SessionDep, principal: AdminUser, user_id: UserId, body: UserChange
) -> UserRead:
    """Change role, region or active flag (deactivate / reactivate); audited."""
    return admin.change_user(
        session,
        principal,
        user_id,
        role=body.role.value if body.role else None,
        region_code=body.region_code,
        active=body.active,
    )


@router.post(
    "/users/{user_id}/password-reset",
    response_model=PasswordReset,
    responses=api_errors(400, 401, 403, 404, 422),
)
def reset_password(session: SessionDep, principal: AdminUser, user_id: UserId) -> PasswordReset:
    """A new temporary password, shown once; the user must change it at the next sign-in."""
    user, password = admin.reset_password(session, principal, user_id)
    return PasswordReset(user=user, temporary_password=password)


@router.get("/audit", response_model=audit.AuditPage, responses=api_errors(400, 401, 403, 422))
def list_audit(
    session: SessionDep,
    principal: CurrentUser,
    actor: Annotated[str | None, Query(max_length=60)] = None,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=60)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[IsoDate | None, Query(description="first day included")] = None,
    until: Annotated[IsoDate | None, Query(description="last day included")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> audit.AuditPage:
    """Audit rows in the caller's region subtree, newest first (auditors and admins)."""
    filters = audit.AuditFilter(
        actor=actor, entity=entity, entity_id=entity_id, action=action, since=since, until=until
    )
    return audit.search(session, principal, filters, page=page, size=size)


@router.get(
    "/policy/{province}/{year}",
    response_model=PolicyInForce,
    responses=api_errors(400, 401, 403, 404, 422),
    dependencies=[Depends(require_roles(Role.ADMIN))],
)
def get_policy(
    settings: SettingsDep,
    province: Annotated[str, Path(pattern=r"^[0-9]{12}$")],
    year: Annotated[int, Path(ge=2000, le=2100)],
) -> PolicyInForce:
    """The SPEC §5 parameters in force for a province and year, defaults marked."""
    return in_force(policy_book(settings), province, year)
