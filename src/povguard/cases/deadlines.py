"""Deadline arithmetic of SPEC §7 (calendar days) and month arithmetic: pure, no I/O."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from povguard.cases.enums import CaseSource, CaseState

ACCEPT_DAYS_APP = 2  # app declarations are accepted within 2 days
VISIT_DAYS = 3  # home visit within 3 days of the clue's acceptance
CROSS_CHECK_DAYS = 5  # department cross-check within 5 days of the visit
DEFAULT_IDENTIFICATION_DAYS = 15
DEFAULT_PUBLICITY_DAYS = 5
DEFAULT_STABLE_MONTHS = 6
REFERRAL_DAYS = 15


def add_days(day: dt.date, days: int) -> dt.date:
    return day + dt.timedelta(days=days)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole calendar months, clamped to the month's end (Aug 31 + 6 → Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole calendar months from `start` to `end` (0 when `end` is before a full month)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


@dataclass(frozen=True)
class CaseDates:
    """The dates of a case's steps that deadlines depend on."""

    source: CaseSource
    received_on: dt.date
    accepted_on: dt.date | None = None
    visited_on: dt.date | None = None
    cross_checked_on: dt.date | None = None
    identification_days: int = DEFAULT_IDENTIFICATION_DAYS


@dataclass(frozen=True)
class Deadline:
    step: str
    due: dt.date


def procedure_due(dates: CaseDates) -> dt.date:
    return add_days(dates.received_on, dates.identification_days)


def step_deadline(state: CaseState, dates: CaseDates) -> Deadline | None:
    """The deadline of the step the case is waiting for, when that step has one."""
    if state is CaseState.CLUE and dates.source is CaseSource.DECLARATION_APP:
        return Deadline("accept", add_days(dates.received_on, ACCEPT_DAYS_APP))
    if state is CaseState.HOME_VISIT:
        base = dates.accepted_on or dates.received_on
        return Deadline("home_visit", add_days(base, VISIT_DAYS))
    if state is CaseState.CROSS_CHECK:
        base = dates.visited_on or dates.accepted_on or dates.received_on
        return Deadline("cross_check", add_days(base, CROSS_CHECK_DAYS))
    return None


def days_left(dates: CaseDates, today: dt.date) -> int:
    """Calendar days until the whole procedure is due (negative once overdue)."""
    return (procedure_due(dates) - today).days


def overdue_steps(state: CaseState, dates: CaseDates, today: dt.date) -> list[str]:
    """Which deadlines an open case has missed on `today`: its step's and the procedure's."""
    missed = []
    step = step_deadline(state, dates)
    if step is not None and today > step.due:
        missed.append(step.step)
    if today > procedure_due(dates):
        missed.append("procedure")
    return missed


def stored_due_dates(
    state: CaseState, dates: CaseDates, is_open: bool
) -> tuple[dt.date, Deadline | None]:
    """What a case stores so overdue lists are one SQL query: the procedure's due day and, while
    open, the due day of the step it waits for."""
    return procedure_due(dates), step_deadline(state, dates) if is_open else None
