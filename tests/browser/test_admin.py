"""In a real browser: an admin adds a user, the user signs in, the audit log shows it; 360 px."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.web import factories

NEW_USER = "browser.cadre"
NEW_PASSWORD = "village password 1"


def sign_in(page: Page, base: str, username: str, password: str = factories.PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")


def sign_out(page: Page) -> None:
    page.click("form.logout button")
    expect(page.locator("h1")).to_have_text("Sign in")


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}.png"), full_page=True)


def test_admin_adds_a_user_who_signs_in_and_the_audit_log_shows_it(
    page: Page, live_server: str
) -> None:
    sign_in(page, live_server, "admin")
    page.click("nav.mainnav >> text=Admin")
    expect(page).to_have_url(f"{live_server}/admin/users")
    form = page.get_by_test_id("add-user")
    form.locator("[name=username]").fill(NEW_USER)
    form.locator("[name=password]").fill(NEW_PASSWORD)
    form.locator("[name=role]").select_option("cadre")
    form.locator("[name=region_code]").fill(factories.VILLAGE_A1)
    form.locator("button.primary").click()
    expect(page.locator("h1")).to_have_text(NEW_USER)
    expect(page.locator(".notice")).to_contain_text("The user was created.")
    expect(page.get_by_test_id("audit-entries")).to_contain_text("create")
    shoot(page, "user")
    page.goto(f"{live_server}/admin/users")
    expect(page.get_by_test_id("users")).to_contain_text(NEW_USER)
    shoot(page, "users")
    sign_out(page)

    sign_in(page, live_server, NEW_USER, NEW_PASSWORD)
    expect(page.get_by_test_id("user")).to_have_text(NEW_USER)
    expect(page.locator("nav.mainnav")).not_to_contain_text("Admin")
    sign_out(page)

    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/audit")
    expect(page.get_by_test_id("audit-entries")).to_contain_text(NEW_USER)
    page.fill("[name=action]", "create")
    page.press("[name=action]", "Enter")
    expect(page).to_have_url(re.compile(r"/admin/audit\?.*action=create"))
    expect(page.get_by_test_id("total")).to_contain_text("1 entry")
    shoot(page, "audit")
    page.goto(f"{live_server}/admin/policy?province=530000000000&year=2024")
    expect(page.get_by_test_id("policy")).to_contain_text("monitoring_line")
    shoot(page, "policy")
    page.goto(f"{live_server}/admin/audit")
    page.click("button[value=zh]")
    expect(page.locator("h1")).to_have_text("系统管理")
    expect(page.locator("nav.admin-tabs")).to_contain_text("审计日志")
    shoot(page, "audit-zh")
    page.click("button[value=en]")
    assert page.console_errors == []


def test_admin_pages_at_phone_width(browser: Browser, live_server: str) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, live_server, "admin")
        for name, path in [
            ("users-360", "/admin/users"),
            ("audit-360", "/admin/audit"),
            ("policy-360", "/admin/policy?province=530000000000&year=2024"),
            ("user-360", "/admin/users/1"),
            ("password-360", "/account/password"),
        ]:
            page.goto(f"{live_server}{path}")
            expect(page.locator("h1")).to_be_visible()
            # Nothing wider than the screen: tables scroll inside their own box.
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (path, width)
            shoot(page, name)
    finally:
        context.close()
