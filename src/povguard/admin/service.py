"""Administration (SPEC §1 admin): users and their roles, with an audit row for every change.

Only admins manage users: SPEC §1 gives "users, roles" to the admin alone and the county
officer's duties do not include accounts (docs/admin.md).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from povguard.audit import service as audit
from povguard.auth import service as auth_service
from povguard.auth.principal import Principal, Role
from povguard.auth.schemas import UserRead
from povguard.core.errors import BadInput, Forbidden
from povguard.households.service import region_filter

ENTITY = "user"


def require_admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden(f"a {principal.role.value} user may not manage users")


def _record(
    session: Session,
    principal: Principal,
    action: str,
    before: UserRead | None,
    after: UserRead,
) -> None:
    audit.record(
        session,
        actor=principal,
        action=action,
        entity=ENTITY,
        entity_id=after.id,
        before=auth_service.snapshot(before) if before is not None else None,
        after=auth_service.snapshot(after),
        region_code=after.region_code,
    )


def list_users(
    session: Session,
    principal: Principal,
    filters: auth_service.UserFilter,
    *,
    page: int = 1,
    size: int = 50,
) -> tuple[list[UserRead], int]:
    require_admin(principal)
    region_filter(session, principal, filters.region)  # an unknown region is 404, as in every list
    return auth_service.list_users(session, filters, page=page, size=size)


def get_user(session: Session, principal: Principal, user_id: int) -> UserRead:
    require_admin(principal)
    return auth_service.get(session, user_id)


def add_user(
    session: Session,
    principal: Principal,
    *,
    username: str,
    password: str,
    role: str,
    region_code: str,
) -> UserRead:
    require_admin(principal)
    user = auth_service.create_user(
        session, username=username, password=password, role=role, region_code=region_code
    )
    _record(session, principal, "create", None, user)
    return user


def change_user(
    session: Session,
    principal: Principal,
    user_id: int,
    *,
    role: str | None = None,
    region_code: str | None = None,
    active: bool | None = None,
) -> UserRead:
    """Change role, region or active flag; an admin cannot lock itself out this way."""
    require_admin(principal)
    if user_id == principal.user_id and (
        active is False or (role is not None and role != Role.ADMIN.value)
    ):
        raise BadInput("you cannot deactivate your own account or give up your admin role")
    before, after = auth_service.change_user(
        session, user_id, role=role, region_code=region_code, active=active
    )
    if before != after:
        action = "update"
        if before.active != after.active:
            action = "reactivate" if after.active else "deactivate"
        _record(session, principal, action, before, after)
    return after


def reset_password(session: Session, principal: Principal, user_id: int) -> tuple[UserRead, str]:
    """A temporary password (shown once, never stored in clear) to change at next sign-in."""
    require_admin(principal)
    if user_id == principal.user_id:
        raise BadInput("change your own password on the password page, not by a reset")
    password = auth_service.temporary_password()
    before, after = auth_service.set_password(session, user_id, password, must_change=True)
    _record(session, principal, "password_reset", before, after)
    return after, password
