"""Region scoping and masking for every role, through the API and through the pages.

A user of one township (or village, or county) never reads a household or member record of
another one: the list leaves it out and the profile answers 404 exactly like an unknown id.
Audit rows follow the same subtrees (for the roles that may read them); users are admin-only.
Cases, measures, screening runs, clues and reports: test_access_matrix_records.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from povguard.audit import service as audit_service
from povguard.auth.principal import SYSTEM
from povguard.core.db import engine_for
from povguard.households.idnumber import mask
from tests.web import factories
from tests.web.test_api import assert_error, bearer

ALL = ["H000001", "H000002", "H000003", "H000004"]
# role, region of the user, households inside its scope
MATRIX = [
    ("cadre", factories.VILLAGE_A1, ["H000001"]),
    ("township", factories.TOWNSHIP_A, ["H000001", "H000002"]),
    ("township", factories.TOWNSHIP_B, ["H000003"]),
    ("county", factories.COUNTY_A, ["H000001", "H000002", "H000003"]),
    ("county", factories.COUNTY_C, ["H000004"]),
    ("analyst", factories.TOWNSHIP_A, ["H000001", "H000002"]),
    ("analyst", factories.CITY, ALL),
    ("clerk", factories.TOWNSHIP_B, ["H000003"]),
    ("auditor", factories.TOWNSHIP_A, ["H000001", "H000002"]),
    ("admin", "000000000000", ALL),
]
MASKED_ROLES = {"analyst", "clerk", "auditor"}
IDS = [f"{role}-{region}" for role, region, _ in MATRIX]


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_api_scope(
    client: TestClient,
    seeded: dict,
    token_for: Callable,
    role: str,
    region: str,
    visible: list[str],
) -> None:
    headers = bearer(token_for(role, region))
    listed = client.get("/api/v1/households?size=100", headers=headers).json()
    assert [item["household_id"] for item in listed["items"]] == visible
    assert listed["total"] == len(visible)
    unknown = client.get("/api/v1/households/H999999", headers=headers).json()
    for household_id in ALL:
        response = client.get(f"/api/v1/households/{household_id}", headers=headers)
        if household_id in visible:
            assert response.status_code == 200
            continue
        # Outside the scope looks exactly like a record that does not exist (but for the id).
        assert_error(response, 404, "not_found")
        assert response.json()["error"]["message"] == unknown["error"]["message"].replace(
            "H999999", household_id
        )
        # Nor can its members be found by name or by ID number, nor its region be listed.
        household = seeded[household_id]
        for q in (household.member_names[1], household.member_ids[1], household_id):
            found = client.get("/api/v1/households", params={"q": q}, headers=headers).json()
            assert found == {"items": [], "total": 0, "page": 1, "size": 20}
        if role != "admin":
            outside = client.get(
                "/api/v1/households", params={"region": household.village_code}, headers=headers
            )
            assert_error(outside, 404, "not_found")


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_api_masking(
    client: TestClient,
    seeded: dict,
    token_for: Callable,
    role: str,
    region: str,
    visible: list[str],
) -> None:
    headers = bearer(token_for(role, region))
    household = seeded[visible[0]]
    profile = client.get(f"/api/v1/households/{household.household_id}", headers=headers).json()
    listed = client.get("/api/v1/households", headers=headers).json()["items"][0]
    if role in MASKED_ROLES:
        assert profile["masked"] is True
        assert profile["head_id_number"] == mask(household.head_id)
        assert listed["head_id_number"] == mask(household.head_id)
        assert profile["phone"].startswith("*******") and profile["phone"][-4:].isdigit()
        assert len(profile["phone"]) == 11
        for member, id_number in zip(profile["members"], household.member_ids, strict=True):
            assert member["id_number"] == mask(id_number)
            assert member["health"] == "—"
            assert member["birth_date"] is None  # it would unmask the ID number's birth date
            assert member["age"] > 0
        # A masked role may not look a household up by a full ID number.
        found = client.get(
            "/api/v1/households", params={"q": household.member_ids[0]}, headers=headers
        )
        assert found.json()["total"] == 0
    else:
        assert profile["masked"] is False
        assert profile["head_id_number"] == household.head_id
        assert listed["head_id_number"] == household.head_id
        assert [m["id_number"] for m in profile["members"]] == list(household.member_ids)
        assert {m["health"] for m in profile["members"]} <= {"healthy", "chronic"}
        found = client.get(
            "/api/v1/households", params={"q": household.member_ids[0]}, headers=headers
        )
        assert [item["household_id"] for item in found.json()["items"]] == [visible[0]]


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_page_scope_and_masking(
    page_client_for: Callable,
    seeded: dict,
    role: str,
    region: str,
    visible: list[str],
) -> None:
    client = page_client_for(role, region)
    listing = client.get("/households").text
    for household_id in ALL:
        profile = client.get(f"/households/{household_id}")
        household = seeded[household_id]
        if household_id in visible:
            assert f'href="/households/{household_id}"' in listing
            assert profile.status_code == 200
            shown_id = mask(household.head_id) if role in MASKED_ROLES else household.head_id
            assert shown_id in profile.text
            assert (household.member_ids[1] in profile.text) is (role not in MASKED_ROLES)
        else:
            assert f'href="/households/{household_id}"' not in listing
            assert profile.status_code == 404
            assert household.head_name not in profile.text
            assert household.member_names[1] not in profile.text
            search = client.get("/households", params={"q": household.member_names[1]})
            assert f'href="/households/{household_id}"' not in search.text


@pytest.fixture
def audited(database_url: str, seeded: dict) -> None:
    """One audit row per seeded household, carrying its village as region."""
    with Session(engine_for(database_url)) as session:
        for household in seeded.values():
            audit_service.record(
                session, actor=SYSTEM, action="update", entity="household",
                entity_id=household.household_id, before={"phone": "old"},
                after={"phone": "new"}, region_code=household.village_code,
            )  # fmt: skip
        session.commit()


@pytest.mark.parametrize(("role", "region", "visible"), MATRIX, ids=IDS)
def test_audit_entries_and_users_by_role(
    client: TestClient,
    page_client_for: Callable,
    token_for: Callable,
    audited: None,
    role: str,
    region: str,
    visible: list[str],
) -> None:
    headers = bearer(token_for(role, region))
    page = page_client_for(role, region)
    response = client.get("/api/v1/audit", params={"entity": "household"}, headers=headers)
    audit_page = page.get("/admin/audit", params={"entity": "household"})
    if role in ("auditor", "admin"):
        # Auditors read the audit rows of their subtree only; admins read them all.
        assert sorted(row["entity_id"] for row in response.json()["items"]) == visible
        assert audit_page.status_code == 200
        for household_id in ALL:
            assert (household_id in audit_page.text) is (household_id in visible)
    else:
        assert_error(response, 403, "forbidden")
        assert audit_page.status_code == 403
    users = client.get("/api/v1/users", headers=headers)
    one_user = client.get("/api/v1/users/1", headers=headers)
    users_page = page.get("/admin/users")
    if role == "admin":
        assert users.status_code == 200 and users.json()["total"] >= 1
        assert one_user.status_code == 200 and users_page.status_code == 200
    else:  # users are administered by admins only (docs/admin.md)
        assert_error(users, 403, "forbidden")
        assert_error(one_user, 403, "forbidden")
        assert users_page.status_code == 403
