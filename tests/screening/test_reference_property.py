"""Property: on random small datasets full of edge cases, the engine's clues equal those of
the plain-Python reading of the SPEC (tests/screening/reference.py)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from povguard.screening.service import screen_folder
from tests.conftest import EXAMPLES
from tests.screening import reference
from tests.screening.builders import OTHER_VILLAGE, VILLAGE, Dataset

D = dt.date(2024, 7, 15)
# Dates on and around the edges: W's first and last months, the month before W, D's month,
# D itself and after it, 29/30/90/91 days before D.
EDGE_DATES = [dt.date(2022, 6, 30), dt.date(2022, 7, 1), dt.date(2023, 6, 30), dt.date(2023, 7, 1),
              dt.date(2024, 1, 15), dt.date(2024, 6, 30), dt.date(2024, 7, 1), D,
              D + dt.timedelta(days=1), D - dt.timedelta(days=29), D - dt.timedelta(days=30),
              D - dt.timedelta(days=90), D - dt.timedelta(days=91)]  # fmt: skip
BIRTHS = [dt.date(1980, 1, 1), dt.date(2018, 7, 15), dt.date(2018, 7, 16), dt.date(2008, 7, 15),
          dt.date(2008, 7, 16), dt.date(2012, 2, 29)]  # fmt: skip
dates = st.sampled_from(EDGE_DATES)
# Records per person (household, village) of the "latest record" feeds: several, so that the
# latest at D, ties of date and records after D are exercised.
LATEST_RECORDS = st.integers(0, 3)
money = st.sampled_from(["0", "0.01", "3000", "8180.50", "8180.51", "16361", "20000", "90000"])


def _income(draw: st.DrawFn, ds: Dataset, hh: str) -> None:
    month = 2022 * 12 + 4  # 2022-05 … : across W′, W and D's month
    while month < 2024 * 12 + 7:
        month += draw(st.integers(0, 3))
        length = draw(st.sampled_from([1, 2, 3, 5, 6, 12]))
        end = month + length - 1
        net = draw(st.sampled_from([-500, 0, 300, 1200, 3630, 7260, 20000]))
        ds.income(hh, f"{month // 12}-{month % 12 + 1:02d}", f"{end // 12}-{end % 12 + 1:02d}",
                  net * length)  # fmt: skip
        month = end + 1


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    ds = Dataset(Path(tempfile.mkdtemp(prefix="prop-")), as_of=D)
    for index in range(draw(st.integers(1, 4))):
        hh = f"H{index}"
        ds.household(hh, status=draw(st.sampled_from(["ordinary", "formerly_poor"])),
                      village=draw(st.sampled_from([VILLAGE, OTHER_VILLAGE])))  # fmt: skip
        people = [ds.member(hh, draw(st.sampled_from(BIRTHS)),
                            labour=draw(st.sampled_from(["full", "partial", "none"])),
                            in_household=draw(st.booleans()))
                  for _ in range(draw(st.integers(0, 3)))]  # fmt: skip
        if draw(st.booleans()):
            _income(draw, ds, hh)
        for person in people:
            if draw(st.booleans()):
                ds.feed("medical", id_number=person, date=draw(dates), out_of_pocket=draw(money))
            for _ in range(draw(LATEST_RECORDS)):
                ds.feed("education", id_number=person, date=draw(dates),
                        status=draw(st.sampled_from(["enrolled", "dropout", "suspended"])),
                        cost=draw(money))  # fmt: skip
            for _ in range(draw(LATEST_RECORDS)):
                ds.feed("employment", id_number=person, date=draw(dates),
                        status=draw(st.sampled_from(["employed", "unemployed", "returned_home"])))  # fmt: skip
            if draw(st.booleans()):
                ds.feed("insurance", id_number=person, year=draw(st.sampled_from([2023, 2024])),
                        enrolled=draw(st.sampled_from(["true", "false"])))  # fmt: skip
            for name, extra in (("accident", {"outcome": "serious_injury"}),
                                ("disability", {"grade": 2}), ("health", {"serious": "true"}),
                                ("civil", {"program": "dibao"})):  # fmt: skip
                if draw(st.integers(0, 4)) == 0:
                    key = "start" if name == "civil" else "date"
                    ds.feed(name, id_number=person, **{key: draw(dates)}, **extra)
        if draw(st.booleans()):
            ds.feed("disaster", household_id=hh, date=draw(dates), loss=draw(money),
                    house_damage=draw(st.sampled_from(["none", "damaged", "collapsed"])))  # fmt: skip
        for _ in range(draw(LATEST_RECORDS)):
            ds.feed("housing", household_id=hh, date=draw(dates),
                    grade=draw(st.sampled_from("ABCD")))  # fmt: skip
        for _ in range(draw(LATEST_RECORDS)):
            ds.feed("water", household_id=hh, date=draw(dates),
                    safe=draw(st.sampled_from(["true", "false"])))  # fmt: skip
        if draw(st.booleans()):
            ds.declaration(hh, draw(dates))
    for village in (VILLAGE, OTHER_VILLAGE):
        for _ in range(draw(LATEST_RECORDS)):
            ds.feed("water", village_code=village, date=draw(dates),
                    safe=draw(st.sampled_from(["true", "false"])))  # fmt: skip
    return ds


def _engine_rows(folder: Path) -> list[dict[str, str]]:
    clues = screen_folder(folder, D).clues
    return [{k: row[k] or "" for k in ("household_id", "category", "rules", "pc_income", "line")}
            for row in clues.iter_rows(named=True)]  # fmt: skip


@given(datasets())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_engine_agrees_with_the_reference_reading(dataset: Dataset) -> None:
    folder = dataset.write()
    assert _engine_rows(folder) == reference.screen(folder, D)


def test_the_reference_reproduces_the_worked_example() -> None:
    import csv

    expected = EXAMPLES / "screening-yunnan-2024.expected.csv"
    with expected.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert reference.screen(EXAMPLES / "screening-yunnan-2024", D) == rows
