"""The audit log is append-only: the database refuses UPDATE and DELETE (both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from povguard.audit import service as audit
from povguard.audit.models import AuditEntry
from povguard.auth.principal import SYSTEM, Principal, Role
from povguard.core.uow import unit_of_work


def _one_entry(database_url: str) -> int:
    with unit_of_work(database_url) as session:
        entry = audit.record(
            session,
            actor=SYSTEM,
            action="test",
            entity="case",
            entity_id=1,
            before={"state": "clue"},
            after={"state": "home_visit"},
            region_code="530102001001",
        )
        return entry.id


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"],
)
def test_database_refuses_changes(database_url: str, statement: str) -> None:
    entry_id = _one_entry(database_url)
    with pytest.raises(DBAPIError, match="append-only"), unit_of_work(database_url) as session:
        session.execute(sa.text(statement))
    with unit_of_work(database_url) as session:
        entry = session.get(AuditEntry, entry_id)
        assert entry is not None and entry.actor == "system"
        assert entry.before == {"state": "clue"} and entry.after == {"state": "home_visit"}


def test_entries_are_scoped_and_newest_first(database_url: str) -> None:
    first = _one_entry(database_url)
    with unit_of_work(database_url) as session:
        audit.record(
            session,
            actor=SYSTEM,
            action="other",
            entity="case",
            entity_id=2,
            before=None,
            after={},
            region_code="530102002001",
        )
    auditor = Principal(username="a", role=Role.AUDITOR, region_code="530102001000")
    with unit_of_work(database_url) as session:
        assert [e.id for e in audit.list_entries(session, auditor)] == [first]
        assert [e.action for e in audit.list_entries(session, SYSTEM)] == ["other", "test"]
        assert audit.list_entries(session, SYSTEM, entity="case", entity_id="1")[0].id == first
