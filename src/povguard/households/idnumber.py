"""Resident identity numbers (GB 11643): 17 digits and an ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
import re

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def birth_date_of(id_number: str) -> dt.date | None:
    """The birth date written in digits 7–14, or None if it is not a real date."""
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def problem(id_number: str, birth_date: dt.date | None = None) -> str | None:
    """Why `id_number` is not a valid ID (or does not match `birth_date`); None if valid."""
    if len(id_number) != 18:
        return f"ID number must have 18 characters, not {len(id_number)}"
    if not ID_RE.match(id_number):
        return "ID number must be 17 digits and a digit or X"
    if check_char(id_number[:17]) != id_number[17]:
        return f"wrong check character {id_number[17]!r} (expected {check_char(id_number[:17])!r})"
    born = birth_date_of(id_number)
    if born is None:
        return "ID number holds no valid birth date"
    if birth_date is not None and born != birth_date:
        return f"birth date in ID number {born.isoformat()} differs from {birth_date.isoformat()}"
    return None


def is_valid(id_number: str) -> bool:
    return problem(id_number) is None


def mask(id_number: str) -> str:
    """Masked for display: region and check digits kept, birth date and sequence hidden."""
    if len(id_number) != 18:
        return "*" * len(id_number)
    return id_number[:6] + "*" * 8 + id_number[14:]
