"""Helpers every case service shares: scope, role, dates, flushing with version checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from povguard.auth.principal import Principal, Role
from povguard.cases import elimination
from povguard.core.errors import Conflict, Forbidden, NotFound
from povguard.households.models import Household, Member


def today_or(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def may_write(principal: Principal) -> bool:
    """Whether `principal`'s role may change cases (analysts, auditors and clerks only read)."""
    return not (principal.read_only or principal.role is Role.CLERK)


def require_writer(principal: Principal) -> None:
    if not may_write(principal):
        raise Forbidden(f"role {principal.role.value} is read-only for cases")


def household_in_scope(session: Session, principal: Principal, household_id: str) -> Household:
    household = session.get(Household, household_id)
    if household is None or not principal.covers(household.village_code):
        raise NotFound(f"household {household_id} not found")
    return household


def in_scope(query: Any, principal: Principal, column: Any) -> Any:
    scope = principal.scope_prefix
    return query.where(column.startswith(scope)) if scope else query


def flush_or_conflict(session: Session, what: str) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(f"{what} was changed by someone else; reload it and try again") from exc


def is_labour_capable(session: Session, household_id: str) -> bool:
    rows = session.execute(
        sa.select(Member.labour, Member.in_household).where(Member.household_id == household_id)
    )
    return elimination.labour_capable((labour, bool(inside)) for labour, inside in rows)


def check_version(what: str, current: int, given: int) -> None:
    """Refuse a change made from a stale copy (`what` names the record, e.g. "case 7")."""
    if current != given:
        raise Conflict(f"{what} was changed by someone else (version {current}, you had {given})")
