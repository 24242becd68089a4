"""The screening date D and the integer constants every rule is evaluated with (SPEC §4, §6).

Engines see dates only as integers: `day` = days since 1970-01-01, `mon` = year × 12 + month − 1,
`ymd` = year × 10000 + month × 100 + day (so whole-year ages compare exactly).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

EPOCH = dt.date(1970, 1, 1)


def day_number(value: dt.date) -> int:
    return (value - EPOCH).days


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Window:
    """W = the 12 months ending with the month before D's; W′ = the 12 months before W."""

    as_of: dt.date

    @property
    def d_day(self) -> int:
        return day_number(self.as_of)

    @property
    def d_ymd(self) -> int:
        return self.as_of.year * 10000 + self.as_of.month * 100 + self.as_of.day

    @property
    def d_year(self) -> int:
        return self.as_of.year

    @property
    def d_mon(self) -> int:
        return month_index(self.as_of.year, self.as_of.month)

    @property
    def w_lo(self) -> int:
        return self.d_mon - 12

    @property
    def w_hi(self) -> int:
        return self.d_mon - 1

    @property
    def wp_lo(self) -> int:
        return self.d_mon - 24

    @property
    def wp_hi(self) -> int:
        return self.d_mon - 13

    def constants(self) -> dict[str, int]:
        """The values substituted into rule SQL (`{d_day}`, `{w_lo}`, …)."""
        return {
            "d_day": self.d_day,
            "d_ymd": self.d_ymd,
            "d_year": self.d_year,
            "d_mon": self.d_mon,
            "w_lo": self.w_lo,
            "w_hi": self.w_hi,
            "wp_lo": self.wp_lo,
            "wp_hi": self.wp_hi,
        }

    def describe(self) -> str:
        return f"W = {month_label(self.w_lo)}..{month_label(self.w_hi)}"
