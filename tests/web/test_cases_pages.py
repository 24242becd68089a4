"""Case pages: the worklist, the case page and its forms, attachments, the notice, the plan,
cases from screening clues and from the household page — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from povguard.auth.principal import Principal, Role
from povguard.cases import service
from povguard.cases.enums import Action, CaseSource, CaseState
from povguard.cases.schemas import CaseCreate, TransitionIn
from povguard.config import Settings
from povguard.core.db import engine_for
from povguard.core.uow import unit_of_work
from povguard.ingest.service import import_dataset
from povguard.screening import runs
from povguard.screening.lake import POLICY
from povguard.web.cases import context as case_context
from tests.conftest import EXAMPLES
from tests.web import factories
from tests.web.conftest import csrf_token

DATASET = EXAMPLES / "screening-yunnan-2024"
TODAY = dt.date.today()
HTMX = {"HX-Request": "true"}
COUNTY = Principal("svc-county", Role.COUNTY, factories.COUNTY_A)
TOWNSHIP_A = Principal("svc-town-a", Role.TOWNSHIP, factories.TOWNSHIP_A)
TOWNSHIP_B = Principal("svc-town-b", Role.TOWNSHIP, factories.TOWNSHIP_B)
COUNTY_C = Principal("svc-county-c", Role.COUNTY, factories.COUNTY_C)
PDF = b"%PDF-1.4\n% signed authorisation\n%%EOF\n"

PageClient = Callable[[str, str], TestClient]


@pytest.fixture
def page_client_for(page_client_for: PageClient) -> PageClient:
    """Signed-in page clients that read the pages in English (the messages asserted below)."""

    def make(role: str, region: str) -> TestClient:
        client = page_client_for(role, region)
        client.cookies.set("povguard_lang", "en")
        return client

    return make


# ---------------------------------------------------------------- helpers


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def open_case(
    settings: Settings,
    household_id: str,
    *,
    received_on: dt.date = TODAY,
    principal: Principal = COUNTY,
    source: CaseSource = CaseSource.CADRE_VISIT,
    **extra: Any,
) -> int:
    with unit_of_work(settings.database_url) as session:
        data = CaseCreate(
            household_id=household_id, source=source, received_on=received_on, **extra
        )
        case, _ = service.create(session, principal, data)
        return case.id


# (action, who, days after the previous step, extra fields)
WALK: list[tuple[Action, str, int, dict[str, Any]]] = [
    (Action.ACCEPT, "county", 0, {}),
    (Action.RECORD_VISIT, "township", 1, {"authorisation_signed": True}),
    (Action.RECORD_CROSS_CHECK, "township", 1, {}),
    (Action.RECORD_APPRAISAL, "township", 1, {}),
    (Action.START_PUBLICITY, "township", 1, {}),
    (Action.CLOSE_PUBLICITY, "township", 5, {}),
    (Action.REVIEW, "township", 0, {}),
]


def walk(
    settings: Settings,
    case_id: int,
    *,
    start: dt.date,
    until: CaseState,
    township: Principal = TOWNSHIP_A,
    county: Principal = COUNTY,
) -> dt.date:
    """Take the steps up to `until` through the service; returns the last step's day."""
    on = start
    for action, who, gap, extra in WALK:
        with unit_of_work(settings.database_url) as session:
            case = service.get(session, county, case_id)
            if case.state is until:
                return on
            on = min(on + dt.timedelta(days=gap), TODAY)
            data = TransitionIn(action=action, version=case.version, on=on, **extra)
            service.transition(session, county if who == "county" else township, case_id, data)
    return on


def state_of(settings: Settings, case_id: int) -> tuple[CaseState, int]:
    with unit_of_work(settings.database_url) as session:
        case = service.get(session, COUNTY, case_id)
        return case.state, case.version


def post_step(client: TestClient, case_id: int, **fields: Any) -> Any:
    files = fields.pop("files", None)
    data = {"csrf_token": csrf_token(client), **fields}
    return client.post(f"/cases/{case_id}/steps", data=data, files=files, headers=HTMX)


@contextmanager
def counted_queries(database_url: str) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    engine = engine_for(database_url)
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def case_ids_in(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-case="(\d+)"', html)]


# ---------------------------------------------------------------- worklist


def test_worklist_scope_order_filters_and_masking(
    settings: Settings, page_client_for: PageClient
) -> None:
    late = open_case(settings, "H000002", received_on=days_ago(20))  # procedure overdue
    fresh = open_case(settings, "H000001")  # due in 15 days
    soon = open_case(settings, "H000003", received_on=days_ago(5))
    walk(settings, soon, start=days_ago(2), until=CaseState.HOME_VISIT)  # visit due tomorrow
    other = open_case(settings, "H000004", principal=COUNTY_C)

    county = page_client_for("county", factories.COUNTY_A)
    page = county.get("/cases")
    assert page.status_code == 200 and 'aria-current="page" class="active">Cases' in page.text
    assert case_ids_in(page.text) == [late, soon, fresh]  # nearest deadline first
    assert f'<tr class="overdue" data-case="{late}">' in page.text
    assert "张伟" in page.text  # the head's name, unmasked for a county officer

    township = page_client_for("township", factories.TOWNSHIP_A)
    listed = township.get("/cases").text
    assert case_ids_in(listed) == [late, fresh]
    for hidden in (soon, other):
        response = township.get(f"/cases/{hidden}")
        assert response.status_code == 404 and "赵磊" not in response.text
    assert township.get(f"/cases/{fresh}").status_code == 200

    overdue = county.get("/cases?overdue=1")
    assert case_ids_in(overdue.text) == [late]
    by_step = county.get("/cases?state=home_visit", headers={"HX-Target": "worklist"})
    assert "<html" not in by_step.text and case_ids_in(by_step.text) == [soon]
    assert case_ids_in(county.get(f"/cases?village={factories.VILLAGE_A2}").text) == [late]
    assert county.get(f"/cases?village={factories.VILLAGE_C1}").status_code == 404
    assert county.get("/cases?state=nonsense").status_code == 400
    counts = county.get("/cases").text
    assert 'data-state="clue"' in counts and 'data-state="home_visit"' in counts

    analyst = page_client_for("analyst", factories.COUNTY_A)
    masked = analyst.get("/cases").text
    assert "张*" in masked and "张伟" not in masked
    case_page = analyst.get(f"/cases/{fresh}")
    assert case_page.status_code == 200 and "张*" in case_page.text
    assert "张伟" not in case_page.text and "李娜" not in case_page.text
    assert "13890120001" not in case_page.text  # the phone, masked


def test_worklist_pages_and_runs_a_fixed_number_of_queries(
    settings: Settings, page_client_for: PageClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(case_context, "PAGE_SIZE", 2)
    first = [open_case(settings, "H000001", received_on=days_ago(3))]
    county = page_client_for("county", factories.COUNTY_A)
    county.get("/cases")  # warm up
    with counted_queries(settings.database_url) as one_case:
        assert county.get("/cases").status_code == 200
    first += [open_case(settings, h, received_on=days_ago(n)) for h, n in
              (("H000002", 1), ("H000003", 9))]  # fmt: skip
    with counted_queries(settings.database_url) as three_cases:
        page = county.get("/cases")
    assert len(three_cases) == len(one_case)  # no query per row
    assert case_ids_in(page.text) == [first[2], first[0]] and 'rel="next"' in page.text
    assert "page 1 of 2" in page.text
    second = county.get("/cases?page=2", headers={"HX-Target": "worklist"})
    assert case_ids_in(second.text) == [first[1]] and 'rel="prev"' in second.text


# ---------------------------------------------------------------- the case page and its steps


def test_case_page_prefills_the_home_visit_and_takes_steps_without_reload(
    settings: Settings, page_client_for: PageClient
) -> None:
    case_id = open_case(settings, "H000001", received_on=days_ago(2), note="村民反映")
    township = page_client_for("township", factories.TOWNSHIP_A)
    page = township.get(f"/cases/{case_id}")
    assert page.status_code == 200
    assert 'data-testid="step-accept"' in page.text and "村民反映" in page.text
    assert '"responseHandling"' in page.text  # refused forms are swapped in
    _, version = state_of(settings, case_id)
    accepted = post_step(township, case_id, action="accept", version=version,
                         on=days_ago(1).isoformat())  # fmt: skip
    assert accepted.status_code == 200 and accepted.text.lstrip().startswith('<div id="case"')
    assert "<html" not in accepted.text and 'data-testid="flash"' in accepted.text
    assert 'data-testid="case-state">home visit' in accepted.text
    # The visit form shows what is known: members, phone, and asks for the authorisation.
    visit = accepted.text[accepted.text.index('data-testid="step-record_visit"') :]
    visit = visit[: visit.index("</details>")]
    assert "李娜" in visit and "13890120001" in visit and 'name="authorisation_signed"' in visit
    assert "张老汉" not in visit  # moved out: not a member on the visit
    state, new_version = state_of(settings, case_id)
    assert state is CaseState.HOME_VISIT and new_version > version
    # Without htmx the same form redirects back to the page, which says what was done.
    plain = township.post(f"/cases/{case_id}/steps", follow_redirects=False, data={
        "csrf_token": csrf_token(township), "action": "record_visit", "version": new_version,
        "authorisation_signed": "on", "comment": "已入户"})  # fmt: skip
    assert plain.status_code == 303 and plain.headers["location"].startswith(
        f"/cases/{case_id}?done="
    )
    shown = township.get(plain.headers["location"]).text
    assert 'data-testid="flash"' in shown and "已入户" in shown
    assert state_of(settings, case_id)[0] is CaseState.CROSS_CHECK


def test_refused_steps_say_why_and_change_nothing(
    settings: Settings, page_client_for: PageClient
) -> None:
    case_id = open_case(settings, "H000001", received_on=days_ago(5))
    walk(settings, case_id, start=days_ago(4), until=CaseState.CROSS_CHECK)
    township = page_client_for("township", factories.TOWNSHIP_A)
    _, version = state_of(settings, case_id)

    stale = post_step(township, case_id, action="record_cross_check", version=version - 1,
                      comment="核查完毕")  # fmt: skip
    assert stale.status_code == 409
    assert "Someone else changed this record" in stale.text
    assert "核查完毕" in stale.text  # the typed comment is kept
    assert f'name="version" value="{version}"' in stale.text  # the form now has the new one

    illegal = post_step(township, case_id, action="approve", version=version)
    assert (
        illegal.status_code == 409
        and "approve is not possible in state cross_check" in illegal.text
    )

    cadre = page_client_for("cadre", factories.VILLAGE_A1)
    role = post_step(cadre, case_id, action="record_cross_check", version=version)
    assert role.status_code == 409 and "role cadre may not" in role.text

    no_reason = post_step(township, case_id, action="reject", version=version, comment="  ")
    assert no_reason.status_code == 409 and "reject needs a reason" in no_reason.text
    garbage = post_step(township, case_id, action="fly", version="x")
    assert garbage.status_code == 400 and 'role="alert"' in garbage.text
    future = post_step(township, case_id, action="record_cross_check", version=version,
                       on=(TODAY + dt.timedelta(days=1)).isoformat())  # fmt: skip
    assert future.status_code == 400 and "in the future" in future.text
    assert state_of(settings, case_id) == (CaseState.CROSS_CHECK, version)

    rejected = post_step(township, case_id, action="reject", version=version, comment="收入达标")
    assert rejected.status_code == 200 and "收入达标" in rejected.text
    assert state_of(settings, case_id)[0] is CaseState.REJECTED

    withdrawn_id = open_case(settings, "H000002")
    version = state_of(settings, withdrawn_id)[1]
    assert post_step(township, withdrawn_id, action="withdraw", version=version).status_code == 409
    done = post_step(township, withdrawn_id, action="withdraw", version=version, comment="重复")
    assert done.status_code == 200 and state_of(settings, withdrawn_id)[0] is CaseState.WITHDRAWN


def test_attachments_upload_list_download_scoped_and_typed(
    settings: Settings, page_client_for: PageClient
) -> None:
    case_id = open_case(settings, "H000001", received_on=days_ago(1))
    township = page_client_for("township", factories.TOWNSHIP_A)
    version = state_of(settings, case_id)[1]
    text = post_step(township, case_id, action="accept", version=version,
                     files=[("files", ("notes.pdf", b"hello, not a pdf", "application/pdf"))])  # fmt: skip
    assert text.status_code == 400 and "PDF, PNG or JPEG" in text.text
    big = post_step(township, case_id, action="accept", version=version,
                    files=[("files", ("big.pdf", PDF + b"0" * (10 * 2**20), "application/pdf"))])  # fmt: skip
    assert big.status_code == 400 and "10 MiB" in big.text
    assert state_of(settings, case_id) == (CaseState.CLUE, version)

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    accepted = post_step(township, case_id, action="accept", version=version, files=[
        ("files", ("authorisation.pdf", PDF, "application/pdf")),
        ("files", ("photo.png", png, "image/png"))])  # fmt: skip
    assert accepted.status_code == 200
    links = re.findall(rf'href="(/cases/{case_id}/attachments/[0-9a-f]{{64}})"', accepted.text)
    assert len(links) == 2
    pdf = township.get(links[0])
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert township.get(links[1]).headers["content-type"] == "image/png"

    outsider = page_client_for("township", factories.TOWNSHIP_B)
    assert outsider.get(links[0]).status_code == 404
    # A file of another case is not served through this one.
    other = open_case(settings, "H000002")
    assert (
        township.get(links[0].replace(f"/cases/{case_id}/", f"/cases/{other}/")).status_code == 404
    )


def test_page_forms_need_the_csrf_token(settings: Settings, page_client_for: PageClient) -> None:
    case_id = open_case(settings, "H000001")
    township = page_client_for("township", factories.TOWNSHIP_A)
    version = state_of(settings, case_id)[1]
    for path, data in (
        (f"/cases/{case_id}/steps", {"action": "accept", "version": version}),
        (f"/cases/{case_id}/measures", {"measure": "other:other"}),
        ("/cases/from-clues", {"clue_id": "x:H000001"}),
        ("/households/H000001/cases", {"source": "cadre_visit"}),
    ):
        assert township.post(path, data=data).status_code == 403
        forged = township.post(path, data={**data, "csrf_token": "0" * 64})
        assert forged.status_code == 403
    assert state_of(settings, case_id) == (CaseState.CLUE, version)


# ---------------------------------------------------------------- approval, plan, referrals


def test_county_approves_then_plans_measures_and_referrals(
    settings: Settings, page_client_for: PageClient
) -> None:
    case_id = open_case(settings, "H000001", received_on=days_ago(12), causes=["04"],
                        category="marginal")  # fmt: skip
    walk(settings, case_id, start=days_ago(11), until=CaseState.COUNTY_APPROVAL)
    county = page_client_for("county", factories.COUNTY_A)
    page = county.get(f"/cases/{case_id}").text
    approve = page[page.index('data-testid="step-approve"') :]
    assert '<option value="marginal" selected>' in approve
    assert 'name="causes" value="04" checked' in approve
    version = state_of(settings, case_id)[1]
    approved = post_step(county, case_id, action="approve", version=version,
                         category="marginal", causes=["04", "07"])  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert state_of(settings, case_id)[0] is CaseState.MONITORING_OBJECT

    page = county.get(f"/cases/{case_id}").text
    assert 'data-testid="plan-warning"' in page  # labour capable, no development measure yet
    assert '<option value="social_security:dibao" selected>' not in page
    assert '<option value="employment:public_welfare_post" selected>' in page
    refused = county.post(f"/cases/{case_id}/measures", headers=HTMX, data={
        "csrf_token": csrf_token(county), "measure": "employment:dibao",
        "responsible_unit": "人社局", "start": TODAY.isoformat()})  # fmt: skip
    assert refused.status_code == 400 and "is not a employment measure" in refused.text
    added = county.post(f"/cases/{case_id}/measures", headers=HTMX, data={
        "csrf_token": csrf_token(county), "measure": "employment:public_welfare_post",
        "responsible_unit": "县人社局", "responsible_cadre": "李干部",
        "start": TODAY.isoformat(), "amount": "600", "status": "planned"})  # fmt: skip
    assert added.status_code == 200 and "县人社局" in added.text
    assert 'data-testid="plan-warning"' not in added.text
    measure_id = int(re.search(r'data-measure="(\d+)"', added.text).group(1))  # type: ignore[union-attr]
    url = f"/cases/{case_id}/measures/{measure_id}/status"
    stale = county.post(url, headers=HTMX, data={"csrf_token": csrf_token(county),
                                                 "status": "in_progress", "version": 7})  # fmt: skip
    assert stale.status_code == 409 and "Someone else changed" in stale.text
    moved = county.post(url, headers=HTMX, data={"csrf_token": csrf_token(county),
                                                 "status": "in_progress", "version": 1})  # fmt: skip
    assert moved.status_code == 200 and "tag-measure-in_progress" in moved.text

    no_program = county.post(f"/cases/{case_id}/referrals", headers=HTMX,
                             data={"csrf_token": csrf_token(county), "program": "loan"})  # fmt: skip
    assert no_program.status_code == 400
    referred = county.post(f"/cases/{case_id}/referrals", headers=HTMX, data={
        "csrf_token": csrf_token(county), "program": "dibao",
        "referred_on": days_ago(20).isoformat(), "days": "15"})  # fmt: skip
    assert referred.status_code == 200
    assert f"answer due {days_ago(5).isoformat()}" in referred.text
    assert 'class="overdue" data-referral=' in referred.text
    referral_id = int(re.search(r'data-referral="(\d+)"', referred.text).group(1))  # type: ignore[union-attr]
    answered = county.post(f"/cases/{case_id}/referrals/{referral_id}/answer", headers=HTMX, data={
        "csrf_token": csrf_token(county), "answer": "accepted", "version": 1,
        "answered_on": TODAY.isoformat()})  # fmt: skip
    assert answered.status_code == 200 and 'tag">accepted' in answered.text

    auditor = page_client_for("auditor", factories.COUNTY_A)
    read_only = auditor.get(f"/cases/{case_id}").text
    assert "县人社局" in read_only and "<form" not in read_only.split('id="case"')[1]


# ---------------------------------------------------------------- elimination


def _write_policy(settings: Settings) -> None:
    path = settings.lake / POLICY
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"- province: '530000000000'\n  year: {TODAY.year}\n  monitoring_line: 7260\n"
        "  rural_disposable_income: 16361\n",
        encoding="utf-8",
    )


def test_elimination_check_list_and_start(settings: Settings, page_client_for: PageClient) -> None:
    _write_policy(settings)
    case_id = open_case(settings, "H000002", received_on=days_ago(20), causes=["01"],
                        category="marginal")  # fmt: skip
    walk(settings, case_id, start=days_ago(19), until=CaseState.COUNTY_APPROVAL)
    county = page_client_for("county", factories.COUNTY_A)
    version = state_of(settings, case_id)[1]
    assert post_step(county, case_id, action="approve", version=version).status_code == 200

    page = county.get(f"/cases/{case_id}").text
    section = page[page.index('data-testid="elimination"') :]
    assert 'data-check="identified_6_months"' in section and "check-fail" in section
    assert 'data-check="measure_given"' in section and 'data-testid="start-elimination"' in section
    assert "line 7260" in section

    started = county.post(f"/cases/{case_id}/elimination", headers=HTMX,
                          data={"csrf_token": csrf_token(county)})  # fmt: skip
    assert started.status_code == 200 and started.headers["HX-Redirect"].startswith("/cases/")
    elimination_id = int(started.headers["HX-Redirect"].rsplit("/", 1)[1])
    again = county.post(f"/cases/{case_id}/elimination", headers=HTMX,
                        data={"csrf_token": csrf_token(county)})  # fmt: skip
    assert again.status_code == 409 and "already has an open case" in again.text
    # The monitoring object's case now points at the open elimination case.
    assert f'href="/cases/{elimination_id}"' in county.get(f"/cases/{case_id}").text

    walk(settings, elimination_id, start=TODAY, until=CaseState.CROSS_CHECK)
    township = page_client_for("township", factories.TOWNSHIP_A)
    page = township.get(f"/cases/{elimination_id}").text
    form = page[page.index('data-testid="step-record_cross_check"') :]
    assert 'name="line" value="7260"' in form and form.count('name="income_month"') == 6
    assert 'name="water_secured" value="on" checked' in form
    version = state_of(settings, elimination_id)[1]
    months = re.findall(r'name="income_month" value="([0-9-]+)"', form)
    recorded = post_step(township, elimination_id, action="record_cross_check", version=version,
                         line="7260", income_month=months, income_value=["8000"] * 6,
                         rigid_spending_resolved="on", education_secured="on",
                         medical_secured="on", housing_secured="on", water_secured="on")  # fmt: skip
    assert recorded.status_code == 200, recorded.text
    assert "Checked at the cross-check" in recorded.text
    assert 'data-check="income_stable"' in recorded.text


# ---------------------------------------------------------------- notice


def test_publicity_notice_of_the_village_batch(
    settings: Settings, page_client_for: PageClient
) -> None:
    first = open_case(settings, "H000001", received_on=days_ago(8), category="marginal",
                      causes=["05"])  # fmt: skip
    second = open_case(settings, "H000002", received_on=days_ago(8))
    publicity_day = walk(settings, first, start=days_ago(7), until=CaseState.PUBLICITY)
    walk(settings, second, start=days_ago(7), until=CaseState.PUBLICITY)
    township = page_client_for("township", factories.TOWNSHIP_A)
    assert 'data-testid="notice"' in township.get(f"/cases/{first}").text
    version = state_of(settings, first)[1]
    started = post_step(township, first, action="start_publicity", version=version,
                        on=publicity_day.isoformat())  # fmt: skip
    assert started.status_code == 200
    notice = township.get(f"/cases/{first}/notice")
    assert notice.status_code == 200 and "张伟" in notice.text and "黄坡村" in notice.text
    assert "王芳" not in notice.text  # another village: another notice
    assert "13890120001" not in notice.text and factories.HOUSEHOLDS[0][0] not in notice.text
    assert "style-src 'unsafe-inline'" in notice.headers["content-security-policy"]
    outsider = page_client_for("township", factories.TOWNSHIP_B)
    assert outsider.get(f"/cases/{first}/notice").status_code == 404
    fresh = open_case(settings, "H000003", principal=COUNTY)
    county = page_client_for("county", factories.COUNTY_A)
    assert county.get(f"/cases/{fresh}/notice").status_code == 409


@pytest.mark.slow
def test_publicity_notice_pdf(settings: Settings, page_client_for: PageClient) -> None:
    case_id = open_case(settings, "H000001", received_on=days_ago(6))
    walk(settings, case_id, start=days_ago(5), until=CaseState.PUBLICITY)
    township = page_client_for("township", factories.TOWNSHIP_A)
    pdf = township.get(f"/cases/{case_id}/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


# ---------------------------------------------------------------- opening cases


def _finished_run(settings: Settings) -> str:
    import_dataset(DATASET, lake=settings.lake, database_url=settings.database_url)
    county = Principal("runner", Role.COUNTY, factories.COUNTY_A)
    with unit_of_work(settings.database_url) as session:
        run = runs.create_run(session, county, as_of=dt.date(2024, 7, 15),
                              region_code=factories.COUNTY_A)  # fmt: skip
        run_id = run.id
    runs.execute_run(run_id, lake=settings.lake, database_url=settings.database_url)
    return run_id


def test_cases_from_selected_clues(settings: Settings, page_client_for: PageClient) -> None:
    run_id = _finished_run(settings)
    county = page_client_for("county", factories.COUNTY_A)
    run_page = county.get(f"/screening/runs/{run_id}?rule=R06").text
    assert 'data-testid="create-cases"' in run_page
    clue_ids = re.findall(r'name="clue_id" value="([^"]+)"', run_page)
    assert len(clue_ids) >= 2
    chosen = clue_ids[:2]
    created = county.post("/cases/from-clues", headers=HTMX, data={
        "csrf_token": csrf_token(county), "run_id": run_id, "clue_id": chosen,
        "received_on": days_ago(3).isoformat()})  # fmt: skip
    assert created.status_code == 200 and "2 opened, 0 added to an open case" in created.text
    case_ids = [int(n) for n in re.findall(r'href="/cases/(\d+)"', created.text)]
    case = county.get(f"/cases/{case_ids[0]}")
    assert "R06" in case.text and "acc_ids" in case.text  # the clue and its evidence
    with unit_of_work(settings.database_url) as session:
        opened = service.get(session, COUNTY, case_ids[0])
    assert opened.causes and "05" in opened.causes and opened.green_channel  # accident
    assert opened.received_on == days_ago(3) and opened.rules and "R06" in opened.rules

    again = county.post("/cases/from-clues", headers=HTMX, data={
        "csrf_token": csrf_token(county), "run_id": run_id, "clue_id": chosen[:1]})  # fmt: skip
    assert "0 opened, 1 added to an open case" in again.text
    outside = county.post("/cases/from-clues", headers=HTMX, data={
        "csrf_token": csrf_token(county), "clue_id": [f"{run_id}:H000002"]})  # fmt: skip
    assert 'data-outcome="refused"' in outside.text  # not in the county's scope
    nothing = county.post("/cases/from-clues", headers=HTMX,
                          data={"csrf_token": csrf_token(county)})  # fmt: skip
    assert nothing.status_code == 200 and "select at least one clue" in nothing.text

    auditor = page_client_for("auditor", factories.COUNTY_A)
    assert 'data-testid="create-cases"' not in auditor.get(f"/screening/runs/{run_id}").text
    refused = auditor.post("/cases/from-clues", data={
        "csrf_token": csrf_token(auditor), "clue_id": chosen})  # fmt: skip
    assert refused.status_code == 403


def test_open_a_case_from_the_household_page(
    settings: Settings, page_client_for: PageClient
) -> None:
    cadre = page_client_for("cadre", factories.VILLAGE_A1)
    profile = cadre.get("/households/H000001").text
    assert 'data-testid="open-case"' in profile and "hotline 12317" in profile
    opened = cadre.post("/households/H000001/cases", follow_redirects=False, data={
        "csrf_token": csrf_token(cadre), "source": "declaration_hotline", "causes": ["05"],
        "note": "电话申报：车祸受伤", "received_on": TODAY.isoformat()})  # fmt: skip
    assert opened.status_code == 303
    case_url = opened.headers["location"]
    case_page = cadre.get(case_url).text
    assert "self-declaration (hotline 12317)" in case_page and "green channel" in case_page
    again = cadre.post("/households/H000001/cases", follow_redirects=False, data={
        "csrf_token": csrf_token(cadre), "source": "cadre_visit", "note": "走访核实"})  # fmt: skip
    assert again.status_code == 303 and again.headers["location"] == case_url
    assert "走访核实" in cadre.get(case_url).text
    bad = cadre.post("/households/H000001/cases", data={
        "csrf_token": csrf_token(cadre), "source": "fax", "note": "保留这段"})  # fmt: skip
    assert (
        bad.status_code == 400 and "保留这段" in bad.text and 'data-testid="form-error"' in bad.text
    )
    future = cadre.post("/households/H000001/cases", data={
        "csrf_token": csrf_token(cadre), "source": "declaration_app",
        "received_on": (TODAY + dt.timedelta(days=3)).isoformat()})  # fmt: skip
    assert future.status_code == 400
    assert (
        cadre.post(
            "/households/H000002/cases",
            data={"csrf_token": csrf_token(cadre), "source": "declaration_app"},
        ).status_code
        == 404
    )
    analyst = page_client_for("analyst", factories.COUNTY_A)
    assert 'data-testid="open-case"' not in analyst.get("/households/H000001").text
    assert (
        analyst.post(
            "/households/H000001/cases",
            data={"csrf_token": csrf_token(analyst), "source": "declaration_app"},
        ).status_code
        == 403
    )
