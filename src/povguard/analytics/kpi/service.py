"""KPIs of a region and a period, scoped to the caller (SPEC §11): the one read layer that the
dashboard, the region summary, the KPI API and the Excel/PDF reports all use."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.analytics.kpi import queries
from povguard.analytics.kpi.period import Period
from povguard.analytics.kpi.schemas import (
    DurationStats,
    Kpis,
    MonthCounts,
    ObjectRow,
    RegionSummary,
    RuleKpi,
)
from povguard.auth.principal import Principal
from povguard.cases.enums import OPEN_STATES, CaseKind, CaseState
from povguard.cases.service import count_overdue, overdue_by_region
from povguard.core.errors import NotFound
from povguard.households import idnumber
from povguard.households import service as households
from povguard.regions.codes import PREFIX_LENGTH, Level, prefix
from povguard.regions.models import Region
from povguard.screening import runs
from povguard.screening.rules import RULES

NATIONAL = runs.NATIONAL


def region_prefix(session: Session, principal: Principal, code: str) -> str:
    """The code prefix of region `code` if it exists and the caller may see it (404 when it is
    unknown or outside the caller's scope); NATIONAL is the whole country ('')."""
    if code == NATIONAL:
        if principal.scope_prefix:
            raise NotFound(f"region {code} not found")
        return ""
    return households.region_prefix(session, principal, code, field="code")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def nearest_rank(sorted_values: list[int], share: float) -> float | None:
    if not sorted_values:
        return None
    return float(sorted_values[max(math.ceil(share * len(sorted_values)) - 1, 0)])


def _durations(days: list[int]) -> DurationStats:
    median = float(statistics.median(days)) if days else None
    return DurationStats(cases=len(days), median_days=median, p90_days=nearest_rank(days, 0.9))


def _objects(groups: list[tuple[str, str, list[str], int]]) -> dict[str, dict[str, int]]:
    by_category: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    by_cause: Counter[str] = Counter()
    for category, status, causes, count in groups:
        by_category[category] += count
        by_status[status] += count
        for cause in causes:
            by_cause[cause] += count
    return {
        "category": dict(sorted(by_category.items())),
        "status": dict(sorted(by_status.items())),
        "cause": dict(sorted(by_cause.items())),
    }


def _latest_run_clues(
    session: Session, principal: Principal, lake: Path, code: str
) -> tuple[str | None, list[tuple[str, str]]]:
    """(run id, (village code, rules) of each clue) of the newest finished run covering
    `code`, restricted to `code`'s subtree and the caller's scope."""
    inside = "" if code == NATIONAL else prefix(code)
    for run in runs.list_runs(session, principal):
        covers = run.region_code == NATIONAL or code.startswith(prefix(run.region_code))
        if run.state == "done" and covers:
            frame = runs.stored_clues(lake, run.id)
            if principal.scope_prefix:
                frame = frame.filter(pl.col("village_code").str.starts_with(principal.scope_prefix))
            frame = frame.filter(pl.col("village_code").str.starts_with(inside))
            rows = frame.select("village_code", "rules").collect().rows()
            return run.id, [(str(village), str(rules)) for village, rules in rows]
    return None, []


def _clues_by_area(clues: list[tuple[str, str]], depth: int) -> dict[str, Counter[str]]:
    """Clues per rule, per area (the first `depth` digits of the village code); the total number
    of clues of an area is under the key ''."""
    result: dict[str, Counter[str]] = defaultdict(Counter)
    for village, rules in clues:
        counter = result[village[:depth]]
        counter[""] += 1
        counter.update(rules.split(";"))
    return result


def latest_clues(
    session: Session, principal: Principal, lake: Path, code: str
) -> tuple[str | None, int, dict[str, int]]:
    """Clues of the newest finished run covering `code`, restricted to `code`'s subtree."""
    run_id, clues = _latest_run_clues(session, principal, lake, code)
    counted = _clues_by_area(clues, 0)[""]
    total = counted.pop("", 0)
    return run_id, total, dict(sorted(counted.items()))


def _rules(
    clues_by_rule: dict[str, int], households: int, cases: list[tuple[str, str, int]]
) -> list[RuleKpi]:
    cited: Counter[str] = Counter()
    approved: Counter[str] = Counter()
    for rules, state, count in cases:
        for rule in filter(None, rules.split(";")):
            cited[rule] += count
            approved[rule] += count if state == CaseState.MONITORING_OBJECT.value else 0
    return [
        RuleKpi(
            rule=rule.code,
            clues=clues_by_rule.get(rule.code, 0),
            hit_rate=_share(clues_by_rule.get(rule.code, 0), households),
            cases=cited[rule.code],
            objects=approved[rule.code],
            yield_rate=_share(approved[rule.code], cited[rule.code]),
        )
        for rule in RULES
    ]


def _months(
    months: list[tuple[int, int]], *by_month: dict[queries.MonthKey, int]
) -> list[MonthCounts]:
    identified, eliminated, returned = by_month
    return [
        MonthCounts(
            month=f"{year:04d}-{month:02d}",
            identified=identified.get((year, month), 0),
            eliminated=eliminated.get((year, month), 0),
            returned_to_risk=returned.get((year, month), 0),
        )
        for year, month in months
    ]


@dataclass(frozen=True)
class _Figures:
    """Every grouped query's result over one area, keyed by area prefix."""

    objects: dict[str, list[queries.ObjectGroup]]
    secured: dict[str, int]
    households: dict[str, int]
    by_month: tuple[dict[str, dict[queries.MonthKey, int]], ...]
    days: dict[str, list[int]]
    states: dict[str, dict[str, int]]
    returned: dict[str, int]
    eliminations: dict[str, int]
    coverage: dict[str, tuple[int, int]]
    flags: dict[str, dict[str, int]]
    screening: dict[str, list[tuple[str, str, int]]]


def _figures(session: Session, area: queries.Area, period: Period) -> _Figures:
    start, end = period.start, period.end
    identification = (CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT)
    return _Figures(
        objects=queries.object_groups(session, area, end),
        secured=queries.secured(session, area, end),
        households=queries.households(session, area),
        by_month=(
            queries.identified_by_month(session, area, start, end),
            queries.eliminated_by_month(session, area, start, end),
            queries.returned_by_month(session, area, start, end),
        ),
        days=queries.approval_days(session, area, start, end),
        states=queries.cases_by_state(session, area),
        returned=queries.count_approved(session, *identification, area, end, returned_only=True),
        eliminations=queries.count_approved(
            session, CaseKind.ELIMINATION, CaseState.ELIMINATED, area, end
        ),
        coverage=queries.assistance_coverage(session, area, end),
        flags=queries.quality_flags(session, area, end),
        screening=queries.screening_cases(session, area, start, end),
    )


def _assemble(
    code: str,
    key: str,
    figures: _Figures,
    period: Period,
    *,
    run_id: str | None,
    clues: Counter[str],
    overdue: int,
) -> Kpis:
    """The KPIs of the area `key` (region `code`) from the grouped figures."""
    objects = _objects(figures.objects.get(key, []))
    months = _months(period.months(), *(by.get(key, {}) for by in figures.by_month))
    households = figures.households.get(key, 0)
    states = figures.states.get(key, {})
    monitored, covered = figures.coverage.get(key, (0, 0))
    object_count = sum(objects["status"].values())
    by_rule = {rule: n for rule, n in clues.items() if rule}
    return Kpis(
        region=code,
        period_from=period.first,
        period_to=period.last,
        as_of=period.end,
        households=households,
        objects=object_count,
        objects_by_category=objects["category"],
        objects_by_cause=objects["cause"],
        objects_by_status=objects["status"],
        secured_by_social_security=figures.secured.get(key, 0),
        months=months,
        identified=sum(m.identified for m in months),
        eliminated=sum(m.eliminated for m in months),
        returned_to_risk=sum(m.returned_to_risk for m in months),
        days_clue_to_approval=_durations(figures.days.get(key, [])),
        cases_by_state=states,
        open_cases=_open(states),
        overdue_cases=overdue,
        latest_run=run_id,
        clues=clues.get("", 0),
        rules=_rules(by_rule, households, figures.screening.get(key, [])),
        elimination_rate=_share(objects["status"].get("eliminated", 0), object_count),
        return_to_risk_rate=_share(figures.returned.get(key, 0), figures.eliminations.get(key, 0)),
        assistance_coverage=_share(covered, monitored),
        quality_flags=figures.flags.get(key, dict.fromkeys(queries.QUALITY_FLAGS, 0)),
    )


def kpis(
    session: Session,
    principal: Principal,
    code: str,
    period: Period,
    *,
    lake: Path,
    today: dt.date | None = None,
) -> Kpis:
    """Every SPEC §11 KPI of region `code` over `period` (404 outside the caller's scope)."""
    scope = region_prefix(session, principal, code)
    area = queries.Area(scope, len(scope))
    run_id, clues = _latest_run_clues(session, principal, lake, code)
    return _assemble(
        code, scope, _figures(session, area, period), period, run_id=run_id,
        clues=_clues_by_area(clues, len(scope)).get(scope, Counter()),
        overdue=_overdue(session, principal, code, today),
    )  # fmt: skip


def kpis_by_child(
    session: Session,
    principal: Principal,
    code: str,
    period: Period,
    *,
    lake: Path,
    today: dt.date | None = None,
) -> list[tuple[Region, Kpis]]:
    """The KPIs of every child region of `code` that the caller may see, with one grouped query
    per KPI (not one round of queries per child)."""
    children = child_regions(session, principal, code)
    if not children:
        return []
    level = Level(children[0].level)
    area = queries.Area(region_prefix(session, principal, code), PREFIX_LENGTH[level])
    figures = _figures(session, area, period)
    run_id, clues = _latest_run_clues(session, principal, lake, code)
    clue_counts = _clues_by_area(clues, area.depth)
    overdue = overdue_by_region(
        session, principal, level=level, region=None if code == NATIONAL else code, today=today
    )
    result = []
    for child in children:
        key = child.code[: area.depth]
        kpis_ = _assemble(
            child.code, key, figures, period, run_id=run_id,
            clues=clue_counts.get(key, Counter()), overdue=overdue.get(child.code, 0),
        )  # fmt: skip
        result.append((child, kpis_))
    return result


def _open(states: dict[str, int]) -> int:
    return sum(n for state, n in states.items() if state in OPEN_STATES)


def _overdue(session: Session, principal: Principal, code: str, today: dt.date | None) -> int:
    region = None if code == NATIONAL else code
    return count_overdue(session, principal, region=region, today=today)


def region_summary(
    session: Session, principal: Principal, code: str, *, lake: Path, today: dt.date | None = None
) -> RegionSummary:
    """SPEC §14 summary of region `code` today (404 outside the caller's scope)."""
    scope = region_prefix(session, principal, code)
    area = queries.Area(scope, len(scope))
    day = today or dt.date.today()
    objects = _objects(queries.object_groups(session, area, dt.date.max).get(scope, []))
    states = queries.cases_by_state(session, area).get(scope, {})
    run_id, clues, by_rule = latest_clues(session, principal, lake, code)
    return RegionSummary(
        region=code,
        objects=sum(objects["status"].values()),
        objects_by_category=objects["category"],
        objects_by_cause=objects["cause"],
        objects_by_status=objects["status"],
        cases_by_state=states,
        open_cases=_open(states),
        overdue_cases=_overdue(session, principal, code, day),
        latest_run=run_id,
        clues=clues,
        clues_by_rule=by_rule,
    )


def child_regions(session: Session, principal: Principal, code: str) -> list[Region]:
    """The regions one level below `code` that the caller may see."""
    region_prefix(session, principal, code)
    query = sa.select(Region).order_by(Region.code)
    if code == NATIONAL:
        query = query.where(Region.level == "province")
    else:
        query = query.where(Region.parent_code == code)
    return [r for r in session.scalars(query) if principal.covers(r.code)]


def region_name(session: Session, code: str) -> str:
    region = session.get(Region, code)
    return region.name if region else code


def count_objects(
    session: Session, principal: Principal, code: str, *, end: dt.date | None = None
) -> int:
    """How many monitoring objects region `code` has, identified by `end` (default: all)."""
    scope = region_prefix(session, principal, code)
    groups = queries.object_groups(session, queries.Area(scope, len(scope)), end or dt.date.max)
    return sum(count for *_, count in groups.get(scope, []))


def iter_objects(
    session: Session,
    principal: Principal,
    code: str,
    *,
    end: dt.date | None = None,
    always_mask: bool = False,
) -> Iterator[ObjectRow]:
    """Monitoring objects of region `code` identified by `end` (default: all), streamed; ID
    numbers are masked unless the caller's role sees personal data (always, for printing)."""
    scope = region_prefix(session, principal, code)
    mask = always_mask or not principal.sees_personal_data
    for row in queries.object_rows(session, scope, end or dt.date.max):
        values = dict(row)
        if mask and values["head_id_number"]:
            values["head_id_number"] = idnumber.mask(values["head_id_number"])
        values["measures"] = int(values["measures"] or 0)
        yield ObjectRow.model_validate(values)
