"""Migration 0010 creates `report_jobs` as the model declares it, and its downgrade drops it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from povguard.core import db
from povguard.reports.models import ReportJob


def test_report_jobs_migration_matches_the_model(database_url: str) -> None:
    engine = db.engine_for(database_url)
    assert db.is_up_to_date(engine)
    inspector = sa.inspect(engine)
    columns = {c["name"]: c["nullable"] for c in inspector.get_columns("report_jobs")}
    declared = {c.name: c.nullable for c in ReportJob.__table__.columns}
    assert columns == declared
    indexed = {tuple(i["column_names"]) for i in inspector.get_indexes("report_jobs")}
    assert {("created_by",), ("region_code",), ("state",)} <= indexed
    config = db._alembic_config(engine)
    command.downgrade(config, "0009_admin")
    assert "report_jobs" not in sa.inspect(engine).get_table_names()
    command.upgrade(config, "heads")
    assert "report_jobs" in sa.inspect(engine).get_table_names()
