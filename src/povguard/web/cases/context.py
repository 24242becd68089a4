"""Context builders of the case pages: the worklist and one case with its forms.

Each returns a plain dict that tests compare without HTML; templates only render it. The forms
are prefilled from what the system already knows (`cases.prefill`), so nothing is typed twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases import assistance, prefill, worklist
from povguard.cases import service as cases
from povguard.cases.common import may_write
from povguard.cases.enums import (
    CLOSED_STATES,
    GIVEN_STATUSES,
    Action,
    CaseKind,
    CaseState,
    MeasureStatus,
    ObjectStatus,
    ReferralAnswer,
    ReferralProgram,
)
from povguard.cases.procedure import NEEDS_REASON, STEP_ORDER
from povguard.cases.schemas import CaseRead, EliminationEvidence, EliminationReport, MeasureRead
from povguard.core.errors import BadInput
from povguard.households import service as households
from povguard.households.schemas import HouseholdRead, MemberRead
from povguard.policy.service import PolicyBook
from povguard.web.cases.labels import CATEGORY, CAUSE, MEASURE_CHOICES, ROUTE
from povguard.web.i18n import N_
from povguard.web.navigation import NavEntry

nav = NavEntry(key="cases", path="/cases", label=N_("Cases"), order=40)
PAGE_SIZE = 25
CENT = Decimal("0.01")
# The state filter of the worklist, in the order of the procedure, closed states last.
STATE_FILTERS = [s.value for s in STEP_ORDER] + [s.value for s in CaseState if s in CLOSED_STATES]
# Which form a step's input belongs to, so an error is shown next to the right one.
NEXT_STATUSES = {
    MeasureStatus.PLANNED: [MeasureStatus.IN_PROGRESS, MeasureStatus.DONE, MeasureStatus.CANCELLED],
    MeasureStatus.IN_PROGRESS: [MeasureStatus.DONE, MeasureStatus.CANCELLED],
}


@dataclass(frozen=True)
class FormError:
    """A refused form: which one (`step:approve`, `measure`, `measure:7` …), why, and the
    HTTP status the refusal answers with."""

    form: str
    message: str
    status: int


# ---------------------------------------------------------------- worklist


def worklist_url(filters: dict[str, str], page: int) -> str:
    params = {key: value for key, value in filters.items() if value}
    if page > 1:
        params["page"] = str(page)
    return "/cases" + (f"?{urlencode(params)}" if params else "")


def build_worklist_context(
    session: Session,
    principal: Principal,
    *,
    state: str,
    overdue: bool,
    village: str,
    page: int,
    today: dt.date,
) -> dict[str, Any]:
    """One page of the worklist, the number of cases at each step, and the filters."""
    region = village or None
    results = worklist.worklist(
        session, principal, state=state or worklist.OPEN, overdue=overdue, village=region,
        page=page, size=PAGE_SIZE, today=today,
    )  # fmt: skip
    counts = worklist.state_counts(session, principal, overdue=overdue, village=region, today=today)
    filters = {"state": state, "overdue": "1" if overdue else "", "village": village}
    return {
        "active_nav": nav.key,
        "results": results,
        "counts": counts,
        "open_count": sum(n for s, n in counts.items() if CaseState(s) not in CLOSED_STATES),
        "all_count": sum(counts.values()),
        "state_filters": STATE_FILTERS,
        "filters": filters,
        "state_links": {
            value: worklist_url({**filters, "state": value}, 1)
            for value in ["", worklist.ALL, *STATE_FILTERS]
        },
        "region_choices": households.region_choices(session, principal),
        "pages": results.pages,
        "previous_url": worklist_url(filters, page - 1) if page > 1 else None,
        "next_url": worklist_url(filters, page + 1) if page < results.pages else None,
        "today": today,
    }


# ---------------------------------------------------------------- one case


def _masked_members(household: HouseholdRead, masked: bool) -> list[MemberRead]:
    if not masked:
        return household.members
    return [m.model_copy(update={"name": households.mask_name(m.name)}) for m in household.members]


def _income_rows(records: list[prefill.IncomeRecord], members: int) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        annual = record.net * 12 / record.months
        per_capita = (annual / members).quantize(CENT, ROUND_HALF_UP) if members else None
        rows.append({"record": record, "annual": annual.quantize(CENT, ROUND_HALF_UP),
                     "per_capita": per_capita})  # fmt: skip
    return rows


def _deadlines(case: CaseRead, today: dt.date) -> dict[str, Any]:
    step = None
    if case.step_deadline is not None:
        due = case.step_deadline.due
        step = {"name": case.step_deadline.step, "due": due, "days_left": (due - today).days}
    procedure = None
    if case.is_open:
        due = case.procedure_due
        procedure = {"due": due, "days_left": (due - today).days}
    return {"step": step, "procedure": procedure, "overdue": case.overdue}


def _preselected_causes(case: CaseRead, evidence: list[dict[str, Any]]) -> list[str]:
    """The causes an approval form starts with: the case's, else those of its clues."""
    if case.causes:
        return list(case.causes)
    found: set[str] = set()
    for item in evidence:
        found |= set(item["item"].causes)
        if item["causes"]:
            found |= set(item["causes"])
    if not found and case.rules:
        found = prefill.rule_causes(case.rules.split(";"))
    return sorted(found)[:5]


def _category(case: CaseRead, evidence: list[dict[str, Any]]) -> str:
    if case.category:
        return case.category.value
    for item in evidence:
        if item["item"].category:
            return str(item["item"].category)
        if item["clue"] is not None:
            return str(item["clue"].category)
    return ""


def _evidence(
    session: Session, principal: Principal, lake: Path, case: CaseRead
) -> list[dict[str, Any]]:
    rows = []
    for item in case.evidence:
        clue = prefill.clue_of(session, principal, lake, item.clue_id) if item.clue_id else None
        causes = prefill.clue_causes(lake, clue) if clue is not None else []
        rows.append({"item": item, "clue": clue, "causes": causes})
    return rows


def _step_values(
    action: Action,
    case: CaseRead,
    *,
    today: dt.date,
    evidence: list[dict[str, Any]],
    measures: list[MeasureRead],
    defaults: prefill.EliminationDefaults | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {"on": today.isoformat(), "comment": ""}
    if action is Action.APPROVE:
        given = any(m.status in GIVEN_STATUSES for m in measures)
        values.update(
            category=_category(case, evidence),
            causes=_preselected_causes(case, evidence),
            route="eliminated_by_assistance" if given else "eliminated_naturally",
        )
    if action is Action.RECORD_CROSS_CHECK and defaults is not None:
        values.update(_evidence_values(defaults))
    return values


def _evidence_values(defaults: prefill.EliminationDefaults) -> dict[str, Any]:
    return {
        "line": str(defaults.line) if defaults.line is not None else "",
        "months": [(m, str(v) if v is not None else "") for m, v in defaults.months],
        "rigid_spending_resolved": defaults.rigid_spending_resolved,
        **{f"{name}_secured": ok for name, ok in defaults.guarantees.items()},
        "open_rules": ";".join(defaults.open_rules),
    }


def _submitted_values(submitted: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The user's own input over the defaults, so a refused form keeps what was typed."""
    merged = {**values, **{k: v for k, v in submitted.items() if k not in ("files",)}}
    if "income_month" in submitted:
        merged["months"] = list(
            zip(submitted["income_month"], submitted.get("income_value", []), strict=False)
        )
    for flag in ("rigid_spending_resolved", "education_secured", "medical_secured",
                 "housing_secured", "water_secured", "authorisation_signed"):  # fmt: skip
        if flag in values or flag in submitted:
            merged[flag] = bool(submitted.get(flag))
    return merged


def _step_forms(
    case: CaseRead,
    *,
    today: dt.date,
    evidence: list[dict[str, Any]],
    measures: list[MeasureRead],
    defaults: prefill.EliminationDefaults | None,
    submitted: dict[str, Any] | None,
    error: FormError | None,
) -> list[dict[str, Any]]:
    forms = []
    primary_done = False
    for action in case.allowed_actions:
        key = f"step:{action.value}"
        values = _step_values(action, case, today=today, evidence=evidence,
                              measures=measures, defaults=defaults)  # fmt: skip
        mine = error is not None and error.form == key
        if mine and submitted is not None:
            values = _submitted_values(submitted, values)
        primary = action not in NEEDS_REASON and not primary_done
        primary_done = primary_done or primary
        forms.append(
            {
                "action": action.value,
                "key": key,
                "needs_reason": action in NEEDS_REASON,
                "primary": primary,
                "open": primary or mine,
                "values": values,
                "error": error.message if mine and error else None,
            }
        )
    return forms


def _elimination(
    session: Session,
    principal: Principal,
    case: CaseRead,
    *,
    defaults: prefill.EliminationDefaults | None,
    monitoring: str | None,
    open_case_id: int | None,
    today: dt.date,
) -> dict[str, Any] | None:
    """The SPEC §7 check list: what was stored at the cross-check, what the approval would
    see today, or (on a monitoring object's case) a preview from the data at hand."""
    if case.kind is CaseKind.ELIMINATION:
        stored = (case.elimination_check or {}).get("report")
        approval = cases.approval_report(session, principal, case.id, today=today)
        return {
            "stored": EliminationReport.model_validate(stored) if stored else None,
            "approval": approval if case.is_open else None,
            "evidence": (case.elimination_check or {}).get("evidence"),
            "can_start": False,
        }
    if case.state is not CaseState.MONITORING_OBJECT or monitoring != ObjectStatus.MONITORED:
        return None
    preview = None
    if defaults is not None and defaults.line is not None:
        evidence = EliminationEvidence.model_validate(defaults.evidence)
        preview = cases.elimination_preview(session, principal, case.id, evidence, today=today)
    return {
        "stored": None,
        "approval": None,
        "preview": preview,
        "defaults": defaults,
        "open_case_id": open_case_id,
        "can_start": may_write(principal) and open_case_id is None,
    }


def _plan(
    session: Session,
    principal: Principal,
    case: CaseRead,
    *,
    measures: list[MeasureRead],
    today: dt.date,
    submitted: dict[str, Any] | None,
    error: FormError | None,
) -> dict[str, Any]:
    writer = may_write(principal)
    # The SPEC §7 flag concerns a plan: shown once measures may be given or exist.
    open_for_measures = assistance.may_add_measures(session, principal, case.id)
    has_plan = bool(measures) or open_for_measures
    warnings = assistance.plan_warnings(session, principal, case.household_id) if has_plan else []
    can_add = writer and open_for_measures
    suggested = prefill.suggested_measure(case.causes, needs_development=bool(warnings))
    values: dict[str, Any] = {
        "measure": suggested or "",
        "responsible_unit": "",
        "responsible_cadre": "",
        "start": today.isoformat(),
        "end": "",
        "amount": "",
        "status": MeasureStatus.PLANNED.value,
    }
    if error is not None and error.form == "measure" and submitted is not None:
        values.update({k: v for k, v in submitted.items() if k in values})
    return {
        "measures": measures,
        "warnings": warnings,
        "can_add": can_add,
        "can_change": writer,
        "choices": MEASURE_CHOICES,
        "next_statuses": {m.id: NEXT_STATUSES.get(m.status, []) for m in measures},
        "values": values,
        "statuses": [MeasureStatus.PLANNED.value, MeasureStatus.IN_PROGRESS.value],
    }


def _referrals(
    session: Session,
    principal: Principal,
    case: CaseRead,
    *,
    today: dt.date,
    submitted: dict[str, Any] | None,
    error: FormError | None,
) -> dict[str, Any]:
    items = assistance.list_referrals(session, principal, household_id=case.household_id)
    values: dict[str, Any] = {
        "program": ReferralProgram.DIBAO.value,
        "referred_on": today.isoformat(),
        "days": "15",
        "note": "",
    }
    if error is not None and error.form == "referral" and submitted is not None:
        values.update({k: v for k, v in submitted.items() if k in values})
    return {
        "items": [
            {
                "referral": r,
                "overdue": r.answer is None and r.due_on < today,
                "days_left": (r.due_on - today).days,
            }  # fmt: skip
            for r in items
        ],
        "can_add": may_write(principal),
        "programs": [p.value for p in ReferralProgram],
        "answers": [a.value for a in ReferralAnswer],
        "values": values,
    }


def _notice(case: CaseRead) -> dict[str, str] | None:
    if case.publicity_started_on is None and case.state is not CaseState.PUBLICITY:
        return None
    return {"html": f"/cases/{case.id}/notice", "pdf": f"/cases/{case.id}/notice.pdf"}


def build_case_context(
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    lake: Path,
    policy: PolicyBook | None,
    today: dt.date,
    submitted: dict[str, Any] | None = None,
    error: FormError | None = None,
    flash: str | None = None,
) -> dict[str, Any]:
    """One case: household, what the system knows, timeline, deadlines, the forms of the
    actions the user may take now (prefilled), elimination checks, plan and referrals."""
    case = cases.get(session, principal, case_id, today=today)
    household = households.get(session, principal, case.household_id, today=today)
    members = _masked_members(household, not principal.sees_personal_data)
    in_household = sum(1 for m in household.members if m.in_household)
    head = next((m for m in members if m.relation == "head"), members[0] if members else None)
    evidence = _evidence(session, principal, lake, case)
    measures = assistance.list_measures(session, principal, case.household_id)
    monitoring = worklist.monitoring_status(session, principal, case.household_id)
    others = [c for c in worklist.household_cases(session, principal, case.household_id,
                                                  today=today) if c.id != case.id]  # fmt: skip
    open_other = next((c.id for c in others if c.is_open), None)
    wants_defaults = (
        Action.RECORD_CROSS_CHECK in case.allowed_actions and case.kind is CaseKind.ELIMINATION
    ) or (case.state is CaseState.MONITORING_OBJECT and monitoring == ObjectStatus.MONITORED)
    defaults = (
        prefill.elimination_defaults(
            session, principal, lake, case.id, policy=policy, members=in_household, today=today
        )  # fmt: skip
        if wants_defaults
        else None
    )
    records = prefill.income_records(lake, case.household_id, case.village_code)[:6]
    last_day = case.steps[-1].on if case.steps else case.received_on
    step_forms = _step_forms(case, today=today, evidence=evidence, measures=measures,
                             defaults=defaults, submitted=submitted, error=error)  # fmt: skip
    elimination = _elimination(
        session, principal, case, defaults=defaults, monitoring=monitoring,
        open_case_id=open_other, today=today,
    )  # fmt: skip
    plan = _plan(session, principal, case, measures=measures, today=today,
                 submitted=submitted, error=error)  # fmt: skip
    referrals = _referrals(session, principal, case, today=today, submitted=submitted,
                           error=error)  # fmt: skip
    shown = _shown_forms(step_forms, plan, referrals, elimination)
    return {
        "active_nav": nav.key,
        "case": case,
        "household": household,
        "members": members,
        "head": head,
        "in_household": in_household,
        "village_name": household.regions[-1].name if household.regions else None,
        "evidence": evidence,
        "income": _income_rows(records, in_household),
        "deadlines": _deadlines(case, today),
        "step_forms": step_forms,
        "min_on": last_day.isoformat(),
        "today": today.isoformat(),
        "categories": CATEGORY,
        "causes": list(CAUSE),
        "routes": list(ROUTE),
        "elimination": elimination,
        "plan": plan,
        "referrals": referrals,
        "notice": _notice(case),
        "other_cases": others,
        "monitoring_status": monitoring,
        "can_write": may_write(principal),
        "error": error,
        # A refusal whose form is not on the page (an action no longer allowed): shown on top.
        "page_error": error if error is not None and error.form not in shown else None,
        "flash": flash,
    }  # fmt: skip


def _shown_forms(
    step_forms: list[dict[str, Any]],
    plan: dict[str, Any],
    referrals: dict[str, Any],
    elimination: dict[str, Any] | None,
) -> set[str]:
    """The keys of the forms the page shows (where a refusal can be shown next to its form)."""
    shown = {f["key"] for f in step_forms}
    if plan["can_add"]:
        shown.add("measure")
    if plan["can_change"]:
        shown |= {f"measure:{m.id}" for m in plan["measures"] if plan["next_statuses"][m.id]}
    if referrals["can_add"]:
        shown.add("referral")
        shown |= {f"referral:{i['referral'].id}" for i in referrals["items"]
                  if i["referral"].answer is None}  # fmt: skip
    if elimination and elimination.get("can_start"):
        shown.add("elimination")
    return shown


def check_state_filter(state: str) -> str:
    if state and state not in (worklist.ALL, *STATE_FILTERS):
        raise BadInput(f"unknown state {state!r}", field="state")
    return state
