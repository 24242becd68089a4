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
    session = open_session(database_url or get_settings().database_url)
    try:
        yield session
    except BaseException:
        finish(session, succeeded=False)
        raise
    finish(session, succeeded=True)


def open_session(database_url: str) -> Session:
    """A session on the database; it connects (and begins its transaction) on first use."""
    return Session(engine_for(database_url), expire_on_commit=False)


def finish(session: Session, *, succeeded: bool) -> None:
    """Commit the session's work if `succeeded` (rolled back if the commit fails), else roll it
    back; close the session either way."""
    try:
        if not succeeded:
            session.rollback()
            return
        try:
            session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        session.close()
