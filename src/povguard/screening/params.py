"""Policy entries as the integer parameter rows the rule SQL compares against (exact)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from povguard.core.errors import BadInput
from povguard.policy.schema import PolicyEntry


class ParamRow(NamedTuple):
    prov: str
    line_c: int
    rdi_c: int
    mfp_n: int
    mfp_d: int
    mot_n: int
    mot_d: int
    drop_n: int
    drop_d: int
    near_n: int
    near_d: int
    dl_n: int
    dl_d: int
    edu_c: int
    unemp_days: int
    decl_days: int


def cents(value: Decimal, what: str) -> int:
    scaled = value * 100
    if scaled != scaled.to_integral_value():
        raise BadInput(f"policy: {what} {value} has more than 2 decimals")
    return int(scaled)


def fraction(value: Decimal) -> tuple[int, int]:
    numerator, denominator = value.as_integer_ratio()
    return numerator, denominator


def param_row(entry: PolicyEntry) -> ParamRow:
    """The exact integer form of one province's parameters for one year."""
    return ParamRow(
        entry.province,
        cents(entry.monitoring_line, "monitoring_line"),
        cents(entry.rural_disposable_income, "rural_disposable_income"),
        *fraction(entry.medical_ratio_formerly_poor),
        *fraction(entry.medical_ratio_other),
        *fraction(entry.income_drop_ratio),
        *fraction(entry.near_line_ratio),
        *fraction(entry.disaster_loss_ratio),
        cents(entry.education_cost_limit, "education_cost_limit"),
        entry.unemployed_days,
        entry.declaration_days,
    )
