"""Cases through the API (SPEC §14): from a screening clue to the first procedure steps."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from povguard.config import Settings
from povguard.ingest.service import import_dataset
from tests.conftest import EXAMPLES
from tests.web import factories

DATASET = EXAMPLES / "screening-yunnan-2024"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_clue_becomes_a_case_and_walks_the_first_steps(
    client: TestClient, settings: Settings, token_for: Callable[[str, str], str]
) -> None:
    import_dataset(DATASET, lake=settings.lake, database_url=settings.database_url)
    county = _auth(token_for("county", factories.COUNTY_A))
    run_id = client.post("/api/v1/screening/runs", json={"as_of": "2024-07-15",
                         "region": factories.COUNTY_A}, headers=county).json()["run_id"]  # fmt: skip
    clue = client.get(f"/api/v1/screening/runs/{run_id}/clues?rule=R01&size=1",
                      headers=county).json()["items"][0]  # fmt: skip
    opened = client.post("/api/v1/cases", headers=county, json={
        "household_id": clue["household_id"], "source": "screening", "clue_id": clue["clue_id"],
        "causes": ["04"]})  # fmt: skip
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["state"] == "clue" and case["rules"] == clue["rules"]
    assert "accept" in case["allowed_actions"]
    again = client.post("/api/v1/cases", headers=county, json={
        "household_id": clue["household_id"], "source": "cadre_visit"})  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == case["id"]
    url = f"/api/v1/cases/{case['id']}"
    version = client.get(url, headers=county).json()["version"]
    accepted = client.post(f"{url}/transitions", headers=county,
                           json={"action": "accept", "version": version})  # fmt: skip
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "home_visit" and accepted.json()["version"] > version
    stale = client.post(f"{url}/transitions", headers=county,
                        json={"action": "record_visit", "version": version,
                              "authorisation_signed": True})  # fmt: skip
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    illegal = client.post(f"{url}/transitions", headers=county,
                          json={"action": "approve", "version": accepted.json()["version"]})  # fmt: skip
    assert illegal.status_code == 409
    measure = client.post(f"{url}/measures", headers=county, json={
        "group": "employment", "type": "public_welfare_post", "responsible_unit": "人社局",
        "start": "2024-08-01"})  # fmt: skip
    assert measure.status_code == 409  # not yet a monitoring object, not a green channel
    listed = client.get(f"/api/v1/cases?region={factories.COUNTY_A}", headers=county).json()
    assert [c["id"] for c in listed] == [case["id"]]
    summary = client.get(f"/api/v1/regions/{factories.COUNTY_A}/summary", headers=county).json()
    assert summary["open_cases"] == 1 and summary["clues"] > 0
    assert summary["latest_run"] == run_id
    other = _auth(token_for("county", factories.COUNTY_C))
    assert client.get(url, headers=other).status_code == 404
    assert (
        client.get(f"/api/v1/regions/{factories.COUNTY_A}/summary", headers=other).status_code
        == 404
    )
    # A well-formed code the region registry does not hold is not found, even for an admin.
    admin = _auth(token_for("admin", factories.COUNTY_A))
    unknown = client.get("/api/v1/regions/539999000000/summary", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_case_input_errors_are_4xx_with_the_error_body(
    client: TestClient, token_for: Callable[[str, str], str]
) -> None:
    county = _auth(token_for("county", factories.COUNTY_A))
    unknown = client.post("/api/v1/cases", headers=county,
                          json={"household_id": "NOPE", "source": "screening"})  # fmt: skip
    assert unknown.status_code == 404 and "error" in unknown.json()
    bad = client.post("/api/v1/cases", headers=county,
                      json={"household_id": "H1", "source": "fax"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["field"]
    assert client.get("/api/v1/cases/999999", headers=county).status_code == 404
    assert client.get("/api/v1/cases").status_code == 401


def test_attachments_are_kept_by_content_and_checked_on_each_step(
    client: TestClient, settings: Settings, token_for: Callable[[str, str], str]
) -> None:
    import_dataset(DATASET, lake=settings.lake, database_url=settings.database_url)
    county = _auth(token_for("county", factories.COUNTY_A))
    pdf = b"%PDF-1.4\n% signed authorisation\n"
    uploaded = client.post("/api/v1/attachments", headers=county,
                           files={"file": ("authorisation.pdf", pdf, "application/pdf")})  # fmt: skip
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert body["type"] == "application/pdf" and body["size"] == len(pdf)
    again = client.post("/api/v1/attachments", headers=county,
                        files={"file": ("copy.pdf", pdf, "application/pdf")})  # fmt: skip
    assert again.json()["id"] == body["id"]
    script = client.post("/api/v1/attachments", headers=county,
                         files={"file": ("evil.pdf", b"<script>", "application/pdf")})  # fmt: skip
    assert script.status_code == 400 and script.json()["error"]["field"] == "file"
    empty = client.post("/api/v1/attachments", headers=county,
                        files={"file": ("empty.png", b"", "image/png")})  # fmt: skip
    assert empty.status_code == 400
    case = client.post("/api/v1/cases", headers=county,
                       json={"household_id": "H000001", "source": "cadre_visit"}).json()  # fmt: skip
    url = f"/api/v1/cases/{case['id']}/transitions"
    unknown = client.post(url, headers=county, json={"action": "accept", "version": case["version"],
                          "attachments": ["f" * 64]})  # fmt: skip
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "attachments"
    accepted = client.post(url, headers=county, json={"action": "accept", "version": case["version"],
                           "attachments": [body["id"]]})  # fmt: skip
    assert accepted.status_code == 200
    assert accepted.json()["steps"][-1]["attachments"] == [body["id"]]
    auditor = _auth(token_for("auditor", factories.COUNTY_A))
    refused = client.post("/api/v1/attachments", headers=auditor,
                          files={"file": ("a.pdf", pdf, "application/pdf")})  # fmt: skip
    assert refused.status_code == 403
