"""Fixtures of the case tests: a migrated database with the region tree in it.

On SQLite the migrated schema is built once per worker and copied (migrating takes seconds).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from povguard.core.db import make_engine, upgrade
from povguard.core.uow import unit_of_work
from tests.cases.factories import add_regions

SQLITE = "sqlite:///"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    engine = make_engine(f"{SQLITE}{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def db(database_url: str, sqlite_template: Path) -> str:
    if database_url.startswith(SQLITE):
        shutil.copyfile(sqlite_template, database_url[len(SQLITE) :])
    with unit_of_work(database_url) as session:
        add_regions(session)
    return database_url


@pytest.fixture
def session(db: str) -> Iterator[Session]:
    with unit_of_work(db) as session:
        yield session
