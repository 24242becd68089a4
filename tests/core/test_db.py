from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.core import db
from povguard.core.uow import run_read, unit_of_work
from povguard.regions.models import Region
from tests.conftest import POSTGRES_ADMIN_URL


def test_fresh_database_is_migrated_on_first_use(database_url: str) -> None:
    engine = db.engine_for(database_url)
    assert db.is_up_to_date(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"regions", "households", "members", "alembic_version"} <= tables


def test_unit_of_work_commits_on_success_and_rolls_back_on_error(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        session.add(Region(code="530000000000", name="云南省", level="province"))
    try:
        with unit_of_work(database_url) as session:
            session.add(Region(code="520000000000", name="贵州省", level="province"))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with unit_of_work(database_url) as session:
        codes = session.scalars(sa.select(Region.code)).all()
    assert codes == ["530000000000"]


def test_a_bad_database_url_is_a_clear_error() -> None:
    from povguard.core.errors import BadInput

    for url in ("", "nonsense", "nosuchdb://x"):
        with pytest.raises(BadInput, match="is not a database URL"):
            db.make_engine(url)


def test_a_pooled_connection_is_tested_only_after_being_idle(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.engine_for(database_url)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", pings.append)
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    assert pings == []  # in steady use: no round trip before each use
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    assert len(pings) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_the_server_closed_while_idle_is_replaced(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.engine_for(database_url)
    engine.dispose()  # one pooled connection from here on
    backend = sa.text("SELECT pg_backend_pid()")
    with engine.connect() as connection:
        closed = connection.execute(backend).scalar_one()
    admin = sa.create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": closed})
    admin.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    with engine.connect() as connection:
        assert connection.execute(backend).scalar_one() != closed


def test_a_read_runs_outside_a_transaction_and_refuses_writes(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        session.add(Region(code="530000000000", name="云南省", level="province"))
    assert run_read(database_url, lambda s: s.scalars(sa.select(Region.name)).all()) == ["云南省"]
    writes: list[Callable[[Session], object]] = [
        lambda s: (s.add(Region(code="520000000000", name="贵州省", level="province")), s.flush()),
        lambda s: s.execute(sa.update(Region).values(name="changed")),
        lambda s: s.execute(sa.text("DELETE FROM regions")),
    ]
    for write in writes:
        with pytest.raises(db.WriteRefused):
            run_read(database_url, write)
    with unit_of_work(database_url) as session:
        assert session.scalars(sa.select(Region.name)).all() == ["云南省"]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_each_statement_of_a_read_is_a_transaction_of_its_own(database_url: str) -> None:
    def own_transaction(session: Session) -> bool:
        session.execute(sa.text("SELECT 1"))
        same = "SELECT transaction_timestamp() = statement_timestamp()"
        return bool(session.execute(sa.text(same)).scalar_one())

    assert run_read(database_url, own_transaction)
    with unit_of_work(database_url) as session:
        assert not own_transaction(session)
