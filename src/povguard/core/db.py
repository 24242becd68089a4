"""Declarative base, engine construction and schema migration (Alembic, applied on demand)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, String, create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DisconnectionError, NoSuchModuleError
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
# A pooled connection idle for longer is tested with a round trip before it is handed out (the
# server may have closed it: a restart, an idle timeout); one in steady use is not, which spares
# every request a round trip. A connection that breaks while in use fails that one request,
# and SQLAlchemy then discards the pool's other connections too.
PING_AFTER_IDLE = 5.0  # seconds


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def key_string(length: int) -> String:
    """The type of a key or code column (IDs, ID numbers, region codes, and every column
    compared with them): on PostgreSQL it compares bytes (`COLLATE "C"`, migration 0014), as
    SQLite does; PostgreSQL refuses to compare columns of two different collations."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


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
        engine = create_engine(url, future=True, **pool)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise BadInput(f"POVGUARD_DATABASE_URL: {url!r} is not a database URL") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_pragmas)
    _ping_idle_connections(engine)
    return engine


ON_RETURN = "povguard_on_return"


def when_returned(connection: Connection, callback: Callable[[Any], None]) -> None:
    """Call `callback(dbapi_connection)` once, when `connection`'s DBAPI connection goes back
    to the pool, after its transaction has ended (`None` if it was invalidated meanwhile):
    for what may not be undone inside a transaction, such as detaching an SQLite database."""
    connection.info.setdefault(ON_RETURN, []).append(callback)


def _ping_idle_connections(engine: Engine) -> None:
    """Test a pooled connection before use when it was idle for PING_AFTER_IDLE seconds; a
    dead one is replaced (the pool retries the checkout with a new connection)."""

    def returned(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()
        for callback in record.info.pop(ON_RETURN, ()):
            callback(dbapi_connection)

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("a pooled connection was closed while idle") from exc

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checked_out)


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


class WriteRefused(RuntimeError):
    """A write on the engine of `reader_for` (a bug in the caller)."""


@lru_cache(maxsize=8)
def reader_for(url: str) -> Engine:
    """The engine for `url` without transactions, for reads only: each statement sees what was
    committed when it started, and costs no BEGIN and COMMIT round trips. It shares the pool
    of `engine_for(url)`; an INSERT, UPDATE or DELETE, or a statement that does not start with
    SELECT or WITH, raises WriteRefused."""
    engine = engine_for(url).execution_options(isolation_level="AUTOCOMMIT")
    event.listen(engine, "before_cursor_execute", _refuse_writes)
    return engine


def _refuse_writes(
    _connection: Any, _cursor: Any, statement: str, _parameters: Any, context: Any, _many: bool
) -> None:
    verb = statement.lstrip()[:6].split(None, 1)[0].upper()
    if verb not in ("SELECT", "WITH") or context.isinsert or context.isupdate or context.isdelete:
        raise WriteRefused(f"a read-only session may not run {verb}")


def has_engine(url: str) -> bool:
    """True when the process already built (and migrated) the engine for `url`."""
    return url in _engines


def dispose_engines() -> None:
    """Close every pooled connection (tests and long-lived processes switching databases)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    engine_for.cache_clear()
    reader_for.cache_clear()
