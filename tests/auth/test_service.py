"""Users, password checks, the sign-in rate limit and signed tokens."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.auth import service
from povguard.auth.errors import TooManyAttempts
from povguard.auth.models import LoginFailure, User
from povguard.auth.principal import Role
from povguard.core.db import engine_for
from povguard.core.errors import BadInput, Conflict, NotFound
from tests.web import factories

SECRET = "unit-test-secret"
GOOD = "a long enough password"


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with Session(engine_for(database_url)) as session:
        factories.seed_regions(session)
        session.commit()
        yield session


def new_user(
    session: Session,
    username: str = "li.wei",
    role: str = "township",
    region: str = factories.TOWNSHIP_A,
):
    user = service.create_user(
        session, username=username, password=GOOD, role=role, region_code=region
    )
    session.commit()
    return user


def test_create_user_hashes_the_password(session: Session) -> None:
    user = new_user(session)
    assert (user.username, user.role, user.region_code, user.active) == (
        "li.wei",
        Role.TOWNSHIP,
        factories.TOWNSHIP_A,
        True,
    )
    stored = session.get(User, user.id)
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert GOOD not in stored.password_hash
    assert user.principal().covers(factories.VILLAGE_A2)
    assert not user.principal().covers(factories.VILLAGE_B1)


def test_admin_may_hold_the_whole_country(session: Session) -> None:
    user = new_user(session, "root", "admin", service.NATION)
    assert user.principal().covers(factories.VILLAGE_C1)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"role": "mayor"}, "role", "unknown role"),
        ({"role": "Township"}, "role", "unknown role"),
        ({"region_code": "5301"}, "region", "12-digit"),
        ({"region_code": "000000000000"}, "region", "12-digit"),  # only an admin's scope
        ({"region_code": "530129009000"}, "region", "not in the region registry"),
        ({"role": "cadre", "region_code": factories.TOWNSHIP_A}, "region", "village code"),
        ({"role": "township", "region_code": factories.COUNTY_A}, "region", "township code"),
        ({"role": "county", "region_code": factories.CITY}, "region", "county code"),
        ({"password": "short"}, "password", "at least 10"),
        ({"password": "123456789"}, "password", "at least 10"),
        ({"username": "ab"}, "username", "username"),
        ({"username": "with space"}, "username", "username"),
        ({"username": "-dash"}, "username", "username"),
        ({"username": "x" * 61}, "username", "username"),
    ],
)
def test_create_user_rejects_bad_input(
    session: Session, changes: dict, field: str, words: str
) -> None:
    arguments = {
        "username": "li.wei",
        "password": GOOD,
        "role": "township",
        "region_code": factories.TOWNSHIP_A,
        **changes,
    }
    with pytest.raises(BadInput, match=words) as raised:
        service.create_user(session, **arguments)
    assert raised.value.field == field


def test_any_level_for_analysts_clerks_and_auditors(session: Session) -> None:
    for index, (role, region) in enumerate(
        [
            ("analyst", factories.PROVINCE),
            ("clerk", factories.COUNTY_A),
            ("auditor", factories.VILLAGE_A1),
        ]
    ):
        assert new_user(session, f"user{index}", role, region).role == Role(role)


def test_duplicate_username_is_a_conflict(session: Session) -> None:
    new_user(session)
    with pytest.raises(Conflict, match="already exists"):
        new_user(session)


def authenticate(
    session: Session,
    password: str = GOOD,
    *,
    address: str = "10.0.0.1",
    now: dt.datetime | None = None,
    username: str = "li.wei",
):
    result = service.authenticate(
        session, username=username, password=password, address=address, now=now
    )
    session.commit()
    return result


def test_authenticate(session: Session) -> None:
    user = new_user(session)
    assert authenticate(session) == user
    assert authenticate(session, "wrong password") is None
    assert authenticate(session, username="nobody") is None
    failures = session.execute(sa.select(LoginFailure.username)).scalars().all()
    assert sorted(failures) == ["li.wei", "nobody"]


def test_disabled_user_cannot_sign_in(session: Session) -> None:
    user = new_user(session)
    stored = session.get(User, user.id)
    assert stored is not None
    stored.active = False
    session.commit()
    assert authenticate(session) is None


def test_rate_limit_per_username_and_address(session: Session) -> None:
    new_user(session)
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    for minute in range(5):
        assert authenticate(session, "wrong", now=start + dt.timedelta(minutes=minute)) is None
    with pytest.raises(TooManyAttempts) as raised:
        authenticate(session, now=start + dt.timedelta(minutes=5))
    assert raised.value.retry_after == 900
    # Another address is not blocked; neither is the same address once the window has passed.
    assert authenticate(session, address="10.0.0.2", now=start + dt.timedelta(minutes=5))
    assert authenticate(session, now=start + dt.timedelta(minutes=15, seconds=1))
    # A success clears the failures of that username and address.
    assert session.execute(sa.select(sa.func.count(LoginFailure.id))).scalar_one() == 0


def test_four_failures_then_success_is_fine(session: Session) -> None:
    new_user(session)
    for _ in range(4):
        assert authenticate(session, "wrong") is None
    assert authenticate(session) is not None
    for _ in range(4):
        assert authenticate(session, "wrong") is None
    assert authenticate(session) is not None


def test_tokens(session: Session) -> None:
    user = new_user(session)
    token = service.issue_token(session, user, secret_key=SECRET, purpose="api")
    assert service.verify_token(session, token, secret_key=SECRET, purpose="api") == user
    assert service.verify_token(session, token, secret_key=SECRET, purpose="session") is None
    assert service.verify_token(session, token, secret_key="other", purpose="api") is None
    assert service.verify_token(session, token + "x", secret_key=SECRET, purpose="api") is None
    assert service.verify_token(session, "", secret_key=SECRET, purpose="api") is None
    expired = service.verify_token(session, token, secret_key=SECRET, purpose="api", max_age=-1)
    assert expired is None


def test_token_dies_with_a_password_change_or_a_disabled_account(session: Session) -> None:
    user = new_user(session)
    token = service.issue_token(session, user, secret_key=SECRET, purpose="api")
    stored = session.get(User, user.id)
    assert stored is not None
    stored.password_hash = service._hasher.hash("a brand new password")
    session.commit()
    assert service.verify_token(session, token, secret_key=SECRET, purpose="api") is None
    token = service.issue_token(session, user, secret_key=SECRET, purpose="api")
    stored.active = False
    session.commit()
    assert service.verify_token(session, token, secret_key=SECRET, purpose="api") is None


def test_a_remembered_token_is_trusted_for_a_few_seconds_and_never_past_its_expiry(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = new_user(session)
    token = service.issue_token(session, user, secret_key=SECRET, purpose="api")
    check = {"secret_key": SECRET, "purpose": "api"}
    engine = session.get_bind().engine
    assert service.verify_token(session, token, **check) == user
    assert service.recently_verified(engine, token, **check) is None  # not asked to remember
    assert service.verify_token(session, token, remember=True, **check) == user
    assert service.recently_verified(engine, token, **check) == user
    assert service.recently_verified(engine, token, secret_key=SECRET, purpose="session") is None
    stored = session.get(User, user.id)
    assert stored is not None
    stored.active = False  # by another process: this one learns it within the TTL
    session.commit()
    assert service.recently_verified(engine, token, **check) == user
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + service.VERIFIED_TOKEN_TTL)
    assert service.recently_verified(engine, token, **check) is None

    monkeypatch.undo()
    stored.active = True
    session.commit()
    assert service.verify_token(session, token, max_age=2, remember=True, **check) == user
    monkeypatch.setattr(time, "time", lambda: now + 3)  # past the token's age limit
    assert service.recently_verified(engine, token, **check) is None


def test_a_user_changed_here_is_checked_again_once_committed(session: Session) -> None:
    user = new_user(session)
    check = {"secret_key": SECRET, "purpose": "api"}
    engine = session.get_bind().engine
    token = service.issue_token(session, user, **check)
    assert service.verify_token(session, token, remember=True, **check) == user
    service.change_user(session, user.id, region_code=factories.TOWNSHIP_B)
    assert service.recently_verified(engine, token, **check) == user  # not yet committed
    session.commit()
    assert service.recently_verified(engine, token, **check) is None
    moved = service.verify_token(session, token, remember=True, **check)
    assert moved is not None and moved.region_code == factories.TOWNSHIP_B

    service.set_password(session, user.id, "another good password", must_change=False)
    session.commit()
    assert service.recently_verified(engine, token, **check) is None
    assert service.verify_token(session, token, **check) is None


def test_get_and_describe(session: Session) -> None:
    user = new_user(session)
    assert service.get(session, user.id) == user
    with pytest.raises(NotFound):
        service.get(session, 999_999)
    me = service.describe(session, user.principal())
    assert (me.region_name, me.sees_personal_data, me.read_only) == ("仁德街道", True, False)


@pytest.mark.parametrize("username", ["ad\x00min", "", "a" * 61, "two words"])
def test_impossible_usernames_fail_without_a_query_or_a_record(
    session: Session, username: str
) -> None:
    new_user(session)
    assert authenticate(session, username=username) is None
    assert session.execute(sa.select(sa.func.count(LoginFailure.id))).scalar_one() == 0


def test_rate_limit_per_address_across_usernames(session: Session) -> None:
    new_user(session)
    start = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
    # Password spraying: four tries each on five names from one address (never 5 per name).
    for index in range(service.MAX_ADDRESS_FAILURES):
        name = f"guess{index % 5}"
        assert authenticate(session, "wrong", username=name, now=start) is None
    with pytest.raises(TooManyAttempts, match="from this address") as raised:
        authenticate(session, now=start + dt.timedelta(minutes=1))  # even the right password
    assert raised.value.retry_after == 900
    assert authenticate(session, address="10.0.0.9", now=start + dt.timedelta(minutes=1))
    assert authenticate(session, now=start + dt.timedelta(minutes=15, seconds=1))


def test_list_users_filters_and_pages(session: Session) -> None:
    new_user(session, "li.wei", "township", factories.TOWNSHIP_A)
    new_user(session, "wang.fang", "county", factories.COUNTY_C)
    new_user(session, "zhao.lei", "auditor", factories.COUNTY_A)
    service.change_user(session, new_user(session, "old.hand", "cadre", factories.VILLAGE_A1).id,
                        active=False)  # fmt: skip

    def names(**filters: object) -> list[str]:
        users, _ = service.list_users(session, service.UserFilter(**filters), page=1, size=50)  # type: ignore[arg-type]
        return [user.username for user in users]

    assert names() == ["li.wei", "old.hand", "wang.fang", "zhao.lei"]
    assert names(region=factories.COUNTY_A) == ["li.wei", "old.hand", "zhao.lei"]
    assert names(role=Role.COUNTY) == ["wang.fang"]
    assert names(active=False) == ["old.hand"]
    assert names(q="ANG") == ["wang.fang"]
    assert names(q="%") == ["li.wei", "old.hand", "wang.fang", "zhao.lei"]
    page, total = service.list_users(session, service.UserFilter(), page=2, size=3)
    assert ([user.username for user in page], total) == (["zhao.lei"], 4)
    with pytest.raises(BadInput):
        names(region="53")


def test_change_user_checks_role_and_region(session: Session) -> None:
    user = new_user(session)
    before, after = service.change_user(
        session, user.id, role="county", region_code=factories.COUNTY_A
    )
    assert (before.role, after.role, after.region_code) == (
        Role.TOWNSHIP, Role.COUNTY, factories.COUNTY_A,
    )  # fmt: skip
    with pytest.raises(BadInput):  # a county user needs a county code
        service.change_user(session, user.id, region_code=factories.VILLAGE_A1)
    with pytest.raises(BadInput):
        service.change_user(session, user.id, role="king")
    with pytest.raises(NotFound):
        service.change_user(session, 999_999, active=False)
    snapshot = service.snapshot(after)
    assert "password_hash" not in snapshot and snapshot["role"] == "county"


def test_set_password_then_change_own(session: Session) -> None:
    user = new_user(session)
    temporary = service.temporary_password()
    assert len(temporary) == service.TEMPORARY_PASSWORD_LENGTH
    _, after = service.set_password(session, user.id, temporary, must_change=True)
    session.commit()
    assert after.must_change_password
    assert authenticate(session) is None  # the old password no longer works
    assert authenticate(session, temporary).must_change_password
    with pytest.raises(BadInput) as wrong:
        service.change_own_password(session, user.id, current="nope", new="another long one")
    assert wrong.value.field == "current_password"
    with pytest.raises(BadInput) as short:
        service.change_own_password(session, user.id, current=temporary, new="short")
    assert short.value.field == "new_password"
    changed = service.change_own_password(
        session, user.id, current=temporary, new="another long one"
    )
    session.commit()
    assert not changed.must_change_password
    assert authenticate(session, "another long one") is not None
