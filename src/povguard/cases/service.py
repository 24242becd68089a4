"""Cases of the SPEC §7 procedure: open, read, list, transition — scoped, versioned, audited.

Every function takes the acting `Principal`: a case whose household lies outside the caller's
region subtree is `NotFound` (its existence is not revealed), lists filter by village-code
prefix in SQL, and every change writes an audit row in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from povguard.audit import service as audit
from povguard.auth.principal import Principal
from povguard.cases import deadlines
from povguard.cases.approval import apply_approval, approval_blockers, build_report
from povguard.cases.common import (
    check_version,
    flush_or_conflict,
    household_in_scope,
    in_scope,
    require_writer,
    today_or,
)
from povguard.cases.enums import (
    DISASTER_CAUSE_RE,
    OPEN_STATES,
    Action,
    CaseKind,
    CaseSource,
    CaseState,
    Category,
    ObjectStatus,
)
from povguard.cases.models import Case, CaseEvidence, CaseStep, MonitoringObject, case_dates
from povguard.cases.procedure import Facts, next_state
from povguard.cases.procedure import allowed_actions as procedure_actions
from povguard.cases.schemas import (
    CaseCreate,
    CaseRead,
    DeadlineRead,
    EliminationEvidence,
    EliminationReport,
    EvidenceRead,
    OverdueRead,
    StepRead,
    TransitionIn,
)
from povguard.core.errors import BadInput, Conflict, NotFound
from povguard.households.models import Member
from povguard.households.service import region_filter
from povguard.policy.service import PolicyBook
from povguard.regions.codes import PREFIX_LENGTH, Level

AUDITED_FIELDS = (
    "state",
    "is_open",
    "category",
    "causes",
    "route",
    "green_channel",
    "returned_to_risk",
    "accepted_on",
    "visited_on",
    "authorisation_signed",
    "cross_checked_on",
    "publicity_started_on",
    "publicity_ended_on",
    "closed_on",
    "version",
)


# ---------------------------------------------------------------- helpers


def _snapshot(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in AUDITED_FIELDS}


def load_case(session: Session, principal: Principal, case_id: int, *, lock: bool = False) -> Case:
    """The case if it lies in the caller's scope (NotFound otherwise)."""
    query = in_scope(sa.select(Case).where(Case.id == case_id), principal, Case.village_code)
    query = query.options(selectinload(Case.steps), selectinload(Case.evidence))
    if lock:  # wait for a concurrent writer, then see its committed version
        query = query.with_for_update(of=Case).execution_options(populate_existing=True)
    case = session.scalars(query).first()
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return case


def _has_serious_illness(session: Session, household_id: str) -> bool:
    query = sa.select(Member.member_id).where(
        Member.household_id == household_id, Member.health == "serious", Member.in_household
    )
    return session.scalars(query).first() is not None


def green_channel(causes: list[str], serious_illness: bool) -> bool:
    """Disaster (02xx), accident (05) or illness (01) that is serious opens the green channel."""
    if any(DISASTER_CAUSE_RE.match(code) or code == "05" for code in causes):
        return True
    return "01" in causes and serious_illness


def _facts(case: Case, today: dt.date, data: TransitionIn | None = None) -> Facts:
    return Facts(
        today=today,
        publicity_days=case.publicity_days,
        publicity_started_on=case.publicity_started_on,
        comment=data.comment if data else "",
        authorisation_signed=data.authorisation_signed if data else False,
    )


def allowed_actions(
    case: Case, principal: Principal, *, today: dt.date | None = None
) -> list[Action]:
    """The procedure actions `principal` may take on `case` now (none for read-only roles)."""
    if principal.read_only:
        return []
    facts = _facts(case, today_or(today))
    return procedure_actions(CaseState(case.state), principal.role, facts)


def to_read(case: Case, principal: Principal, today: dt.date, *, detail: bool = True) -> CaseRead:
    """The case as callers see it: deadlines, overdue steps and the caller's allowed actions."""
    state = CaseState(case.state)
    dates = case_dates(case)
    step = deadlines.step_deadline(state, dates) if case.is_open else None
    actions = allowed_actions(case, principal, today=today)
    return CaseRead(
        id=case.id,
        household_id=case.household_id,
        village_code=case.village_code,
        kind=CaseKind(case.kind),
        source=CaseSource(case.source),
        state=state,
        is_open=case.is_open,
        clue_id=case.clue_id,
        rules=case.rules,
        category=Category(case.category) if case.category else None,
        causes=list(case.causes or []),
        green_channel=case.green_channel,
        returned_to_risk=case.returned_to_risk,
        route=case.route,  # type: ignore[arg-type]
        received_on=case.received_on,
        closed_on=case.closed_on,
        publicity_started_on=case.publicity_started_on,
        publicity_ended_on=case.publicity_ended_on,
        procedure_due=deadlines.procedure_due(dates),
        step_deadline=DeadlineRead(step=step.step, due=step.due) if step else None,
        days_left=deadlines.days_left(dates, today) if case.is_open else None,
        overdue=deadlines.overdue_steps(state, dates, today) if case.is_open else [],
        version=case.version,
        allowed_actions=actions,
        steps=[StepRead.model_validate(s) for s in case.steps] if detail else [],
        evidence=[EvidenceRead.model_validate(e) for e in case.evidence] if detail else [],
        elimination_check=case.elimination_check,
    )


# ---------------------------------------------------------------- open


def _open_case(session: Session, household_id: str) -> Case | None:
    query = sa.select(Case).where(Case.household_id == household_id, Case.is_open)
    return session.scalars(query.options(selectinload(Case.evidence))).first()


def _attach_evidence(
    session: Session, principal: Principal, case: Case, data: CaseCreate, received_on: dt.date
) -> None:
    evidence = CaseEvidence(
        source=data.source.value,
        clue_id=data.clue_id,
        rules=data.rules,
        category=data.category.value if data.category else None,
        causes=data.causes,
        received_on=received_on,
        note=data.note,
        recorded_by=principal.username,
    )
    case.evidence.append(evidence)
    flush_or_conflict(session, f"case {case.id}")
    audit.record(
        session,
        actor=principal,
        action="attach_evidence",
        entity="case_evidence",
        entity_id=evidence.id,
        before=None,
        after={"case_id": case.id, **EvidenceRead.model_validate(evidence).model_dump()},
        region_code=case.village_code,
    )


def _policy_values(policy: PolicyBook | None, village_code: str, year: int) -> tuple[int, ...]:
    """The province's deadlines for `year`, else its latest earlier year, else SPEC §5's."""
    entry = policy.latest(village_code, year) if policy is not None else None
    if entry is None:
        return (
            deadlines.DEFAULT_IDENTIFICATION_DAYS,
            deadlines.DEFAULT_PUBLICITY_DAYS,
            deadlines.DEFAULT_STABLE_MONTHS,
        )
    return entry.identification_days, entry.publicity_days, entry.stable_months


def _check_kind(obj: MonitoringObject | None, data: CaseCreate) -> bool:
    """Whether the household returns to risk; Conflict when the kind does not fit its status."""
    monitored = obj is not None and obj.status == ObjectStatus.MONITORED
    if data.kind is CaseKind.IDENTIFICATION and monitored:
        raise Conflict(
            f"household {data.household_id} is already a monitoring object: "
            "add measures or open an elimination case"
        )
    if data.kind is CaseKind.ELIMINATION and not monitored:
        raise Conflict(f"household {data.household_id} is not a monitoring object")
    return data.kind is CaseKind.IDENTIFICATION and obj is not None


def _check_clue(clue_id: str | None, household_id: str) -> None:
    """A clue (id `<run id>:<household id>`) is evidence for its own household only: on
    another's case its rules and category would show where that household's may not."""
    if clue_id is not None and clue_id.partition(":")[2] != household_id:
        raise BadInput(f"clue {clue_id} is not household {household_id}'s", field="clue_id")


def create(
    session: Session,
    principal: Principal,
    data: CaseCreate,
    *,
    policy: PolicyBook | None = None,
    today: dt.date | None = None,
) -> tuple[CaseRead, bool]:
    """Open a case for a clue or declaration, or attach it to the household's open case.

    Returns the case and whether it was newly opened.
    """
    require_writer(principal)
    today = today_or(today)
    household = household_in_scope(session, principal, data.household_id)
    _check_clue(data.clue_id, household.household_id)
    received_on = data.received_on or today
    existing = _open_case(session, household.household_id)
    if existing is not None:
        _attach_evidence(session, principal, existing, data, received_on)
        return get(session, principal, existing.id, today=today), False
    returned = _check_kind(session.get(MonitoringObject, household.household_id), data)
    days, publicity, stable = _policy_values(policy, household.village_code, received_on.year)
    serious = data.serious_illness or _has_serious_illness(session, household.household_id)
    case = Case(
        household_id=household.household_id,
        village_code=household.village_code,
        kind=data.kind.value,
        source=data.source.value,
        state=CaseState.CLUE.value,
        is_open=True,
        clue_id=data.clue_id,
        rules=data.rules,
        category=data.category.value if data.category else None,
        causes=data.causes,
        green_channel=green_channel(data.causes, serious),
        returned_to_risk=returned,
        received_on=received_on,
        identification_days=days,
        publicity_days=publicity,
        stable_months=stable,
        created_by=principal.username,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(case)
    flush_or_conflict(session, "the new case")
    _attach_evidence(session, principal, case, data, received_on)
    audit.record(
        session,
        actor=principal,
        action="open",
        entity="case",
        entity_id=case.id,
        before=None,
        after={"household_id": case.household_id, "kind": case.kind, **_snapshot(case)},
        region_code=case.village_code,
    )
    return get(session, principal, case.id, today=today), True


# ---------------------------------------------------------------- read


def get(
    session: Session, principal: Principal, case_id: int, *, today: dt.date | None = None
) -> CaseRead:
    """One case with its steps, evidence, deadlines, version and the caller's allowed actions."""
    return to_read(load_case(session, principal, case_id), principal, today_or(today))


def overdue_clause(today: dt.date) -> sa.ColumnElement[bool]:
    """Open cases that missed their step's deadline or the whole procedure's on `today`."""
    missed = sa.or_(Case.procedure_due < today, Case.step_due < today)
    return sa.and_(Case.is_open, sa.func.coalesce(missed, False))


def list_cases(
    session: Session,
    principal: Principal,
    *,
    region: str | None = None,
    state: CaseState | None = None,
    open_only: bool = False,
    overdue: bool | None = None,
    today: dt.date | None = None,
    limit: int = 1000,
) -> list[CaseRead]:
    """Cases in scope (and in `region`), newest first; `overdue` filters on missed deadlines."""
    today = today_or(today)
    query = in_scope(sa.select(Case), principal, Case.village_code).order_by(Case.id.desc())
    wanted = region_filter(session, principal, region)
    if wanted:
        query = query.where(Case.village_code.startswith(wanted))
    if state is not None:
        query = query.where(Case.state == state.value)
    if open_only:
        query = query.where(Case.is_open)
    if overdue is not None:
        late = overdue_clause(today)
        query = query.where(late if overdue else sa.not_(late))
    return [to_read(c, principal, today, detail=False) for c in session.scalars(query.limit(limit))]


def list_overdue(
    session: Session,
    principal: Principal,
    *,
    region: str | None = None,
    today: dt.date | None = None,
) -> list[OverdueRead]:
    """Open cases that missed their step's deadline or the whole procedure's."""
    cases = list_cases(session, principal, region=region, overdue=True, today=today)
    return [
        OverdueRead(
            case_id=c.id,
            household_id=c.household_id,
            village_code=c.village_code,
            state=c.state,
            missed=c.overdue,
            days_left=c.days_left or 0,
        )
        for c in cases
    ]


def count_overdue(
    session: Session,
    principal: Principal,
    *,
    region: str | None = None,
    today: dt.date | None = None,
) -> int:
    """How many open cases in scope (and in `region`) are overdue on `today`."""
    query = in_scope(sa.select(sa.func.count()).select_from(Case), principal, Case.village_code)
    wanted = region_filter(session, principal, region)
    if wanted:
        query = query.where(Case.village_code.startswith(wanted))
    return int(session.scalar(query.where(overdue_clause(today_or(today)))) or 0)


def overdue_by_region(
    session: Session,
    principal: Principal,
    *,
    level: Level,
    region: str | None = None,
    today: dt.date | None = None,
) -> dict[str, int]:
    """Number of overdue cases per region of `level` (village, township, county …)."""
    code = sa.func.substr(Case.village_code, 1, PREFIX_LENGTH[level]).label("code")
    query = in_scope(sa.select(code, sa.func.count()), principal, Case.village_code)
    query = query.where(overdue_clause(today_or(today))).group_by(code)
    wanted = region_filter(session, principal, region)
    if wanted:
        query = query.where(Case.village_code.startswith(wanted))
    counts = {str(prefix_).ljust(12, "0"): int(n) for prefix_, n in session.execute(query)}
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------- elimination checks


def elimination_report(
    session: Session,
    principal: Principal,
    case_id: int,
    evidence: EliminationEvidence,
    *,
    today: dt.date | None = None,
) -> EliminationReport:
    """Every SPEC §7 elimination condition, pass or fail with its data (nothing is stored)."""
    case = load_case(session, principal, case_id)
    if case.kind != CaseKind.ELIMINATION:
        raise Conflict(f"case {case_id} is not an elimination case")
    return build_report(session, case, evidence, today_or(today))


def elimination_preview(
    session: Session,
    principal: Principal,
    case_id: int,
    evidence: EliminationEvidence,
    *,
    today: dt.date | None = None,
) -> EliminationReport:
    """The elimination conditions of the household of any of its cases (a monitoring object's
    identification case included), before an elimination case exists; nothing is stored."""
    case = load_case(session, principal, case_id)
    return build_report(session, case, evidence, today_or(today))


def approval_report(
    session: Session, principal: Principal, case_id: int, *, today: dt.date | None = None
) -> EliminationReport | None:
    """What the county approval of an elimination case will check on `today`: the evidence
    stored at the cross-check, judged as `transition` judges it (None before the cross-check)."""
    case = load_case(session, principal, case_id)
    stored = case.elimination_check
    if case.kind != CaseKind.ELIMINATION or not stored:
        return None
    evidence = EliminationEvidence.model_validate(stored["evidence"])
    return build_report(
        session, case, evidence, today_or(today), evidence_as_of=case.cross_checked_on
    )


# ---------------------------------------------------------------- transitions


def _step_day(case: Case, requested: dt.date | None, today: dt.date) -> dt.date:
    on = requested or today
    if on > today:
        raise BadInput(f"the step's date {on} is in the future", field="on")
    last = case.steps[-1].on if case.steps else case.received_on
    if on < last:
        raise BadInput(f"the step's date {on} is before the previous step ({last})", field="on")
    return on


def _record_step_data(
    session: Session, case: Case, action: Action, data: TransitionIn, on: dt.date
) -> None:
    if action is Action.ACCEPT:
        case.accepted_on = on
    elif action is Action.RECORD_VISIT:
        case.visited_on = on
        case.authorisation_signed = True
    elif action is Action.RECORD_CROSS_CHECK:
        case.cross_checked_on = on
        if case.kind == CaseKind.ELIMINATION:
            if data.elimination is None:
                raise BadInput(
                    "the cross-check of an elimination case needs the elimination evidence",
                    field="elimination",
                )
            report = build_report(session, case, data.elimination, on)
            case.elimination_check = {
                "evidence": data.elimination.model_dump(mode="json"),
                "report": report.model_dump(mode="json"),
            }
    elif action is Action.START_PUBLICITY:
        case.publicity_started_on = on
    elif action is Action.CLOSE_PUBLICITY:
        case.publicity_ended_on = on


def transition(
    session: Session,
    principal: Principal,
    case_id: int,
    data: TransitionIn,
    *,
    today: dt.date | None = None,
) -> CaseRead:
    """Take one procedure step; the caller's `version` must be the case's current one."""
    require_writer(principal)
    today = today_or(today)
    case = load_case(session, principal, case_id, lock=True)
    check_version(f"case {case.id}", case.version, data.version)
    on = _step_day(case, data.on, today)
    before = _snapshot(case)
    facts = _facts(case, on, data)
    if data.action is Action.APPROVE and CaseState(case.state) is CaseState.COUNTY_APPROVAL:
        blockers, secured = approval_blockers(session, case, data, on)
        facts = replace(facts, blockers=blockers, secured_by_social_security=secured)
    source = CaseState(case.state)
    target = next_state(CaseKind(case.kind), source, data.action, principal.role, facts)
    with session.no_autoflush:  # every change of the step in one UPDATE: one new version
        _record_step_data(session, case, data.action, data, on)
        case.state = target.value
        if target not in OPEN_STATES:
            case.is_open = False
            case.closed_on = on
        case.steps.append(_step(principal, data, source, target, on))
        if data.action is Action.APPROVE:
            apply_approval(session, principal, case, data, on, target)
    flush_or_conflict(session, f"case {case.id}")
    audit.record(
        session,
        actor=principal,
        action=data.action.value,
        entity="case",
        entity_id=case.id,
        before=before,
        after={**_snapshot(case), "comment": data.comment, "attachments": data.attachments},
        region_code=case.village_code,
    )
    return to_read(case, principal, today)


def _step(
    principal: Principal, data: TransitionIn, source: CaseState, target: CaseState, on: dt.date
) -> CaseStep:
    return CaseStep(
        action=data.action.value,
        from_state=source.value,
        to_state=target.value,
        actor=principal.username,
        role=principal.role.value,
        at=dt.datetime.now(dt.UTC),
        on=on,
        comment=data.comment,
        attachments=list(data.attachments),
    )
