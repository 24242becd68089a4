"""SPEC §8 assistance plans (measures), civil-affairs referrals and SPEC §7 data-quality flags.

Scoped like the cases: outside the caller's subtree a record is `NotFound`; every change is
audited in the caller's transaction and guarded by the record's `version`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.audit import service as audit
from povguard.auth.principal import Principal
from povguard.cases import deadlines, elimination
from povguard.cases.common import (
    check_version,
    flush_or_conflict,
    household_in_scope,
    in_scope,
    is_labour_capable,
    require_writer,
    today_or,
)
from povguard.cases.enums import (
    DEVELOPMENT_GROUPS,
    MeasureGroup,
    MeasureStatus,
    ObjectStatus,
)
from povguard.cases.models import Measure, MonitoringObject, Referral
from povguard.cases.schemas import (
    MeasureCreate,
    MeasureRead,
    QualityFlag,
    ReferralAnswerIn,
    ReferralCreate,
    ReferralRead,
)
from povguard.cases.service import load_case
from povguard.core.errors import Conflict, NotFound
from povguard.households.service import region_filter

DEVELOPMENT_WARNING = (
    "the household has labour capacity but no industry or employment measure in its plan"
)


def _measure_after(measure: Measure) -> dict[str, Any]:
    return MeasureRead.model_validate(measure).model_dump()


def _may_receive_measures(session: Session, household_id: str, green: bool, is_open: bool) -> bool:
    obj = session.get(MonitoringObject, household_id)
    monitored = obj is not None and obj.status == ObjectStatus.MONITORED
    return monitored or (green and is_open)


def may_add_measures(session: Session, principal: Principal, case_id: int) -> bool:
    """Whether the case's household may be given measures now (its role aside)."""
    case = load_case(session, principal, case_id)
    return _may_receive_measures(session, case.household_id, case.green_channel, case.is_open)


def add_measure(
    session: Session, principal: Principal, case_id: int, data: MeasureCreate
) -> MeasureRead:
    """Add a measure to the plan of the case's household (a monitoring object, or green channel)."""
    require_writer(principal)
    case = load_case(session, principal, case_id)
    if not _may_receive_measures(session, case.household_id, case.green_channel, case.is_open):
        raise Conflict(
            f"case {case_id}: measures start once household {case.household_id} is a "
            "monitoring object (or from the first step in the green channel)"
        )
    measure = Measure(
        household_id=case.household_id,
        case_id=case.id,
        village_code=case.village_code,
        **data.model_dump(mode="python", exclude={"group", "status"}),
        group=data.group.value,
        status=data.status.value,
    )
    session.add(measure)
    flush_or_conflict(session, "the new measure")
    audit.record(
        session,
        actor=principal,
        action="add_measure",
        entity="measure",
        entity_id=measure.id,
        before=None,
        after=_measure_after(measure),
        region_code=measure.village_code,
    )
    return MeasureRead.model_validate(measure)


def _load_measure(session: Session, principal: Principal, measure_id: int) -> Measure:
    query = in_scope(
        sa.select(Measure).where(Measure.id == measure_id), principal, Measure.village_code
    )
    measure = session.scalars(query.with_for_update()).first()
    if measure is None:
        raise NotFound(f"measure {measure_id} not found")
    return measure


def set_measure_status(
    session: Session, principal: Principal, measure_id: int, *, status: MeasureStatus, version: int
) -> MeasureRead:
    """Move a measure to `status` (planned → in_progress → done, or cancelled)."""
    require_writer(principal)
    measure = _load_measure(session, principal, measure_id)
    check_version(f"measure {measure_id}", measure.version, version)
    if measure.status in (MeasureStatus.DONE, MeasureStatus.CANCELLED):
        raise Conflict(f"measure {measure_id} is already {measure.status}")
    before = _measure_after(measure)
    measure.status = status.value
    flush_or_conflict(session, f"measure {measure_id}")
    audit.record(
        session,
        actor=principal,
        action="set_measure_status",
        entity="measure",
        entity_id=measure.id,
        before=before,
        after=_measure_after(measure),
        region_code=measure.village_code,
    )
    return MeasureRead.model_validate(measure)


def list_measures(session: Session, principal: Principal, household_id: str) -> list[MeasureRead]:
    """The household's plan, oldest measure first."""
    household_in_scope(session, principal, household_id)
    query = sa.select(Measure).where(Measure.household_id == household_id).order_by(Measure.id)
    return [MeasureRead.model_validate(m) for m in session.scalars(query)]


def plan_warnings(session: Session, principal: Principal, household_id: str) -> list[str]:
    """Warnings about a household's plan: a labour-capable household needs a development measure."""
    measures = list_measures(session, principal, household_id)
    active = [m for m in measures if m.status is not MeasureStatus.CANCELLED]
    if is_labour_capable(session, household_id) and not any(
        m.group in DEVELOPMENT_GROUPS for m in active
    ):
        return [DEVELOPMENT_WARNING]
    return []


# ---------------------------------------------------------------- referrals


def refer(
    session: Session, principal: Principal, data: ReferralCreate, *, today: dt.date | None = None
) -> ReferralRead:
    """Hand a household over to civil affairs with a deadline for the answer."""
    require_writer(principal)
    household = household_in_scope(session, principal, data.household_id)
    if data.case_id is not None:
        case = load_case(session, principal, data.case_id)
        if case.household_id != household.household_id:
            raise Conflict(f"case {case.id} is not household {household.household_id}'s")
    referred_on = data.referred_on or today_or(today)
    referral = Referral(
        household_id=household.household_id,
        case_id=data.case_id,
        village_code=household.village_code,
        program=data.program.value,
        referred_on=referred_on,
        due_on=deadlines.add_days(referred_on, data.days),
        note=data.note,
    )
    session.add(referral)
    flush_or_conflict(session, "the new referral")
    after = ReferralRead.model_validate(referral).model_dump()
    audit.record(
        session,
        actor=principal,
        action="refer",
        entity="referral",
        entity_id=referral.id,
        before=None,
        after=after,
        region_code=referral.village_code,
    )
    return ReferralRead.model_validate(referral)


def answer_referral(
    session: Session,
    principal: Principal,
    referral_id: int,
    data: ReferralAnswerIn,
    *,
    today: dt.date | None = None,
) -> ReferralRead:
    """Record civil affairs' answer (accepted or refused, and when)."""
    require_writer(principal)
    query = in_scope(
        sa.select(Referral).where(Referral.id == referral_id), principal, Referral.village_code
    )
    referral = session.scalars(query.with_for_update()).first()
    if referral is None:
        raise NotFound(f"referral {referral_id} not found")
    check_version(f"referral {referral_id}", referral.version, data.version)
    if referral.answer is not None:
        raise Conflict(f"referral {referral_id} was already answered ({referral.answer})")
    answered_on = data.answered_on or today_or(today)
    if answered_on < referral.referred_on:
        raise Conflict(f"the answer date {answered_on} is before the referral")
    before = ReferralRead.model_validate(referral).model_dump()
    referral.answer = data.answer.value
    referral.answered_on = answered_on
    if data.note:
        referral.note = f"{referral.note}\n{data.note}".strip()
    flush_or_conflict(session, f"referral {referral_id}")
    audit.record(
        session,
        actor=principal,
        action="answer_referral",
        entity="referral",
        entity_id=referral.id,
        before=before,
        after=ReferralRead.model_validate(referral).model_dump(),
        region_code=referral.village_code,
    )
    return ReferralRead.model_validate(referral)


def list_referrals(
    session: Session,
    principal: Principal,
    *,
    region: str | None = None,
    overdue: bool = False,
    household_id: str | None = None,
    today: dt.date | None = None,
) -> list[ReferralRead]:
    """Referrals in scope (of one household); `overdue`: unanswered after their deadline."""
    query = in_scope(sa.select(Referral), principal, Referral.village_code).order_by(Referral.id)
    wanted = region_filter(session, principal, region)
    if wanted:
        query = query.where(Referral.village_code.startswith(wanted))
    if household_id is not None:
        query = query.where(Referral.household_id == household_id)
    if overdue:
        query = query.where(Referral.answer.is_(None), Referral.due_on < today_or(today))
    return [ReferralRead.model_validate(r) for r in session.scalars(query)]


# ---------------------------------------------------------------- data quality


def _development_counts(session: Session, household_ids: list[str]) -> dict[str, int]:
    rows = session.execute(
        sa.select(Measure.household_id, sa.func.count())
        .where(
            Measure.household_id.in_(household_ids),
            Measure.group.in_([g.value for g in DEVELOPMENT_GROUPS]),
            Measure.status != MeasureStatus.CANCELLED.value,
        )
        .group_by(Measure.household_id)
    )
    counts: dict[str, int] = {}
    for household_id, count in rows:
        counts[household_id] = count
    return counts


def quality_flags(
    session: Session, principal: Principal, *, region: str | None = None
) -> list[QualityFlag]:
    """SPEC §7 data-quality flags of the monitoring objects in scope."""
    query = in_scope(sa.select(MonitoringObject), principal, MonitoringObject.village_code)
    wanted = region_filter(session, principal, region)
    if wanted:
        query = query.where(MonitoringObject.village_code.startswith(wanted))
    objects = list(session.scalars(query.order_by(MonitoringObject.household_id)))
    development = _development_counts(session, [o.household_id for o in objects])
    flags: list[QualityFlag] = []
    for obj in objects:
        facts = elimination.ObjectFacts(
            household_id=obj.household_id,
            village_code=obj.village_code,
            identified_on=obj.identified_on,
            eliminated_on=obj.eliminated_on,
            pc_income_at_elimination=obj.pc_income_at_elimination,
            line=obj.line_at_elimination,
            labour_capable=is_labour_capable(session, obj.household_id),
            development_measures=development.get(obj.household_id, 0),
        )
        flags.extend(
            QualityFlag(household_id=obj.household_id, village_code=obj.village_code, flag=flag)
            for flag in elimination.quality_flags(facts)
        )
    return flags


__all__ = [
    "DEVELOPMENT_WARNING",
    "MeasureGroup",
    "add_measure",
    "answer_referral",
    "list_measures",
    "list_referrals",
    "may_add_measures",
    "plan_warnings",
    "quality_flags",
    "refer",
    "set_measure_status",
]
