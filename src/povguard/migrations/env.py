"""Alembic environment: the engine is handed over by povguard.core.db."""

from __future__ import annotations

from alembic import context

from povguard.core.db import Base, make_engine
from povguard.models import import_all_models

import_all_models()
target_metadata = Base.metadata

engine = context.config.attributes.get("engine")
if engine is None:
    from povguard.config import get_settings

    engine = make_engine(get_settings().database_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
