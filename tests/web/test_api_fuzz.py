"""Whatever the query string, the household API answers 200 or a 4xx error body, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.test_api import bearer

text = st.text(max_size=120)
digits = st.text(alphabet="0123456789", min_size=0, max_size=14)
numbers = st.one_of(st.integers(-5, 200).map(str), text)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(q=text, region=st.one_of(digits, text), page=numbers, size=numbers, household_id=text)
def test_household_api_never_fails_on_input(
    client: TestClient,
    token_for: Callable,
    q: str,
    region: str,
    page: str,
    size: str,
    household_id: str,
) -> None:
    headers = bearer(TOKENS.setdefault(id(client), token_for("county", "530129000000")))
    params = {"q": q, "region": region, "page": page, "size": size}
    listed = client.get("/api/v1/households", params=params, headers=headers)
    assert listed.status_code in {200, 400, 404, 422}, listed.text
    body = listed.json()
    if listed.status_code == 200:
        assert set(body) >= {"items", "total"}
    else:
        assert set(body["error"]) == {"code", "message", "field"}
    one = client.get(f"/api/v1/households/{quote(household_id, safe='')}", headers=headers)
    assert one.status_code in {200, 404, 405}, one.text


TOKENS: dict[int, str] = {}
