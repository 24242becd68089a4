"""Screening pages: start a run from the form, follow it, read counts and filtered clues."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from povguard.config import Settings
from tests.conftest import EXAMPLES
from tests.screening.lake_util import dataset_to_lake
from tests.web import factories
from tests.web.conftest import csrf_token

DATASET = EXAMPLES / "screening-yunnan-2024"


def test_county_officer_starts_a_run_and_reads_the_clues(
    settings: Settings, page_client_for: Callable[[str, str], TestClient]
) -> None:
    dataset_to_lake(DATASET, settings.lake)
    officer = page_client_for("county", factories.COUNTY_A)
    page = officer.get("/screening")
    assert page.status_code == 200 and 'data-testid="start-run"' in page.text
    assert 'value="530129000000"' in page.text
    started = officer.post(
        "/screening/runs",
        data={"as_of": "2024-07-15", "region": factories.COUNTY_A,
              "csrf_token": csrf_token(officer)},
        follow_redirects=False,
    )  # fmt: skip
    assert started.status_code == 303
    run_url = started.headers["location"]
    run_page = officer.get(run_url)
    assert run_page.status_code == 200
    assert 'data-testid="run-state">' in run_page.text and 'data-testid="clues"' in run_page.text
    assert "R12" in run_page.text
    only_r12 = officer.get(f"{run_url}?rule=R12", headers={"HX-Target": "clues"})
    assert only_r12.status_code == 200 and "<html" not in only_r12.text
    rows = only_r12.text.count("<tr>") - 1
    assert rows > 0 and only_r12.text.count("R12") >= rows
    # The progress poll of a finished run asks the browser to reload the page.
    poll = officer.get(run_url, headers={"HX-Target": "run-status", "HX-Request": "true"})
    assert poll.status_code == 204 and poll.headers["HX-Refresh"] == "true"
    assert officer.get("/screening").text.count("/screening/runs/") >= 1


def test_township_user_sees_runs_but_cannot_start_one(
    settings: Settings, page_client_for: Callable[[str, str], TestClient]
) -> None:
    township = page_client_for("township", factories.TOWNSHIP_A)
    page = township.get("/screening")
    assert page.status_code == 200 and 'data-testid="start-run"' not in page.text
    refused = township.post(
        "/screening/runs",
        data={"as_of": "2024-07-15", "region": factories.TOWNSHIP_A,
              "csrf_token": csrf_token(township)},
        follow_redirects=False,
    )  # fmt: skip
    assert refused.status_code == 403
    forged = township.post(
        "/screening/runs", data={"as_of": "2024-07-15", "region": factories.TOWNSHIP_A},
        follow_redirects=False,
    )  # fmt: skip
    assert forged.status_code == 403


def test_dashboard_shows_the_region_and_its_children(
    settings: Settings, page_client_for: Callable[[str, str], TestClient]
) -> None:
    dataset_to_lake(DATASET, settings.lake)
    officer = page_client_for("county", factories.COUNTY_A)
    officer.post("/screening/runs", data={"as_of": "2024-07-15", "region": factories.COUNTY_A,
                 "csrf_token": csrf_token(officer)})  # fmt: skip
    page = officer.get("/dashboard")
    assert page.status_code == 200
    assert 'data-testid="chart-rules"' in page.text and "/static/dashboard.js" in page.text
    months = re.search(r"data-testid=\"chart-months\" data-chart='([^']*)'", page.text)
    assert months is not None
    chart = json.loads(html.unescape(months.group(1)))
    assert [s["name"] for s in chart["series"]] == ["新识别", "风险消除"]
    assert len(chart["labels"]) == len(chart["series"][0]["values"]) >= 1
    assert "尚无监测对象。" in page.text  # no monitoring object yet: the object charts say so
    assert f"/dashboard?region={factories.TOWNSHIP_A}" in page.text
    drill = officer.get(f"/dashboard?region={factories.TOWNSHIP_A}")
    assert drill.status_code == 200
    outside = officer.get(f"/dashboard?region={factories.COUNTY_C}")
    assert outside.status_code == 404
