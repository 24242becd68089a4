"""Screening run and clue schemas (API and pages)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from povguard.core.types import IsoDate
from povguard.households.schemas import MASKED


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: IsoDate = Field(description="Screening date D")
    region: str = Field(
        pattern=r"^\d{12}$", description="12-digit code of the region to screen (its subtree)"
    )
    engine: Literal["duckdb", "spark"] = "duckdb"


class RunCreated(BaseModel):
    run_id: str


class RunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    run_id: str = Field(validation_alias="id")
    as_of: dt.date
    region_code: str
    engine: str
    state: Literal["queued", "running", "done", "failed"]
    progress: float
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    seconds: float | None = None
    policy_version: str | None = None
    households: int | None = Field(
        None, description="households screened; none when the run covers more than your scope"
    )
    clue_count: int | None = None
    missing_income: int | None = None
    to_verify: int | None = None
    counts: dict[str, int] = Field(
        default_factory=dict,
        description="clues per rule (R01…R16) and per category; like every figure of the run, "
        "within your scope",
    )
    error: str | None = None

    @field_validator("counts", mode="before")
    @classmethod
    def _no_counts_yet(cls, value: object) -> object:
        return {} if value is None else value


class ClueRead(BaseModel):
    clue_id: str = Field(description="run id and household id: the clue's identity for cases")
    household_id: str
    village_code: str
    category: str
    rules: str
    pc_income: str = Field(description="2 decimals; empty when income data are missing")
    line: str
    evidence: dict[str, Any]
    in_open_case: bool
    to_verify: list[str] = Field(description="asset records to verify (vehicle, housing, …)")

    @classmethod
    def from_row(cls, run_id: str, row: dict[str, Any], *, masked: bool = False) -> ClueRead:
        """The clue of a stored row; `masked` (a role that does not see personal data) keeps
        which rules fired but not the records and amounts behind them (medical costs,
        disability and health records are health data)."""
        evidence = json.loads(row["evidence"])
        return cls(
            clue_id=f"{run_id}:{row['household_id']}",
            household_id=row["household_id"],
            village_code=row["village_code"],
            category=row["category"],
            rules=row["rules"],
            pc_income=row["pc_income"] or "",
            line=row["line"],
            evidence=dict.fromkeys(evidence, MASKED) if masked else evidence,
            in_open_case=row["in_open_case"],
            to_verify=[r for r in (row["to_verify"] or "").split(",") if r],
        )


class CluePage(BaseModel):
    items: list[ClueRead]
    total: int
