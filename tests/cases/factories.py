"""Test data for cases: regions, households and members inserted directly."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

from sqlalchemy.orm import Session

from povguard.auth.principal import Principal, Role
from povguard.households.idnumber import check_char
from povguard.households.models import Household, Member
from povguard.regions.models import Region

PROVINCE = "530000000000"
CITY = "530100000000"
COUNTY = "530102000000"
TOWNSHIP_A = "530102001000"
TOWNSHIP_B = "530102002000"
VILLAGE_A = "530102001001"
VILLAGE_A2 = "530102001002"
VILLAGE_B = "530102002001"

REGIONS = [
    (PROVINCE, "云南省", "province", None),
    (CITY, "昆明市", "city", PROVINCE),
    (COUNTY, "五华区", "county", CITY),
    (TOWNSHIP_A, "甲镇", "township", COUNTY),
    (TOWNSHIP_B, "乙镇", "township", COUNTY),
    (VILLAGE_A, "山脚村", "village", TOWNSHIP_A),
    (VILLAGE_A2, "河边村", "village", TOWNSHIP_A),
    (VILLAGE_B, "岭上村", "village", TOWNSHIP_B),
]

ADMIN = Principal(username="admin", role=Role.ADMIN, region_code="000000000000")
CADRE_A = Principal(username="cadre_a", role=Role.CADRE, region_code=VILLAGE_A)
TOWNSHIP_A_OFFICER = Principal(username="town_a", role=Role.TOWNSHIP, region_code=TOWNSHIP_A)
TOWNSHIP_B_OFFICER = Principal(username="town_b", role=Role.TOWNSHIP, region_code=TOWNSHIP_B)
COUNTY_OFFICER = Principal(username="county", role=Role.COUNTY, region_code=COUNTY)
AUDITOR = Principal(username="auditor", role=Role.AUDITOR, region_code=COUNTY)

_counter = itertools.count(1)


def id_number(serial: int) -> str:
    """A valid 18-character resident ID (ISO 7064 MOD 11-2 check character)."""
    body = f"5301021980010{serial % 10000:04d}"
    return body + check_char(body)


def add_regions(session: Session) -> None:
    for code, name, level, parent in REGIONS:
        session.add(Region(code=code, name=name, level=level, parent_code=parent))
    session.flush()


def add_household(
    session: Session,
    *,
    village: str = VILLAGE_A,
    head_name: str | None = None,
    labour: Iterable[str] = ("full", "none"),
    health: str = "healthy",
    phone: str | None = None,
) -> Household:
    """A household with one member per `labour` entry (the first is the head)."""
    n = next(_counter)
    household = Household(
        household_id=f"H{n:06d}",
        village_code=village,
        head_id_number=id_number(n * 10),
        address=f"{n}号",
        phone=phone or f"1390000{n:04d}",
        status="ordinary",
        registered_on=dt.date(2020, 1, 1),
    )
    session.add(household)
    session.flush()
    for index, capacity in enumerate(labour):
        session.add(
            Member(
                member_id=f"M{n:06d}{index}",
                household_id=household.household_id,
                id_number=household.head_id_number if index == 0 else id_number(n * 10 + index),
                name=(head_name or f"张{n}") if index == 0 else f"李{n}{index}",
                sex="M" if index == 0 else "F",
                birth_date=dt.date(1980, 1, 1),
                relation="head" if index == 0 else "spouse",
                labour=capacity,
                health=health if index == 0 else "healthy",
                in_household=True,
            )
        )
    session.flush()
    return household
