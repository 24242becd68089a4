"""The region filter of every list (households, cases, a run's clues; API and pages): a code
the region registry does not hold and a code outside the caller's scope get the same 404 (the
KPIs, summary and reports answer so too), a malformed code a 400, a region in scope its rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from povguard.config import Settings
from povguard.core.uow import unit_of_work
from tests.web import factories
from tests.web.test_api import assert_error, bearer

UNKNOWN = "530129009000"  # a township code of county A that the registry does not hold
OUTSIDE = factories.COUNTY_C  # a county of the registry, outside county A


@pytest.fixture
def run_id(settings: Settings, seeded: dict[str, factories.SeededHousehold]) -> str:
    with unit_of_work(settings.database_url) as session:
        households = [seeded[h] for h in ("H000001", "H000003", "H000004")]
        return factories.seed_screening_run(session, settings.lake, factories.CITY, households)


def api_lists(run_id: str) -> dict[str, tuple[str, str]]:
    """List path → (the region parameter, the rows' key)."""
    return {
        "/api/v1/households": ("region", "household_id"),
        "/api/v1/cases": ("region", "id"),
        f"/api/v1/screening/runs/{run_id}/clues": ("village", "household_id"),
    }


def test_api_lists_refuse_unknown_and_outside_regions_alike(
    client: TestClient, token_for: Callable[[str, str], str], run_id: str
) -> None:
    county = bearer(token_for("county", factories.COUNTY_A))
    for path, (name, _key) in api_lists(run_id).items():
        inside = client.get(path, params={name: factories.VILLAGE_A1}, headers=county)
        assert inside.status_code == 200, (path, inside.text)
        for region in (UNKNOWN, OUTSIDE):
            refused = client.get(path, params={name: region}, headers=county)
            assert_error(refused, 404, "not_found")
            assert refused.json()["error"]["message"] == f"region {region} not found"
    clues = client.get(f"/api/v1/screening/runs/{run_id}/clues",
                       params={"village": factories.VILLAGE_A1}, headers=county)  # fmt: skip
    assert [c["household_id"] for c in clues.json()["items"]] == ["H000001"]


def test_api_clue_filter_names_the_field_of_a_malformed_code(
    client: TestClient, token_for: Callable[[str, str], str], run_id: str
) -> None:
    county = bearer(token_for("county", factories.COUNTY_A))
    malformed = client.get(f"/api/v1/screening/runs/{run_id}/clues",
                           params={"village": "530100000001"}, headers=county)  # fmt: skip
    assert_error(malformed, 400, "bad_input", "village")


@pytest.mark.parametrize(
    ("path", "name"),
    [("/households", "region"), ("/cases", "village"), ("/screening/runs/{run}", "village")],
)
def test_pages_refuse_unknown_and_outside_regions_alike(
    page_client_for: Callable[[str, str], TestClient], run_id: str, path: str, name: str
) -> None:
    county = page_client_for("county", factories.COUNTY_A)
    county.cookies.set("povguard_lang", "en")
    url = path.format(run=run_id)
    assert county.get(url, params={name: factories.VILLAGE_A1}).status_code == 200
    for region in (UNKNOWN, OUTSIDE):
        page = county.get(url, params={name: region})
        assert page.status_code == 404, page.text
        assert page.headers["content-type"].startswith("text/html")
        assert f"region {region} not found" in page.text
    assert county.get(url, params={name: "530100000001"}).status_code == 400
