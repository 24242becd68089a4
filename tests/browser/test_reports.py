"""In a real browser: request a monthly PDF on the Reports page, watch it finish, download it;
the page also works at phone width."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web import factories

SHOTS = os.environ.get("POVGUARD_SCREENSHOTS")  # a folder: keep screenshots to look at


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login?next=%2Freports")
    page.fill("#username", "admin")
    page.fill("#password", factories.PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{base}/reports")


def test_request_wait_and_download(page: Page, live_server: str, tmp_path: Path) -> None:
    sign_in(page, live_server)
    expect(page.locator("nav a.active")).to_have_text("Reports")
    page.select_option("select[name=kind]", "monthly")
    page.fill("input[name=region]", factories.COUNTY_A)
    page.fill("input[name=month]", "2024-06")
    page.click("form[data-testid=request-report] button.primary")
    expect(page).to_have_url(f"{live_server}/reports")
    link = page.get_by_test_id("download").first
    expect(link).to_be_visible(timeout=30_000)  # HTMX polls the list until the job is done
    expect(page.get_by_test_id("report-state").first).to_have_text("done")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"monthly-{factories.COUNTY_A}-2024-06.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "reports-desktop.png"), full_page=True)
        page.goto(f"{live_server}/dashboard?region={factories.COUNTY_A}")
        expect(page.get_by_test_id("kpis")).to_be_visible()
        page.screenshot(path=str(Path(SHOTS) / "dashboard-desktop.png"), full_page=True)
    assert page.console_errors == []


def test_reports_page_on_a_phone(browser, live_server: str) -> None:  # noqa: ANN001
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 360, "height": 740}, device_scale_factor=2,
        is_mobile=True, has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    try:
        sign_in(page, live_server)
        expect(page.locator("h1")).to_have_text("报表")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / "reports-phone.png"), full_page=True)
            page.goto(f"{live_server}/dashboard")
            page.screenshot(path=str(Path(SHOTS) / "dashboard-phone.png"), full_page=True)
    finally:
        context.close()
