"""Bulk registry upserts: what the ORM would store, indexes kept, all or nothing."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.core.db import engine_for
from povguard.households.models import Household, Member
from povguard.ingest import bulk
from povguard.regions.models import Region

VILLAGE = "530129001001"


def _regions(session: Session) -> None:
    rows = [("530000000000", "province", None), ("530100000000", "city", "530000000000"),
            ("530129000000", "county", "530100000000"), ("530129001000", "township", "530129000000"),
            (VILLAGE, "village", "530129001000")]  # fmt: skip
    for code, level, parent in rows:
        session.add(Region(code=code, name=code, level=level, parent_code=parent))
    session.flush()


def _households(count: int, status: str = "ordinary") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "household_id": [f"H{i:07d}" for i in range(count)],
            "village_code": [VILLAGE] * count,
            "head_id_number": [None] * count,
            "address": ["某村"] * count,
            "phone": [None] * count,
            "status": [status] * count,
            "exit_year": [2019 if i % 2 else None for i in range(count)],
            "relocated": [bool(i % 3) for i in range(count)],
            "registered_on": [dt.date(2020, 1, 1 + i % 28) for i in range(count)],
        },
        schema_overrides={
            "head_id_number": pl.String,
            "phone": pl.String,
            "exit_year": pl.Int64,
        },  # fmt: skip
    )


def _members(count: int) -> pl.DataFrame:
    """`count` members of household H0000000, ID numbers 1 … count (not checked here)."""
    return pl.DataFrame(
        {
            "member_id": [f"M{i:07d}" for i in range(count)],
            "household_id": ["H0000000"] * count,
            "id_number": [f"{i:018d}" for i in range(count)],
            "name": ["某人"] * count,
            "sex": ["F"] * count,
            "birth_date": [dt.date(1980, 1, 1)] * count,
            "relation": ["child"] * count,
            "labour": ["none"] * count,
            "health": ["healthy"] * count,
            "in_household": [True] * count,
        }
    )


def _indexes(database_url: str, table: str = "households") -> set[str]:
    inspector = sa.inspect(engine_for(database_url))
    return {index["name"] or "" for index in inspector.get_indexes(table)}


def _constraints(database_url: str) -> dict[str, list[object]]:
    """Primary, foreign keys and unique constraints of the registry tables, as the database
    has them."""
    inspector = sa.inspect(engine_for(database_url))
    return {
        table: sorted(
            [str(sorted(fk.items())) for fk in inspector.get_foreign_keys(table)]
            + [str(sorted(uq.items())) for uq in inspector.get_unique_constraints(table)]
            + [str(sorted(inspector.get_pk_constraint(table).items()))]
        )
        for table in ("regions", "households", "members")
    }


def test_a_large_load_then_an_update_reads_back_through_the_orm(database_url: str) -> None:
    before = _indexes(database_url)
    constraints = _constraints(database_url)
    with Session(engine_for(database_url)) as session:
        _regions(session)
        bulk.upsert(session, Household, _households(12_000), "household_id")
        bulk.upsert(session, Member, _members(12_000), "member_id")
        session.commit()
    with Session(engine_for(database_url)) as session:
        bulk.upsert(session, Household, _households(3, "formerly_poor"), "household_id")
        moved = _members(2).with_columns(pl.lit("H0000001").alias("household_id"))
        bulk.upsert(session, Member, moved, "member_id")  # ON CONFLICT: the primary key is back
        session.commit()
        assert session.scalar(sa.select(sa.func.count()).select_from(Member)) == 12_000
        assert (
            session.scalars(
                sa.select(Member.household_id).where(Member.member_id == "M0000001")
            ).one()
            == "H0000001"
        )
        first = session.get(Household, "H0000001")
        assert first is not None and first.status == "formerly_poor"
        assert first.registered_on == dt.date(2020, 1, 2) and first.relocated is True
        assert first.exit_year == 2019 and first.phone is None
        count = session.scalar(sa.select(sa.func.count()).select_from(Household))
        assert count == 12_000
    assert _indexes(database_url) == before and "ix_households_village_code" in before
    assert _constraints(database_url) == constraints and constraints["households"]
    assert _indexes(database_url, "members") == {"ix_members_household_id", "ix_members_id_number"}


def test_a_large_load_is_still_checked_by_the_database(database_url: str) -> None:
    """Foreign keys dropped for a large load are checked when they are added back."""
    strays = _households(12_000).with_columns(pl.lit("530129001999").alias("village_code"))
    # the drivers' own IntegrityError (the load works on the raw connection)
    with (
        pytest.raises(Exception, match="(?i)foreign key"),
        Session(engine_for(database_url)) as session,
    ):
        _regions(session)
        bulk.upsert(session, Household, strays, "household_id")
        session.commit()


def test_a_failed_load_leaves_rows_indexes_and_constraints_as_they_were(database_url: str) -> None:
    with Session(engine_for(database_url)) as session:
        _regions(session)
        session.commit()
    before, constraints = _indexes(database_url), _constraints(database_url)
    with pytest.raises(RuntimeError), Session(engine_for(database_url)) as session:
        bulk.upsert(session, Household, _households(12_000), "household_id")
        raise RuntimeError("the import fails after the registry was stored")
    assert _indexes(database_url) == before
    assert _constraints(database_url) == constraints
    with Session(engine_for(database_url)) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Household)) == 0


def test_a_large_load_still_refuses_an_id_number_twice(database_url: str) -> None:
    """The unique ID-number index dropped for a large load is checked when it is rebuilt;
    the failed load keeps the index."""
    before = _indexes(database_url, "members")
    twice = _members(12_000).with_columns(
        pl.when(pl.col("member_id") == "M0011999").then(pl.lit(f"{7:018d}"))
        .otherwise(pl.col("id_number")).alias("id_number")
    )  # fmt: skip
    with (
        pytest.raises(Exception, match="(?i)unique|duplicate"),
        Session(engine_for(database_url)) as session,
    ):
        _regions(session)
        bulk.upsert(session, Household, _households(1), "household_id")
        bulk.upsert(session, Member, twice, "member_id")
        session.commit()
    assert _indexes(database_url, "members") == before and "ix_members_id_number" in before


@pytest.mark.parametrize("count", [1, 49, 50, 51, 10_049])
def test_every_row_is_stored_once_whatever_its_place_in_a_statement(
    database_url: str, count: int
) -> None:
    """SQLite stores `SQLITE_ROWS_PER_INSERT` rows to a statement and the last few in one of
    their own: each row lands once with its own values, inserted or upserted."""
    households = _households(count)
    with Session(engine_for(database_url)) as session:
        _regions(session)
        bulk.upsert(session, Household, households, "household_id")
        changed = households.tail(min(count, 73)).with_columns(
            pl.lit("formerly_poor").alias("status")
        )
        bulk.upsert(session, Household, changed, "household_id")  # ON CONFLICT, same statements
        session.commit()
        stored = session.execute(
            sa.select(Household.household_id, Household.status, Household.exit_year,
                      Household.registered_on).order_by(Household.household_id)
        ).all()  # fmt: skip
    expected = households.update(changed, on="household_id")
    assert [tuple(row) for row in stored] == list(
        expected.select("household_id", "status", "exit_year", "registered_on").iter_rows()
    )
