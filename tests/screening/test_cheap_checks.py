"""Cheaper forms of the checks (row flags, integrity prechecks) agree with the checks that name
the problem: they never miss what the check would report."""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import replace
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from povguard.interchange.spec import FILES
from povguard.screening.compiler import fact_with_columns
from povguard.screening.dataset import (
    IN_HOUSEHOLD,
    IN_HOUSEHOLD_SELECT,
    INSURANCE_TWO_ROWS,
    INTEGRITY,
    INTEGRITY_PRECHECK,
    TWINS,
    WITH_FACTS,
    InsuranceTwoRows,
    Repeats,
    SourceFile,
    latest_at_d,
    latest_at_d_select,
    member_key,
    own_select,
    with_member,
)
from povguard.screening.engines.base import SqlEngine
from povguard.screening.engines.duckdb import DuckDBEngine
from povguard.screening.rules import LATEST_AT_D
from povguard.screening.window import Window

OVERLAP = "income: household {0} has overlapping income periods (starting {1} and {2})"
FIRST_MONTH = 2022 * 12


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["110105194912310025", "11010519491231002X", "A", ""]), max_size=6))
def test_the_duplicate_id_precheck_agrees_with_the_check(ids: list[str]) -> None:
    engine = DuckDBEngine(threads=1)
    try:
        types = {"hh": "VARCHAR", "mid": "VARCHAR", "pid": "VARCHAR", "inh": "BOOLEAN"}
        rows = [("H1", f"M{i}", pid, True) for i, pid in enumerate(ids)]
        engine.register_table("mem", types, rows)
        repeats = INTEGRITY_PRECHECK[TWINS]
        assert isinstance(repeats, Repeats)
        found = bool(engine.rows(INTEGRITY[TWINS]))
        # DuckDB's own answer (NumPy) and the SQL of every engine
        assert engine.may_repeat(repeats) == SqlEngine.may_repeat(engine, repeats) == found
        assert found == (len(set(ids)) < len(ids))
    finally:
        engine.close()


def _periods(starts_and_lengths: list[tuple[int, int, int]]) -> list[tuple[str, int, int, int]]:
    """Rows of the `inc` frame table: (household, start, end, net cents)."""
    return [
        (f"H{household}", FIRST_MONTH + start, FIRST_MONTH + start + length - 1, 100)
        for household, start, length in starts_and_lengths
    ]


def _found(rows: list[tuple[str, int, int, int]]) -> tuple[bool, bool]:
    """(the precheck returns a row, the check's query returns a row) over `rows`."""
    engine = DuckDBEngine(threads=1)
    try:
        types = {"hh": "VARCHAR", "s_mon": "INTEGER", "e_mon": "INTEGER", "net_c": "BIGINT"}
        engine.register_table("inc", types, rows)
        # The precheck reads the per-household flag computed with the income fact.
        fact = fact_with_columns("inc", Window(dt.date(2024, 7, 15)), WITH_FACTS["inc"])
        engine.materialize("x_inc", fact)
        return bool(engine.rows(INTEGRITY_PRECHECK[OVERLAP])), bool(engine.rows(INTEGRITY[OVERLAP]))
    finally:
        engine.close()


periods = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(1, 12)), max_size=8)


@settings(max_examples=150, deadline=None)
@given(periods)
def test_the_overlap_precheck_agrees_with_the_check(starts_and_lengths: list) -> None:
    precheck, check = _found(_periods(starts_and_lengths))
    assert precheck == check


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 130), st.integers(1, 70)), max_size=6))
def test_the_overlap_precheck_never_misses_over_spans_wider_than_its_bits(
    starts_and_lengths: list,
) -> None:
    precheck, check = _found(_periods(starts_and_lengths))
    assert precheck or not check


@settings(max_examples=60, deadline=None)
@given(periods, st.integers(-3, 0))
def test_a_period_ending_before_it_starts_leaves_the_decision_to_the_check(
    starts_and_lengths: list, length: int
) -> None:
    rows = [*_periods(starts_and_lengths), ("H9", FIRST_MONTH + 5, FIRST_MONTH + 4 + length, 1)]
    precheck, _check = _found(rows)
    assert precheck  # the bit test cannot decide: the check's own answer is the one reported


def test_months_sharing_a_bit_leave_the_decision_to_the_check() -> None:
    # Months 62 apart share a bit: the precheck cannot tell them apart, the check can.
    apart = [("H1", FIRST_MONTH, FIRST_MONTH, 1), ("H1", FIRST_MONTH + 62, FIRST_MONTH + 62, 1)]
    assert _found(apart) == (True, False)
    assert _found([("H1", FIRST_MONTH, FIRST_MONTH + 70, 1)]) == (True, False)  # 71 months
    overlapping = [*apart, ("H2", FIRST_MONTH + 3, FIRST_MONTH + 8, 1)]
    overlapping.append(("H2", FIRST_MONTH + 8, FIRST_MONTH + 9, 1))
    assert _found(overlapping) == (True, True)


def test_a_period_of_as_many_months_as_bits_fits_them_all() -> None:
    # Its end's bit is just below its start's: all the bits are its months.
    for start in (FIRST_MONTH, FIRST_MONTH + 61 - FIRST_MONTH % 62):
        assert _found([("H1", start, start + 61, 1)]) == (False, False)
        assert _found([("H1", start, start + 61, 1), ("H1", start + 62, start + 62, 1)]) == (
            True,
            False,
        )
        assert _found([("H1", start, start + 61, 1), ("H1", start + 61, start + 62, 1)]) == (
            True,
            True,
        )


def test_periods_wrapping_around_the_bits_are_told_apart() -> None:
    # Month 61 is the last bit: a period from it wraps to the first bits.
    wrapping = [("H1", FIRST_MONTH + 61 - FIRST_MONTH % 62, FIRST_MONTH + 66 - FIRST_MONTH % 62, 1)]
    assert _found(wrapping) == (False, False)
    after = ("H1", FIRST_MONTH + 67 - FIRST_MONTH % 62, FIRST_MONTH + 70 - FIRST_MONTH % 62, 1)
    assert _found([*wrapping, after]) == (False, False)
    inside = ("H1", FIRST_MONTH + 62 - FIRST_MONTH % 62, FIRST_MONTH + 62 - FIRST_MONTH % 62, 1)
    assert _found([*wrapping, inside]) == (True, True)


def test_periods_meeting_end_to_start_do_not_overlap() -> None:
    rows = [("H1", FIRST_MONTH, FIRST_MONTH + 5, 1), ("H1", FIRST_MONTH + 6, FIRST_MONTH + 61, 1)]
    assert _found(rows) == (False, False)
    assert _found([*rows, ("H1", FIRST_MONTH + 61, FIRST_MONTH + 61, 1)]) == (True, True)


SAMPLES = ["", "x", "true", "false", "0", "-1", "5", "12.345", "12.34", "2024-02-30", "2024-02-29",
           "2023-13", "2023-07", "330100000000", "11010519491231002X", "formerly_poor", "collapsed",
           "dibao", "full", "C", "1e3", " 7", "2023-7", "12023-07", "2023-00", "2023-1a", "a023-07",
           "2023/07", "２０２３-07", "é23-07", "2023-07\n", "2023-070", "0000-12", "9999-10"]  # fmt: skip


def test_the_row_flag_is_set_exactly_when_a_reason_is_given() -> None:
    from povguard.interchange.spec import FILES
    from povguard.screening.typed import is_bad, problem

    engine = DuckDBEngine(threads=1)
    try:
        engine.register_table("v", {"raw": "VARCHAR"}, [(s or None,) for s in SAMPLES])
        for spec in FILES.values():
            for column in spec.columns:
                flag = is_bad(column, "raw") or "false"
                rows = engine.rows(f"SELECT raw, ({problem(column, 'raw')}), ({flag}) FROM v")
                for raw, reason, bad in rows:
                    assert bad is (reason is not None), (spec.name, column.name, raw)
    finally:
        engine.close()


def test_the_month_check_accepts_exactly_what_its_regular_expression_does() -> None:
    from povguard.interchange.spec import Column, Kind
    from povguard.screening.typed import problem

    engine = DuckDBEngine(threads=1)
    try:
        engine.register_table("v", {"raw": "VARCHAR"}, [(s,) for s in SAMPLES if s])
        check = problem(Column("m", Kind.MONTH), "raw")
        pattern = "^[0-9]{4}-(0[1-9]|1[0-2])$"
        rows = engine.rows(f"SELECT raw, ({check}), regexp_matches(raw, '{pattern}') FROM v")
        assert sum(1 for _raw, _reason, valid in rows if valid) == 3
        for raw, reason, valid in rows:
            assert (reason is None) is valid, raw
    finally:
        engine.close()


TWICE = "feeds/education: record_id {0} appears twice"
EDUCATION_TYPES = {"id_number": "VARCHAR", "date_day": "BIGINT", "record_id": "VARCHAR",
                   "date_mon": "BIGINT", "status": "VARCHAR", "cost_c": "BIGINT",
                   "_bad": "BOOLEAN"}  # fmt: skip
RECORDS = st.lists(
    st.tuples(st.sampled_from(["P1", "P2"]), st.integers(0, 2), st.sampled_from("ab")), max_size=6
)


@settings(max_examples=60, deadline=None)
@given(RECORDS)
def test_the_record_id_precheck_agrees_with_the_check(records: list[tuple[str, int, str]]) -> None:
    engine = DuckDBEngine(threads=1)
    try:
        # The typed education file, and its frame rows as the engine builds them.
        typed = [(pid, day, rid, day, "enrolled", 0, False) for pid, day, rid in records]
        engine.register_table("t_feeds_education", EDUCATION_TYPES, typed)
        engine.materialize("f_education_rows", own_select("f_education"))
        repeats = INTEGRITY_PRECHECK[TWICE]
        assert isinstance(repeats, Repeats)
        found = bool(engine.rows(INTEGRITY[TWICE]))
        # DuckDB's own answer (NumPy) and the SQL of every engine
        assert engine.may_repeat(repeats) == SqlEngine.may_repeat(engine, repeats) == found
        assert found == (len({rid for _pid, _day, rid in records}) < len(records))
    finally:
        engine.close()


# Two members' ID numbers (one ending in X) and someone else's.
PEOPLE = ["110105194912310025", "11010519491231002X", "120105194912310025"]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(PEOPLE), st.integers(0, 4), st.sampled_from("abc")),
             max_size=8, unique=True),
    st.integers(-1, 5),
)  # fmt: skip
def test_the_latest_records_at_d_are_those_of_the_window(
    records: list[tuple[str, int, str]], d_day: int
) -> None:
    """A load at a known D finds `next_day` from the latest records up to D (`AT_D`): the rows
    that `LATEST_AT_D` keeps are those it keeps with the window's `next_day`."""
    engine = DuckDBEngine(threads=1)
    try:
        typed = [(pid, day, rid, day, "enrolled", 0, False) for pid, day, rid in records]
        engine.register_table("t_feeds_education", EDUCATION_TYPES, typed)
        engine.register_table("mem", {"hh": "VARCHAR", "mid": "VARCHAR", "pid": "VARCHAR",
                                      "birth_ymd": "INTEGER", "labour": "VARCHAR", "inh": "BOOLEAN"},
                              [("H1", "M1", PEOPLE[0], 20100101, "none", True),
                               ("H2", "M2", PEOPLE[1], 20100101, "none", True)])  # fmt: skip
        engine.materialize(IN_HOUSEHOLD, IN_HOUSEHOLD_SELECT)
        latest = LATEST_AT_D.format(d_day=d_day)
        kept = []
        for at_d in (False, True):
            suffix = "_at_d" if at_d else ""
            engine.view(f"rows{suffix}", own_select("f_education", at_d=at_d))
            if at_d:
                query = latest_at_d_select("f_education").replace("f_education_rows", "rows_at_d")
                engine.materialize(latest_at_d("f_education"), query.format(d_day=d_day))
            engine.view(f"feed{suffix}", with_member("f_education", f"rows{suffix}", at_d=at_d))
            kept.append(
                sorted(engine.rows(f"SELECT pid, rid, hh FROM feed{suffix} WHERE {latest}"))
            )
        assert kept[0] == kept[1]
    finally:
        engine.close()


ID_NUMBERS = st.from_regex(r"\A[0-9]{17}[0-9X]\Z")


@settings(max_examples=60, deadline=None)
@given(st.lists(ID_NUMBERS, min_size=1, max_size=8))
def test_the_member_key_is_one_to_one_on_id_numbers(ids: list[str]) -> None:
    """Feeds join their members on `member_key()`: equal keys exactly for equal ID numbers."""
    engine = DuckDBEngine(threads=1)
    try:
        engine.register_table("ids", {"pid": "VARCHAR"}, [(pid,) for pid in ids])
        keys = dict(engine.rows(f"SELECT pid, {member_key('pid')} FROM ids"))
        assert None not in keys.values()
        assert len(set(keys.values())) == len(keys) == len(set(ids))
    finally:
        engine.close()


INSURED = st.tuples(
    st.sampled_from(["110105194912310025", "11010519491231002X", "120105194912310025", ""]),
    st.sampled_from([2023, 2024]),
    st.sampled_from([True, False, None]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(INSURED, max_size=6))
def test_the_insurance_two_rows_precheck_agrees_with_the_check(
    rows: list[tuple[str, int, bool | None]],
) -> None:
    assert isinstance(INTEGRITY_PRECHECK[INSURANCE_TWO_ROWS], InsuranceTwoRows)
    window = Window(dt.date(2024, 7, 15))
    schema = {"id_number": pl.String, "year": pl.Int64, "enrolled": pl.Boolean}
    engine = DuckDBEngine(threads=1)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "insurance.parquet"
            pl.DataFrame(rows, schema=schema, orient="row").write_parquet(path)
            source = SourceFile(FILES["feeds/insurance"], path, tuple(schema))
            source = replace(source, booleans=engine.booleans(source))
            engine._at = window  # as `load()` sets it
            engine.matching_pattern(source)  # the scan of the ID numbers answers the precheck
        precheck = engine.insurance_two_rows_may_exist()
        # The frame table, whose empty ID numbers are NULL
        types = {"pid": "VARCHAR", "year": "BIGINT", "enrolled": "BOOLEAN"}
        frame = [(pid or None, year, enrolled) for pid, year, enrolled in rows]
        engine.register_table("f_insurance_rows", types, frame)
        found = bool(engine.rows(INTEGRITY[INSURANCE_TWO_ROWS].format(**window.constants())))
        assert precheck is found
    finally:
        engine.close()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40), st.integers(0, 63))
def test_repeated_hashes_are_found(values: list[int], shift: int) -> None:
    import numpy as np

    from povguard.screening.engines.duckdb import _repeat

    # Values alike in their top bits (shifted up) or spread over all 64 bits
    for hashes in (values, [((v % 8) << shift) % 2**64 for v in values]):
        array = np.array(hashes, dtype=np.uint64)
        assert _repeat(array) == (len(set(hashes)) < len(hashes))
