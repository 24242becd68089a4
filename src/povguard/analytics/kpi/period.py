"""A period of whole months, as the KPI API takes it (`from=YYYY-MM&to=YYYY-MM`)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from povguard.core.errors import BadInput

# Years 1000–9999: a four-digit year that a date can hold (0000 cannot).
MONTH_PATTERN = r"^([1-9]\d{3})-(0[1-9]|1[0-2])$"
MONTH_RE = re.compile(MONTH_PATTERN)
MAX_MONTHS = 120


@dataclass(frozen=True)
class Period:
    start: dt.date  # first day of the first month
    end: dt.date  # last day of the last month

    @property
    def first(self) -> str:
        return f"{self.start:%Y-%m}"

    @property
    def last(self) -> str:
        return f"{self.end:%Y-%m}"

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month of the period, in order."""
        count = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        first = self.start.year * 12 + self.start.month - 1
        return [((first + i) // 12, (first + i) % 12 + 1) for i in range(count)]


def parse_month(text: str, field: str) -> dt.date:
    match = MONTH_RE.match(text)
    if match is None:
        raise BadInput(f"{field} must be a month YYYY-MM, not {text!r}", field=field)
    return dt.date(int(match[1]), int(match[2]), 1)


def month_end(first_day: dt.date) -> dt.date:
    return first_day.replace(day=calendar.monthrange(first_day.year, first_day.month)[1])


def period(first: str, last: str) -> Period:
    """The months `first` … `last` (both YYYY-MM, inclusive)."""
    start, last_month = parse_month(first, "from"), parse_month(last, "to")
    if last_month < start:
        raise BadInput(f"to ({last}) is before from ({first})", field="to")
    result = Period(start, month_end(last_month))
    if len(result.months()) > MAX_MONTHS:
        raise BadInput(f"a period spans at most {MAX_MONTHS} months", field="to")
    return result


def year_to_month(today: dt.date) -> Period:
    """January to the current month: the period pages show by default."""
    return Period(dt.date(today.year, 1, 1), month_end(today.replace(day=1)))


def single_month(text: str) -> Period:
    return period(text, text)
