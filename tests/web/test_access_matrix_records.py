"""Region scoping of cases, measures, screening runs, clues and reports for every role of the
access matrix, through the API and through the pages (issue #6).

One world per backend, seeded once for the module: each household has an open case with a
measure; three finished screening runs hold clues (over county A, whose two townships both have
clues; over township B; over county C); a township officer of each township has a finished
report. For every role, another region's record reads and changes exactly like an unknown id
(404; 403 when the role may not make that change at all, whatever the id), lists leave it out,
and a refused change changes nothing. In scope, the roles that may act can; the others get 403.

A change that succeeds acts on a household made for that test, so that the seeded records stay
as they are for the other tests.
"""

from __future__ import annotations

import io
import itertools
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from povguard.auth import service as auth_service
from povguard.auth.principal import SYSTEM
from povguard.cases.models import Case, CaseEvidence, CaseStep, Measure, Referral
from povguard.config import Settings
from povguard.core.db import dispose_engines, engine_for
from povguard.core.uow import unit_of_work
from povguard.regions.codes import prefix
from povguard.reports import service as reports_service
from povguard.reports.models import ReportJob
from povguard.screening.models import ScreeningRun
from povguard.screening.rules import RULES_BY_CODE
from povguard.web.app import create_app
from povguard.web.reports.api import reports_dir
from tests.conftest import BACKENDS, fresh_database
from tests.web import factories
from tests.web.conftest import SECRET, csrf_token, sign_in
from tests.web.test_access_matrix import ALL, IDS, MATRIX
from tests.web.test_api import assert_error, bearer

# SPEC §1: analysts and auditors only read; department clerks upload their feeds.
WRITERS = {"cadre", "township", "county", "admin"}
RUN_HOUSEHOLDS = {
    factories.COUNTY_A: ["H000001", "H000002", "H000003"],
    factories.TOWNSHIP_B: ["H000003"],
    factories.COUNTY_C: ["H000004"],
}
REPORT_TOWNSHIPS = [factories.TOWNSHIP_A, factories.TOWNSHIP_B, factories.TOWNSHIP_C]
UNKNOWN_CASE = "999999"
UNKNOWN_ID = "0" * 32  # of a run, a report
UNKNOWN_HOUSEHOLD = "H999999"
UNKNOWN_VILLAGE = "530129001099"  # of township A, not in the registry
STEP = {"action": "accept", "comment": "", "version": 1}
MEASURE = {
    "group": "employment",
    "type": "public_welfare_post",
    "responsible_unit": "县人社局",
    "start": "2024-08-01",
}
HTMX = {"HX-Request": "true"}
# The rows whose scope leaves some household out.
NARROW = [row for row in MATRIX if row[2] != ALL]
NARROW_IDS = [f"{role}-{region}" for role, region, _ in NARROW]
fresh_sequence = itertools.count(200)


@dataclass(frozen=True)
class World:
    settings: Settings
    app: FastAPI
    client: TestClient
    seeded: dict[str, factories.SeededHousehold]
    cases: dict[str, int]  # household id → its open case
    measures: dict[str, int]  # household id → the measure of its case
    referrals: dict[str, int]  # household id → the referral of its case
    runs: dict[str, str]  # region code → the run over it
    reports: dict[str, str]  # township code → the report of one of its officers


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("access")
    with fresh_database(request.param, folder) as url:
        settings = Settings(database_url=url, lake=folder / "lake", secret_key=SECRET)
        seeded = factories.seed_all(url)
        with unit_of_work(url) as session:
            made = {h: factories.seed_case_with_measure(session, h) for h in ALL}
            runs = {
                region: factories.seed_screening_run(
                    session, settings.lake, region, [seeded[h] for h in households]
                )
                for region, households in RUN_HOUSEHOLDS.items()
            }
            reports = {}
            for township in REPORT_TOWNSHIPS:
                officer = factories.add_user(session, f"reporter-{township}", "township", township)
                reports[township] = factories.seed_report(
                    session, reports_dir(settings), officer.username, township
                )
        app = create_app(settings)
        with TestClient(app) as client:
            yield World(
                settings, app, client, seeded,
                cases={h: case.case_id for h, case in made.items()},
                measures={h: case.measure_id for h, case in made.items()},
                referrals={h: case.referral_id for h, case in made.items()},
                runs=runs, reports=reports,
            )  # fmt: skip
        dispose_engines()


@pytest.fixture
def username(world: World, role: str, region: str) -> str:
    """A new user with the test's role over its region."""
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    with unit_of_work(world.settings.database_url) as session:
        factories.add_user(session, name, role, region)
    return name


@pytest.fixture
def headers(world: World, username: str) -> dict[str, str]:
    with Session(engine_for(world.settings.database_url)) as session:
        user = auth_service.get(session, auth_service.principal_for(session, username).user_id)
        return bearer(auth_service.issue_token(session, user, secret_key=SECRET, purpose="api"))


@pytest.fixture
def pages(world: World, username: str) -> Iterator[TestClient]:
    """A page client signed in as the test's user."""
    client = TestClient(world.app)
    client.cookies.set("povguard_lang", "en")  # the services' messages, as asserted
    sign_in(client, username)
    yield client
    client.close()


# ---------------------------------------------------------------- helpers


def like_unknown(response: Response, unknown: Response, ids: dict[str, str]) -> None:
    """`response` is what the same request about unknown ids got, but for the ids (`ids` maps
    each unknown id to the one asked about)."""
    assert response.status_code == unknown.status_code, response.text
    expected = unknown.json()["error"]
    message = expected["message"]
    for unknown_id, record_id in ids.items():
        message = message.replace(unknown_id, record_id)
    assert response.json()["error"] == {**expected, "message": message}


def refusal(role: str) -> tuple[int, str]:
    """How a change outside the scope (or of an unknown id) is refused for `role`."""
    return (404, "not_found") if role in WRITERS else (403, "forbidden")


def in_scope(role: str, region: str, village_code: str) -> bool:
    return role == "admin" or village_code.startswith(prefix(region))


def runs_seen(world: World, visible: list[str]) -> set[str]:
    """The seeded runs a user sees: those that screened a household of its scope."""
    return {
        world.runs[r] for r, households in RUN_HOUSEHOLDS.items() if set(households) & set(visible)
    }


def unknown_clue_like(clue_id: str, seen: set[str]) -> tuple[str, dict[str, str]]:
    """A clue id that exists nowhere but is asked like `clue_id` (an unknown household of the
    same run if the user sees it, else of an unknown run), and the ids that tell them apart."""
    run_id, _, household_id = clue_id.partition(":")
    run = run_id if run_id in seen else UNKNOWN_ID
    return f"{run}:{UNKNOWN_HOUSEHOLD}", {run: run_id, UNKNOWN_HOUSEHOLD: household_id}


def visible_clue(world: World, visible: list[str]) -> str:
    """The id of a seeded clue of a household in the scope."""
    return next(
        f"{world.runs[r]}:{h}" for r, households in RUN_HOUSEHOLDS.items()
        for h in households if h in visible
    )  # fmt: skip


def snapshot(world: World) -> dict[str, Any]:
    """What a refused change must leave as it was: cases, their steps and evidence, measures,
    referrals, report jobs, screening runs."""
    with Session(engine_for(world.settings.database_url)) as session:
        count = lambda model: session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        return {
            "cases": session.execute(
                sa.select(Case.id, Case.state, Case.version).order_by(Case.id)
            ).all(),
            "measures": session.execute(
                sa.select(Measure.id, Measure.status, Measure.version).order_by(Measure.id)
            ).all(),
            "steps": count(CaseStep),
            "evidence": count(CaseEvidence),
            "referrals": session.execute(
                sa.select(Referral.id, Referral.answer, Referral.version).order_by(Referral.id)
            ).all(),
            "reports": count(ReportJob),
            "runs": count(ScreeningRun),
        }


def version_of(world: World, case_id: int) -> int:
    with Session(engine_for(world.settings.database_url)) as session:
        return session.scalars(sa.select(Case.version).where(Case.id == case_id)).one()


def fresh_case(world: World, village_code: str) -> tuple[str, int, int]:
    """A new household in `village_code` with an open case and a measure:
    (household id, case id, measure id)."""
    sequence = next(fresh_sequence)
    household_id = f"H9{sequence:05d}"
    with unit_of_work(world.settings.database_url) as session:
        factories.add_household(session, household_id, village_code, ["新户主"], sequence)
        session.flush()
        made = factories.seed_case_with_measure(session, household_id)
    return household_id, made.case_id, made.measure_id


def case_ids_in(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-case="(\d+)"', html)}


def post_form(client: TestClient, path: str, **fields: Any) -> Response:
    return client.post(path, data={"csrf_token": csrf_token(client), **fields}, headers=HTMX)


def assert_not_found_page(response: Response, *leaks: str) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith("text/html")
    for text in leaks:
        assert text not in response.text


def assert_refused_page(response: Response, role: str, *leaks: str) -> None:
    """A change of a record outside the scope, as the API refuses it: a role that may change
    records is told the record is not found, one that may not is refused (403) before any
    record is read."""
    assert response.status_code == refusal(role)[0], response.text
    assert response.headers["content-type"].startswith("text/html")
    for text in leaks:
        assert text not in response.text


def clue_households(content: bytes) -> list[str]:
    """The household ids of a clue export (first column, under the header)."""
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(values_only=True)]
    return [str(c) for c in cells if isinstance(c, str) and re.fullmatch(r"H\d{6}", c)]


# ---------------------------------------------------------------- cases and measures


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_cases_and_measures_api(
    world: World, headers: dict[str, str], role: str, region: str, visible: list[str]
) -> None:
    client = world.client
    listed = client.get("/api/v1/cases", headers=headers).json()
    households_of = {case_id: h for h, case_id in world.cases.items()}
    assert sorted(households_of[c["id"]] for c in listed if c["id"] in households_of) == visible
    assert all(in_scope(role, region, c["village_code"]) for c in listed)
    before = snapshot(world)
    unknown = client.get(f"/api/v1/cases/{UNKNOWN_CASE}", headers=headers)
    assert_error(unknown, 404, "not_found")
    unknown_step = client.post(f"/api/v1/cases/{UNKNOWN_CASE}/transitions", json=STEP,
                               headers=headers)  # fmt: skip
    unknown_measure = client.post(f"/api/v1/cases/{UNKNOWN_CASE}/measures", json=MEASURE,
                                  headers=headers)  # fmt: skip
    opening = {"household_id": UNKNOWN_HOUSEHOLD, "source": "cadre_visit"}
    unknown_opening = client.post("/api/v1/cases", json=opening, headers=headers)
    for response in (unknown_step, unknown_measure, unknown_opening):
        assert_error(response, *refusal(role))
    for household_id in ALL:
        case_id = world.cases[household_id]
        case = client.get(f"/api/v1/cases/{case_id}", headers=headers)
        if household_id in visible:
            assert case.status_code == 200 and case.json()["household_id"] == household_id
            assert ("accept" in case.json()["allowed_actions"]) is (role in WRITERS)
            continue
        like_unknown(case, unknown, {UNKNOWN_CASE: str(case_id)})
        step = {**STEP, "version": version_of(world, case_id)}
        stepped = client.post(f"/api/v1/cases/{case_id}/transitions", json=step, headers=headers)
        like_unknown(stepped, unknown_step, {UNKNOWN_CASE: str(case_id)})
        measured = client.post(f"/api/v1/cases/{case_id}/measures", json=MEASURE, headers=headers)
        like_unknown(measured, unknown_measure, {UNKNOWN_CASE: str(case_id)})
        opened = client.post("/api/v1/cases", headers=headers,
                             json={**opening, "household_id": household_id})  # fmt: skip
        like_unknown(opened, unknown_opening, {UNKNOWN_HOUSEHOLD: household_id})
        village = world.seeded[household_id].village_code
        outside = client.get("/api/v1/cases", params={"region": village}, headers=headers)
        assert_error(outside, 404, "not_found")
    assert snapshot(world) == before


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_cases_and_measures_pages(
    world: World, pages: TestClient, role: str, region: str, visible: list[str]
) -> None:
    listed = case_ids_in(pages.get("/cases").text)
    assert_not_found_page(pages.get(f"/cases/{UNKNOWN_CASE}"))
    own_case = world.cases[visible[0]]
    unknown_measure = post_form(pages, f"/cases/{own_case}/measures/{UNKNOWN_CASE}/status",
                                status="in_progress", version=1)  # fmt: skip
    unknown_referral = post_form(pages, f"/cases/{own_case}/referrals/{UNKNOWN_CASE}/answer",
                                 answer="accepted", version=1)  # fmt: skip
    assert unknown_measure.status_code == unknown_referral.status_code == refusal(role)[0]
    for path in ("steps", "measures", "referrals", "elimination"):
        unknown_change = post_form(pages, f"/cases/{UNKNOWN_CASE}/{path}", version=1)
        assert_refused_page(unknown_change, role)
    unknown_opening = post_form(pages, f"/households/{UNKNOWN_HOUSEHOLD}/cases",
                                source="cadre_visit")  # fmt: skip
    assert_refused_page(unknown_opening, role)
    before = snapshot(world)
    for household_id in ALL:
        case_id, measure_id = world.cases[household_id], world.measures[household_id]
        referral_id = world.referrals[household_id]
        unit = factories.responsible_unit(household_id)
        page = pages.get(f"/cases/{case_id}")
        if household_id in visible:
            assert case_id in listed
            assert page.status_code == 200
            assert f'data-measure="{measure_id}"' in page.text and unit in page.text
            assert f'data-referral="{referral_id}"' in page.text
            continue
        assert case_id not in listed
        head = world.seeded[household_id].head_name
        assert_not_found_page(page, unit, head)
        version = version_of(world, case_id)
        for path, fields in (
            (f"/cases/{case_id}/steps", {"action": "accept", "version": version}),
            (f"/cases/{case_id}/measures", {"measure": "employment:public_welfare_post",
                                            "responsible_unit": "县人社局", "start": "2024-08-01"}),
            (f"/cases/{case_id}/measures/{measure_id}/status",
             {"status": "in_progress", "version": 1}),
            (f"/cases/{case_id}/referrals", {"program": "dibao", "days": "15"}),
            (f"/cases/{case_id}/referrals/{referral_id}/answer",
             {"answer": "accepted", "version": 1}),
            (f"/cases/{case_id}/elimination", {"note": "风险消除"}),
            (f"/households/{household_id}/cases", {"source": "cadre_visit"}),
        ):  # fmt: skip
            assert_refused_page(post_form(pages, path, **fields), role, unit, head)
        for path in ("notice", "notice.pdf", f"attachments/{'0' * 64}"):
            assert_not_found_page(pages.get(f"/cases/{case_id}/{path}"), head)
        # Through a case in scope, another region's measure or referral is as unknown as a
        # missing one.
        through_own = post_form(pages, f"/cases/{own_case}/measures/{measure_id}/status",
                                status="in_progress", version=1)  # fmt: skip
        assert through_own.status_code == unknown_measure.status_code
        assert unit not in through_own.text
        answered = post_form(pages, f"/cases/{own_case}/referrals/{referral_id}/answer",
                             answer="accepted", version=1)  # fmt: skip
        assert answered.status_code == unknown_referral.status_code
    assert snapshot(world) == before


# ---------------------------------------------------------------- screening runs and clues


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_runs_and_clues_api(
    world: World, headers: dict[str, str], role: str, region: str, visible: list[str]
) -> None:
    client = world.client
    seen = runs_seen(world, visible)
    listed = {
        run["run_id"]: run for run in client.get("/api/v1/screening/runs", headers=headers).json()
    }
    assert set(listed) & set(world.runs.values()) == seen
    unknown = client.get(f"/api/v1/screening/runs/{UNKNOWN_ID}", headers=headers)
    unknown_clues = client.get(f"/api/v1/screening/runs/{UNKNOWN_ID}/clues", headers=headers)
    assert_error(unknown, 404, "not_found")
    assert_error(unknown_clues, 404, "not_found")
    for run_region, households in RUN_HOUSEHOLDS.items():
        run_id = world.runs[run_region]
        run = client.get(f"/api/v1/screening/runs/{run_id}", headers=headers)
        clues = client.get(f"/api/v1/screening/runs/{run_id}/clues?size=1000", headers=headers)
        if run_id not in seen:
            like_unknown(run, unknown, {UNKNOWN_ID: run_id})
            like_unknown(clues, unknown_clues, {UNKNOWN_ID: run_id})
            continue
        assert run.status_code == 200 and run.json()["state"] == "done"
        inside = [h for h in households if h in visible]
        assert [c["household_id"] for c in clues.json()["items"]] == inside
        assert clues.json()["total"] == len(inside)
        # A run over a wider region (the county's, read in one of its townships) gives the
        # figures of the scope only; how many households it screened there is not stored.
        figures = run.json()
        assert listed[run_id] == figures
        assert (
            figures["clue_count"]
            == figures["missing_income"]
            == figures["to_verify"]
            == len(inside)
        )
        assert figures["counts"] == {**dict.fromkeys(RULES_BY_CODE, 0), "R12": len(inside),
                                     "marginal": len(inside), "clues": len(inside),
                                     "to_verify": len(inside)}  # fmt: skip
        whole = in_scope(role, region, run_region)
        assert figures["households"] == (len(households) if whole else None)
        for household_id in set(households) - set(visible):
            village = world.seeded[household_id].village_code
            filtered = client.get(f"/api/v1/screening/runs/{run_id}/clues",
                                  params={"village": village}, headers=headers)  # fmt: skip
            unknown_village = client.get(f"/api/v1/screening/runs/{run_id}/clues",
                                         params={"village": UNKNOWN_VILLAGE},
                                         headers=headers)  # fmt: skip
            like_unknown(filtered, unknown_village, {UNKNOWN_VILLAGE: village})


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_no_run_over_another_region(
    world: World, headers: dict[str, str], pages: TestClient, role: str, region: str,
    visible: list[str],
) -> None:  # fmt: skip
    """Starting a run is for county officers and admins (403 for the others, whatever the
    region); over another region it is refused like over one that does not exist."""
    client = world.client
    before = snapshot(world)
    body = {"as_of": "2024-07-15", "region": region}
    form = {**body, "csrf_token": csrf_token(pages)}
    if role not in ("county", "admin"):
        assert_error(client.post("/api/v1/screening/runs", json=body, headers=headers),
                     403, "forbidden")  # fmt: skip
        assert pages.post("/screening/runs", data=form).status_code == 403
    hidden = [h for h in ALL if h not in visible]
    if hidden:
        unknown_region = "539900000000"  # a city that no region has, outside these scopes
        unknown = client.post("/api/v1/screening/runs", headers=headers,
                              json={**body, "region": unknown_region})  # fmt: skip
        unknown_page = pages.post("/screening/runs", data={**form, "region": unknown_region})
    for household_id in hidden:
        village = world.seeded[household_id].village_code
        started = client.post("/api/v1/screening/runs", headers=headers,
                              json={**body, "region": village})  # fmt: skip
        like_unknown(started, unknown, {unknown_region: village})
        page = pages.post("/screening/runs", data={**form, "region": village})
        assert page.status_code == unknown_page.status_code
    assert snapshot(world) == before


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_no_case_from_a_clue_out_of_scope_api(
    world: World, headers: dict[str, str], role: str, region: str, visible: list[str]
) -> None:
    client = world.client
    before = snapshot(world)
    for run_region, households in RUN_HOUSEHOLDS.items():
        run_id = world.runs[run_region]
        for household_id in set(households) - set(visible):
            clue_id = f"{run_id}:{household_id}"
            unknown_clue, ids = unknown_clue_like(clue_id, runs_seen(world, visible))
            unknown = client.post("/api/v1/cases", headers=headers, json={
                "household_id": UNKNOWN_HOUSEHOLD, "source": "screening", "clue_id": unknown_clue})  # fmt: skip
            assert_error(unknown, 404, "not_found")
            # Neither for the clue's household nor for one of the user's own.
            for target in (household_id, visible[0]):
                opened = client.post("/api/v1/cases", headers=headers, json={
                    "household_id": target, "source": "screening", "clue_id": clue_id})  # fmt: skip
                like_unknown(opened, unknown, ids)
    assert snapshot(world) == before


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_runs_clues_and_cases_from_clues_pages(
    world: World, pages: TestClient, role: str, region: str, visible: list[str]
) -> None:
    seen = runs_seen(world, visible)
    listing = pages.get("/screening").text
    assert_not_found_page(pages.get(f"/screening/runs/{UNKNOWN_ID}"))
    hidden_clues = []
    for run_region, households in RUN_HOUSEHOLDS.items():
        run_id = world.runs[run_region]
        link = f'href="/screening/runs/{run_id}"'
        page = pages.get(f"/screening/runs/{run_id}")
        hidden_clues += [f"{run_id}:{h}" for h in households if h not in visible]
        if run_id not in seen:
            assert link not in listing
            assert_not_found_page(page, *households)
            continue
        assert link in listing and page.status_code == 200
        inside = [h for h in households if h in visible]
        assert f'data-testid="clue-count">{len(inside)}<' in page.text
        for household_id in households:
            shown = f'href="/households/{household_id}"' in page.text
            assert shown is (household_id in visible)
    if not hidden_clues:
        return
    before = snapshot(world)
    for clue_id in hidden_clues:
        unknown_clue, ids = unknown_clue_like(clue_id, seen)
        created = post_form(pages, "/cases/from-clues", clue_id=[unknown_clue, clue_id])
        if role not in WRITERS:
            assert created.status_code == 403
            continue
        assert created.status_code == 200
        (unknown_outcome, unknown_reason), (outcome, reason) = re.findall(
            r'<li data-outcome="(\w+)">.*?refused: ([^<]*)</li>', created.text, re.DOTALL
        )
        assert unknown_outcome == outcome == "refused"
        for unknown_id, record_id in ids.items():
            unknown_reason = unknown_reason.replace(unknown_id, record_id)
        assert reason == unknown_reason
    assert snapshot(world) == before


# ---------------------------------------------------------------- reports


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_others_reports_api_and_pages(
    world: World,
    headers: dict[str, str],
    pages: TestClient,
    role: str,
    region: str,
    visible: list[str],
) -> None:
    client = world.client
    listed = {job["report_id"] for job in client.get("/api/v1/reports", headers=headers).json()}
    assert listed.isdisjoint(world.reports.values())
    page = pages.get("/reports").text
    unknown = client.get(f"/api/v1/reports/{UNKNOWN_ID}", headers=headers)
    unknown_download = client.get(f"/api/v1/reports/{UNKNOWN_ID}/download", headers=headers)
    assert_error(unknown_download, 404, "not_found")
    for report_id in world.reports.values():
        assert f"/reports/{report_id}/download" not in page
        job = client.get(f"/api/v1/reports/{report_id}", headers=headers)
        download = client.get(f"/api/v1/reports/{report_id}/download", headers=headers)
        page_download = pages.get(f"/reports/{report_id}/download")
        if role == "admin":  # admins may fetch anyone's report (each download is audited)
            assert job.status_code == 200
            assert download.content == page_download.content == factories.report_content(report_id)
            continue
        # Reports are their requester's only: a colleague of the same township gets a 404 too.
        like_unknown(job, unknown, {UNKNOWN_ID: report_id})
        like_unknown(download, unknown_download, {UNKNOWN_ID: report_id})
        assert_not_found_page(page_download)


@pytest.mark.parametrize(("role", "region", "visible"), NARROW, ids=NARROW_IDS)
def test_own_report_of_a_region_left_behind(
    world: World,
    username: str,
    headers: dict[str, str],
    pages: TestClient,
    role: str,
    region: str,
    visible: list[str],
) -> None:
    """A user moved by an admin keeps its reports of the old region, but may not read them:
    they are as unknown as anyone else's, and the lists leave them out."""
    hidden = next(h for h in ALL if h not in visible)
    old_region = world.seeded[hidden].village_code
    with unit_of_work(world.settings.database_url) as session:
        report_id = factories.seed_report(session, reports_dir(world.settings), username,
                                          old_region)  # fmt: skip
    client = world.client
    listed = {job["report_id"] for job in client.get("/api/v1/reports", headers=headers).json()}
    assert report_id not in listed
    assert f"/reports/{report_id}/download" not in pages.get("/reports").text
    unknown = client.get(f"/api/v1/reports/{UNKNOWN_ID}", headers=headers)
    like_unknown(client.get(f"/api/v1/reports/{report_id}", headers=headers), unknown,
                 {UNKNOWN_ID: report_id})  # fmt: skip
    assert_not_found_page(pages.get(f"/reports/{report_id}/download"))


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_own_reports_hold_the_scope_only(
    world: World,
    headers: dict[str, str],
    pages: TestClient,
    role: str,
    region: str,
    visible: list[str],
) -> None:
    client = world.client
    before = snapshot(world)
    unknown_run = client.post("/api/v1/reports", headers=headers, json={
        "kind": "clues", "region": region, "run_id": UNKNOWN_ID})  # fmt: skip
    assert_error(unknown_run, 404, "not_found")
    for run_id in world.runs.values():
        if run_id in runs_seen(world, visible):
            continue
        outside = client.post("/api/v1/reports", headers=headers, json={
            "kind": "clues", "region": region, "run_id": run_id})  # fmt: skip
        like_unknown(outside, unknown_run, {UNKNOWN_ID: run_id})
        form = {"kind": "clues", "region": region, "month": "", "from": "", "to": "",
                "run_id": run_id}  # fmt: skip
        assert_not_found_page(post_form(pages, "/reports", **form))
    unknown_region = "539900000000"  # a city that no region has, outside every scope but admin's
    hidden = set(ALL) - set(visible)
    if hidden:
        unknown = client.post("/api/v1/reports", headers=headers,
                              json={"kind": "objects", "region": unknown_region})  # fmt: skip
    for household_id in hidden:
        village = world.seeded[household_id].village_code
        elsewhere = client.post("/api/v1/reports", headers=headers,
                                json={"kind": "objects", "region": village})  # fmt: skip
        like_unknown(elsewhere, unknown, {unknown_region: village})
    assert snapshot(world) == before
    # Every role may export the clues of a run it sees: the file holds its scope's clues only.
    for run_region, households in RUN_HOUSEHOLDS.items():
        run_id = world.runs[run_region]
        if run_id not in runs_seen(world, visible):
            continue
        created = client.post("/api/v1/reports", headers=headers, json={
            "kind": "clues", "region": region, "run_id": run_id})  # fmt: skip
        assert created.status_code == 202, created.text
        report_id = created.json()["report_id"]
        download = client.get(f"/api/v1/reports/{report_id}/download", headers=headers)
        assert download.status_code == 200
        assert clue_households(download.content) == [h for h in households if h in visible]
        assert f"/reports/{report_id}/download" in pages.get("/reports").text


# ---------------------------------------------------------------- audit rows


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_audit_rows_of_cases_measures_and_reports(
    world: World, headers: dict[str, str], role: str, region: str, visible: list[str]
) -> None:
    """Each change is audited with its record's region, so the rows follow the same subtrees
    (for the roles that read the log)."""
    with unit_of_work(world.settings.database_url) as session:
        for report_id in world.reports.values():
            reports_service.download(session, SYSTEM, report_id,
                                     reports_dir=reports_dir(world.settings))  # fmt: skip
    townships = [t for t in REPORT_TOWNSHIPS if in_scope(role, region, t)]
    expected = {
        "case": {str(world.cases[h]) for h in visible},
        "case_evidence": None,  # its own ids: checked by region only
        "measure": {str(world.measures[h]) for h in visible},
        "report": {world.reports[t] for t in townships},
    }
    seeded = {
        "case": {str(case_id) for case_id in world.cases.values()},
        "measure": {str(measure_id) for measure_id in world.measures.values()},
        "report": set(world.reports.values()),
    }
    for entity, wanted in expected.items():
        params = {"entity": entity, "size": 200}
        response = world.client.get("/api/v1/audit", params=params, headers=headers)
        if role not in ("auditor", "admin"):
            assert_error(response, 403, "forbidden")
            continue
        rows = response.json()["items"]
        assert rows and all(in_scope(role, region, row["region_code"]) for row in rows)
        if wanted is not None:
            assert {row["entity_id"] for row in rows} & seeded[entity] == wanted


# ---------------------------------------------------------------- changes in scope


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_changes_in_scope_api(
    world: World, headers: dict[str, str], role: str, region: str, visible: list[str]
) -> None:
    client = world.client
    clue_id = visible_clue(world, visible)
    clue_household = clue_id.partition(":")[2]
    if role not in WRITERS:
        case_id = world.cases[visible[0]]
        before = snapshot(world)
        step = {**STEP, "version": version_of(world, case_id)}
        for response in (
            client.post(f"/api/v1/cases/{case_id}/transitions", json=step, headers=headers),
            client.post(f"/api/v1/cases/{case_id}/measures", json=MEASURE, headers=headers),
            client.post("/api/v1/cases", headers=headers, json={
                "household_id": clue_household, "source": "screening", "clue_id": clue_id}),
        ):  # fmt: skip
            assert_error(response, 403, "forbidden")
        assert snapshot(world) == before
        return
    fresh_household, case_id, _ = fresh_case(world, world.seeded[visible[0]].village_code)
    # A clue is its own household's: another household's case cannot take it (nor its rules
    # and category, which the users of that case's region might not be allowed to read).
    before = snapshot(world)
    foreign = client.post("/api/v1/cases", headers=headers, json={
        "household_id": fresh_household, "source": "screening", "clue_id": clue_id})  # fmt: skip
    assert_error(foreign, 400, "bad_input", field="clue_id")
    assert snapshot(world) == before
    step = {**STEP, "version": version_of(world, case_id)}
    stepped = client.post(f"/api/v1/cases/{case_id}/transitions", json=step, headers=headers)
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["state"] == "home_visit" and stepped.json()["version"] > step["version"]
    measured = client.post(f"/api/v1/cases/{case_id}/measures", json=MEASURE, headers=headers)
    assert measured.status_code == 201, measured.text
    # The clue's household has its open case: the clue is added to it as evidence.
    taken = client.post("/api/v1/cases", headers=headers, json={
        "household_id": clue_household, "source": "screening", "clue_id": clue_id})  # fmt: skip
    assert taken.status_code == 200, taken.text
    assert taken.json()["id"] == world.cases[clue_household]
    assert clue_id in [evidence["clue_id"] for evidence in taken.json()["evidence"]]


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_changes_in_scope_pages(
    world: World, pages: TestClient, role: str, region: str, visible: list[str]
) -> None:
    if role not in WRITERS:
        case_id, measure_id = world.cases[visible[0]], world.measures[visible[0]]
        before = snapshot(world)
        for path, fields in (
            (f"/cases/{case_id}/steps",
             {"action": "accept", "version": version_of(world, case_id)}),
            (f"/cases/{case_id}/measures", {"measure": "employment:public_welfare_post",
                                            "responsible_unit": "县人社局", "start": "2024-08-01"}),
            (f"/cases/{case_id}/measures/{measure_id}/status",
             {"status": "in_progress", "version": 1}),
        ):  # fmt: skip
            assert post_form(pages, path, **fields).status_code == 403
        assert snapshot(world) == before
        return
    _, case_id, measure_id = fresh_case(world, world.seeded[visible[0]].village_code)
    stepped = post_form(pages, f"/cases/{case_id}/steps", action="accept",
                        version=version_of(world, case_id))  # fmt: skip
    assert stepped.status_code == 200, stepped.text
    measured = post_form(pages, f"/cases/{case_id}/measures", measure="employment:workshop_job",
                         responsible_unit="县人社局", start="2024-08-01")  # fmt: skip
    assert measured.status_code == 200, measured.text
    assert measured.text.count("data-measure=") == 2
    moved = post_form(pages, f"/cases/{case_id}/measures/{measure_id}/status",
                      status="in_progress", version=1)  # fmt: skip
    assert moved.status_code == 200 and "tag-measure-in_progress" in moved.text
    # A clue of the scope is taken up: its household's open case gets it as evidence.
    clue_id = visible_clue(world, visible)
    taken = post_form(pages, "/cases/from-clues", clue_id=[clue_id])
    assert taken.status_code == 200 and 'data-outcome="attached"' in taken.text
    assert f'href="/cases/{world.cases[clue_id.partition(":")[2]]}"' in taken.text
