"""Administration through the API and the pages: users, the audit log, the policy in force."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from povguard.config import Settings
from povguard.screening.lake import policy_path
from tests.web import factories
from tests.web.conftest import csrf_token, sign_in
from tests.web.test_api import assert_error, bearer

NEW_PASSWORD = "a brand new password"
POLICY = """\
- {province: '530000000000', year: 2024, monitoring_line: 7260, rural_disposable_income: 16361,
   publicity_days: 7}
"""


@pytest.fixture
def admin_headers(token_for: Callable) -> dict[str, str]:
    return bearer(token_for("admin", "000000000000"))


@pytest.fixture
def policy_file(settings: Settings) -> Path:
    path = policy_path(settings.lake)
    path.parent.mkdir(parents=True)
    path.write_text(POLICY, encoding="utf-8")
    return path


def add_user(client: TestClient, headers: dict, **overrides: str):
    body = {"username": "li.wei", "password": factories.PASSWORD, "role": "township",
            "region_code": factories.TOWNSHIP_A, **overrides}  # fmt: skip
    return client.post("/api/v1/users", json=body, headers=headers)


def audit_rows(client: TestClient, headers: dict, **params: str) -> list[dict]:
    response = client.get("/api/v1/audit", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


# API: users ----------------------------------------------------------------------------------


def test_add_list_change_and_reset_a_user(client: TestClient, admin_headers: dict) -> None:
    created = add_user(client, admin_headers)
    assert created.status_code == 201, created.text
    user = created.json()
    assert (user["username"], user["role"], user["active"]) == ("li.wei", "township", True)
    assert "password" not in user and "password_hash" not in user

    listed = client.get("/api/v1/users", params={"role": "township"}, headers=admin_headers)
    assert [u["username"] for u in listed.json()["items"]] == ["li.wei"]
    assert listed.json()["total"] == 1
    by_region = client.get(
        "/api/v1/users", params={"region": factories.COUNTY_C}, headers=admin_headers
    )
    assert by_region.json()["items"] == []

    changed = client.patch(
        f"/api/v1/users/{user['id']}",
        json={"role": "county", "region_code": factories.COUNTY_A},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["region_code"]) == ("county", factories.COUNTY_A)

    off = client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin_headers)
    assert off.json()["active"] is False
    inactive = client.get("/api/v1/users", params={"active": "false"}, headers=admin_headers)
    assert [u["username"] for u in inactive.json()["items"]] == ["li.wei"]
    refused = client.post(
        "/api/v1/auth/token", data={"username": "li.wei", "password": factories.PASSWORD}
    )
    assert_error(refused, 401, "unauthorized")
    client.patch(f"/api/v1/users/{user['id']}", json={"active": True}, headers=admin_headers)

    reset = client.post(f"/api/v1/users/{user['id']}/password-reset", headers=admin_headers)
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert len(temporary) >= 10 and reset.json()["user"]["must_change_password"] is True
    # A temporary password opens no API token: it must be changed on the web first.
    token = client.post("/api/v1/auth/token", data={"username": "li.wei", "password": temporary})
    assert_error(token, 403, "password_change_required")

    rows = audit_rows(client, admin_headers, entity="user", entity_id=str(user["id"]))
    assert [row["action"] for row in rows] == [
        "password_reset", "reactivate", "deactivate", "update", "create",
    ]  # fmt: skip
    assert rows[-1]["before"] is None and rows[-1]["after"]["username"] == "li.wei"
    assert rows[-2]["before"]["role"] == "township" and rows[-2]["after"]["role"] == "county"
    assert all(row["actor"].startswith("admin") for row in rows)
    assert all(row["region_code"] == factories.COUNTY_A for row in rows[:-1])
    for row in rows:  # never a password or its hash
        text = str(row)
        assert "argon2" not in text and factories.PASSWORD not in text and temporary not in text


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"username": "x"}, 400, "bad_input", "username"),
        ({"password": "short"}, 400, "bad_input", "password"),
        ({"role": "king"}, 422, "validation_error", "role"),
        ({"region_code": "53"}, 422, "validation_error", "region_code"),
        ({"region_code": factories.COUNTY_A}, 400, "bad_input", "region"),  # not a township
        ({"region_code": "110101001000"}, 400, "bad_input", "region"),  # not in the registry
        ({"username": "admin"}, 409, "conflict", None),
    ],
)
def test_add_user_bad_input(
    client: TestClient, admin_headers: dict, overrides: dict, status: int, code: str, field
) -> None:
    assert_error(add_user(client, admin_headers, **overrides), status, code, field)


def test_change_user_bad_input(client: TestClient, admin_headers: dict) -> None:
    user_id = add_user(client, admin_headers).json()["id"]
    for body, status, code in [
        ({"region_code": factories.COUNTY_A}, 400, "bad_input"),  # a township needs a township
        ({"role": "king"}, 422, "validation_error"),
        ({"active": "maybe"}, 422, "validation_error"),
        ({"password_hash": "x"}, 422, "validation_error"),
    ]:
        assert_error(
            client.patch(f"/api/v1/users/{user_id}", json=body, headers=admin_headers),
            status,
            code,
        )
    assert_error(
        client.patch("/api/v1/users/999999", json={"active": False}, headers=admin_headers),
        404,
        "not_found",
    )
    assert_error(
        client.post("/api/v1/users/999999/password-reset", headers=admin_headers), 404, "not_found"
    )
    assert_error(client.get("/api/v1/users/abc", headers=admin_headers), 422, "validation_error")
    assert_error(
        client.get(f"/api/v1/users/{2**63}", headers=admin_headers), 422, "validation_error"
    )
    assert_error(
        client.get("/api/v1/users", params={"size": 0}, headers=admin_headers),
        422,
        "validation_error",
    )
    unknown_region = {"region": "539999000000"}
    assert_error(
        client.get("/api/v1/users", params=unknown_region, headers=admin_headers), 404, "not_found"
    )


def test_a_users_token_follows_its_changes_at_once(client: TestClient, admin_headers: dict) -> None:
    # The server trusts a verified token for a few seconds; a change made here ends that.
    user = add_user(client, admin_headers).json()
    token = client.post(
        "/api/v1/auth/token", data={"username": "li.wei", "password": factories.PASSWORD}
    ).json()["access_token"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["role"] == "township"
    changed = client.patch(
        f"/api/v1/users/{user['id']}",
        json={"role": "county", "region_code": factories.COUNTY_A},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert (me["role"], me["region_code"]) == ("county", factories.COUNTY_A)
    client.patch(f"/api/v1/users/{user['id']}", json={"active": False}, headers=admin_headers)
    assert_error(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_admin_cannot_lock_itself_out(client: TestClient) -> None:
    token = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": factories.PASSWORD}
    ).json()["access_token"]
    own_id = client.get("/api/v1/users", params={"q": "admin"}, headers=bearer(token)).json()
    own = next(u for u in own_id["items"] if u["username"] == "admin")
    for body in ({"active": False}, {"role": "county", "region_code": factories.COUNTY_A}):
        response = client.patch(f"/api/v1/users/{own['id']}", json=body, headers=bearer(token))
        assert_error(response, 400, "bad_input")
    reset = client.post(f"/api/v1/users/{own['id']}/password-reset", headers=bearer(token))
    assert_error(reset, 400, "bad_input")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    ("role", "region"),
    [
        ("cadre", factories.VILLAGE_A1),
        ("township", factories.TOWNSHIP_A),
        ("county", factories.COUNTY_A),
        ("analyst", factories.CITY),
        ("clerk", factories.COUNTY_A),
        ("auditor", factories.PROVINCE),
    ],
)
def test_only_admins_manage_users_and_read_the_policy(
    client: TestClient, token_for: Callable, policy_file: Path, role: str, region: str
) -> None:
    headers = bearer(token_for(role, region))
    for response in (
        client.get("/api/v1/users", headers=headers),
        client.get("/api/v1/users/1", headers=headers),
        add_user(client, headers),
        client.patch("/api/v1/users/1", json={"active": False}, headers=headers),
        client.post("/api/v1/users/1/password-reset", headers=headers),
        client.get("/api/v1/policy/530000000000/2024", headers=headers),
    ):
        assert_error(response, 403, "forbidden")
    audit = client.get("/api/v1/audit", headers=headers)
    if role == "auditor":
        assert audit.status_code == 200
    else:
        assert_error(audit, 403, "forbidden")


def test_without_a_token_everything_is_401(client: TestClient) -> None:
    for path in ("/api/v1/users", "/api/v1/audit", "/api/v1/policy/530000000000/2024"):
        assert_error(client.get(path), 401, "unauthorized")


# API: audit log ------------------------------------------------------------------------------


def test_auditor_sees_only_entries_of_its_county(
    client: TestClient, admin_headers: dict, token_for: Callable
) -> None:
    add_user(client, admin_headers, username="in.county.a", region_code=factories.TOWNSHIP_A)
    add_user(client, admin_headers, username="in.county.c", region_code=factories.TOWNSHIP_C)
    auditor_a = bearer(token_for("auditor", factories.COUNTY_A))
    seen = audit_rows(client, auditor_a, entity="user")
    assert [row["after"]["username"] for row in seen] == ["in.county.a"]
    auditor_c = bearer(token_for("auditor", factories.COUNTY_C))
    assert [row["after"]["username"] for row in audit_rows(client, auditor_c)] == ["in.county.c"]
    assert len(audit_rows(client, admin_headers, entity="user")) == 2


def test_audit_filters_and_paging(client: TestClient, admin_headers: dict) -> None:
    for index in range(3):
        add_user(client, admin_headers, username=f"user{index}")
    rows = audit_rows(client, admin_headers, action="create")
    assert [row["after"]["username"] for row in rows] == ["user2", "user1", "user0"]
    assert audit_rows(client, admin_headers, action="delete") == []
    actor = rows[0]["actor"]
    assert len(audit_rows(client, admin_headers, actor=actor)) == 3
    assert audit_rows(client, admin_headers, actor="nobody") == []
    today = rows[0]["at"][:10]
    assert len(audit_rows(client, admin_headers, since=today, until=today)) == 3
    assert audit_rows(client, admin_headers, until="2000-01-01") == []
    paged = client.get("/api/v1/audit", params={"size": 2, "page": 2}, headers=admin_headers)
    assert paged.json()["total"] == 3 and len(paged.json()["items"]) == 1
    bad = client.get(
        "/api/v1/audit", params={"since": "2026-02-01", "until": "2026-01-01"},
        headers=admin_headers,
    )  # fmt: skip
    assert_error(bad, 400, "bad_input", "until")
    assert_error(
        client.get("/api/v1/audit", params={"since": "yesterday"}, headers=admin_headers),
        422,
        "validation_error",
        "since",
    )


# API: policy ---------------------------------------------------------------------------------


def test_policy_in_force(client: TestClient, admin_headers: dict, policy_file: Path) -> None:
    response = client.get("/api/v1/policy/530000000000/2024", headers=admin_headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["province"] == "530000000000" and body["year"] == 2024
    assert len(body["version"]) == 12 and body["source"] == "policy.yaml"
    values = {p["name"]: p for p in body["parameters"]}
    assert values["publicity_days"] == {"name": "publicity_days", "value": 7, "is_default": False}
    assert values["stable_months"]["is_default"] is True
    assert float(values["monitoring_line"]["value"]) == 7260
    assert_error(
        client.get("/api/v1/policy/530000000000/2023", headers=admin_headers), 404, "not_found"
    )
    assert_error(
        client.get("/api/v1/policy/530100000000/2024", headers=admin_headers),
        400,
        "bad_input",
        "province",
    )
    assert_error(
        client.get("/api/v1/policy/53/2024", headers=admin_headers), 422, "validation_error"
    )


def test_policy_without_a_file_is_404(client: TestClient, admin_headers: dict) -> None:
    response = client.get("/api/v1/policy/530000000000/2024", headers=admin_headers)
    assert_error(response, 404, "not_found")


# Pages ---------------------------------------------------------------------------------------


def test_admin_pages_add_change_reset_and_audit(client: TestClient, policy_file: Path) -> None:
    sign_in(client, "admin")
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/users"
    page = client.get("/admin/users")
    assert page.status_code == 200 and 'href="/admin"' in page.text  # the nav entry
    form = {"username": "zhang.san", "password": factories.PASSWORD, "role": "cadre",
            "region_code": factories.VILLAGE_A1}  # fmt: skip
    missing_csrf = client.post("/admin/users", data=form)
    assert missing_csrf.status_code == 403
    created = client.post(
        "/admin/users", data={**form, "csrf_token": csrf_token(client)}, follow_redirects=False
    )
    assert created.status_code == 303, created.text
    user_url = created.headers["location"].split("?")[0]
    assert "zhang.san" in client.get("/admin/users", params={"role": "cadre"}).text
    partial = client.get("/admin/users", params={"q": "zhang"}, headers={"HX-Request": "true",
                         "HX-Target": "users"})  # fmt: skip
    assert "zhang.san" in partial.text and "<html" not in partial.text

    duplicate = client.post("/admin/users", data={**form, "csrf_token": csrf_token(client)})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    wrong = client.post(
        "/admin/users",
        data={**form, "username": "li.si", "region_code": factories.COUNTY_A,
              "csrf_token": csrf_token(client)},
    )  # fmt: skip
    assert wrong.status_code == 400 and 'class="alert"' in wrong.text

    saved = client.post(
        user_url,
        data={"role": "township", "region_code": factories.TOWNSHIP_A, "active": "yes",
              "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )  # fmt: skip
    assert saved.status_code == 303
    bad = client.post(
        user_url,
        data={"role": "county", "region_code": factories.VILLAGE_A1, "active": "yes",
              "csrf_token": csrf_token(client)},
    )  # fmt: skip
    assert bad.status_code == 400
    reset = client.post(f"{user_url}/password-reset", data={"csrf_token": csrf_token(client)})
    assert reset.status_code == 200 and 'data-testid="temporary-password"' in reset.text
    assert "password_reset" in client.get(user_url).text  # the user's history

    audit_page = client.get("/admin/audit", params={"entity": "user"})
    assert audit_page.status_code == 200
    assert "zhang.san" in audit_page.text and "password_reset" in audit_page.text
    partial = client.get(
        "/admin/audit", params={"action": "create"},
        headers={"HX-Request": "true", "HX-Target": "audit"},
    )  # fmt: skip
    assert "<html" not in partial.text and "password_reset" not in partial.text
    export = client.get("/admin/audit.csv", params={"entity": "user"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [row["action"] for row in rows] == ["password_reset", "update", "create"]
    # The export itself is audited.
    assert "audit_log" in client.get("/admin/audit", params={"action": "export"}).text

    policy = client.get("/admin/policy", params={"province": "530000000000", "year": 2024})
    assert policy.status_code == 200 and 'data-testid="policy"' in policy.text
    assert "publicity_days" in policy.text
    missing = client.get("/admin/policy", params={"year": 2030})
    assert missing.status_code == 200 and 'class="alert"' in missing.text


def test_pages_refuse_other_roles(page_client_for: Callable) -> None:
    county = page_client_for("county", factories.COUNTY_A)
    assert 'href="/admin"' not in county.get("/households").text
    for path in ("/admin", "/admin/users", "/admin/policy", "/admin/audit", "/admin/users/1"):
        assert county.get(path).status_code == 403, path
    auditor = page_client_for("auditor", factories.COUNTY_A)
    assert auditor.get("/admin", follow_redirects=False).headers["location"] == "/admin/audit"
    assert auditor.get("/admin/audit").status_code == 200
    assert auditor.get("/admin/audit.csv").status_code == 200
    assert auditor.get("/admin/users").status_code == 403
    bad_date = auditor.get("/admin/audit", params={"since": "soon"})
    assert bad_date.status_code == 400


def test_temporary_password_must_be_changed_at_sign_in(
    client: TestClient, admin_headers: dict, settings: Settings
) -> None:
    user_id = add_user(client, admin_headers).json()["id"]
    temporary = client.post(
        f"/api/v1/users/{user_id}/password-reset", headers=admin_headers
    ).json()["temporary_password"]
    response = client.post(
        "/login",
        data={"username": "li.wei", "password": temporary, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/account/password"
    # Every other page sends the user back to the password form.
    assert client.get("/households", follow_redirects=False).headers["location"] == (
        "/account/password"
    )
    form = client.get("/account/password")
    assert form.status_code == 200 and 'data-testid="must-change"' in form.text
    mismatch = client.post(
        "/account/password",
        data={"current_password": temporary, "new_password": NEW_PASSWORD,
              "repeat_password": "something else", "csrf_token": csrf_token(client)},
    )  # fmt: skip
    assert mismatch.status_code == 400
    changed = client.post(
        "/account/password",
        data={"current_password": temporary, "new_password": NEW_PASSWORD,
              "repeat_password": NEW_PASSWORD, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303
    assert client.get("/households").status_code == 200
    token = client.post("/api/v1/auth/token", data={"username": "li.wei", "password": NEW_PASSWORD})
    assert token.status_code == 200


def test_sign_in_limited_per_address_across_usernames(client: TestClient) -> None:
    for index in range(20):
        response = client.post(
            "/api/v1/auth/token", data={"username": f"guess{index % 5}", "password": "wrong one"}
        )
        assert response.status_code == 401
    limited = client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": factories.PASSWORD}
    )
    assert_error(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "900"


def test_method_not_allowed_names_every_method_of_the_path(
    client: TestClient, admin_headers: dict
) -> None:
    response = client.delete("/api/v1/users", headers=admin_headers)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    one = client.put("/api/v1/users/1", headers=admin_headers)
    assert one.headers["Allow"] == "GET, PATCH"
