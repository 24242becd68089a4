"""Migrations of the registry tables: 0012 turns the members' unique ID-number constraint into
a unique index; 0014 makes the keys compare bytes on PostgreSQL; 0015 makes the ID number
unique among the in-household members only."""

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


def _add_member(
    session: Session, member_id: str, id_number: str, *, in_household: bool = True
) -> None:
    session.add(Member(member_id=member_id, household_id="H1", id_number=id_number, name="某人",
                       sex="F", birth_date=dt.date(1980, 1, 1), relation="head",
                       labour="none", health="healthy", in_household=in_household))  # fmt: skip
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


def test_id_numbers_stay_unique_and_the_rows_stay_across_the_migrations(
    database_url: str,
) -> None:
    engine = db.engine_for(database_url)
    in_household_only = ({"ux_members_in_household_id_number"}, set())
    assert _unique_ids(engine) == in_household_only
    with Session(engine) as session:
        session.add(Region(code=VILLAGE, name="村", level="village"))
        session.flush()
        session.add(Household(household_id="H1", village_code=VILLAGE, status="ordinary"))
        session.flush()
        _add_member(session, "M1", "530129198001010011")
        session.commit()
    config = db._alembic_config(engine)
    command.downgrade(config, "0014_key_collation")
    assert _unique_ids(engine) == ({"ix_members_id_number"}, set())
    command.downgrade(config, "0011")
    assert _unique_ids(engine) == (set(), {"uq_members_id_number"})
    command.upgrade(config, "heads")
    assert _unique_ids(engine) == in_household_only
    with Session(engine) as session:
        assert session.scalar(sa.select(Member.id_number)) == "530129198001010011"
        _add_member(session, "M0", "530129198001010011", in_household=False)  # moved out
        with pytest.raises(sa.exc.IntegrityError, match="(?i)unique|duplicate"):
            _add_member(session, "M2", "530129198001010011")


def _key_collations(engine: sa.Engine) -> dict[tuple[str, str], str]:
    """(table, column) → collation of every text column with one of its own (PostgreSQL)."""
    query = sa.text(
        "SELECT table_name, column_name, collation_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND collation_name IS NOT NULL"
    )
    with engine.connect() as connection:
        return {(table, column): name for table, column, name in connection.execute(query)}


def test_keys_compare_bytes_and_the_rows_stay_across_migration_0014(database_url: str) -> None:
    """PostgreSQL: the key and code columns the models declare with `key_string` are
    `COLLATE "C"` (0014), so they sort byte by byte as SQLite sorts them. Rows, uniqueness
    and foreign keys stay across its downgrade and upgrade (SQLite: nothing changes)."""
    engine = db.engine_for(database_url)
    with Session(engine) as session:
        session.add(Region(code=VILLAGE, name="村", level="village"))
        session.flush()
        for household_id in ("H2", "H10", "h1", "H1"):
            session.add(Household(household_id=household_id, village_code=VILLAGE,
                                  status="ordinary"))  # fmt: skip
        session.flush()
        _add_member(session, "M1", "530129198001010011")
        session.commit()
    postgres = engine.dialect.name == "postgresql"
    declared = {
        (table.name, column.name)
        for table in db.Base.metadata.sorted_tables
        for column in table.columns
        if getattr(column.type.dialect_impl(engine.dialect), "collation", None) == "C"
    }
    assert (("members", "id_number") in declared) is postgres
    if postgres:
        assert _key_collations(engine) == dict.fromkeys(declared, "C")
    config = db._alembic_config(engine)
    command.downgrade(config, "0013")
    if postgres:
        assert _key_collations(engine) == {}
    command.upgrade(config, "heads")
    if postgres:
        assert _key_collations(engine) == dict.fromkeys(declared, "C")
    with Session(engine) as session:
        ordered = session.scalars(sa.select(Household.household_id).order_by("household_id"))
        assert list(ordered) == ["H1", "H10", "H2", "h1"]  # bytes: digits, capitals, small
        assert session.scalar(sa.select(Member.id_number)) == "530129198001010011"
        with pytest.raises(sa.exc.IntegrityError, match="(?i)unique|duplicate"):
            _add_member(session, "M2", "530129198001010011")
        session.rollback()
        with pytest.raises(sa.exc.IntegrityError, match="(?i)foreign key"):
            session.add(Household(household_id="H9", village_code="530129001002",
                                  status="ordinary"))  # fmt: skip
            session.flush()
