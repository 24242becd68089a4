"""What the KPI layer returns: plain Pydantic models that pages, the API and reports share."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class MonthCounts(BaseModel):
    month: str = Field(description="YYYY-MM")
    identified: int = Field(description="identification cases approved in the month")
    eliminated: int = Field(description="elimination cases approved (risk eliminated)")
    returned_to_risk: int = Field(description="approved identifications marked returned to risk")


class DurationStats(BaseModel):
    cases: int = Field(description="identification cases approved in the period")
    median_days: float | None = None
    p90_days: float | None = Field(None, description="nearest-rank 90th percentile")


class RuleKpi(BaseModel):
    rule: str
    clues: int = Field(
        description="clues of the rule in the latest finished run covering the region"
    )
    hit_rate: float | None = Field(None, description="clues / households of the region")
    cases: int = Field(description="screening cases citing the rule, received in the period")
    objects: int = Field(description="of those cases, the ones approved as monitoring objects")
    yield_rate: float | None = Field(None, description="objects / cases")


class Kpis(BaseModel):
    region: str
    period_from: str = Field(description="first month, YYYY-MM")
    period_to: str = Field(description="last month, YYYY-MM")
    as_of: dt.date = Field(description="end of the period (stocks are counted on this day)")
    households: int
    objects: int = Field(description="monitoring objects identified by the end of the period")
    objects_by_category: dict[str, int]
    objects_by_cause: dict[str, int]
    objects_by_status: dict[str, int]
    secured_by_social_security: int
    months: list[MonthCounts]
    identified: int
    eliminated: int
    returned_to_risk: int
    days_clue_to_approval: DurationStats
    cases_by_state: dict[str, int]
    open_cases: int
    overdue_cases: int = Field(description="open cases past a deadline today")
    latest_run: str | None
    clues: int
    rules: list[RuleKpi]
    elimination_rate: float | None = Field(None, description="eliminated / objects")
    return_to_risk_rate: float | None = Field(
        None, description="returned-to-risk identifications / eliminations, up to the period end"
    )
    assistance_coverage: float | None = Field(
        None, description="monitored objects with a measure given / monitored objects"
    )
    quality_flags: dict[str, int]


class RegionSummary(BaseModel):
    """SPEC §14 region summary: today's objects, cases, overdue cases and latest clues."""

    region: str
    objects: int
    objects_by_category: dict[str, int]
    objects_by_cause: dict[str, int]
    objects_by_status: dict[str, int]
    cases_by_state: dict[str, int]
    open_cases: int
    overdue_cases: int
    latest_run: str | None
    clues: int
    clues_by_rule: dict[str, int]


class ObjectRow(BaseModel):
    """One monitoring object as exports and printed lists show it."""

    household_id: str
    village_code: str
    village_name: str | None
    head_name: str | None
    head_id_number: str | None = Field(description="masked unless the caller's role needs it")
    category: str
    causes: list[str]
    status: str
    identified_on: dt.date
    eliminated_on: dt.date | None
    secured_by_social_security: bool
    measures: int = Field(description="assistance measures given (in progress or done)")
