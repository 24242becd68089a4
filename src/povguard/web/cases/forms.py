"""Page forms of the case pages → the schemas the case services take (no I/O).

Every field arrives as text; a value that does not fit becomes one `BadInput` with the field's
name, shown next to the form, rather than a bare 422 page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from povguard.cases.schemas import (
    CaseCreate,
    EliminationEvidence,
    MeasureCreate,
    ReferralAnswerIn,
    ReferralCreate,
    TransitionIn,
)
from povguard.core.errors import BadInput

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=StrEnum)
CHECKED = frozenset({"on", "true", "1", "yes"})
GUARANTEES = ("education", "medical", "housing", "water")


def checked(value: str | None) -> bool:
    return (value or "").strip().lower() in CHECKED


def validated(model: type[M], values: Mapping[str, Any]) -> M:
    """`model` from form values; the first problem as a BadInput naming its field."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BadInput(f"{where}: {message}" if where else message, field=where) from exc


def choice(value: str | None, enum: type[E], field: str) -> E:
    try:
        return enum(value or "")
    except ValueError as exc:
        allowed = ", ".join(member.value for member in enum)
        raise BadInput(f"{field}: {value!r} is not one of {allowed}", field=field) from exc


def version_of(form: Mapping[str, Any]) -> int:
    text = str(form.get("version") or "")
    if not text.isdigit() or int(text) < 1:
        raise BadInput("version: the form has no valid version; reload the page", field="version")
    return int(text)


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def split_codes(text: str) -> list[str]:
    """'R01; R04,R12' → ['R01', 'R04', 'R12']."""
    return [code.strip().upper() for code in text.replace(",", ";").split(";") if code.strip()]


def elimination_evidence(form: Mapping[str, Any]) -> EliminationEvidence:
    """The elimination evidence of a cross-check form: line, income by month, guarantees."""
    months = form.get("income_month") or []
    values = form.get("income_value") or []
    incomes = {
        month: value.strip()
        for month, value in zip(months, values, strict=False)
        if month and value and value.strip()
    }
    return validated(
        EliminationEvidence,
        {
            "monthly_pc_income": incomes,
            "rigid_spending_resolved": checked(form.get("rigid_spending_resolved")),
            **{f"{name}_secured": checked(form.get(f"{name}_secured")) for name in GUARANTEES},
            "open_rules": split_codes(form.get("open_rules") or ""),
            "line": _blank_to_none(form.get("line")),
        },
    )


def transition(
    form: Mapping[str, Any], *, attachments: list[str], elimination: bool
) -> TransitionIn:
    """One procedure step from its form (`elimination`: the cross-check carries the evidence)."""
    action = form.get("action") or ""
    values: dict[str, Any] = {
        "action": action,
        "version": form.get("version") or None,
        "comment": (form.get("comment") or "").strip(),
        "attachments": attachments,
        "on": _blank_to_none(form.get("on")),
        "authorisation_signed": checked(form.get("authorisation_signed")),
    }
    if action == "approve":
        values["category"] = _blank_to_none(form.get("category"))
        values["causes"] = list(form.get("causes") or []) or None
        values["route"] = _blank_to_none(form.get("route"))
    if action == "record_cross_check" and elimination:
        values["elimination"] = elimination_evidence(form)
    return validated(TransitionIn, values)


def measure(form: Mapping[str, Any]) -> MeasureCreate:
    """A measure from the plan form; its type comes as 'group:type' from one select."""
    group, _, kind = (form.get("measure") or "").partition(":")
    return validated(
        MeasureCreate,
        {
            "group": group or None,
            "type": kind,
            "responsible_unit": (form.get("responsible_unit") or "").strip(),
            "responsible_cadre": _blank_to_none(form.get("responsible_cadre")),
            "start": _blank_to_none(form.get("start")),
            "end": _blank_to_none(form.get("end")),
            "amount": _blank_to_none(form.get("amount")),
            "status": form.get("status") or "planned",
        },
    )


def referral(form: Mapping[str, Any], *, household_id: str, case_id: int) -> ReferralCreate:
    return validated(
        ReferralCreate,
        {
            "household_id": household_id,
            "case_id": case_id,
            "program": form.get("program") or None,
            "referred_on": _blank_to_none(form.get("referred_on")),
            "days": form.get("days") or 15,
            "note": (form.get("note") or "").strip(),
        },
    )


def referral_answer(form: Mapping[str, Any]) -> ReferralAnswerIn:
    return validated(
        ReferralAnswerIn,
        {
            "answer": form.get("answer") or None,
            "answered_on": _blank_to_none(form.get("answered_on")),
            "version": form.get("version") or None,
            "note": (form.get("note") or "").strip(),
        },
    )


def declaration(form: Mapping[str, Any], *, household_id: str) -> CaseCreate:
    """A case opened on the household page: a self-declaration or a cadre's visit."""
    return validated(
        CaseCreate,
        {
            "household_id": household_id,
            "source": form.get("source") or None,
            "causes": list(form.get("causes") or []),
            "serious_illness": checked(form.get("serious_illness")),
            "received_on": _blank_to_none(form.get("received_on")),
            "note": (form.get("note") or "").strip(),
        },
    )


def received_on(text: str | None, today: dt.date) -> dt.date:
    """The day clues were received (default today; never in the future)."""
    value = _blank_to_none(text)
    if value is None:
        return today
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadInput(f"received_on: {value!r} is not a date", field="received_on") from exc
    if day > today:
        raise BadInput(f"received_on: {day} is in the future", field="received_on")
    return day
