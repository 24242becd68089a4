"""Shared fixtures: a fresh database (SQLite and PostgreSQL) and a fresh lake per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from povguard.config import get_settings
from povguard.core import db

POSTGRES_ADMIN_URL = os.environ.get(
    "POVGUARD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLES = SHARED / "examples"
REFERENCE = SHARED / "reference"


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database on `backend` (an SQLite file in `folder`, or a PostgreSQL
    schema of its own, dropped after)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'povguard.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        db.dispose_engines()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend, for one test."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    path = tmp_path / "lake"
    return path


@pytest.fixture
def configured(
    database_url: str, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """Point the settings (and so every command) at this test's database and lake."""
    monkeypatch.setenv("POVGUARD_DATABASE_URL", database_url)
    monkeypatch.setenv("POVGUARD_LAKE", str(lake))
    get_settings.cache_clear()
    yield database_url, lake
    get_settings.cache_clear()
    db.dispose_engines()
