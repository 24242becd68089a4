"""Report tests reuse the case tests' migrated database and the KPI tests' case history."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.analytics import kpi_data
from tests.cases import factories
from tests.cases.conftest import db, session, sqlite_template

__all__ = ["db", "session", "sqlite_template"]


@pytest.fixture
def history(session: Session) -> Session:
    """23 households with a varied 2024 case history across the county's three villages."""
    villages = [factories.VILLAGE_A, factories.VILLAGE_A2, factories.VILLAGE_B]
    households = [
        (factories.add_household(session, village=villages[i % 3]).household_id, villages[i % 3])
        for i in range(23)
    ]
    kpi_data.seed(session, households)
    return session
