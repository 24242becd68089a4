"""A deliberately plain Python reading of SPEC §4–§6, the oracle for the property test.

One small function per rule, loops and `Fraction`s, no shared code with the engine.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

DEFAULTS = {"medical_ratio_formerly_poor": "0.5", "medical_ratio_other": "1.0",
            "income_drop_ratio": "0.3", "near_line_ratio": "1.5", "disaster_loss_ratio": "0.5",
            "education_cost_limit": "10000", "unemployed_days": 30, "declaration_days": 90}  # fmt: skip


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _money(text: str) -> Fraction:
    return Fraction(Decimal(text)) if text else Fraction(0)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _month(text: str) -> int:
    year, month = text.split("-")[:2]
    return int(year) * 12 + int(month) - 1


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _latest(records: list[dict[str, str]], on: dt.date, key: str = "date") -> dict[str, str] | None:
    eligible = [r for r in records if _date(r[key]) <= on]
    return (
        max(eligible, key=lambda r: (_date(r[key]), r.get("record_id", ""))) if eligible else None
    )


def screen(folder: Path, as_of: dt.date) -> list[dict[str, str]]:
    d_mon = as_of.year * 12 + as_of.month - 1
    w = range(d_mon - 12, d_mon)
    wp = range(d_mon - 24, d_mon - 12)
    in_w = lambda text: _month(text) in w  # noqa: E731
    policy = {}
    for entry in yaml.safe_load((folder / "policy.yaml").read_text(encoding="utf-8")):
        if entry["year"] == as_of.year:
            values = {**DEFAULTS, **entry}
            policy[str(entry["province"])[:2]] = {
                k: Fraction(Decimal(str(v))) if k not in ("province", "year") else v
                for k, v in values.items()
            }
    members = defaultdict(list)
    person_household: dict[str, str] = {}
    person: dict[str, dict[str, str]] = {}
    for m in _read(folder, "members"):
        if m["in_household"] == "true":
            members[m["household_id"]].append(m)
            person_household[m["id_number"]] = m["household_id"]
            person[m["id_number"]] = m
    feeds = {name: _read(folder, f"feeds/{name}") for name in (
        "medical", "insurance", "education", "disaster", "housing", "water", "civil",
        "disability", "health", "accident", "employment")}  # fmt: skip
    by_household: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for name, rows in feeds.items():
        for row in rows:
            if "id_number" in row and name != "water":
                hh = person_household.get(row["id_number"])
            else:
                hh = row.get("household_id") or None
            if hh:
                by_household[hh][name].append(row)
    village_water = defaultdict(list)
    for row in feeds["water"]:
        if row.get("village_code"):
            village_water[row["village_code"]].append(row)
    income = defaultdict(list)
    for row in _read(folder, "income"):
        income[row["household_id"]].append(row)
    declarations = defaultdict(list)
    for row in _read(folder, "declarations"):
        declarations[row["household_id"]].append(row)

    clues = []
    for h in sorted(_read(folder, "households"), key=lambda r: r["household_id"]):
        hh = h["household_id"]
        p = policy[h["village_code"][:2]]
        n = len(members[hh])
        f = by_household[hh]

        def window(months: range, records: list[dict[str, str]]) -> tuple[Fraction, int]:
            total, covered = Fraction(0), 0
            for r in records:
                start, end = _month(r["period_start"]), _month(r["period_end"])
                if start in months and end in months:
                    covered += end - start + 1
                    total += (_money(r["wage"]) + _money(r["operating"]) + _money(r["property"])
                              + _money(r["transfer"]) - _money(r["production_cost"]))  # fmt: skip
            return total, covered

        total, covered = window(w, income[hh])
        annual = total * 12 / covered if covered >= 6 else None
        pc = annual / n if annual is not None and n > 0 else None
        total_p, covered_p = window(wp, income[hh])
        pc_p = total_p * 12 / covered_p / n if covered_p >= 6 and n > 0 else None
        line = p["monitoring_line"]
        med = sum(
            (_money(r["out_of_pocket"]) for r in f["medical"] if in_w(r["date"])), Fraction(0)
        )
        edu = sum((_money(r["cost"]) for r in f["education"] if in_w(r["date"])), Fraction(0))
        loss = sum((_money(r["loss"]) for r in f["disaster"] if in_w(r["date"])), Fraction(0))
        fired = []
        if pc is not None and pc < line:
            fired.append("R01")
        if (pc is not None and pc_p is not None and pc_p > 0
                and pc <= (1 - p["income_drop_ratio"]) * pc_p
                and pc < p["near_line_ratio"] * line):  # fmt: skip
            fired.append("R02")
        if pc is not None and pc >= line and (annual - med - edu - loss) / n < line:
            fired.append("R03")
        ratio = (
            p["medical_ratio_formerly_poor"]
            if h["status"] == "formerly_poor"
            else p["medical_ratio_other"]
        )
        if med > ratio * p["rural_disposable_income"]:
            fired.append("R04")
        collapsed = any(r["house_damage"] == "collapsed" and in_w(r["date"]) for r in f["disaster"])
        if collapsed or (loss > 0 and (annual is None or annual <= 0
                                       or loss >= p["disaster_loss_ratio"] * annual)):  # fmt: skip
            fired.append("R05")
        if any(
            in_w(r["date"]) and r["outcome"] in ("death", "serious_injury") for r in f["accident"]
        ):
            fired.append("R06")
        by_child = defaultdict(list)
        for r in f["education"]:
            by_child[r["id_number"]].append(r)
        for child, rows in by_child.items():
            latest = _latest(rows, as_of)
            age = _age(_date(person[child]["birth_date"]), as_of)
            if latest and 6 <= age <= 15 and latest["status"] in ("dropout", "suspended"):
                fired.append("R07")
                break
        if edu > p["education_cost_limit"]:
            fired.append("R08")
        if any(int(r["year"]) == as_of.year and r["enrolled"] == "false" for r in f["insurance"]):
            fired.append("R09")
        house = _latest(f["housing"], as_of)
        if house and house["grade"] in ("C", "D"):
            fired.append("R10")
        water = _latest(f["water"], as_of) or _latest(village_water[h["village_code"]], as_of)
        if water and water["safe"] == "false":
            fired.append("R11")
        by_worker = defaultdict(list)
        for r in f["employment"]:
            by_worker[r["id_number"]].append(r)
        for worker, rows in by_worker.items():
            latest = _latest(rows, as_of)
            if (latest and person[worker]["labour"] in ("full", "partial")
                    and latest["status"] in ("unemployed", "returned_home")
                    and (as_of - _date(latest["date"])).days >= p["unemployed_days"]):  # fmt: skip
                fired.append("R12")
                break
        if any(in_w(r["date"]) and int(r["grade"]) <= 2 for r in f["disability"]):
            fired.append("R13")
        if any(in_w(r["date"]) and r["serious"] == "true" for r in f["health"]):
            fired.append("R14")
        if any(
            0 <= (as_of - _date(r["date"])).days <= p["declaration_days"] for r in declarations[hh]
        ):
            fired.append("R15")
        if any(in_w(r["start"]) and r["program"] in ("dibao", "extreme_poverty", "temporary")
               for r in f["civil"]):  # fmt: skip
            fired.append("R16")
        if not fired:
            continue
        category = "sudden_difficulty"
        if pc is not None and pc < line:
            category = "unstable" if h["status"] == "formerly_poor" else "marginal"
        shown = ""
        if pc is not None:
            cents = (Decimal(pc.numerator) / Decimal(pc.denominator)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP)  # fmt: skip
            shown = str(abs(cents) if cents == 0 else cents)  # no "-0.00"
        clues.append({"household_id": hh, "category": category, "rules": ";".join(sorted(fired)),
                      "pc_income": shown, "line": format(Decimal(str(line.numerator / line.denominator)).normalize(), "f")})  # fmt: skip
    return clues


__all__: list[Any] = ["screen"]
