"""Bulk registry upserts: what the ORM would store, indexes kept, all or nothing."""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from pathlib import Path

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
    assert _indexes(database_url, "members") == {
        "ix_members_household_id",
        "ix_members_id_number",
        "ux_members_in_household_id_number",
    }


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


def _stored_forms(database_url: str, table: str) -> list[tuple[object, ...]]:
    """Every value of `table` as SQLite holds it: its literal and its storage type."""
    engine = engine_for(database_url)
    with engine.connect() as connection:
        names = [c["name"] for c in sa.inspect(engine).get_columns(table)]
        forms = ", ".join(f'quote("{n}"), typeof("{n}")' for n in names)
        return [tuple(row) for row in connection.exec_driver_sql(
            f'SELECT {forms} FROM "{table}" ORDER BY rowid')]  # fmt: skip


def _mixed_households(count: int) -> pl.DataFrame:
    """Households with every kind of value a registry row holds: texts (non-ASCII, quotes,
    empty, digits only), nulls, integers, booleans and dates."""
    return _households(count).with_columns(
        pl.when(pl.int_range(count) % 4 == 0).then(pl.lit("O'Brien 路\"1\" 号"))
        .when(pl.int_range(count) % 4 == 1).then(pl.lit(""))
        .when(pl.int_range(count) % 4 == 2).then(pl.lit("0042"))
        .otherwise(None).alias("address"),
        pl.when(pl.int_range(count) % 5 == 0).then(pl.lit("13800138000"))
        .otherwise(None).alias("phone"),
        pl.when(pl.int_range(count) % 7 == 0).then(None)
        .otherwise(pl.int_range(count) % 2 == 0).alias("relocated"),
    )  # fmt: skip


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_staged_and_statement_loads_store_the_same_values(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: rows copied from an ADBC-written staging database are stored exactly as rows
    bound one by one from Python (same literals, same storage types), inserted and upserted."""
    households = _mixed_households(6_000)
    changed = households.tail(5_500).with_columns(pl.lit("formerly_poor").alias("status"))
    forms = []
    for stage_rows in (10**9, 1):  # statements only, then the staging database only
        monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", stage_rows)
        url = f"sqlite:///{tmp_path / f'stage-{stage_rows}.sqlite3'}"
        with Session(engine_for(url)) as session:
            _regions(session)
            bulk.upsert(session, Household, households, "household_id")
            bulk.upsert(session, Household, changed, "household_id")  # ON CONFLICT
            session.commit()
        forms.append(_stored_forms(url, "households"))
    assert forms[0] == forms[1] and len(forms[0]) == 6_000
    assert ("'O''Brien 路\"1\" 号'", "text") in [row[6:8] for row in forms[0]]
    assert ("'0042'", "text") in [row[6:8] for row in forms[0]]
    assert {row[14:16] for row in forms[0]} == {
        ("NULL", "null"),
        ("0", "integer"),
        ("1", "integer"),
    }


def _attached(connection: sa.Connection) -> list[str]:
    names = [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")]
    return [name for name in names if name not in ("main", "temp")]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("fails", [False, True])
def test_staging_databases_are_detached_and_removed_when_the_transaction_ends(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    """Committed or rolled back, the connection goes back to the pool with its own database
    only, and the staging files are gone; past `SQLITE_MAX_ATTACHED` attachments the rows
    are inserted with statements."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(bulk, "SQLITE_STAGE_ROWS", 1)
    monkeypatch.setattr(bulk, "SQLITE_MAX_ATTACHED", 2)
    engine = engine_for(database_url)
    with contextlib.suppress(RuntimeError), Session(engine) as session:
        _regions(session)
        for part in _households(9_000).iter_slices(3_000):  # three loads, two staged
            bulk.upsert(session, Household, part, "household_id")
        assert len(_attached(session.connection())) == 2
        assert len(list(tmp_path.glob("povguard-stage-*"))) == 2
        if fails:
            raise RuntimeError("the import fails after the registry was stored")
        session.commit()
    assert not list(tmp_path.glob("povguard-stage-*"))
    with engine.connect() as connection:  # the pool's only connection (SQLite: one at a time)
        assert _attached(connection) == []
        stored = connection.scalar(sa.select(sa.func.count()).select_from(Household))
    assert stored == (0 if fails else 9_000)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_binary_copy_stores_every_kind_of_value_as_given(database_url: str) -> None:
    """PostgreSQL: rows copied in the binary format read back as they were given: texts
    (non-ASCII, quotes, empty, digits only), nulls, integers, booleans, dates on either side
    of 1970 and 2000; into an empty table and upserted into one with rows."""
    days = [dt.date(1900, 1, 1), dt.date(1969, 12, 31), dt.date(1999, 12, 31),
            dt.date(2000, 1, 1), dt.date(2024, 2, 29), dt.date(2100, 12, 31), None]  # fmt: skip
    households = _mixed_households(12_000).with_columns(
        pl.Series("registered_on", [days[i % len(days)] for i in range(12_000)]),
        pl.Series("exit_year", [None, -1, 0, 2019, 2**31 - 1] * 2_400, dtype=pl.Int64),
    )
    changed = households.tail(5_500).with_columns(pl.lit("formerly_poor").alias("status"))
    with Session(engine_for(database_url)) as session:
        _regions(session)
        bulk.upsert(session, Household, households.head(11_000), "household_id")  # COPY
        bulk.upsert(session, Household, changed, "household_id")  # ON CONFLICT
        session.commit()
    expected = pl.concat([households.head(6_500), changed]).rows()
    with engine_for(database_url).connect() as connection:
        columns = ", ".join(households.columns)
        stored = connection.execute(
            sa.text(f"SELECT {columns} FROM households ORDER BY household_id")
        ).all()
    assert [tuple(row) for row in stored] == expected
