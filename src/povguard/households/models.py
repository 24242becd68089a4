"""Households and their members (SPEC §3 `households`, `members`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from povguard.core.db import Base, key_string


class Household(Base):
    __tablename__ = "households"

    household_id: Mapped[str] = mapped_column(key_string(40), primary_key=True)
    village_code: Mapped[str] = mapped_column(
        key_string(12), ForeignKey("regions.code"), index=True
    )
    head_id_number: Mapped[str | None] = mapped_column(key_string(18))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    exit_year: Mapped[int | None] = mapped_column(Integer)
    relocated: Mapped[bool | None] = mapped_column(Boolean)
    registered_on: Mapped[dt.date | None] = mapped_column(Date)


class Member(Base):
    __tablename__ = "members"

    member_id: Mapped[str] = mapped_column(key_string(40), primary_key=True)
    household_id: Mapped[str] = mapped_column(key_string(40), ForeignKey("households.household_id"))
    # Unique among the in-household rows only (migration 0015): a person who moved keeps a row
    # out of the old household. Indexes, not table constraints (migration 0012): a large
    # import can drop them and build them once at the end, which SQLite cannot do with a
    # constraint.
    id_number: Mapped[str] = mapped_column(key_string(18), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    relation: Mapped[str] = mapped_column(String(12))
    labour: Mapped[str] = mapped_column(key_string(8))
    health: Mapped[str] = mapped_column(String(10))
    in_household: Mapped[bool] = mapped_column(Boolean)

    # Also answers "has a labour-capable member in the household" from the index alone.
    __table_args__ = (
        Index("ix_members_household_id", "household_id", "in_household", "labour"),
        Index(
            "ux_members_in_household_id_number",
            "id_number",
            unique=True,
            sqlite_where=text("in_household"),
            postgresql_where=text("in_household"),
        ),
    )
