"""In a real browser: take up a screening clue as a case and walk it, step by step and role by
role, to the county's approval; plan a measure; and open a case on a phone (360 px)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal, Role
from povguard.config import Settings
from povguard.core.db import engine_for
from povguard.ingest.service import import_dataset
from povguard.screening import runs
from tests.browser.conftest import ARTIFACTS, serving
from tests.conftest import EXAMPLES
from tests.web import factories

COUNTY = "530129000000"  # 寻甸 in the example dataset
TOWNSHIP = "530129001000"  # 仁德街道
VILLAGE = "530129001003"  # 西山村
TODAY = dt.date.today()
PDF = b"%PDF-1.4\n% signed authorisation\n%%EOF\n"


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


@pytest.fixture(scope="module")
def cases_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The example dataset imported and screened on 2024-07-15; yields (base URL, run id)."""
    folder = tmp_path_factory.mktemp("cases-live")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'povguard.sqlite3'}",
        lake=folder / "lake",
        secret_key="browser-secret",
    )
    import_dataset(EXAMPLES / "screening-yunnan-2024", lake=settings.lake,
                   database_url=settings.database_url)  # fmt: skip
    with Session(engine_for(settings.database_url)) as session:
        factories.add_user(session, "b-county", "county", COUNTY)
        factories.add_user(session, "b-township", "township", TOWNSHIP)
        run = runs.create_run(session, Principal("b-county", Role.COUNTY, COUNTY),
                              as_of=dt.date(2024, 7, 15), region_code=COUNTY)  # fmt: skip
        run_id = run.id
        session.commit()
    runs.execute_run(run_id, lake=settings.lake, database_url=settings.database_url)
    with serving(settings) as base:
        yield base, run_id


def sign_in(page: Page, base: str, username: str, target: str) -> None:
    page.goto(f"{base}/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", factories.PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{base}{target}")


def sign_out(page: Page) -> None:
    page.click("form.logout button")


def take_step(page: Page, action: str, on: str, **extra: str) -> None:
    """Fill and submit the form of `action` on the case page; htmx swaps the case in place."""
    form = page.get_by_test_id(f"step-{action}")
    if form.get_attribute("open") is None:
        form.locator("summary").click()
    form.locator("input[name=on]").fill(on)
    for name, value in extra.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("flash")).to_be_visible()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_clue_to_monitoring_object_with_a_measure(
    page: Page, cases_server: tuple[str, str], tmp_path: Path
) -> None:
    base, run_id = cases_server
    sign_in(page, base, "b-county", "/screening")
    page.click(f"a[href='/screening/runs/{run_id}']")
    page.goto(f"{base}/screening/runs/{run_id}?village={VILLAGE}")
    page.check("input[data-household=H000004]")
    page.fill("#clue-cases input[name=received_on]", day(-10))
    page.get_by_test_id("create-cases").click()
    created = page.get_by_test_id("created")
    expect(created).to_contain_text("1 opened")
    created.locator("a").first.click()
    expect(page.get_by_test_id("case-state")).to_have_text("clue received")
    case_url = page.url

    # County: accept the clue. The step swaps the case in place, no page load.
    page.evaluate("window.__same_page = true")
    take_step(page, "accept", day(-10), comment="县级受理")
    expect(page.get_by_test_id("case-state")).to_have_text("home visit")
    assert page.evaluate("window.__same_page") is True
    sign_out(page)

    # Township: the visit (with the signed authorisation as a PDF), then the village steps.
    sign_in(page, base, "b-township", case_url.removeprefix(base))
    visit = page.get_by_test_id("step-record_visit")
    expect(visit.get_by_test_id("visit-known")).to_contain_text("18857287967")
    visit.locator("input[name=authorisation_signed]").check()
    authorisation = tmp_path / "authorisation.pdf"
    authorisation.write_bytes(PDF)
    visit.locator("input[name=files]").set_input_files(str(authorisation))
    take_step(page, "record_visit", day(-9))
    expect(page.get_by_test_id("attachment")).to_have_count(1)
    for action, on in (
        ("record_cross_check", -8),
        ("record_appraisal", -7),
        ("start_publicity", -6),
        ("close_publicity", -1),
        ("review", 0),
    ):
        take_step(page, action, day(on))
    expect(page.get_by_test_id("case-state")).to_have_text("county approval")
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li")).to_have_count(8)
    sign_out(page)

    # County: approve with the category of the clue preselected and a cause chosen.
    sign_in(page, base, "b-county", case_url.removeprefix(base))
    approve = page.get_by_test_id("step-approve")
    expect(approve.locator("select[name=category]")).to_have_value("sudden_difficulty")
    approve.locator("input[name=causes][value='04']").check()
    take_step(page, "approve", day(0), comment="同意纳入")
    expect(page.get_by_test_id("case-state")).to_have_text("monitoring object")
    expect(page.get_by_test_id("elimination")).to_be_visible()

    # The plan: a measure, added in place.
    add = page.get_by_test_id("add-measure")
    add.locator("summary").click()
    add.locator("select[name=measure]").select_option("employment:public_welfare_post")
    add.locator("input[name=responsible_unit]").fill("县人社局")
    add.locator("button[type=submit]").click()
    expect(page.get_by_test_id("measures")).to_contain_text("县人社局")
    assert page.evaluate("window.__same_page") is None  # signed in again: a new page
    shot(page, "case-page-desktop")
    page.goto(f"{base}/cases?state=all")
    expect(page.get_by_test_id("cases")).to_contain_text("H000004")
    shot(page, "worklist-desktop")
    assert [e for e in page.console_errors if "favicon" not in e] == []


def test_open_and_accept_a_case_on_a_phone(browser: Browser, cases_server: tuple[str, str]) -> None:
    base, _ = cases_server
    context = browser.new_context(
        locale="en-US", viewport={"width": 360, "height": 740}, device_scale_factor=2,
        is_mobile=True, has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    try:
        sign_in(page, base, "b-township", "/households/H000010")
        panel = page.get_by_test_id("case-panel")
        panel.locator("summary").click()
        panel.locator("select[name=source]").select_option("declaration_hotline")
        panel.locator("input[name=causes][value='07']").check()
        panel.locator("textarea[name=note]").fill("热线申报：务工返乡")
        panel.locator("button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/cases/\d+$"))
        expect(page.get_by_test_id("step-accept")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        form = page.get_by_test_id("step-accept")
        box = form.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
        shot(page, "case-page-360")
        take_step(page, "accept", day(0), comment="受理")
        expect(page.get_by_test_id("case-state")).to_have_text("home visit")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.goto(f"{base}/cases")
        expect(page.get_by_test_id("cases")).to_contain_text("H000010")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shot(page, "worklist-360")
    finally:
        context.close()
