"""The /api/v1 endpoints through TestClient: happy paths and every bad input (4xx, never 500)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.web import factories


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field


def test_token_for_good_credentials_works_as_bearer(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": factories.PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and len(body["access_token"]) > 20
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json() == {
        "username": "admin",
        "role": "admin",
        "region_code": "000000000000",
        "region_name": None,
        "sees_personal_data": True,
        "read_only": False,
    }


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong password!"), ("nobody", factories.PASSWORD), ("ADMIN", factories.PASSWORD)],
)
def test_token_refused_for_bad_credentials(
    client: TestClient, username: str, password: str
) -> None:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_token_refused_for_disabled_user(client: TestClient, make_user: Callable) -> None:
    make_user("gone", "county", factories.COUNTY_A, active=False)
    response = client.post(
        "/api/v1/auth/token", data={"username": "gone", "password": factories.PASSWORD}
    )
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    ("data", "field"),
    [({"password": "x"}, "username"), ({"username": "admin"}, "password"), ({}, None)],
)
def test_token_with_missing_fields_is_422(
    client: TestClient, data: dict, field: str | None
) -> None:
    response = client.post("/api/v1/auth/token", data=data)
    assert_error(response, 422, "validation_error", field)


def test_token_rate_limited_after_five_failures(client: TestClient) -> None:
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/token", data={"username": "admin", "password": "wrong password!"}
        )
        assert response.status_code == 401
    # Even the right password is refused now, without revealing whether it was right.
    response = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": factories.PASSWORD}
    )
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) == 900
    # Another username from the same address is not affected.
    other = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert other.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("not-a-token"), {"Authorization": "Basic YWRtaW46eA=="}, bearer("")],
)
def test_endpoints_need_a_valid_bearer_token(client: TestClient, headers: dict) -> None:
    for path in ("/api/v1/me", "/api/v1/households", "/api/v1/households/H000001"):
        assert_error(client.get(path, headers=headers), 401, "unauthorized")


def test_session_token_is_not_an_api_token(client: TestClient) -> None:
    from tests.web.conftest import sign_in

    sign_in(client, "admin")
    session_token = client.cookies["povguard_session"]
    assert_error(client.get("/api/v1/me", headers=bearer(session_token)), 401, "unauthorized")
    # The cookie alone does not authenticate the API either.
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")


def test_household_list_and_paging(client: TestClient, token_for: Callable) -> None:
    token = token_for("admin", "000000000000")
    first = client.get("/api/v1/households?size=3", headers=bearer(token)).json()
    assert first["total"] == 4
    assert [item["household_id"] for item in first["items"]] == ["H000001", "H000002", "H000003"]
    second = client.get("/api/v1/households?size=3&page=2", headers=bearer(token)).json()
    assert [item["household_id"] for item in second["items"]] == ["H000004"]
    beyond = client.get("/api/v1/households?size=3&page=9", headers=bearer(token)).json()
    assert beyond == {"items": [], "total": 4, "page": 9, "size": 3}
    item = first["items"][0]
    assert item == {
        "household_id": "H000001",
        "village_code": factories.VILLAGE_A1,
        "village_name": "黄坡村",
        "head_name": "张伟",
        "head_id_number": item["head_id_number"],
        "status": "formerly_poor",
        "members": 3,  # the fourth member moved out
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("张", ["H000001"]),  # any member's name
        ("小", ["H000001", "H000003"]),
        ("H00000", ["H000001", "H000002", "H000003", "H000004"]),  # household id prefix
        ("h000002", ["H000002"]),  # the same on SQLite and PostgreSQL: case ignored
        ("H000004", ["H000004"]),
        ("  王芳  ", ["H000002"]),  # surrounding spaces ignored
        ("%", []),  # LIKE wildcards are literal
        ("_", []),
        ("nobody", []),
    ],
)
def test_household_search(client: TestClient, token_for: Callable, q: str, expected: list) -> None:
    token = token_for("admin", "000000000000")
    body = client.get("/api/v1/households", params={"q": q}, headers=bearer(token)).json()
    assert [item["household_id"] for item in body["items"]] == expected
    assert body["total"] == len(expected)


def test_search_by_id_number_of_any_member(
    client: TestClient, seeded: dict, token_for: Callable
) -> None:
    token = token_for("county", factories.COUNTY_A)
    spouse_id = seeded["H000003"].member_ids[1]
    head = seeded["H000003"].head_id
    for q, expected in ((head, ["H000003"]), (spouse_id, ["H000003"]), (head.lower(), ["H000003"])):
        body = client.get("/api/v1/households", params={"q": q}, headers=bearer(token)).json()
        assert [item["household_id"] for item in body["items"]] == expected


def test_region_filter(client: TestClient, token_for: Callable) -> None:
    token = token_for("admin", "000000000000")
    for region, expected in (
        (factories.TOWNSHIP_A, ["H000001", "H000002"]),
        (factories.VILLAGE_B1, ["H000003"]),
        (factories.COUNTY_C, ["H000004"]),
    ):
        body = client.get(
            "/api/v1/households", params={"region": region}, headers=bearer(token)
        ).json()
        assert [item["household_id"] for item in body["items"]] == expected
    # A well-formed code the region registry does not hold is not found, like the KPIs.
    unknown = client.get("/api/v1/households", params={"region": "530129003000"},
                         headers=bearer(token))  # fmt: skip
    assert_error(unknown, 404, "not_found")
    assert unknown.json()["error"]["message"] == "region 530129003000 not found"


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("page=0", 422, "validation_error", "page"),
        ("page=abc", 422, "validation_error", "page"),
        ("size=0", 422, "validation_error", "size"),
        ("size=101", 422, "validation_error", "size"),
        ("size=-5", 422, "validation_error", "size"),
        ("q=" + "x" * 101, 422, "validation_error", "q"),
        ("region=5301", 400, "bad_input", "region"),
        ("region=abcdefghijkl", 400, "bad_input", "region"),
        ("region=530100000001", 400, "bad_input", "region"),  # village under a missing county
    ],
)
def test_household_list_bad_input(
    client: TestClient, token_for: Callable, query: str, status: int, code: str, field: str
) -> None:
    token = token_for("admin", "000000000000")
    response = client.get(f"/api/v1/households?{query}", headers=bearer(token))
    assert_error(response, status, code, field)


def test_unknown_household_is_404(client: TestClient, token_for: Callable) -> None:
    token = token_for("admin", "000000000000")
    for household_id in ("H999999", "%", "H000001%20", "' OR 1=1 --"):
        response = client.get(f"/api/v1/households/{household_id}", headers=bearer(token))
        assert_error(response, 404, "not_found")


def test_household_profile_for_admin_is_unmasked(
    client: TestClient, seeded: dict, token_for: Callable
) -> None:
    token = token_for("admin", "000000000000")
    body = client.get("/api/v1/households/H000001", headers=bearer(token)).json()
    assert body["household_id"] == "H000001"
    assert body["head_id_number"] == seeded["H000001"].head_id
    assert body["phone"] == "13890120001"
    assert body["masked"] is False
    assert [r["name"] for r in body["regions"]] == [
        "云南省",
        "昆明市",
        "寻甸回族彝族自治县",
        "仁德街道",
        "黄坡村",
    ]
    members = body["members"]
    # In-household members first (head, spouse, child), the one who moved out last.
    assert [m["relation"] for m in members] == ["head", "spouse", "child", "parent"]
    assert [m["in_household"] for m in members] == [True, True, True, False]
    assert members[1]["health"] == "chronic"
    assert members[0]["birth_date"] is not None


def test_unknown_route_and_method(client: TestClient, token_for: Callable) -> None:
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    token = token_for("admin", "000000000000")
    response = client.delete("/api/v1/households/H000001", headers=bearer(token))
    assert_error(response, 405, "method_not_allowed")


def test_openapi_document_lists_the_contract(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert {
        "/api/v1/auth/token",
        "/api/v1/households",
        "/api/v1/households/{household_id}",
        "/api/v1/me",
    } <= set(paths)
    assert not any(not path.startswith("/api/v1/") for path in paths)  # pages stay out
    assert "ErrorBody" in document["components"]["schemas"]


def test_control_characters_are_bad_input_not_a_crash(client: TestClient, token_for) -> None:
    # PostgreSQL refuses NUL in text: the service must turn it away before any query.
    headers = bearer(token_for("admin", "000000000000"))
    response = client.get("/api/v1/households", params={"q": "a\x00b"}, headers=headers)
    assert_error(response, 400, "bad_input", "q")
    response = client.get("/api/v1/households/H0%00", headers=headers)
    assert_error(response, 404, "not_found")
    response = client.post(
        "/api/v1/auth/token", data={"username": "ad\x00min", "password": "whatever"}
    )
    assert_error(response, 401, "unauthorized")
