"""Approval of a case: the elimination conditions checked against stored evidence, and the
monitoring object created (identification) or closed (elimination) in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.audit import service as audit
from povguard.auth.principal import Principal
from povguard.cases import elimination
from povguard.cases.common import flush_or_conflict, is_labour_capable
from povguard.cases.enums import (
    GIVEN_STATUSES,
    CaseKind,
    CaseState,
    MeasureGroup,
    ObjectStatus,
)
from povguard.cases.models import Case, Measure, MonitoringObject
from povguard.cases.schemas import CheckRead, EliminationEvidence, EliminationReport, TransitionIn
from povguard.core.errors import Conflict


def _given_measures(session: Session, household_id: str) -> tuple[int, int]:
    """(measures given, social security measures given) to the household."""
    rows = session.execute(
        sa.select(Measure.group, sa.func.count())
        .where(
            Measure.household_id == household_id,
            Measure.status.in_([s.value for s in GIVEN_STATUSES]),
        )
        .group_by(Measure.group)
    ).all()
    total = sum(count for _, count in rows)
    security = sum(count for group, count in rows if group == MeasureGroup.SOCIAL_SECURITY)
    return total, security


def build_report(
    session: Session,
    case: Case,
    evidence: EliminationEvidence,
    as_of: dt.date,
    *,
    evidence_as_of: dt.date | None = None,
) -> EliminationReport:
    """The elimination conditions of `case` on `as_of` (income as gathered on evidence_as_of)."""
    obj = session.get(MonitoringObject, case.household_id)
    if obj is None:
        raise Conflict(f"household {case.household_id} is not a monitoring object")
    given, security = _given_measures(session, case.household_id)
    labour = is_labour_capable(session, case.household_id)
    facts = elimination.EliminationInput(
        line=evidence.line,
        stable_months=case.stable_months,
        monthly_pc_income=evidence.monthly_pc_income,
        rigid_spending_resolved=evidence.rigid_spending_resolved,
        education_secured=evidence.education_secured,
        medical_secured=evidence.medical_secured,
        housing_secured=evidence.housing_secured,
        water_secured=evidence.water_secured,
        open_rules=evidence.open_rules,
        identified_on=obj.identified_on,
        measures_given=given,
        labour_capable=labour,
        social_security_measures=security,
    )
    checks = elimination.check_elimination(facts, as_of, evidence_as_of=evidence_as_of)
    return EliminationReport(
        case_id=case.id,
        as_of=as_of,
        checks=[CheckRead(name=c.name, passed=c.passed, data=c.data) for c in checks],
        passed=all(c.passed for c in checks),
        labour_capable=labour,
        secured_by_social_security=elimination.secured_by_social_security(labour, security),
    )


def approval_blockers(
    session: Session, case: Case, data: TransitionIn, on: dt.date
) -> tuple[tuple[str, ...], bool]:
    """Unmet approval conditions and whether the household is secured by social security."""
    if case.kind == CaseKind.IDENTIFICATION:
        missing = []
        if not (data.category or case.category):
            missing.append("a category is required")
        if not (data.causes or case.causes):
            missing.append("1 to 5 cause codes are required")
        return tuple(missing), False
    stored = case.elimination_check
    if not stored:
        return ("the elimination conditions were not checked at the cross-check",), False
    evidence = EliminationEvidence.model_validate(stored["evidence"])
    report = build_report(session, case, evidence, on, evidence_as_of=case.cross_checked_on)
    if report.secured_by_social_security:
        return (), True
    missing = [f"{c.name} not met" for c in report.checks if not c.passed]
    if data.route is None:
        missing.append("a route (eliminated_by_assistance or eliminated_naturally) is required")
    return tuple(missing), False


def _object_snapshot(obj: MonitoringObject) -> dict[str, Any]:
    names = (
        "status",
        "category",
        "causes",
        "identified_on",
        "identification_case_id",
        "secured_by_social_security",
        "route",
        "eliminated_on",
        "pc_income_at_elimination",
        "line_at_elimination",
    )
    return {name: getattr(obj, name) for name in names}


def _identify(session: Session, case: Case, data: TransitionIn, on: dt.date) -> MonitoringObject:
    if data.category is not None:
        case.category = data.category.value
    case.causes = data.causes or list(case.causes)
    obj = session.get(MonitoringObject, case.household_id)
    if obj is None:
        obj = MonitoringObject(household_id=case.household_id)
        session.add(obj)
    obj.village_code = case.village_code
    obj.status = ObjectStatus.MONITORED.value
    obj.category = case.category or ""  # the approval blockers require a category
    obj.causes = list(case.causes)
    obj.identified_on = on
    obj.identification_case_id = case.id
    obj.secured_by_social_security = False
    obj.route = obj.eliminated_on = obj.pc_income_at_elimination = None
    obj.line_at_elimination = None
    return obj


def _eliminate(
    session: Session, case: Case, data: TransitionIn, on: dt.date, target: CaseState
) -> MonitoringObject:
    obj = session.get(MonitoringObject, case.household_id)
    assert obj is not None  # checked by the approval blockers
    if target is CaseState.SECURED_BY_SOCIAL_SECURITY:
        obj.secured_by_social_security = True
        return obj
    evidence = (case.elimination_check or {})["evidence"]
    incomes = evidence["monthly_pc_income"]
    latest = incomes[max(incomes)] if incomes else None
    case.route = data.route.value if data.route else None
    obj.status = ObjectStatus.ELIMINATED.value
    obj.route = case.route
    obj.eliminated_on = on
    obj.pc_income_at_elimination = Decimal(str(latest)) if latest is not None else None
    obj.line_at_elimination = Decimal(str(evidence["line"]))
    return obj


def apply_approval(
    session: Session,
    principal: Principal,
    case: Case,
    data: TransitionIn,
    on: dt.date,
    target: CaseState,
) -> None:
    existing = session.get(MonitoringObject, case.household_id)
    before = _object_snapshot(existing) if existing is not None else None
    if case.kind == CaseKind.IDENTIFICATION:
        obj = _identify(session, case, data, on)
    else:
        obj = _eliminate(session, case, data, on, target)
    flush_or_conflict(session, f"monitoring object {case.household_id}")
    audit.record(
        session,
        actor=principal,
        action="identify" if case.kind == CaseKind.IDENTIFICATION else target.value,
        entity="monitoring_object",
        entity_id=case.household_id,
        before=before,
        after=_object_snapshot(obj),
        region_code=case.village_code,
    )
