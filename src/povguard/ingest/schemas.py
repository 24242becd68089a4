"""Import batch schemas (API and pages)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

Status = Literal["validating", "validated", "loading", "imported", "failed"]


class BatchCreated(BaseModel):
    batch_id: str


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    batch_id: str = Field(validation_alias=AliasChoices("id", "batch_id"))
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    username: str
    region_code: str
    source: str = Field(description="the uploaded file's name, or the imported folder")
    status: Status
    progress: float
    rows: dict[str, int] = Field(default_factory=dict, description="rows per file")
    unmatched: dict[str, int] = Field(
        default_factory=dict, description="feed rows per file whose person or household is unknown"
    )
    errors_count: int
    unmatched_count: int
    provinces: list[str] = Field(default_factory=list)
    message: str | None = None

    @field_validator("rows", "unmatched", mode="before")
    @classmethod
    def _no_counts_yet(cls, value: object) -> object:
        return {} if value is None else value

    @field_validator("provinces", mode="before")
    @classmethod
    def _no_provinces_yet(cls, value: object) -> object:
        return [] if value is None else value


class BadRow(BaseModel):
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


class BatchDetail(BatchRead):
    bad_rows: list[BadRow] = Field(
        default_factory=list, description="the first 200 bad rows (all of them: errors.csv)"
    )
    errors_per_file: dict[str, int] = Field(default_factory=dict)
