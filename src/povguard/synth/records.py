"""Income records, the 12 department feeds and declarations of one chunk of households.

Rates are chosen so that every screening rule fires for a plausible share of households
(docs/synth.md lists them).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from povguard.synth.people import EPOCH, People, id_numbers
from povguard.synth.regions import Geography

UNMATCHED = 0.005  # share of feed rows pointing at nobody in the registry (importer test)


class Clock:
    """Month and day arithmetic around the screening date D."""

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of
        self.d_day = (as_of - EPOCH).days
        self.d_mon = (as_of.year - 1970) * 12 + as_of.month - 1  # months since 1970-01
        self.first_mon = self.d_mon - 30  # income and feeds span the 30 months before D's

    def month_start(self, months: np.ndarray) -> np.ndarray:
        starts = np.datetime64("1970-01", "M") + months.astype("timedelta64[M]")
        return (starts.astype("datetime64[D]") - np.datetime64("1970-01-01")).astype(np.int64)

    def days_in(self, rng: np.random.Generator, lo: int, hi: int, n: int) -> np.ndarray:
        """Random days in the months lo … hi (month numbers since 1970-01), inclusive."""
        months = rng.integers(lo, hi + 1, n)
        return self.month_start(months) + rng.integers(0, 28, n)

    def span_days(self, rng: np.random.Generator, n: int, late: float = 0.03) -> np.ndarray:
        """Days over the 30-month span, a few in D's month or after D."""
        days = self.days_in(rng, self.first_mon, self.d_mon - 1, n)
        after = rng.random(n) < late
        return np.where(after, self.d_day + rng.integers(-10, 40, n), days)


def _cents(values: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(values) * 100).astype(np.int64)


def _pick(rng: np.random.Generator, chance: np.ndarray | float, n: int) -> np.ndarray:
    return np.flatnonzero(rng.random(n) < chance)


def _record_ids(prefix: str, first: int, n: int) -> np.ndarray:
    if n == 0:  # numpy's string functions refuse empty arrays
        return np.array([], dtype=str)
    return np.char.add(prefix, np.char.zfill(np.arange(first, first + n).astype(str), 10))


def _strangers(rng: np.random.Generator, geo: Geography, n: int) -> np.ndarray:
    """Valid ID numbers of people who are in no household of the dataset."""
    areas = np.full(n, geo.counties[0][:6])
    births = 19000101 + rng.integers(0, 28, n)  # born in January 1900: nobody in the registry
    return id_numbers(areas, births, rng.integers(0, 1000, n))


def _person_rows(
    rng: np.random.Generator, geo: Geography, people: People, chosen: np.ndarray
) -> np.ndarray:
    numbers = people.members["id_number"].to_numpy()[chosen]
    stray = rng.random(len(chosen)) < UNMATCHED
    if stray.any():
        numbers = numbers.copy()
        numbers[stray] = _strangers(rng, geo, int(stray.sum()))
    return numbers


def _month_text(months: np.ndarray) -> pl.Series:
    """Month numbers since 1970-01 as YYYY-MM."""
    frame = pl.DataFrame({"m": months})
    year = (pl.col("m") // 12 + 1970).cast(pl.String)
    month = (pl.col("m") % 12 + 1).cast(pl.String).str.zfill(2)
    return frame.select(pl.concat_str(year, pl.lit("-"), month)).to_series()


def income(rng: np.random.Generator, people: People, clock: Clock, line: int) -> pl.DataFrame:
    n = people.households.height
    members = people.members
    in_household = np.bincount(
        members["_hh"].to_numpy(), weights=members["in_household"].to_numpy(), minlength=n
    )
    pc = line * np.exp(rng.normal(np.log(1.9), 0.5, n))
    annual = pc * np.maximum(in_household, 1)
    drop = rng.random(n) < 0.06  # W′ income well above W: a sharp fall (R02)
    gap = rng.random(n) < 0.07  # fewer than 6 months covered in W: income unknown
    granularity = rng.choice([1, 3, 6], n, p=[0.3, 0.5, 0.2])
    shift = (rng.random(n) < 0.04).astype(np.int64)  # periods straddling W's edges
    periods = 30 // granularity
    hh = np.repeat(np.arange(n), periods)
    k = np.arange(len(hh)) - np.repeat(np.cumsum(periods) - periods, periods)
    g = granularity[hh]
    start = clock.first_mon + k * g + shift[hh]
    end = start + g - 1
    w_lo = clock.d_mon - 12
    keep = ~(gap[hh] & (end >= w_lo + 3))
    level = np.where(drop[hh] & (end < w_lo), rng.uniform(1.6, 2.4, len(hh)), 1.0)
    net = annual[hh] / 12 * g * level * rng.uniform(0.85, 1.15, len(hh))
    hh, start, end, net = hh[keep], start[keep], end[keep], _cents(net[keep])
    cost = net // 10
    gross = net + cost
    wage, operating, property_ = gross * 55 // 100, gross * 27 // 100, gross * 3 // 100
    transfer = gross - wage - operating - property_
    return pl.DataFrame({
        "household_id": people.households["household_id"].to_numpy()[hh],
        "period_start": _month_text(start),
        "period_end": _month_text(end),
        "wage": wage, "operating": operating, "property": property_, "transfer": transfer,
        "production_cost": cost,
        "source": rng.choice(["survey", "cadre", "department"], len(hh), p=[0.6, 0.3, 0.1]),
    })  # fmt: skip


def person_feeds(
    rng: np.random.Generator, geo: Geography, people: People, clock: Clock, first: int
) -> dict[str, pl.DataFrame]:
    m = people.members
    count = m.height
    age = m["_age"].to_numpy()
    health = m["health"].to_numpy()
    labour = m["labour"].to_numpy()
    feeds: dict[str, pl.DataFrame] = {}

    ill = np.isin(health, ["chronic", "serious"])
    chosen = _pick(rng, np.where(ill, 0.35, 0.08), count)
    chosen = np.concatenate([chosen, chosen[rng.random(len(chosen)) < 0.3]])
    oop = np.exp(rng.normal(np.log(1500), 1.0, len(chosen)))
    oop = np.where(rng.random(len(chosen)) < 0.04, rng.uniform(15000, 60000, len(chosen)), oop)
    total = oop / rng.uniform(0.25, 0.6, len(chosen))
    feeds["medical"] = pl.DataFrame({
        "record_id": _record_ids("MED", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "date": clock.span_days(rng, len(chosen)),
        "total_cost": _cents(total), "reimbursed": _cents(total) - _cents(oop),
        "out_of_pocket": _cents(oop),
    })  # fmt: skip

    year = clock.as_of.year
    insured = np.concatenate([np.arange(count), np.arange(count)])
    years = np.repeat([year - 1, year], count)
    enrolled = rng.random(2 * count) >= np.where(years == year, 0.006, 0.006)
    feeds["insurance"] = pl.DataFrame({
        "id_number": m["id_number"].to_numpy()[insured], "year": years, "enrolled": enrolled,
    })  # fmt: skip

    feeds["education"] = _education(rng, geo, people, clock, age, first)

    chosen = _pick(rng, np.where(health == "disabled", 1.0, 0.0), count)
    feeds["disability"] = pl.DataFrame({
        "record_id": _record_ids("DSB", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "date": clock.days_in(rng, clock.d_mon - 60, clock.d_mon - 1, len(chosen)),
        "grade": rng.choice([1, 2, 3, 4], len(chosen), p=[0.15, 0.25, 0.3, 0.3]),
    })  # fmt: skip

    chosen = np.flatnonzero(ill)
    feeds["health"] = pl.DataFrame({
        "record_id": _record_ids("HLT", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "date": clock.span_days(rng, len(chosen)),
        "diagnosis": rng.choice(["高血压", "糖尿病", "慢性阻塞性肺病", "恶性肿瘤", "尿毒症",
                                 "脑卒中"], len(chosen)),
        "serious": health[chosen] == "serious",
    })  # fmt: skip

    chosen = _pick(rng, 0.012, count)
    feeds["accident"] = pl.DataFrame({
        "record_id": _record_ids("ACC", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "date": clock.span_days(rng, len(chosen)),
        "outcome": rng.choice(["death", "serious_injury", "injury"], len(chosen),
                              p=[0.1, 0.3, 0.6]),
    })  # fmt: skip

    workers = (age >= 16) & (age <= 64) & np.isin(labour, ["full", "partial"])
    chosen = _pick(rng, np.where(workers, 0.6, 0.0), count)
    chosen = np.concatenate([chosen, chosen[rng.random(len(chosen)) < 0.4]])
    feeds["employment"] = pl.DataFrame({
        "record_id": _record_ids("EMP", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "date": clock.span_days(rng, len(chosen)),
        "status": rng.choice(["employed", "unemployed", "returned_home"], len(chosen),
                             p=[0.94, 0.03, 0.03]),
        "place": rng.choice(["in_county", "in_province", "out_of_province"], len(chosen)),
        "months": rng.integers(0, 13, len(chosen)),
    })  # fmt: skip

    chosen = _pick(rng, 0.01, count)
    feeds["assets"] = pl.DataFrame({
        "record_id": _record_ids("AST", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "date": clock.span_days(rng, len(chosen)),
        "asset": rng.choice(["vehicle", "commercial_housing", "business", "deposit"], len(chosen)),
        "value": _cents(rng.uniform(50000, 600000, len(chosen))),
    })  # fmt: skip
    return feeds


def _education(
    rng: np.random.Generator, geo: Geography, people: People, clock: Clock,
    age: np.ndarray, first: int,
) -> pl.DataFrame:  # fmt: skip
    students = np.flatnonzero(
        (age >= 3) & (age <= 22) & ~((age >= 18) & (rng.random(len(age)) < 0.6))
    )
    # The two most recent school years started (in September) before D.
    newest = (
        clock.as_of.year
        if clock.as_of >= dt.date(clock.as_of.year, 9, 15)
        else clock.as_of.year - 1
    )
    years = [newest - 1, newest]
    chosen = np.repeat(students, 2)
    school_year = np.tile(years, len(students))
    day = (
        clock.month_start(np.full(len(chosen), 0)) * 0
        + np.array([(dt.date(y, 9, 1) - EPOCH).days for y in school_year], dtype=np.int64)
        + rng.integers(0, 10, len(chosen))
    )
    a = age[chosen] - (clock.as_of.year - school_year)  # age when the school year started
    stage = np.select(
        [a < 6, a < 12, a < 15, a < 18], ["preschool", "primary", "junior", "senior"], "tertiary"
    )
    stage = np.where((stage == "senior") & (rng.random(len(chosen)) < 0.3), "vocational", stage)
    latest = school_year == years[-1]
    quits = latest & (age[chosen] >= 6) & (age[chosen] <= 15) & (rng.random(len(chosen)) < 0.025)
    status = np.where(quits, rng.choice(["dropout", "suspended"], len(chosen)), "enrolled")
    low = {"preschool": 500, "primary": 0, "junior": 0, "senior": 2000, "vocational": 3000,
           "tertiary": 4000}  # fmt: skip
    high = {"preschool": 3000, "primary": 800, "junior": 1200, "senior": 6000,
            "vocational": 7000, "tertiary": 12000}  # fmt: skip
    lo = np.vectorize(low.get)(stage)
    hi = np.vectorize(high.get)(stage)
    return pl.DataFrame({
        "record_id": _record_ids("EDU", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "date": day, "status": status, "stage": stage,
        "cost": _cents(rng.uniform(lo, hi)),
    })  # fmt: skip


def household_feeds(
    rng: np.random.Generator, geo: Geography, people: People, clock: Clock, first: int,
    village_water: bool,
) -> dict[str, pl.DataFrame]:  # fmt: skip
    h = people.households
    n = h.height
    ids = h["household_id"].to_numpy()

    def households(chosen: np.ndarray) -> np.ndarray:
        picked = ids[chosen].copy()
        stray = rng.random(len(chosen)) < UNMATCHED
        picked[stray] = np.char.add("X", picked[stray])
        return picked

    feeds: dict[str, pl.DataFrame] = {}
    chosen = _pick(rng, 0.07, n)
    loss = np.exp(rng.normal(np.log(3000), 1.1, len(chosen)))
    damage = rng.choice(["none", "damaged", "collapsed"], len(chosen), p=[0.74, 0.2, 0.06])
    feeds["disaster"] = pl.DataFrame({
        "record_id": _record_ids("DIS", first * 8, len(chosen)),
        "household_id": households(chosen),
        "date": clock.span_days(rng, len(chosen)),
        "hazard": rng.choice(["0201", "0202", "0203", "0204", "0205", "0206", "0207"], len(chosen)),
        "loss": _cents(loss), "house_damage": damage,
    })  # fmt: skip

    chosen = _pick(rng, 0.25, n)
    chosen = np.concatenate([chosen, chosen[rng.random(len(chosen)) < 0.3]])
    feeds["housing"] = pl.DataFrame({
        "record_id": _record_ids("HOU", first * 8, len(chosen)),
        "household_id": households(chosen),
        "date": clock.days_in(rng, clock.d_mon - 48, clock.d_mon - 1, len(chosen)),
        "grade": rng.choice(["A", "B", "C", "D"], len(chosen), p=[0.55, 0.37, 0.06, 0.02]),
    })  # fmt: skip

    chosen = _pick(rng, 0.08, n)
    issues = rng.choice(["quantity", "quality", "convenience", "assurance"], len(chosen))
    water = pl.DataFrame({
        "record_id": _record_ids("WAT", first * 8, len(chosen)),
        "household_id": households(chosen),
        "village_code": pl.Series([None] * len(chosen), dtype=pl.String),
        "date": clock.span_days(rng, len(chosen)),
        "safe": rng.random(len(chosen)) < 0.85,
        "issue": issues,
    })  # fmt: skip
    if village_water:  # the first chunk also carries the villages' own water records
        villages = geo.villages[_pick(rng, 0.5, len(geo.villages))]
        water = pl.concat([water, pl.DataFrame({
            "record_id": _record_ids("WAV", 0, len(villages)),
            "household_id": pl.Series([None] * len(villages), dtype=pl.String),
            "village_code": villages,
            "date": clock.span_days(rng, len(villages)),
            "safe": rng.random(len(villages)) < 0.95,
            "issue": np.full(len(villages), "quality"),
        })])  # fmt: skip
    feeds["water"] = water.with_columns(
        pl.when(~pl.col("safe")).then(pl.col("issue")).alias("issue")
    )

    heads = np.flatnonzero(people.members["relation"].to_numpy() == "head")
    chosen = heads[_pick(rng, 0.06, len(heads))]
    start = clock.span_days(rng, len(chosen), late=0.0)
    feeds["civil"] = pl.DataFrame({
        "record_id": _record_ids("CIV", first * 8, len(chosen)),
        "id_number": _person_rows(rng, geo, people, chosen),
        "program": rng.choice(["dibao", "extreme_poverty", "temporary"], len(chosen),
                              p=[0.6, 0.15, 0.25]),
        "start": start,
        "end": pl.Series(np.where(rng.random(len(chosen)) < 0.7, start + 365, -1)).replace(
            -1, None
        ),
        "amount": _cents(rng.uniform(150, 900, len(chosen))),
    })  # fmt: skip
    return feeds


def declarations(
    rng: np.random.Generator, people: People, clock: Clock, first: int
) -> pl.DataFrame:
    n = people.households.height
    chosen = _pick(rng, 0.015, n)
    causes = rng.choice(
        ["01", "0201", "03", "04", "05", "06", "07", "09", "99", "01;04"], len(chosen)
    )
    return pl.DataFrame({
        "declaration_id": _record_ids("DCL", first * 8, len(chosen)),
        "household_id": people.households["household_id"].to_numpy()[chosen],
        "date": clock.d_day - rng.integers(-10, 150, len(chosen)),
        "channel": rng.choice(["app", "hotline", "written", "visit"], len(chosen)),
        "causes": causes,
        "text": rng.choice(["家中有人生病，医疗费用高", "务工返乡，暂无收入", "房屋受损",
                            "孩子上学费用高", "申请临时救助"], len(chosen)),
    })  # fmt: skip
