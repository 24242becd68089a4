"""Declarative base, engine construction and schema migration (Alembic, applied on demand)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase

from povguard.core.errors import BadInput

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Connections to a database server a process keeps, and at most holds at once. SQLAlchemy's
# default (5 kept, 10 more opened and closed again) made a server answering more than 5
# requests at a time open a PostgreSQL connection every few requests: a new backend process,
# and its statements prepared anew.
POOL_SIZE = 15


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for `url`; an SQLite file's folder is created, foreign keys are enforced."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    pool = {} if url.startswith("sqlite") else {"pool_size": POOL_SIZE, "max_overflow": 0}
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True, **pool)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise BadInput(f"POVGUARD_DATABASE_URL: {url!r} is not a database URL") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_pragmas)
    return engine


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (a no-op on an up-to-date database)."""
    from alembic import command

    command.upgrade(_alembic_config(engine), "heads")


def is_up_to_date(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == set(script.get_heads())


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """The process-wide engine for `url`, migrated to the newest schema on first use."""
    engine = make_engine(url)
    if not is_up_to_date(engine):
        upgrade(engine)
    _engines[url] = engine
    return engine


_engines: dict[str, Engine] = {}


def has_engine(url: str) -> bool:
    """True when the process already built (and migrated) the engine for `url`."""
    return url in _engines


def dispose_engines() -> None:
    """Close every pooled connection (tests and long-lived processes switching databases)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    engine_for.cache_clear()
