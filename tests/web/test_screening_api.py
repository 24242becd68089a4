"""Screening runs through the API: 202 + background job, state, clues, scope and bad input."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from povguard.config import Settings
from povguard.households.schemas import MASKED
from tests.conftest import EXAMPLES
from tests.screening.lake_util import dataset_to_lake
from tests.web import factories

DATASET = EXAMPLES / "screening-yunnan-2024"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_county_officer_runs_screening_and_reads_its_clues(
    client: TestClient, settings: Settings, token_for: Callable[[str, str], str]
) -> None:
    dataset_to_lake(DATASET, settings.lake)
    county = _auth(token_for("county", factories.COUNTY_A))
    started = client.post(
        "/api/v1/screening/runs", json={"as_of": "2024-07-15", "region": factories.COUNTY_A},
        headers=county,
    )  # fmt: skip
    assert started.status_code == 202, started.text
    run_id = started.json()["run_id"]
    # TestClient runs background tasks before returning: the run is finished.
    run = client.get(f"/api/v1/screening/runs/{run_id}", headers=county).json()
    assert run["state"] == "done" and run["progress"] == 1.0
    assert run["counts"]["clues"] == run["clue_count"] > 0
    clues = client.get(
        f"/api/v1/screening/runs/{run_id}/clues", params={"size": 5, "rule": "R12"}, headers=county
    ).json()
    assert clues["total"] == run["counts"]["R12"]
    first = clues["items"][0]
    assert first["clue_id"] == f"{run_id}:{first['household_id']}"
    assert "R12" in first["rules"].split(";") and "R12" in first["evidence"]
    # A township officer of the county sees the run, limited to the township's clues.
    township = _auth(token_for("township", factories.TOWNSHIP_A))
    page = client.get(f"/api/v1/screening/runs/{run_id}/clues?size=1000", headers=township)
    assert page.status_code == 200
    assert all(c["village_code"].startswith("530129001") for c in page.json()["items"])
    assert page.json()["total"] < run["clue_count"]
    # An analyst sees which rules fired, not the records and amounts behind them.
    analyst = _auth(token_for("analyst", factories.COUNTY_A))
    seen = client.get(
        f"/api/v1/screening/runs/{run_id}/clues", params={"size": 5, "rule": "R12"}, headers=analyst
    )
    assert seen.status_code == 200, seen.text
    masked = seen.json()["items"][0]
    assert masked["evidence"] == dict.fromkeys(first["evidence"], MASKED)
    assert {**masked, "evidence": first["evidence"]} == first


def test_scope_roles_and_bad_input(
    client: TestClient, settings: Settings, token_for: Callable[[str, str], str]
) -> None:
    dataset_to_lake(DATASET, settings.lake)
    county = _auth(token_for("county", factories.COUNTY_A))
    other = _auth(token_for("county", factories.COUNTY_C))
    run_id = client.post(
        "/api/v1/screening/runs", json={"as_of": "2024-07-15", "region": factories.COUNTY_A},
        headers=county,
    ).json()["run_id"]  # fmt: skip
    assert client.get(f"/api/v1/screening/runs/{run_id}", headers=other).status_code == 404
    assert client.get("/api/v1/screening/runs", headers=other).json() == []
    township = _auth(token_for("township", factories.TOWNSHIP_A))
    refused = client.post(
        "/api/v1/screening/runs", json={"as_of": "2024-07-15", "region": factories.TOWNSHIP_A},
        headers=township,
    )  # fmt: skip
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    outside = client.post(
        "/api/v1/screening/runs", json={"as_of": "2024-07-15", "region": factories.COUNTY_C},
        headers=county,
    )  # fmt: skip
    assert outside.status_code == 404
    bad = client.post(
        "/api/v1/screening/runs", json={"as_of": "2024-13-01", "region": factories.COUNTY_A},
        headers=county,
    )  # fmt: skip
    assert bad.status_code == 422 and "error" in bad.json()
    assert client.get("/api/v1/screening/runs").status_code == 401
    no_policy = client.post(
        "/api/v1/screening/runs", json={"as_of": "2030-01-01", "region": factories.COUNTY_A},
        headers=county,
    ).json()["run_id"]  # fmt: skip
    failed = client.get(f"/api/v1/screening/runs/{no_policy}", headers=county).json()
    assert failed["state"] == "failed" and "no policy" in failed["error"]
    unfinished = client.get(f"/api/v1/screening/runs/{no_policy}/clues", headers=county)
    assert unfinished.status_code == 400
