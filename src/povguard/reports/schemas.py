"""Report requests and jobs (API, pages and CLI)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from povguard.analytics.kpi.period import MONTH_PATTERN


class ReportKind(StrEnum):
    MONTHLY = "monthly"  # monthly county report, PDF
    ROSTER = "roster"  # list of monitoring objects for printing, PDF
    OBJECTS = "objects"  # monitoring objects, Excel
    CLUES = "clues"  # clues of a screening run, Excel
    KPIS = "kpis"  # KPI table per child region, Excel


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: ReportKind
    region: str = Field(pattern=r"^\d{12}$", description="12-digit region code")
    month: str | None = Field(None, pattern=MONTH_PATTERN, description="monthly, roster: YYYY-MM")
    first: str | None = Field(None, alias="from", pattern=MONTH_PATTERN, description="kpis")
    last: str | None = Field(None, alias="to", pattern=MONTH_PATTERN, description="kpis")
    run_id: str | None = Field(None, max_length=32, description="clues: the screening run")

    def params(self) -> dict[str, Any]:
        values = {"month": self.month, "from": self.first, "to": self.last, "run_id": self.run_id}
        return {key: value for key, value in values.items() if value is not None}


class ReportCreated(BaseModel):
    report_id: str


class ReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    report_id: str = Field(validation_alias="id")
    kind: ReportKind
    region_code: str
    params: dict[str, Any]
    state: str = Field(description="queued | running | done | failed | expired")
    progress: float
    created_by: str
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    file_name: str | None = None
    size_bytes: int | None = None
    error: str | None = None
