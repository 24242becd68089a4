"""SPEC §5 policy parameters: one entry per province and year, every value exact (Decimal)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from povguard.regions.codes import Level, level_of

Ratio = Annotated[Decimal, Field(ge=0, le=100)]
Money = Annotated[Decimal, Field(gt=0, decimal_places=2)]
Days = Annotated[int, Field(ge=0, le=3650)]


class PolicyEntry(BaseModel):
    """The parameters in force in one province for one calendar year (SPEC §5 defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    province: str
    year: int = Field(ge=2000, le=2100)
    monitoring_line: Money
    rural_disposable_income: Money
    medical_ratio_formerly_poor: Ratio = Decimal("0.5")
    medical_ratio_other: Ratio = Decimal("1.0")
    income_drop_ratio: Annotated[Decimal, Field(ge=0, le=1)] = Decimal("0.3")
    near_line_ratio: Ratio = Decimal("1.5")
    disaster_loss_ratio: Ratio = Decimal("0.5")
    education_cost_limit: Annotated[Decimal, Field(ge=0, decimal_places=2)] = Decimal("10000")
    unemployed_days: Days = 30
    declaration_days: Days = 90
    publicity_days: Days = 5
    identification_days: Days = 15
    stable_months: Annotated[int, Field(ge=1, le=60)] = 6

    @field_validator("province", mode="before")
    @classmethod
    def _province_code(cls, value: object) -> str:
        text = str(value)
        if level_of(text) is not Level.PROVINCE:
            raise ValueError(f"{text!r} is not a 12-digit province code (e.g. '530000000000')")
        return text

    @field_validator(
        "monitoring_line",
        "rural_disposable_income",
        "medical_ratio_formerly_poor",
        "medical_ratio_other",
        "income_drop_ratio",
        "near_line_ratio",
        "disaster_loss_ratio",
        "education_cost_limit",
        mode="before",
    )
    @classmethod
    def _exact_decimal(cls, value: object) -> object:
        # YAML gives floats; their shortest repr is the number the author wrote.
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, float | int):
            return Decimal(repr(value))
        return value


PARAMETERS = tuple(name for name in PolicyEntry.model_fields if name not in ("province", "year"))
