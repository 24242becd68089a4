"""Parsing helpers shared by the CLI commands."""

from __future__ import annotations

import datetime as dt

from povguard.core.errors import BadInput


def parse_date(value: str | None, option: str) -> dt.date:
    """An ISO date given on the command line (today when None)."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadInput(f"{option}: {value!r} is not a date (YYYY-MM-DD)") from exc
