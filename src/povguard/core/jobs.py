"""Background jobs (screening runs, reports) run inside the web server's processes; a job that
was queued or running when the server stopped will never finish, so the server marks such jobs
failed when it starts, and the user can ask again."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

INTERRUPTED = "interrupted: the server stopped before the job finished; please start it again"


def fail_unfinished(session: Session, model: Any) -> int:
    """Mark `model`'s queued and running jobs failed; returns how many there were."""
    result = session.execute(
        sa.update(model)
        .where(model.state.in_(("queued", "running")))
        .values(state="failed", error=INTERRUPTED, finished_at=dt.datetime.now(dt.UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)
