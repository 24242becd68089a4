"""Import batches: every import attempt is recorded (who, what, when, how it ended).

Status: `validating` → `validated` | `failed`, then (on confirm) `loading` → `imported` |
`failed`. A batch row is written in its own short transaction, except the final `imported`
which is written in the load's transaction (so a batch says imported only if it was).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal, Role
from povguard.core.errors import NotFound
from povguard.core.uow import unit_of_work
from povguard.ingest.models import ImportBatch

IMPORTERS = frozenset({Role.CLERK, Role.COUNTY, Role.ADMIN})
FINISHED = ("validated", "failed", "imported")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create(session: Session, actor: Principal, *, source: str) -> ImportBatch:
    """A new batch in state `validating`, in the caller's transaction."""
    batch = ImportBatch(
        id=uuid.uuid4().hex, started_at=now(), username=actor.username,
        region_code=actor.region_code, source=source[:500], status="validating",
        progress=0.0, errors_count=0, unmatched_count=0,
    )  # fmt: skip
    session.add(batch)
    session.flush()
    return batch


def start(database_url: str | None, actor: Principal, *, source: str) -> str:
    """A new batch in state `validating`, in its own transaction; returns its id."""
    with unit_of_work(database_url) as session:
        return create(session, actor, source=source).id


def set_values(session: Session, batch_id: str, **values: Any) -> None:
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"import batch {batch_id} not found")
    if values.get("status") in FINISHED:
        values.setdefault("finished_at", now())
        values.setdefault("progress", 1.0)
    for name, value in values.items():
        setattr(batch, name, value)


def update(database_url: str | None, batch_id: str, **values: Any) -> None:
    """Change a batch in its own transaction."""
    with unit_of_work(database_url) as session:
        set_values(session, batch_id, **values)


def _visible(principal: Principal, batch: ImportBatch) -> bool:
    return principal.role is Role.ADMIN or (
        principal.covers(batch.region_code) and principal.role in IMPORTERS
    )


def get(session: Session, principal: Principal, batch_id: str) -> ImportBatch:
    """The batch, if the caller may import and it was made inside the caller's scope."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None or not _visible(principal, batch):
        raise NotFound(f"import batch {batch_id} not found")
    return batch


def list_batches(
    session: Session, principal: Principal | None = None, *, limit: int = 50
) -> list[ImportBatch]:
    """Batches newest first: all of them (None), or those made inside the caller's scope."""
    query = select(ImportBatch).order_by(ImportBatch.started_at.desc()).limit(limit)
    if principal is not None and principal.role is not Role.ADMIN:
        if principal.role not in IMPORTERS:
            return []
        query = query.where(ImportBatch.region_code.startswith(principal.scope_prefix))
    return list(session.scalars(query))
