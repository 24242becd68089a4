"""Unit of work: one transaction per command, request or job, owned by the caller."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from povguard.config import get_settings
from povguard.core.db import engine_for, reader_for

P = ParamSpec("P")
T = TypeVar("T")


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


def run_in_unit_of_work(
    database_url: str,
    work: Callable[Concatenate[Session, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`work(session, *args, **kwargs)` in a unit of work of its own."""
    with unit_of_work(database_url) as session:
        return work(session, *args, **kwargs)


def run_read(
    database_url: str,
    work: Callable[Concatenate[Session, P], T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`work(session, *args, **kwargs)` for a call that only reads, without a transaction
    (`reader_for`): each statement sees what was committed when it started, so this suits
    a call that reads with one statement; any write raises WriteRefused."""
    with Session(reader_for(database_url), expire_on_commit=False) as session:
        return work(session, *args, **kwargs)


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
