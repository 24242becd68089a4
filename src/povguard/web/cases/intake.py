"""Taking up screening clues as cases (the "Create cases" button of a run's clue table)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases import prefill
from povguard.cases import service as cases
from povguard.cases.common import require_writer
from povguard.cases.enums import CaseSource
from povguard.cases.schemas import CaseCreate
from povguard.config import Settings
from povguard.core.errors import BadInput, Conflict, NotFound
from povguard.policy.service import PolicyBook
from povguard.screening import runs
from povguard.screening.lake import lake_policy
from povguard.web.cases import forms

MAX_CLUES = 200  # clues taken up by one "Create cases" click


def _clue_outcome(
    session: Session,
    principal: Principal,
    settings: Settings,
    clue_id: str,
    received_on: dt.date,
    policy: PolicyBook | None,
) -> dict[str, Any]:
    """Open a case for one clue, or attach it to the household's open case."""
    household_id = clue_id.partition(":")[2]
    try:
        clue = runs.get_clue(session, principal, settings.lake, clue_id)
        data = CaseCreate(
            household_id=clue.household_id, source=CaseSource.SCREENING, clue_id=clue.clue_id,
            rules=clue.rules, category=clue.category,  # type: ignore[arg-type]
            causes=prefill.clue_causes(settings.lake, clue), received_on=received_on,
        )  # fmt: skip
        # The services raise before they write for any clue they refuse, so the clues
        # already taken up in this request stay valid.
        case, created = cases.create(session, principal, data, policy=policy)
    except (Conflict, NotFound, BadInput) as exc:
        return {"clue_id": clue_id, "household_id": household_id, "case_id": None,
                "outcome": "refused", "reason": str(exc)}  # fmt: skip
    return {"clue_id": clue_id, "household_id": household_id, "case_id": case.id,
            "outcome": "opened" if created else "attached", "reason": ""}  # fmt: skip


def build_created_context(
    session: Session,
    principal: Principal,
    settings: Settings,
    fields: dict[str, Any],
    *,
    today: dt.date,
) -> dict[str, Any]:
    """Take up the selected clues: a case per household, or evidence for its open case."""
    require_writer(principal)
    clue_ids = list(dict.fromkeys(fields.get("clue_id", [])))
    if not clue_ids:
        raise BadInput("select at least one clue", field="clue_id")
    if len(clue_ids) > MAX_CLUES:
        raise BadInput(f"at most {MAX_CLUES} clues at a time", field="clue_id")
    received_on = forms.received_on(fields.get("received_on"), today)
    policy = lake_policy(settings.lake)
    results = [
        _clue_outcome(session, principal, settings, clue_id, received_on, policy)
        for clue_id in clue_ids
    ]
    counts = {k: sum(1 for r in results if r["outcome"] == k)
              for k in ("opened", "attached", "refused")}  # fmt: skip
    return {"results": results, "counts": counts, "run_id": fields.get("run_id", "")}
