"""Alembic environment: the engine is handed over by povguard.core.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from povguard.core.db import Base, make_engine
from povguard.models import import_all_models

import_all_models()
target_metadata = Base.metadata

engine = context.config.attributes.get("engine")
if engine is None:
    from povguard.config import get_settings

    engine = make_engine(get_settings().database_url)


def _set_sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    connection.commit()


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")


# SQLite migrations rebuild tables (batch mode), which foreign keys would forbid; they are off
# while migrating (a pragma that only works outside a transaction) and checked before commit.
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _set_sqlite_foreign_keys(connection, on=False)
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
            )
            context.run_migrations()
            if sqlite:
                _check_sqlite_foreign_keys(connection)
    finally:
        if sqlite:
            _set_sqlite_foreign_keys(connection, on=True)
