"""The case worklist: one page of cases in scope, nearest deadline first, as two SQL queries.

Ordering and filtering use the deadlines stored with each case (`procedure_due`, `step_due`),
so no case is loaded into Python beyond the page shown. A row names the household's head
(masked for roles that do not see personal data) and its village.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases.common import in_scope, today_or
from povguard.cases.enums import CaseState
from povguard.cases.models import Case, MonitoringObject
from povguard.cases.service import overdue_clause
from povguard.core.errors import BadInput
from povguard.households.models import Member
from povguard.households.service import mask_name, region_filter

MAX_PAGE_SIZE = 100
OPEN = "open"  # state filter: every open case (the default)
ALL = "all"  # state filter: open and closed cases

_regions = sa.table("regions", sa.column("code", sa.String), sa.column("name", sa.String))


class CaseRow(BaseModel):
    """One line of the worklist."""

    id: int
    household_id: str
    head_name: str | None
    village_code: str
    village_name: str | None
    kind: str
    state: str
    is_open: bool
    category: str | None
    green_channel: bool
    returned_to_risk: bool
    received_on: dt.date
    deadline: dt.date | None  # the nearer of the step's and the procedure's (open cases)
    deadline_name: str | None  # the step's name, or "procedure"
    days_left: int | None  # negative once overdue
    closed_on: dt.date | None


class CasePage(BaseModel):
    items: list[CaseRow]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def nearest_deadline() -> sa.ColumnElement[Any]:
    """SQL: the earlier of a case's stored step deadline and procedure deadline."""
    step_first = sa.and_(Case.step_due.is_not(None), Case.step_due < Case.procedure_due)
    return sa.case((step_first, Case.step_due), else_=Case.procedure_due)


def _conditions(
    session: Session,
    principal: Principal,
    *,
    state: str,
    overdue: bool,
    village: str | None,
    today: dt.date,
) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    scope = principal.scope_prefix
    if scope:
        conditions.append(Case.village_code.startswith(scope))
    wanted = region_filter(session, principal, village)
    if wanted:
        conditions.append(Case.village_code.startswith(wanted))
    if state == OPEN:
        conditions.append(Case.is_open.is_(True))
    elif state != ALL:
        try:
            conditions.append(Case.state == CaseState(state).value)
        except ValueError as exc:
            raise BadInput(f"unknown state {state!r}", field="state") from exc
    if overdue:
        conditions.append(overdue_clause(today))
    return conditions


def _head_name() -> sa.ScalarSelect[Any]:
    return (
        sa.select(Member.name)
        .where(Member.household_id == Case.household_id, Member.relation == "head")
        .order_by(Member.in_household.desc(), Member.member_id)
        .limit(1)
        .scalar_subquery()
    )


def worklist(
    session: Session,
    principal: Principal,
    *,
    state: str = OPEN,
    overdue: bool = False,
    village: str | None = None,
    page: int = 1,
    size: int = 25,
    today: dt.date | None = None,
) -> CasePage:
    """Cases in scope filtered by state (`open`, `all` or one state), overdue and region.

    Open cases come first, the nearest deadline first; closed ones follow, newest first.
    """
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise BadInput(f"page must be ≥ 1 and size between 1 and {MAX_PAGE_SIZE}", field="page")
    today = today_or(today)
    conditions = _conditions(
        session, principal, state=state, overdue=overdue, village=village, today=today
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(Case).where(*conditions))
    deadline = nearest_deadline()
    open_deadline = sa.case((Case.is_open, deadline), else_=None)
    query = (
        sa.select(
            Case.id, Case.household_id, Case.village_code, Case.kind, Case.state, Case.is_open,
            Case.category, Case.green_channel, Case.returned_to_risk, Case.received_on,
            Case.step_due, Case.step_due_name, Case.procedure_due, Case.closed_on,
            _head_name().label("head_name"), _regions.c.name.label("village_name"),
        )
        .outerjoin(_regions, _regions.c.code == Case.village_code)
        .where(*conditions)
        .order_by(Case.is_open.desc(), open_deadline.asc().nulls_last(), Case.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )  # fmt: skip
    rows = [_row(principal, row._mapping, today) for row in session.execute(query)]
    return CasePage(items=rows, total=int(total or 0), page=page, size=size)


def _row(principal: Principal, row: sa.RowMapping, today: dt.date) -> CaseRow:
    deadline, name = None, None
    if row["is_open"]:
        step_due, procedure_due = row["step_due"], row["procedure_due"]
        if step_due is not None and (procedure_due is None or step_due < procedure_due):
            deadline, name = step_due, row["step_due_name"]
        else:
            deadline, name = procedure_due, "procedure"
    head = row["head_name"]
    if head and not principal.sees_personal_data:
        head = mask_name(head)
    return CaseRow(
        id=row["id"],
        household_id=row["household_id"],
        head_name=head,
        village_code=row["village_code"],
        village_name=row["village_name"],
        kind=row["kind"],
        state=row["state"],
        is_open=row["is_open"],
        category=row["category"],
        green_channel=row["green_channel"],
        returned_to_risk=row["returned_to_risk"],
        received_on=row["received_on"],
        deadline=deadline,
        deadline_name=name,
        days_left=(deadline - today).days if deadline is not None else None,
        closed_on=row["closed_on"],
    )


def state_counts(
    session: Session,
    principal: Principal,
    *,
    overdue: bool = False,
    village: str | None = None,
    today: dt.date | None = None,
) -> dict[str, int]:
    """How many cases in scope (and region, and overdue) wait at each state (one query)."""
    conditions = _conditions(
        session, principal, state=ALL, overdue=overdue, village=village, today=today_or(today)
    )
    query = sa.select(Case.state, sa.func.count()).where(*conditions).group_by(Case.state)
    return {str(state): int(count) for state, count in session.execute(query)}


def household_cases(
    session: Session, principal: Principal, household_id: str, *, today: dt.date | None = None
) -> list[CaseRow]:
    """Every case of one household in scope, the open one first, then newest first."""
    query = in_scope(
        sa.select(
            Case.id, Case.household_id, Case.village_code, Case.kind, Case.state, Case.is_open,
            Case.category, Case.green_channel, Case.returned_to_risk, Case.received_on,
            Case.step_due, Case.step_due_name, Case.procedure_due, Case.closed_on,
            sa.literal(None).label("head_name"), sa.literal(None).label("village_name"),
        ).where(Case.household_id == household_id),
        principal,
        Case.village_code,
    ).order_by(Case.is_open.desc(), Case.id.desc())  # fmt: skip
    today = today_or(today)
    return [_row(principal, row._mapping, today) for row in session.execute(query)]


def monitoring_status(session: Session, principal: Principal, household_id: str) -> str | None:
    """The household's monitoring-object status (monitored | eliminated), if it has one."""
    query = in_scope(
        sa.select(MonitoringObject.status).where(MonitoringObject.household_id == household_id),
        principal,
        MonitoringObject.village_code,
    )
    status = session.scalar(query)
    return str(status) if status is not None else None
