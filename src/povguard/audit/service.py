"""Write and read the audit log. There is deliberately no update or delete."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.audit.models import AuditEntry
from povguard.auth.principal import Principal


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
