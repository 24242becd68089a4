"""What the system already knows about a case's household, so that no form asks for it again:
the causes behind a clue's rules and records, the household's income records, its latest
screening clue, the evidence an elimination is checked against, and a measure that fits.

Reads only (the lake and the database); nothing here changes a record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases import elimination
from povguard.cases.enums import DISASTER_CAUSE_RE, MAX_CAUSES, is_cause
from povguard.cases.service import load_case
from povguard.core.errors import NotFound
from povguard.policy.service import PolicyBook
from povguard.regions.codes import prefix
from povguard.screening import runs
from povguard.screening.lake import household_rows
from povguard.screening.rules import RULES_BY_CODE
from povguard.screening.schemas import ClueRead

CENT = Decimal("0.01")
# Rules whose hit means the matching SPEC §7 guarantee (or rigid spending) is not secured.
RIGID_SPENDING_RULES = frozenset({"R03", "R04", "R08"})
GUARANTEE_RULES = {"education": "R07", "medical": "R09", "housing": "R10", "water": "R11"}
# The measure a cause usually calls for (SPEC §8 catalogue), as "group:type".
MEASURE_FOR_CAUSE = {
    "01": "social_security:medical_assistance",
    "02": "housing:dangerous_house_renovation",
    "03": "social_security:dibao",
    "04": "social_security:dibao",
    "05": "social_security:temporary_assistance",
    "06": "industry:subsidy",
    "07": "employment:skills_training",
    "08": "social_security:temporary_assistance",
    "09": "education:education_subsidy",
}
DEVELOPMENT_MEASURE = "employment:public_welfare_post"


def rule_causes(rules: Iterable[str]) -> set[str]:
    """The SPEC §7 cause codes the rules stand for (R04 → 01, R12 → 07 …)."""
    return {
        RULES_BY_CODE[code].cause
        for code in rules
        if code in RULES_BY_CODE and is_cause(RULES_BY_CODE[code].cause)
    }


def _evidence_ids(clue: ClueRead, rule: str, key: str) -> set[str]:
    value = clue.evidence.get(rule, {}).get(key) or []
    return {str(v) for v in (value if isinstance(value, list) else str(value).split(","))}


def clue_causes(lake: Path, clue: ClueRead) -> list[str]:
    """The cause codes a clue points at: its rules', the hazard of its disaster records (R05)
    and the causes its declarations give (R15); at most five."""
    rules = clue.rules.split(";")
    causes = rule_causes(rules)
    if "R05" in rules:
        ids = _evidence_ids(clue, "R05", "dis_ids")
        rows = _rows(lake, "feeds/disaster", clue.household_id, clue.village_code)
        causes |= {str(r["hazard"]) for r in rows if r["record_id"] in ids and r.get("hazard")}
    if "R15" in rules:
        ids = _evidence_ids(clue, "R15", "declared_ids")
        rows = _rows(lake, "declarations", clue.household_id, clue.village_code)
        for row in rows:
            if row["declaration_id"] in ids:
                causes |= {c for c in str(row.get("causes") or "").split(";") if c}
    return sorted(c for c in causes if is_cause(c))[:MAX_CAUSES]


def _rows(lake: Path, name: str, household_id: str, village_code: str) -> list[dict[str, Any]]:
    try:
        return household_rows(lake, name, household_id, village_code)
    except (OSError, pl.exceptions.PolarsError):  # a lake being rewritten: show nothing
        return []


@dataclass(frozen=True)
class IncomeRecord:
    period_start: str  # YYYY-MM
    period_end: str
    months: int
    net: Decimal  # wage + operating + property + transfer − production cost
    source: str

    def covers(self, month: str) -> bool:
        return self.period_start <= month <= self.period_end


def _months(start: str, end: str) -> int:
    (y1, m1), (y2, m2) = (map(int, start.split("-")), map(int, end.split("-")))
    return max((y2 - y1) * 12 + m2 - m1 + 1, 1)


def _money(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def income_records(lake: Path, household_id: str, village_code: str) -> list[IncomeRecord]:
    """The household's income records in the lake, newest first."""
    records = [
        IncomeRecord(
            period_start=row["period_start"],
            period_end=row["period_end"],
            months=_months(row["period_start"], row["period_end"]),
            net=sum(
                (_money(row[name]) for name in ("wage", "operating", "property", "transfer")),
                Decimal(0),
            )
            - _money(row["production_cost"]),
            source=str(row.get("source") or ""),
        )
        for row in _rows(lake, "income", household_id, village_code)
    ]
    return sorted(records, key=lambda r: r.period_start, reverse=True)


def monthly_pc_income(
    records: list[IncomeRecord], members: int, months: list[str]
) -> dict[str, Decimal]:
    """For each month, the annualised per-capita net income of the record covering it."""
    result: dict[str, Decimal] = {}
    if members <= 0:
        return result
    for month in months:
        record = next((r for r in records if r.covers(month)), None)
        if record is not None:
            annual = record.net * 12 / record.months / members
            result[month] = annual.quantize(CENT, rounding=ROUND_HALF_UP)
    return result


def clue_of(session: Session, principal: Principal, lake: Path, clue_id: str) -> ClueRead | None:
    """A stored clue, or None when its run or household is gone (or out of scope)."""
    try:
        return runs.get_clue(session, principal, lake, clue_id)
    except (NotFound, OSError, pl.exceptions.PolarsError):
        return None


def latest_clue(
    session: Session, principal: Principal, lake: Path, household_id: str, village_code: str
) -> tuple[str | None, ClueRead | None]:
    """The newest finished run covering the household, and its clue for it (None: no hit)."""
    for run in runs.list_runs(session, principal):
        covers = run.region_code == runs.NATIONAL or village_code.startswith(
            prefix(run.region_code)
        )
        if run.state == "done" and covers:
            return run.id, clue_of(session, principal, lake, f"{run.id}:{household_id}")
    return None, None


@dataclass(frozen=True)
class EliminationDefaults:
    """The SPEC §7 elimination evidence as the system can fill it in."""

    line: Decimal | None
    months: list[tuple[str, Decimal | None]]  # the last stable_months months, oldest first
    rigid_spending_resolved: bool
    guarantees: dict[str, bool]  # education, medical, housing, water
    open_rules: list[str]
    run_id: str | None  # the screening run the rules come from
    evidence: dict[str, Any] = field(default_factory=dict)  # as EliminationEvidence fields


def elimination_defaults(
    session: Session,
    principal: Principal,
    lake: Path,
    case_id: int,
    *,
    policy: PolicyBook | None,
    members: int,
    today: dt.date,
) -> EliminationDefaults:
    """The elimination evidence of the case's household on `today`, from the lake, the latest
    screening run and the province's policy; the officer checks and corrects it."""
    case = load_case(session, principal, case_id)
    months = elimination.last_months(today, case.stable_months)
    records = income_records(lake, case.household_id, case.village_code)
    incomes = monthly_pc_income(records, members, months)
    entry = policy.latest(case.village_code, today.year) if policy is not None else None
    line = Decimal(str(entry.monitoring_line)) if entry is not None else None
    run_id, clue = latest_clue(session, principal, lake, case.household_id, case.village_code)
    rules = clue.rules.split(";") if clue is not None else []
    guarantees = {name: rule not in rules for name, rule in GUARANTEE_RULES.items()}
    resolved = not RIGID_SPENDING_RULES & set(rules)
    evidence = {
        "monthly_pc_income": {m: str(v) for m, v in incomes.items()},
        "rigid_spending_resolved": resolved,
        **{f"{name}_secured": ok for name, ok in guarantees.items()},
        "open_rules": rules,
        "line": str(line) if line is not None else None,
    }
    return EliminationDefaults(
        line=line,
        months=[(m, incomes.get(m)) for m in months],
        rigid_spending_resolved=resolved,
        guarantees=guarantees,
        open_rules=rules,
        run_id=run_id,
        evidence=evidence,
    )


def suggested_measure(causes: Iterable[str], *, needs_development: bool) -> str | None:
    """The measure to preselect ("group:type"): a development measure when the plan lacks
    one for a labour-capable household, else the one the first cause calls for."""
    if needs_development:
        return DEVELOPMENT_MEASURE
    for cause in sorted(causes):
        key = "02" if DISASTER_CAUSE_RE.match(cause) else cause
        if key in MEASURE_FOR_CAUSE:
            return MEASURE_FOR_CAUSE[key]
    return None
