from __future__ import annotations

import sqlalchemy as sa

from povguard.core import db
from povguard.core.uow import unit_of_work
from povguard.regions.models import Region


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
    import pytest

    from povguard.core.errors import BadInput

    for url in ("", "nonsense", "nosuchdb://x"):
        with pytest.raises(BadInput, match="is not a database URL"):
            db.make_engine(url)
