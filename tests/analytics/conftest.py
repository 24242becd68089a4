"""The case tests' migrated database (with the region tree), reused for KPI tests."""

from tests.cases.conftest import db, session, sqlite_template

__all__ = ["db", "session", "sqlite_template"]
