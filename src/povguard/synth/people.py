"""Households and members of one chunk: sizes, ages, sexes, relations, labour, health, IDs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl

from povguard.households.idnumber import WEIGHTS
from povguard.synth.regions import Geography

EPOCH = dt.date(1970, 1, 1)
SIZES = np.arange(1, 9)
SIZE_P = np.array([0.10, 0.20, 0.20, 0.21, 0.14, 0.08, 0.045, 0.025])
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
)
GIVEN = list("国建华明文军平志红英兰芳秀玉丽强伟刚勇杰涛斌超磊鹏宇浩婷静敏燕霞梅琴云")
CHECK = np.array(list("10X98765432"))


@dataclass
class IdAllocator:
    """Sequence numbers unique per (area, birth date) across all chunks of a dataset."""

    used: defaultdict[tuple[str, int], int]

    @classmethod
    def new(cls) -> IdAllocator:
        return cls(defaultdict(int))

    def sequences(self, areas: np.ndarray, births: np.ndarray) -> np.ndarray:
        keys = pd_keys = np.char.add(areas.astype(str), births.astype(str))
        order = np.argsort(pd_keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(len(keys)), 0))
        rank = np.arange(len(keys)) - group_start
        offsets = np.zeros(len(keys), dtype=np.int64)
        unique_at = np.flatnonzero(starts)
        sizes = np.diff(np.r_[unique_at, len(keys)])
        for position, size in zip(unique_at, sizes, strict=True):
            key = (str(sorted_keys[position][:6]), int(sorted_keys[position][6:]))
            offsets[position : position + size] = self.used[key]
            self.used[key] += int(size)
        sequence = np.empty(len(keys), dtype=np.int64)
        sequence[order] = rank + offsets
        return sequence


def id_numbers(areas: np.ndarray, births: np.ndarray, sequences: np.ndarray) -> np.ndarray:
    """Resident IDs: area (6) + birth yyyymmdd (8) + sequence (3) + MOD 11-2 check character."""
    body = areas.astype(np.int64) * 10**11 + births.astype(np.int64) * 1000 + sequences % 1000
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for weight in reversed(WEIGHTS):  # the last digit carries the last weight
        total += (rest % 10) * weight
        rest //= 10
    frame = pl.DataFrame({"body": body, "check": CHECK[total % 11]})
    text = frame.select(pl.col("body").cast(pl.String).str.zfill(17) + pl.col("check"))
    return text.to_series().to_numpy()


def _ymd(days: np.ndarray) -> np.ndarray:
    dates = (np.datetime64("1970-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]")
    text = np.datetime_as_string(dates)
    return np.char.replace(text, "-", "").astype(np.int64)


def _names(rng: np.random.Generator, n: int) -> np.ndarray:
    surname = rng.choice(SURNAMES, n)
    given = np.char.add(
        rng.choice(GIVEN, n), np.where(rng.random(n) < 0.6, rng.choice(GIVEN, n), "")
    )
    return np.char.add(surname, given)


@dataclass
class People:
    households: pl.DataFrame
    members: pl.DataFrame


def make_people(
    rng: np.random.Generator, geo: Geography, first: int, n: int, as_of: dt.date, ids: IdAllocator
) -> People:
    """`n` households numbered from `first`, with their members."""
    d_day = (as_of - EPOCH).days
    hh_ids = np.char.add("H", np.char.zfill(np.arange(first, first + n).astype(str), 9))
    village_at = rng.integers(0, len(geo.villages), n)
    villages = geo.villages[village_at]
    formerly_poor = rng.random(n) < (0.40 if geo.province.code[:2] != "33" else 0.15)
    size = rng.choice(SIZES, n, p=SIZE_P)
    head_age = np.clip(rng.normal(52, 13, n).round(), 24, 85).astype(np.int64)
    # Members: position 0 head, 1 spouse, then children / grandchildren / a parent.
    member_hh = np.repeat(np.arange(n), size)
    position = np.arange(len(member_hh)) - np.repeat(np.cumsum(size) - size, size)
    m = len(member_hh)
    h_age = head_age[member_hh]
    spouse = (position == 1) & (rng.random(m) < 0.85)
    parent = (
        (position >= 2) & (position == size[member_hh] - 1) & (h_age < 48) & (rng.random(m) < 0.5)
    )
    grandchild = (position >= 3) & (h_age >= 55)
    age = np.where(position == 0, h_age, 0)
    age = np.where(spouse, np.clip(h_age + rng.integers(-5, 4, m), 20, 90), age)
    child_age = np.clip(h_age - rng.integers(20, 36, m), 0, 60)
    age = np.where((position >= 1) & ~spouse & ~parent & ~grandchild, child_age, age)
    age = np.where(grandchild, np.clip(h_age - rng.integers(45, 60, m), 0, 25), age)
    age = np.where(parent, np.clip(h_age + rng.integers(22, 32, m), 60, 98), age)
    relation = np.select(
        [position == 0, spouse, parent, grandchild],
        ["head", "spouse", "parent", "grandchild"],
        default=np.where((position >= 1) & (rng.random(m) < 0.03), "sibling", "child"),
    )
    head_male = rng.random(n) < 0.82
    male = np.where(position == 0, head_male[member_hh], rng.random(m) < 0.5)
    male = np.where(spouse, ~head_male[member_hh], male)
    birth_day = d_day - age * 365 - rng.integers(0, 365, m) - age // 4
    health = rng.choice(
        ["healthy", "chronic", "serious", "disabled"], m, p=[0.84, 0.10, 0.02, 0.04]
    )
    labour = np.where(age < 16, "none",
             np.where(age < 60, rng.choice(["full", "partial", "none"], m, p=[0.85, 0.10, 0.05]),
             np.where(age < 70, rng.choice(["partial", "none"], m), "none")))  # fmt: skip
    labour = np.where((health == "disabled") & (rng.random(m) < 0.7), "none", labour)
    labour = np.where((health == "serious") & (labour == "full"), "partial", labour)
    in_household = ~((position > 0) & (age >= 18) & (rng.random(m) < 0.05))
    county = np.array(geo.counties)[geo.village_county[village_at]]
    areas = np.array([c[:6] for c in county])[member_hh]
    births = _ymd(birth_day)
    numbers = id_numbers(areas, births, ids.sequences(areas, births))
    member_ids = np.char.add(
        "M", np.char.zfill(np.arange(first * 8, first * 8 + m).astype(str), 10)
    )
    head_numbers = numbers[position == 0]
    exit_year = np.where(formerly_poor, rng.integers(2014, 2021, n), -1)
    households = pl.DataFrame({
        "household_id": hh_ids,
        "village_code": villages,
        "head_id_number": head_numbers,
        "address": np.char.add(
            np.char.add(geo.village_names[village_at], rng.integers(1, 400, n).astype(str)), "号"
        ),
        "phone": np.char.add("1", rng.integers(3000000000, 9999999999, n).astype(str)),
        "status": np.where(formerly_poor, "formerly_poor", "ordinary"),
        "exit_year": pl.Series(exit_year).replace(-1, None),
        "relocated": formerly_poor & (rng.random(n) < 0.12),
        "registered_on": pl.Series(d_day - rng.integers(2000, 4000, n)).cast(pl.Date),
    })  # fmt: skip
    members = pl.DataFrame({
        "member_id": member_ids,
        "household_id": hh_ids[member_hh],
        "id_number": numbers,
        "name": _names(rng, m),
        "sex": np.where(male, "M", "F"),
        "birth_date": pl.Series(birth_day).cast(pl.Date),
        "relation": relation,
        "labour": labour,
        "health": health,
        "in_household": in_household,
        # working columns for the feeds (dropped before writing)
        "_age": age,
        "_hh": member_hh,
    })  # fmt: skip
    return People(households, members)
