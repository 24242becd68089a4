"""Write and read the audit log. There is deliberately no update or delete."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy.orm import Session

from povguard.audit.models import AuditEntry
from povguard.auth.principal import Principal, Role
from povguard.core.errors import BadInput, Forbidden

READERS = frozenset({Role.AUDITOR, Role.ADMIN})
EXPORT_LIMIT = 100_000  # rows in one CSV export
CSV_COLUMNS = (
    "id", "at", "actor", "role", "action", "entity", "entity_id", "region_code", "before", "after",
)  # fmt: skip


def _plain(value: Any) -> Any:
    """A JSON-safe copy of `value` (dates, decimals and enums as text)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, set | frozenset) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(
    session: Session,
    *,
    actor: Principal,
    action: str,
    entity: str,
    entity_id: str | int,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    region_code: str | None = None,
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append one audit row in the caller's transaction."""
    entry = AuditEntry(
        at=at or dt.datetime.now(dt.UTC),
        actor=actor.username,
        role=actor.role.value,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        region_code=region_code,
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
    )
    session.add(entry)
    session.flush()
    return entry


def list_entries(
    session: Session,
    principal: Principal,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest audit rows in the caller's region subtree first, optionally of one entity."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if principal.scope_prefix:
        query = query.where(AuditEntry.region_code.startswith(principal.scope_prefix))
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    return list(session.scalars(query))


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str
    region_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @field_validator("at")
    @classmethod
    def _as_utc(cls, value: dt.datetime) -> dt.datetime:
        # SQLite hands timestamps back without their zone; they were written in UTC.
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    total: int
    page: int
    size: int


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    action: str | None = None
    since: dt.date | None = None  # first day included
    until: dt.date | None = None  # last day included

    def active(self) -> dict[str, str]:
        """The filters that are set, as text (for page links and the export's audit row)."""
        return {k: str(v) for k, v in asdict(self).items() if v not in (None, "")}


def _check_reader(principal: Principal) -> None:
    if principal.role not in READERS:
        raise Forbidden(f"a {principal.role.value} user may not read the audit log")


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _filtered(principal: Principal, filters: AuditFilter) -> sa.Select[Any]:
    if filters.since and filters.until and filters.since > filters.until:
        raise BadInput("the date range ends before it starts", field="until")
    query = sa.select(AuditEntry)
    if principal.scope_prefix:
        # Rows without a region (none are written today) stay with admins.
        query = query.where(AuditEntry.region_code.startswith(principal.scope_prefix))
    for column, value in (
        (AuditEntry.actor, filters.actor),
        (AuditEntry.entity, filters.entity),
        (AuditEntry.entity_id, filters.entity_id),
        (AuditEntry.action, filters.action),
    ):
        if value:
            query = query.where(column == value)
    if filters.since:
        query = query.where(AuditEntry.at >= _day_start(filters.since))
    if filters.until:
        query = query.where(AuditEntry.at < _day_start(filters.until + dt.timedelta(days=1)))
    return query


def search(
    session: Session, principal: Principal, filters: AuditFilter, *, page: int = 1, size: int = 50
) -> AuditPage:
    """One page of the audit rows in the caller's subtree matching `filters`, newest first."""
    _check_reader(principal)
    query = _filtered(principal, filters)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * size).limit(size)
    )
    items = [AuditEntryRead.model_validate(row) for row in rows]
    return AuditPage(items=items, total=int(total), page=page, size=size)


def export_csv(session: Session, principal: Principal, filters: AuditFilter) -> str:
    """The matching rows as CSV (UTF-8 text, newest first); the export is itself audited."""
    _check_reader(principal)
    query = _filtered(principal, filters).order_by(AuditEntry.id.desc()).limit(EXPORT_LIMIT)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in session.scalars(query):
        entry = AuditEntryRead.model_validate(row)
        writer.writerow(
            [
                entry.id, entry.at.isoformat(), entry.actor, entry.role, entry.action,
                entry.entity, entry.entity_id, entry.region_code or "",
                json.dumps(entry.before, ensure_ascii=False) if entry.before is not None else "",
                json.dumps(entry.after, ensure_ascii=False) if entry.after is not None else "",
            ]
        )  # fmt: skip
        count += 1
    record(
        session,
        actor=principal,
        action="export",
        entity="audit_log",
        entity_id="csv",
        before=None,
        after={"filters": filters.active(), "rows": count},
        region_code=principal.region_code,
    )
    return buffer.getvalue()
