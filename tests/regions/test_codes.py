from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from povguard.regions.codes import (
    Level,
    ancestor,
    contains,
    is_valid_code,
    level_of,
    prefix,
    prefix_end,
)


def test_levels_follow_the_trailing_zero_groups() -> None:
    assert level_of("530000000000") is Level.PROVINCE
    assert level_of("530100000000") is Level.CITY
    assert level_of("530102000000") is Level.COUNTY
    assert level_of("530102001000") is Level.TOWNSHIP
    assert level_of("530102001001") is Level.VILLAGE


def test_malformed_codes_are_rejected() -> None:
    for bad in ["53010200100", "5301020010011", "53010200100a", "000000000000", "530002001001"]:
        assert not is_valid_code(bad), bad


nonzero2 = st.integers(min_value=1, max_value=99).map(lambda n: f"{n:02d}")
nonzero3 = st.integers(min_value=1, max_value=999).map(lambda n: f"{n:03d}")


@given(nonzero2, nonzero2, nonzero2, nonzero3, nonzero3)
def test_every_ancestor_contains_the_village(p: str, c: str, k: str, t: str, v: str) -> None:
    village = p + c + k + t + v
    assert level_of(village) is Level.VILLAGE
    for level in Level:
        up = ancestor(village, level)
        assert level_of(up) is level
        assert contains(up, village)
        assert prefix(up) == village[: len(prefix(up))]
    other = ("01" if p != "01" else "02") + village[2:]
    assert not contains(ancestor(village, Level.PROVINCE), other)


digits = st.text(alphabet="0123456789", max_size=12)


@given(digits, st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_prefix_range_is_starts_with(code_prefix: str, code: str) -> None:
    end = prefix_end(code_prefix)
    in_range = code >= code_prefix and (end is None or code < end)
    assert in_range == code.startswith(code_prefix)


def test_prefix_end_carries_over_nines() -> None:
    assert prefix_end("5301") == "5302"
    assert prefix_end("5309") == "531"
    assert prefix_end("53099") == "531"
    assert prefix_end("99") is None and prefix_end("") is None
