"""In a real browser: sign in, search live, open a profile, switch language, phone width."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web import factories


def sign_in(page: Page, base: str, username: str = "admin") -> None:
    page.goto(f"{base}/households")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fhouseholds$"))
    page.fill("#username", username)
    page.fill("#password", factories.PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{base}/households")


def test_sign_in_search_profile_and_language(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    expect(page.get_by_test_id("user")).to_have_text("admin")
    expect(page.get_by_test_id("total")).to_contain_text("34 households")
    # Live search: typing swaps the results without a page load.
    page.evaluate("window.__same_page = true")
    page.fill("#q", "王芳")
    expect(page.get_by_test_id("total")).to_have_text("1 household")
    expect(page).to_have_url(re.compile(r"/households\?q=%E7%8E%8B%E8%8A%B3(&region=)?$"))
    assert page.evaluate("window.__same_page") is True
    page.click("text=H000002")
    expect(page.locator("h1")).to_contain_text("H000002")
    expect(page.locator("table.members tbody tr")).to_have_count(2)
    expect(page.get_by_test_id("phone")).to_have_text("13890120002")
    # Switch to Chinese: the same page, translated, and it sticks.
    page.click("button[value=zh]")
    expect(page).to_have_url(f"{live_server}/households/H000002")
    expect(page.locator("h2").first).to_have_text("家庭成员")
    page.goto(f"{live_server}/households")
    expect(page.locator("h1")).to_have_text("农户")
    page.click("button[value=en]")
    expect(page.locator("h1")).to_have_text("Households")
    assert page.console_errors == []


def test_paging_with_htmx(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    expect(page.get_by_test_id("total")).to_contain_text("page 1 of 2")
    page.click("a[rel=next]")
    expect(page.get_by_test_id("total")).to_contain_text("page 2 of 2")
    expect(page).to_have_url(f"{live_server}/households?page=2")
    expect(page.locator("table.list tbody tr")).to_have_count(14)
    assert page.console_errors == []


def test_out_of_scope_profile_is_not_found(page: Page, live_server: str) -> None:
    sign_in(page, live_server, "browser-township")
    expect(page.get_by_test_id("total")).to_contain_text("1 household")
    response = page.goto(f"{live_server}/households/H000001")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    page.goto(f"{live_server}/households/H000003")
    # A township officer sees personal data; the header names the township.
    expect(page.locator(".who .region")).to_have_text("羊街镇")


def test_profile_on_a_phone(browser, live_server: str) -> None:  # noqa: ANN001
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        sign_in_phone(page, live_server)
        page.goto(f"{live_server}/households/H000001")
        expect(page.locator("h2").first).to_have_text("家庭成员")
        # Nothing but the members table (which scrolls inside its box) is wider than the screen.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        box = page.locator(".table-wrap").bounding_box()
        assert box is not None and box["width"] <= 360
    finally:
        context.close()


def sign_in_phone(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "admin")
    page.fill("#password", factories.PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{base}/dashboard")


def test_region_filter_narrows_the_results(page: Page, live_server: str) -> None:
    sign_in(page, live_server)
    page.select_option("#region", factories.CITY)
    expect(page.get_by_test_id("total")).to_contain_text("34 households")
    page.goto(f"{live_server}/households")
    page.fill("#q", "H00000")
    expect(page.get_by_test_id("total")).to_have_text("4 households")
    page.select_option("#region", factories.PROVINCE)
    expect(page).to_have_url(re.compile(r"region=530000000000"))
    expect(page.get_by_test_id("total")).to_have_text("4 households")
    assert page.console_errors == []


def test_dashboard_chart_is_painted(page: Page, live_server: str) -> None:
    sign_in_phone(page, live_server)
    canvas = page.locator("#chart-rules canvas")
    expect(canvas).to_have_count(1)
    expect(page.locator("[data-testid=chart-months] canvas")).to_have_count(1)
    painted = page.evaluate(
        """() => { const c = document.querySelector('#chart-rules canvas');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) return true; }
                   return false; }"""
    )
    assert painted
