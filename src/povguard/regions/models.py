"""Region tree: the 12-digit statistical divisions (SPEC §2)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from povguard.core.db import Base, key_string


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(key_string(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10), index=True)
    parent_code: Mapped[str | None] = mapped_column(
        key_string(12), ForeignKey("regions.code"), index=True
    )
    zone: Mapped[str | None] = mapped_column(String(10))
    key_county: Mapped[bool | None] = mapped_column(Boolean)
