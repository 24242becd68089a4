"""Pages: sign-in flow, CSRF on every form, security headers, languages, HTMX partials."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal, Role
from povguard.core.db import engine_for
from povguard.web.households.pages import build_households_context, build_profile_context
from povguard.web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web import factories
from tests.web.conftest import csrf_token, sign_in


def test_root_and_pages_send_strangers_to_login(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/dashboard"
    response = client.get("/households/H000001?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fhouseholds%2FH000001%3Fx%3D1"
    htmx = client.get("/households", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["HX-Redirect"].startswith("/login?next=")


def test_sign_in_goes_to_next_and_sign_out_ends_the_session(client: TestClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": factories.PASSWORD,
            "csrf_token": token,
            "next": "/households/H000002",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/households/H000002"
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/households/H000002").status_code == 200
    assert client.get("/login", follow_redirects=False).status_code == 303  # already signed in
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.headers["location"] == "/login"
    assert client.get("/households", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_redirects_off_site(client: TestClient, target: str) -> None:
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": factories.PASSWORD,
            "csrf_token": csrf_token(client),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/dashboard"


def test_wrong_password_shows_the_form_again(client: TestClient) -> None:
    response = client.post(
        "/login",
        data={"username": "admin", "password": "wrong!", "csrf_token": csrf_token(client)},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert 'value="admin"' in response.text
    assert SESSION_COOKIE not in client.cookies


def test_login_rate_limit_on_the_page(client: TestClient) -> None:
    data = {"username": "admin", "password": "wrong!", "csrf_token": csrf_token(client)}
    assert [client.post("/login", data=data).status_code for _ in range(5)] == [401] * 5
    data["password"] = factories.PASSWORD
    response = client.post("/login", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert response.headers["Retry-After"] == "900"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/login", {"username": "admin", "password": factories.PASSWORD}),
        ("/logout", {}),
        ("/language", {"lang": "en"}),
    ],
)
def test_forms_without_a_valid_csrf_token_are_refused(
    client: TestClient, path: str, data: dict
) -> None:
    client.get("/login")  # has a CSRF cookie
    missing = client.post(path, data=data, follow_redirects=False)
    assert missing.status_code == 403
    forged = client.post(path, data={**data, "csrf_token": "0" * 64}, follow_redirects=False)
    assert forged.status_code == 403
    # The raw cookie value is not the token: the token is an HMAC of it under the secret.
    raw = client.post(
        path, data={**data, "csrf_token": client.cookies[CSRF_COOKIE]}, follow_redirects=False
    )
    assert raw.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_csrf_token_needs_its_cookie(settings) -> None:
    from povguard.web.app import create_app

    with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
        token = csrf_token(first)  # valid for `first`'s cookie only
        second.get("/login")
        response = second.post(
            "/login",
            data={"username": "admin", "password": factories.PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 403
        fresh = TestClient(create_app(settings))  # no cookie at all
        response = fresh.post("/login", data={"csrf_token": token, "username": "admin"})
        assert response.status_code == 403


def test_htmx_request_sends_the_token_in_a_header(client: TestClient) -> None:
    sign_in(client, "admin")
    response = client.post(
        "/language",
        data={"lang": "en"},
        headers={"X-CSRF-Token": csrf_token(client), "HX-Request": "true"},
        follow_redirects=False,
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    "path", ["/login", "/households", "/api/v1/households", "/nowhere", "/static/povguard.css"]
)
def test_security_headers_everywhere(client: TestClient, path: str) -> None:
    sign_in(client, "admin")
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_only_pages_hand_out_the_csrf_cookie(client: TestClient) -> None:
    # API callers authenticate with a bearer token, never a cookie: no CSRF cookie to give.
    assert CSRF_COOKIE not in client.get("/api/v1/households").headers.get("set-cookie", "")
    assert CSRF_COOKIE not in client.get("/api/v1/nowhere").headers.get("set-cookie", "")
    assert CSRF_COOKIE in client.get("/login").headers["set-cookie"]


def test_pages_carry_no_inline_script_and_no_cdn(client: TestClient) -> None:
    sign_in(client, "admin")
    for path in ("/login", "/households", "/households/H000001"):
        html = client.get(path).text
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert scripts and all(
            'src="/static/' in attrs and not body.strip() for attrs, body in scripts
        )
        assert "http://" not in html and "https://" not in html
        assert " style=" not in html and "<style" not in html


def test_vendored_assets_are_served(client: TestClient) -> None:
    for path in ("/static/vendor/htmx-2.0.11.min.js", "/static/vendor/echarts-6.1.0.min.js"):
        response = client.get(path)
        assert response.status_code == 200 and len(response.content) > 10_000


LABELS = {
    "en": ["Households", "Sign out", "Head&#39;s ID number", "Members", "formerly poor"],
    "zh": ["农户", "退出", "户主身份证号", "家庭成员", "脱贫户"],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_language_from_accept_language(client: TestClient, lang: str) -> None:
    sign_in(client, "admin")
    header = "en-GB,en;q=0.9" if lang == "en" else "zh-CN,zh;q=0.9,en;q=0.8"
    html = client.get("/households", headers={"Accept-Language": header}).text
    for label in LABELS[lang]:
        assert label in html
    other = "zh" if lang == "en" else "en"
    assert "Sign out" not in html if lang == "zh" else "退出" not in html
    assert f'<html lang="{"en" if lang == "en" else "zh-Hans"}">' in html
    assert LABELS[other][1] not in html


def test_language_switch_sets_a_cookie_over_the_browser(client: TestClient) -> None:
    sign_in(client, "admin")
    english = {"Accept-Language": "en"}
    assert "农户" not in client.get("/households", headers=english).text
    response = client.post(
        "/language",
        data={"lang": "zh", "next": "/households/H000001", "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/households/H000001"
    html = client.get("/households/H000001", headers=english).text
    assert "家庭成员" in html and "Members" not in html
    # An unknown language is ignored.
    client.post("/language", data={"lang": "fr", "csrf_token": csrf_token(client)})
    assert client.cookies["povguard_lang"] == "zh"


def test_htmx_search_returns_only_the_results(client: TestClient) -> None:
    sign_in(client, "admin")
    partial = client.get(
        "/households?q=王", headers={"HX-Request": "true", "HX-Target": "results"}
    ).text
    assert "<html" not in partial and "<table" in partial
    assert "H000002" in partial and "H000001" not in partial
    full = client.get("/households?q=王").text
    assert "<html" in full and 'id="results"' in full


def test_page_errors_are_pages(client: TestClient) -> None:
    sign_in(client, "admin")
    english = {"Accept-Language": "en"}
    missing = client.get("/households/H999999", headers=english)
    assert missing.status_code == 404 and "<html" in missing.text and "Not found" in missing.text
    bad = client.get("/households?page=0", headers=english)
    assert bad.status_code == 422 and "<html" in bad.text
    bad_region = client.get("/households?region=12", headers=english)
    assert bad_region.status_code == 400 and "not a 12-digit region code" in bad_region.text
    nowhere = client.get("/no-such-page", headers=english)
    assert nowhere.status_code == 404 and "<html" in nowhere.text


def test_paging_links(client: TestClient, database_url: str) -> None:
    with Session(engine_for(database_url)) as session:
        for index in range(25):
            factories.add_household(
                session, f"H2{index:05d}", factories.VILLAGE_A2, [f"甲{index}"], 200 + index
            )
        session.commit()
    sign_in(client, "admin")
    first = client.get("/households", headers={"Accept-Language": "en"}).text
    assert "29 households" in first and "page 1 of 2" in first
    assert 'href="/households?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/households?page=2", headers={"Accept-Language": "en"}).text
    assert 'href="/households"' in second and 'rel="next"' not in second
    assert second.count('<a href="/households/H') == 9


def test_context_builders(seeded: dict, database_url: str) -> None:
    township = Principal("t", Role.TOWNSHIP, factories.TOWNSHIP_A)
    auditor = Principal("a", Role.AUDITOR, factories.TOWNSHIP_A)
    with Session(engine_for(database_url)) as session:
        context = build_households_context(session, township, q="", region="", page=1)
        assert [item.household_id for item in context["results"].items] == ["H000001", "H000002"]
        assert context["previous_url"] is None and context["next_url"] is None
        assert context["active_nav"] == "households"
        profile = build_profile_context(session, auditor, "H000001")
        assert profile["household"].masked is True
        assert profile["in_household"] == 3
        assert profile["household"].members[1].health == "—"


def test_navigation_shows_only_built_entries(client: TestClient) -> None:
    """Each entry links to a page that exists; features not built yet have no entry at all."""
    sign_in(client, "admin")
    html = client.get("/households", headers={"Accept-Language": "en"}).text
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert nav is not None
    links = re.findall(r'href="([^"]+)"', nav.group(0))
    entries = sorted(client.app.state.nav, key=lambda entry: entry.order)
    assert links == [entry.path for entry in entries]
    assert "/households" in links
    assert [entry.order for entry in entries] == sorted({entry.order for entry in entries})
    for link in links:
        assert client.get(link).status_code == 200


def test_header_shows_user_role_and_region(page_client_for: Callable) -> None:
    client = page_client_for("township", factories.TOWNSHIP_B)
    html = client.get("/households", headers={"Accept-Language": "en"}).text
    assert "township officer" in html and "羊街镇" in html


def test_pages_and_api_are_not_cached_but_static_files_are(client: TestClient) -> None:
    sign_in(client, "admin")
    assert client.get("/households/H000001").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/households").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/povguard.css").headers.get("Cache-Control", "")


def test_history_restore_gets_the_whole_page(client: TestClient) -> None:
    sign_in(client, "admin")
    headers = {"HX-Request": "true", "HX-Target": "results", "HX-History-Restore-Request": "true"}
    response = client.get("/households?q=王", headers=headers)
    assert "<html" in response.text
    assert "HX-Target" in response.headers["Vary"]
