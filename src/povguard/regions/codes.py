"""12-digit statistical division codes: province 2 + city 2 + county 2 + township 3 + village 3."""

from __future__ import annotations

import re
from enum import StrEnum

CODE_RE = re.compile(r"^\d{12}$")


class Level(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class Zone(StrEnum):
    EAST = "east"
    CENTRAL = "central"
    WEST = "west"


# Number of leading digits that identify a region at each level.
PREFIX_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}
LEVEL_ORDER = [Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]


def is_valid_code(code: str) -> bool:
    return bool(CODE_RE.match(code)) and level_of(code) is not None


def level_of(code: str) -> Level | None:
    """The level a well-formed code denotes (the trailing zero groups tell), or None."""
    if not CODE_RE.match(code) or code[:2] == "00":
        return None
    parts = [code[0:2], code[2:4], code[4:6], code[6:9], code[9:12]]
    depth = len(parts)
    while depth > 1 and set(parts[depth - 1]) == {"0"}:
        depth -= 1
    if any(set(p) == {"0"} for p in parts[:depth]):
        return None
    return LEVEL_ORDER[depth - 1]


def prefix(code: str, level: Level | None = None) -> str:
    """The significant leading digits of `code` (at `level`, or at its own level)."""
    lvl = level or level_of(code)
    if lvl is None:
        raise ValueError(f"not a region code: {code!r}")
    return code[: PREFIX_LENGTH[lvl]]


def ancestor(code: str, level: Level) -> str:
    """The 12-digit code of `code`'s ancestor at `level` (itself at its own level)."""
    return prefix(code, level).ljust(12, "0")


def parent_level(level: Level) -> Level | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index - 1] if index else None


def prefix_end(code_prefix: str) -> str | None:
    """The least digit string above every code starting with `code_prefix` (None: no bound),
    so that "starts with" is the index-friendly range `code_prefix <= code < end`."""
    kept = code_prefix.rstrip("9")
    if not kept:
        return None
    return kept[:-1] + str(int(kept[-1]) + 1)


def contains(scope: str, code: str) -> bool:
    """True when `code` lies in the subtree of region `scope` (a region contains itself)."""
    return code.startswith(prefix(scope))


def province_of(code: str) -> str:
    return ancestor(code, Level.PROVINCE)
