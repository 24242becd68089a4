from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from povguard.households import idnumber

digits = st.text(alphabet="0123456789", min_size=6, max_size=6)
sequence = st.text(alphabet="0123456789", min_size=3, max_size=3)
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31))


def make_id(area: str, born: dt.date, seq: str) -> str:
    body = f"{area}{born:%Y%m%d}{seq}"
    return body + idnumber.check_char(body)


def test_published_example_is_valid() -> None:
    # GB 11643-1999 appendix example.
    assert idnumber.is_valid("11010519491231002X")
    assert idnumber.problem("110105194912310021") == "wrong check character '1' (expected 'X')"


@given(digits, births, sequence)
def test_generated_ids_are_valid_and_carry_the_birth_date(area: str, born: dt.date, seq: str):
    number = make_id(area, born, seq)
    assert idnumber.problem(number, born) is None
    assert idnumber.birth_date_of(number) == born


@given(digits, births, sequence, st.integers(min_value=0, max_value=16))
def test_any_single_digit_change_is_caught(area: str, born: dt.date, seq: str, position: int):
    number = make_id(area, born, seq)
    changed = str((int(number[position]) + 1) % 10)
    altered = number[:position] + changed + number[position + 1 :]
    assert idnumber.problem(altered) is not None


def test_length_characters_and_birth_date_mismatch_are_reported() -> None:
    assert "18 characters" in (idnumber.problem("1234") or "")
    assert "digits" in (idnumber.problem("11010519491231002Y") or "")
    number = make_id("530102", dt.date(2010, 5, 1), "123")
    assert "differs" in (idnumber.problem(number, dt.date(2010, 5, 2)) or "")
    assert idnumber.mask(number) == "530102********123" + number[-1]
