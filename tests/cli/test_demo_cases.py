"""The demo's cases: clues of the demo township walked through the identification procedure
by the demo users (the services the pages and the API use), so that the region summary, the
dashboard and the monthly report have monitoring objects to show."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from povguard.auth import service as auth_service
from povguard.auth.models import User
from povguard.cases.models import Case, CaseStep
from povguard.cli.demo_cases import APPROVED, DAYS, IN_PROGRESS, identify_some
from povguard.config import Settings
from povguard.core.db import dispose_engines, engine_for
from povguard.core.uow import unit_of_work
from povguard.web.app import create_app
from tests.web import factories
from tests.web.conftest import SECRET, sign_in

AS_OF = dt.date(2024, 7, 15)
USERS = {"cadre": factories.VILLAGE_A1, "township": factories.TOWNSHIP_A,
         "county": factories.COUNTY_A}  # fmt: skip


def seed_demo(database_url: str, lake: Path) -> str:
    """Six households with clues in township A (one in village A2), one in township B; the
    demo users; returns the run id."""
    seeded = factories.seed_all(database_url, extra_households=4)
    with unit_of_work(database_url) as session:
        for username, region in USERS.items():
            factories.add_user(session, username, username, region)
        households = [h for h in seeded.values() if h.village_code != factories.VILLAGE_C1]
        return factories.seed_screening_run(session, lake, factories.COUNTY_A, households)


def identify(database_url: str, lake: Path, run_id: str) -> int:
    with unit_of_work(database_url) as session:
        return identify_some(session, lake=lake, run_id=run_id, as_of=AS_OF)


def test_the_demo_approves_some_clues_through_the_procedure(
    database_url: str, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    run_id = seed_demo(database_url, lake)
    assert identify(database_url, lake, run_id) == APPROVED
    with Session(engine_for(database_url)) as session:
        cases = session.scalars(sa.select(Case).order_by(Case.id)).all()
        steps = session.execute(
            sa.select(Case.household_id, CaseStep.action, CaseStep.actor, CaseStep.on)
            .join(CaseStep, CaseStep.case_id == Case.id)
            .order_by(CaseStep.id)
        ).all()
    assert [c.state for c in cases] == ["monitoring_object"] * APPROVED + ["cross_check"] * 2
    assert len(cases) == APPROVED + IN_PROGRESS
    assert all(c.village_code.startswith(factories.TOWNSHIP_A[:9]) for c in cases)
    assert {c.clue_id.split(":")[0] for c in cases} == {run_id}
    # Each step by the user whose role takes it; the cadre only in its own village.
    actors = {(household, action): actor for household, action, actor, _ in steps}
    assert actors[("H000002", "record_visit")] == "township"  # village A2: not the cadre's
    assert actors[("H000001", "record_visit")] == "cadre"
    assert {actors[(c.household_id, "approve")] for c in cases[:APPROVED]} == {"county"}
    assert max(on for *_, on in steps) == AS_OF
    assert min(on for *_, on in steps) == AS_OF - dt.timedelta(days=DAYS)
    # A second demo run leaves the cases as they are.
    assert identify(database_url, lake, run_id) == 0
    with Session(engine_for(database_url)) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == len(cases)
    dispose_engines()


def test_the_demo_cases_show_in_the_summary_and_on_the_dashboard(
    database_url: str, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    identify(database_url, lake, seed_demo(database_url, lake))
    settings = Settings(database_url=database_url, lake=lake, secret_key=SECRET)
    with Session(engine_for(database_url)) as session:
        user = session.scalars(sa.select(User).where(User.username == "county")).one()
        token = auth_service.issue_token(session, user, secret_key=SECRET, purpose="api")
    with TestClient(create_app(settings)) as client:
        summary = client.get(f"/api/v1/regions/{factories.COUNTY_A}/summary",
                             headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
        sign_in(client, "county")
        dashboard = client.get("/dashboard")
    assert summary["objects"] == APPROVED and summary["open_cases"] == IN_PROGRESS
    assert summary["objects_by_cause"] == {"07": APPROVED}
    assert dashboard.status_code == 200
    assert f'<div class="big">{APPROVED}</div>' in dashboard.text
    dispose_engines()
