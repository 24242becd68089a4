"""Web fixtures: a seeded database, the app on it, a TestClient, tokens and signed-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from povguard.auth import service as auth_service
from povguard.auth.models import User
from povguard.config import Settings
from povguard.core.db import dispose_engines, engine_for
from povguard.web.app import create_app
from povguard.web.security import CSRF_COOKIE, csrf_token_for
from tests.web import factories

SECRET = "test-secret-key-0123456789"


@pytest.fixture
def seeded(database_url: str) -> Iterator[dict[str, factories.SeededHousehold]]:
    yield factories.seed_all(database_url)
    dispose_engines()


@pytest.fixture
def settings(database_url: str, seeded: object, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, lake=tmp_path / "lake", secret_key=SECRET)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def make_user(database_url: str) -> Callable[..., int]:
    """Create a user directly (username, role, region) and return its id."""

    def make(username: str, role: str, region: str, *, active: bool = True) -> int:
        with Session(engine_for(database_url)) as session:
            user = factories.add_user(session, username, role, region, active=active)
            session.commit()
            return user.id

    return make


@pytest.fixture
def token_for(database_url: str, make_user: Callable[..., int]) -> Callable[[str, str], str]:
    """A bearer token for a new user with `role` over `region`."""
    counter = iter(range(10_000))

    def issue(role: str, region: str) -> str:
        user_id = make_user(f"{role}{next(counter)}", role, region)
        with Session(engine_for(database_url)) as session:
            user = auth_service.get(session, user_id)
            return auth_service.issue_token(session, user, secret_key=SECRET, purpose="api")

    return issue


def csrf_token(client: TestClient) -> str:
    """The form token for the client's CSRF cookie (fetching a page first if it has none)."""
    if CSRF_COOKIE not in client.cookies:
        client.get("/login")
    return csrf_token_for(SECRET, client.cookies[CSRF_COOKIE])


def sign_in(client: TestClient, username: str, password: str = factories.PASSWORD) -> None:
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def page_client_for(
    settings: Settings, make_user: Callable[..., int]
) -> Iterator[Callable[[str, str], TestClient]]:
    """A TestClient signed in as a new user with `role` over `region`."""
    clients: list[TestClient] = []
    counter = iter(range(10_000))

    def make(role: str, region: str) -> TestClient:
        username = f"page-{role}{next(counter)}"
        make_user(username, role, region)
        test_client = TestClient(create_app(settings))
        clients.append(test_client)
        sign_in(test_client, username)
        return test_client

    yield make
    for test_client in clients:
        test_client.close()


__all__ = ["User", "csrf_token", "sign_in"]
