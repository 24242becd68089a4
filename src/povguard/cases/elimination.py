"""SPEC §7 risk elimination conditions and data-quality flags: pure functions, no I/O.

Each check returns whether it passed and the data behind the verdict, so a township officer can
see *why* a household may (not) be eliminated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from povguard.cases.deadlines import add_months

MIN_MONTHS_IDENTIFIED = 6
EARLY_ELIMINATION_MONTHS = 2
LABOUR_CAPABLE = frozenset({"full", "partial"})


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EliminationInput:
    """What the system knows about the household when elimination is considered."""

    line: Decimal
    stable_months: int
    # Annualised per-capita net income assessed at each month ('YYYY-MM' → yuan).
    monthly_pc_income: Mapping[str, Decimal]
    rigid_spending_resolved: bool
    education_secured: bool
    medical_secured: bool
    housing_secured: bool
    water_secured: bool
    open_rules: Collection[str]  # rules the latest screening still finds
    identified_on: dt.date
    measures_given: int  # measures in progress or done
    labour_capable: bool
    social_security_measures: int  # social security measures in progress or done


def last_months(as_of: dt.date, count: int) -> list[str]:
    """The `count` months before `as_of`'s month, oldest first ('YYYY-MM')."""
    first = add_months(as_of.replace(day=1), -count)
    return [add_months(first, i).strftime("%Y-%m") for i in range(count)]


def income_stable(
    monthly: Mapping[str, Decimal], line: Decimal, stable_months: int, as_of: dt.date
) -> Check:
    """Income ≥ line in each of the last `stable_months` months (a missing month fails)."""
    months = last_months(as_of, stable_months)
    missing = [m for m in months if m not in monthly]
    below = [m for m in months if m in monthly and monthly[m] < line]
    data = {
        "line": str(line),
        "months": {m: (str(monthly[m]) if m in monthly else None) for m in months},
        "missing": missing,
        "below_line": below,
    }
    return Check("income_stable", not missing and not below, data)


def identified_long_enough(identified_on: dt.date, as_of: dt.date) -> Check:
    earliest = add_months(identified_on, MIN_MONTHS_IDENTIFIED)
    data = {"identified_on": identified_on.isoformat(), "earliest": earliest.isoformat()}
    return Check("identified_6_months", as_of >= earliest, data)


def months_identified_ok(identified_on: dt.date, as_of: dt.date) -> bool:
    return identified_long_enough(identified_on, as_of).passed


def check_elimination(
    facts: EliminationInput, as_of: dt.date, *, evidence_as_of: dt.date | None = None
) -> list[Check]:
    """Every SPEC §7 condition, in the order the procedure lists them.

    The income figures are judged at the day they were gathered (`evidence_as_of`, the
    cross-check); the time since identification and the measures at `as_of`.
    """
    guarantees = {
        "education": facts.education_secured,
        "medical": facts.medical_secured,
        "housing": facts.housing_secured,
        "water": facts.water_secured,
    }
    return [
        income_stable(
            facts.monthly_pc_income, facts.line, facts.stable_months, evidence_as_of or as_of
        ),
        Check("rigid_spending_resolved", facts.rigid_spending_resolved),
        Check("guarantees_and_water", all(guarantees.values()), guarantees),
        Check("no_open_rule_hit", not facts.open_rules, {"rules": sorted(facts.open_rules)}),
        identified_long_enough(facts.identified_on, as_of),
        Check("measure_given", facts.measures_given > 0, {"measures": facts.measures_given}),
    ]


def secured_by_social_security(labour_capable: bool, social_security_measures: int) -> bool:
    """No labour capacity and needs met by social security: kept monitored, never eliminated."""
    return not labour_capable and social_security_measures > 0


def blockers(checks: Iterable[Check]) -> tuple[str, ...]:
    return tuple(f"{c.name} not met" for c in checks if not c.passed)


def labour_capable(members: Iterable[tuple[str, bool]]) -> bool:
    """Any member still in the household with full or partial labour capacity."""
    return any(in_household and labour in LABOUR_CAPABLE for labour, in_household in members)


def eliminated_early(identified_on: dt.date, eliminated_on: dt.date) -> bool:
    """Eliminated within EARLY_ELIMINATION_MONTHS of its identification (a §7 quality flag)."""
    return eliminated_on <= add_months(identified_on, EARLY_ELIMINATION_MONTHS)


@dataclass(frozen=True)
class ObjectFacts:
    """One monitoring object as the data-quality flags see it."""

    household_id: str
    village_code: str
    identified_on: dt.date
    eliminated_on: dt.date | None
    pc_income_at_elimination: Decimal | None
    line: Decimal | None
    labour_capable: bool
    development_measures: int


def quality_flags(obj: ObjectFacts) -> list[str]:
    """SPEC §7 data-quality flags of one monitoring object."""
    flags = []
    if obj.eliminated_on is not None:
        income, line = obj.pc_income_at_elimination, obj.line
        if income is not None and line is not None and income < line:
            flags.append("eliminated_below_line")
        if eliminated_early(obj.identified_on, obj.eliminated_on):
            flags.append("eliminated_within_2_months")
    elif obj.labour_capable and obj.development_measures == 0:
        flags.append("no_development_measure")
    return flags
