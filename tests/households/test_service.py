"""Household search and profile in the service layer: scope in SQL, masking, ordering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal, Role
from povguard.core.db import engine_for
from povguard.core.errors import BadInput, NotFound
from povguard.households import service
from tests.web import factories


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with Session(engine_for(database_url)) as session:
        factories.seed_regions(session)
        factories.seed_households(session)
        session.commit()
        yield session


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13890120001", "*******0001"), ("1234", "****"), ("12345", "*2345"), ("", "")],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert service.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (dt.date(2010, 7, 15), dt.date(2024, 7, 15), 14),  # a birthday on the day counts
        (dt.date(2010, 7, 15), dt.date(2024, 7, 14), 13),
        (dt.date(2008, 2, 29), dt.date(2024, 2, 28), 15),
        (dt.date(2008, 2, 29), dt.date(2024, 2, 29), 16),
    ],
)
def test_age_on(born: dt.date, day: dt.date, age: int) -> None:
    assert service.age_on(born, day) == age


def test_scope_is_applied_in_sql_with_one_count_and_one_page_query(session: Session) -> None:
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        principal = Principal("t", Role.TOWNSHIP, factories.TOWNSHIP_A)
        page = service.search(session, principal, size=1)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert page.total == 2 and [i.household_id for i in page.items] == ["H000001"]
    assert len(statements) == 2  # no query per row
    assert all("LIKE" in statement.upper() for statement in statements)


def test_paging_validation(session: Session) -> None:
    principal = Principal("a", Role.ADMIN, "000000000000")
    with pytest.raises(BadInput, match="page"):
        service.search(session, principal, page=0)
    with pytest.raises(BadInput, match="size"):
        service.search(session, principal, size=101)
    with pytest.raises(BadInput, match="longer"):
        service.search(session, principal, q="x" * 101)


def test_region_outside_scope_is_not_found(session: Session) -> None:
    principal = Principal("c", Role.CADRE, factories.VILLAGE_A1)
    with pytest.raises(NotFound):
        service.search(session, principal, region=factories.VILLAGE_A2)
    with pytest.raises(NotFound):
        service.search(session, principal, region=factories.TOWNSHIP_A)  # a wider region
    assert service.search(session, principal, region=factories.VILLAGE_A1).total == 1


def test_profile_masking_and_member_order(session: Session) -> None:
    analyst = Principal("an", Role.ANALYST, factories.CITY)
    profile = service.get(session, analyst, "H000001", today=dt.date(2024, 7, 15))
    assert profile.masked is True
    assert profile.phone == "*******0001"
    assert [member.name for member in profile.members] == ["张伟", "李娜", "张小明", "张老汉"]
    assert all(member.health == "—" and member.birth_date is None for member in profile.members)
    assert all("********" in member.id_number for member in profile.members)
    assert profile.members[0].age == 64
    county = Principal("co", Role.COUNTY, factories.COUNTY_A)
    assert service.get(session, county, "H000001").members[1].health == "chronic"
    with pytest.raises(NotFound, match="H000004"):
        service.get(session, county, "H000004")


def test_region_choices_are_two_levels_below_the_root(session: Session) -> None:
    def codes(principal: Principal) -> list[str]:
        return [choice.code for choice in service.region_choices(session, principal)]

    county = Principal("co", Role.COUNTY, factories.COUNTY_A)
    assert codes(county) == [
        factories.TOWNSHIP_A,
        factories.VILLAGE_A1,
        factories.VILLAGE_A2,
        factories.TOWNSHIP_B,
        factories.VILLAGE_B1,
    ]
    township = Principal("t", Role.TOWNSHIP, factories.TOWNSHIP_B)
    assert codes(township) == [factories.VILLAGE_B1]
    assert codes(Principal("c", Role.CADRE, factories.VILLAGE_A1)) == []
    admin = Principal("a", Role.ADMIN, "000000000000")
    assert codes(admin) == [factories.PROVINCE, factories.CITY]
