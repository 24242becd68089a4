"""Import batches: one row per import attempt (command line or browser upload)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from povguard.core.db import Base, key_string


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    username: Mapped[str] = mapped_column(String(60))
    region_code: Mapped[str] = mapped_column(key_string(12), index=True)  # the importer's scope
    source: Mapped[str] = mapped_column(String(500))
    # uploaded → validating → validated | failed; validated → loading → imported | failed
    status: Mapped[str] = mapped_column(String(12), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    rows: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # rows per file
    unmatched: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # unmatched rows per file
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    unmatched_count: Mapped[int] = mapped_column(Integer, default=0)
    provinces: Mapped[list[str] | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
