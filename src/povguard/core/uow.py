"""Unit of work: one transaction per command, request or job, owned by the caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from povguard.config import get_settings
from povguard.core.db import engine_for


@contextmanager
def unit_of_work(database_url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed when the block succeeds and rolled back otherwise."""
    engine = engine_for(database_url or get_settings().database_url)
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
