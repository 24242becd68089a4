"""In a real browser: upload a dataset zip, read the validation report, confirm the import."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from povguard.config import Settings
from povguard.core.db import dispose_engines
from povguard.web.app import create_app
from tests.browser.conftest import ARTIFACTS, free_port
from tests.web import factories
from tests.web.imports_util import dataset_files, zipped


@pytest.fixture(scope="module")
def import_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own: importing changes the registry the other browser tests count."""
    folder = tmp_path_factory.mktemp("imports")
    url = f"sqlite:///{folder / 'povguard.sqlite3'}"
    factories.seed_all(url)
    settings = Settings(database_url=url, lake=folder / "lake", secret_key="browser-secret")
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1",
                                           port=free_port(), log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=10)
    dispose_engines()


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/imports")
    page.fill("#username", "admin")
    page.fill("#password", factories.PASSWORD)
    page.click("button.primary")
    expect(page).to_have_url(f"{base}/imports")


def upload(page: Page, name: str, body: bytes) -> None:
    page.set_input_files("input[name=file]",
                         {"name": name, "mimeType": "application/zip", "buffer": body})  # fmt: skip
    page.click("[data-testid=upload] button.primary")
    expect(page).to_have_url(re.compile(r"/imports/[0-9a-f]{32}$"))


def screenshots(page: Page, name: str) -> None:
    """Desktop and phone-width screenshots in test-artifacts/ (to look at the page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1200, "height": 800})
    assert width <= 360, f"{name} is {width} px wide at 360 px"


def test_upload_read_the_report_and_confirm(page: Page, import_server: str) -> None:
    sign_in(page, import_server)
    expect(page.get_by_role("link", name="Imports")).to_be_visible()
    upload(page, "bad.zip", zipped(dataset_files(bad_date=True)))
    expect(page.get_by_test_id("batch-status")).to_have_text("failed", timeout=15_000)
    expect(page.get_by_test_id("bad-rows")).to_contain_text("not a real date")
    expect(page.get_by_test_id("errors-csv")).to_be_visible()
    screenshots(page, "imports-report-bad")

    page.goto(f"{import_server}/imports")
    upload(page, "monthly.zip", zipped(dataset_files()))
    expect(page.get_by_test_id("batch-status")).to_have_text("validated", timeout=15_000)
    expect(page.get_by_test_id("files")).to_contain_text("feeds/medical")
    screenshots(page, "imports-report-good")
    page.click("[data-testid=confirm] button")
    expect(page.get_by_test_id("batch-status")).to_have_text("imported", timeout=15_000)
    expect(page.get_by_test_id("confirm")).to_have_count(0)

    page.goto(f"{import_server}/imports")
    expect(page.locator("[data-testid=batches] tbody tr")).to_have_count(2)
    screenshots(page, "imports-list")
    page.goto(f"{import_server}/households/H900001")
    expect(page.locator("h1")).to_contain_text("H900001")
    assert page.console_errors == []  # type: ignore[attr-defined]
