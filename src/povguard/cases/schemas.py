"""Pydantic v2 schemas of cases, steps, measures, referrals and elimination checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from povguard.cases.enums import (
    MAX_CAUSES,
    MEASURE_TYPES,
    Action,
    CaseKind,
    CaseSource,
    CaseState,
    Category,
    EliminationRoute,
    MeasureGroup,
    MeasureStatus,
    ReferralAnswer,
    ReferralProgram,
    is_cause,
)
from povguard.core.types import IsoDate

Text = Annotated[str, Field(max_length=2000)]


def _valid_causes(codes: list[str]) -> list[str]:
    bad = [c for c in codes if not is_cause(c)]
    if bad:
        raise ValueError(
            f"unknown cause code(s) {', '.join(bad)} (SPEC §7: 01, 0201–0207, 03–09, 99)"
        )
    if len(codes) > MAX_CAUSES:
        raise ValueError(f"at most {MAX_CAUSES} cause codes, not {len(codes)}")
    return sorted(set(codes))


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CaseCreate(_In):
    household_id: str = Field(min_length=1, max_length=40)
    source: CaseSource
    kind: CaseKind = CaseKind.IDENTIFICATION
    clue_id: str | None = Field(default=None, max_length=60)
    rules: str | None = Field(default=None, max_length=200)  # R01;R04 from the clue
    category: Category | None = None
    causes: list[str] = Field(default_factory=list)
    serious_illness: bool = False  # with cause 01: opens the green channel
    received_on: IsoDate | None = None
    note: Text = ""

    @field_validator("causes")
    @classmethod
    def _causes(cls, value: list[str]) -> list[str]:
        return _valid_causes(value)


class EliminationEvidence(_In):
    """The data an elimination is checked against (recorded with the cross-check)."""

    monthly_pc_income: dict[str, Decimal]  # 'YYYY-MM' → annualised per-capita net income
    rigid_spending_resolved: bool
    education_secured: bool
    medical_secured: bool
    housing_secured: bool
    water_secured: bool
    open_rules: list[str] = Field(default_factory=list)
    line: Decimal = Field(gt=0)  # the province's monitoring line for the year

    @field_validator("monthly_pc_income")
    @classmethod
    def _months(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for month in value:
            try:
                dt.date.fromisoformat(f"{month}-01")
            except ValueError as exc:
                raise ValueError(f"{month!r} is not a month (YYYY-MM)") from exc
        return value


class TransitionIn(_In):
    action: Action
    version: int = Field(ge=1)
    comment: Text = ""
    attachments: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list)
    on: IsoDate | None = None  # the day the step took place (default: today)
    authorisation_signed: bool = False  # record_visit
    category: Category | None = None  # approve (identification)
    causes: list[str] | None = None  # approve (identification)
    route: EliminationRoute | None = None  # approve (elimination)
    elimination: EliminationEvidence | None = None  # record_cross_check (elimination)

    @field_validator("causes")
    @classmethod
    def _causes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _valid_causes(value)


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_state: str
    to_state: str
    actor: str
    role: str
    at: dt.datetime
    on: dt.date
    comment: str
    attachments: list[str]


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source: str
    clue_id: str | None
    rules: str | None
    category: str | None
    causes: list[str]
    received_on: dt.date
    note: str


class DeadlineRead(BaseModel):
    step: str
    due: dt.date


class CaseRead(BaseModel):
    id: int
    household_id: str
    village_code: str
    kind: CaseKind
    source: CaseSource
    state: CaseState
    is_open: bool
    clue_id: str | None
    rules: str | None
    category: Category | None
    causes: list[str]
    green_channel: bool
    returned_to_risk: bool
    route: EliminationRoute | None
    received_on: dt.date
    closed_on: dt.date | None
    publicity_started_on: dt.date | None
    publicity_ended_on: dt.date | None
    procedure_due: dt.date
    step_deadline: DeadlineRead | None
    days_left: int | None  # None once closed
    overdue: list[str]  # missed deadlines: the current step's and/or "procedure"
    version: int
    allowed_actions: list[Action]
    steps: list[StepRead] = Field(default_factory=list)
    evidence: list[EvidenceRead] = Field(default_factory=list)
    elimination_check: dict[str, Any] | None = None


class MeasureCreate(_In):
    group: MeasureGroup
    type: str = Field(min_length=1, max_length=32)
    responsible_unit: str = Field(min_length=1, max_length=100)
    responsible_cadre: str | None = Field(default=None, max_length=60)
    start: dt.date
    end: dt.date | None = None
    amount: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    status: MeasureStatus = MeasureStatus.PLANNED

    @model_validator(mode="after")
    def _type_in_group(self) -> MeasureCreate:
        allowed = MEASURE_TYPES[self.group]
        if self.type not in allowed:
            raise ValueError(
                f"type {self.type!r} is not a {self.group.value} measure "
                f"({', '.join(sorted(allowed))})"
            )
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class MeasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: str
    case_id: int
    group: MeasureGroup
    type: str
    responsible_unit: str
    responsible_cadre: str | None
    start: dt.date
    end: dt.date | None
    amount: Decimal | None
    status: MeasureStatus
    version: int


class ReferralCreate(_In):
    household_id: str = Field(min_length=1, max_length=40)
    program: ReferralProgram
    case_id: int | None = None
    referred_on: dt.date | None = None
    days: int = Field(default=15, ge=1, le=365)
    note: Text = ""


class ReferralAnswerIn(_In):
    answer: ReferralAnswer
    answered_on: dt.date | None = None
    version: int = Field(ge=1)
    note: Text = ""


class ReferralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: str
    case_id: int | None
    village_code: str
    program: ReferralProgram
    referred_on: dt.date
    due_on: dt.date
    answer: ReferralAnswer | None
    answered_on: dt.date | None
    note: str
    version: int


class CheckRead(BaseModel):
    name: str
    passed: bool
    data: dict[str, Any]


class EliminationReport(BaseModel):
    case_id: int
    as_of: dt.date
    checks: list[CheckRead]
    passed: bool
    labour_capable: bool
    secured_by_social_security: bool


class OverdueRead(BaseModel):
    case_id: int
    household_id: str
    village_code: str
    state: CaseState
    missed: list[str]
    days_left: int


class QualityFlag(BaseModel):
    household_id: str
    village_code: str
    flag: str
