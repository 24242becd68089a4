"""Household search results and profiles, with personal data already masked for the caller."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

MASKED = "—"  # shown instead of a value the caller's role may not see


class HouseholdSummary(BaseModel):
    household_id: str
    village_code: str
    village_name: str | None
    head_name: str | None
    head_id_number: str | None
    status: str
    members: int  # members with in_household true


class HouseholdPage(BaseModel):
    items: list[HouseholdSummary]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


class MemberRead(BaseModel):
    member_id: str
    name: str
    id_number: str
    sex: str
    birth_date: dt.date | None  # None when masked: it is part of the ID number
    age: int
    relation: str
    labour: str
    health: str
    in_household: bool


class RegionRef(BaseModel):
    code: str
    name: str | None
    level: str


class HouseholdRead(BaseModel):
    household_id: str
    village_code: str
    regions: list[RegionRef]  # province … village, those in the region registry
    head_id_number: str | None
    address: str | None
    phone: str | None
    status: str
    exit_year: int | None
    relocated: bool | None
    registered_on: dt.date | None
    members: list[MemberRead]
    masked: bool  # True when personal data was masked for the caller's role
