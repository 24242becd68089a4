"""Migration 0008 fills the stored deadlines of existing cases exactly as the application does."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from povguard.cases.enums import Action
from povguard.core import db as core_db
from povguard.core.uow import unit_of_work
from tests.cases.factories import CADRE_A, add_household
from tests.cases.helpers import DAY0, open_case, step

DUE_COLUMNS = "id, procedure_due, step_due, step_due_name"


def _due_dates(url: str) -> list[tuple[object, ...]]:
    with core_db.engine_for(url).connect() as connection:
        rows = connection.execute(sa.text(f"SELECT {DUE_COLUMNS} FROM cases ORDER BY id"))
        return [tuple(row) for row in rows]


def test_backfill_matches_the_dates_the_application_stores(db: str, session: Session) -> None:
    waiting = open_case(session, add_household(session).household_id)
    visited = open_case(session, add_household(session).household_id)
    visited = step(session, visited, Action.ACCEPT, CADRE_A, DAY0)
    step(session, visited, Action.RECORD_VISIT, CADRE_A, DAY0, authorisation_signed=True)
    withdrawn = open_case(session, add_household(session).household_id)
    step(session, withdrawn, Action.WITHDRAW, CADRE_A, DAY0, comment="moved away")
    session.commit()
    assert waiting.id is not None
    stored = _due_dates(db)
    assert len(stored) == 3 and all(row[1] is not None for row in stored)

    config = core_db._alembic_config(core_db.engine_for(db))
    command.downgrade(config, "0005")
    command.upgrade(config, "heads")
    assert _due_dates(db) == stored
    with unit_of_work(db) as check:
        assert check.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == 3
