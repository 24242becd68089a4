"""Migration 0012 turns the members' unique ID-number constraint into a unique index."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from povguard.core import db
from povguard.households.models import Household, Member
from povguard.regions.models import Region

VILLAGE = "530129001001"


def _add_member(session: Session, member_id: str, id_number: str) -> None:
    session.add(Member(member_id=member_id, household_id="H1", id_number=id_number, name="某人",
                       sex="F", birth_date=dt.date(1980, 1, 1), relation="head",
                       labour="none", health="healthy", in_household=True))  # fmt: skip
    session.flush()


def _unique_ids(engine: sa.Engine) -> tuple[set[str], set[str]]:
    """(names of the unique indexes, names of the unique constraints) on members.id_number"""
    inspector = sa.inspect(engine)
    indexes = {i["name"] or "" for i in inspector.get_indexes("members")  # PostgreSQL lists a
               if i["unique"] and i["column_names"] == ["id_number"]  # constraint's index too
               and "duplicates_constraint" not in i}  # fmt: skip
    constraints = {c["name"] or "" for c in inspector.get_unique_constraints("members")
                   if c["column_names"] == ["id_number"]}  # fmt: skip
    return indexes, constraints


def test_id_numbers_stay_unique_and_the_rows_stay_across_the_migration(database_url: str) -> None:
    engine = db.engine_for(database_url)
    assert _unique_ids(engine) == ({"ix_members_id_number"}, set())
    with Session(engine) as session:
        session.add(Region(code=VILLAGE, name="村", level="village"))
        session.flush()
        session.add(Household(household_id="H1", village_code=VILLAGE, status="ordinary"))
        session.flush()
        _add_member(session, "M1", "530129198001010011")
        session.commit()
    config = db._alembic_config(engine)
    command.downgrade(config, "0011")
    assert _unique_ids(engine) == (set(), {"uq_members_id_number"})
    command.upgrade(config, "heads")
    assert _unique_ids(engine) == ({"ix_members_id_number"}, set())
    with Session(engine) as session:
        assert session.scalar(sa.select(Member.id_number)) == "530129198001010011"
        with pytest.raises(sa.exc.IntegrityError, match="(?i)unique|duplicate"):
            _add_member(session, "M2", "530129198001010011")
