"""KPIs of a region and a period, scoped to the caller (SPEC §11): the one read layer that the
dashboard, the region summary, the KPI API and the Excel/PDF reports all use."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterator
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
from povguard.cases.service import count_overdue
from povguard.core.errors import BadInput, NotFound
from povguard.households import idnumber
from povguard.regions.codes import is_valid_code, prefix
from povguard.regions.models import Region
from povguard.screening import runs
from povguard.screening.rules import RULES

NATIONAL = runs.NATIONAL


def region_prefix(principal: Principal, code: str) -> str:
    """The code prefix of region `code` if the caller may see it (404 outside its scope)."""
    if code == NATIONAL:
        if principal.scope_prefix:
            raise NotFound(f"region {code} not found")
        return ""
    if not is_valid_code(code):
        raise BadInput(f"{code!r} is not a 12-digit region code", field="code")
    if not principal.covers(code):
        raise NotFound(f"region {code} not found")
    return prefix(code)


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


def latest_clues(
    session: Session, principal: Principal, lake: Path, code: str
) -> tuple[str | None, int, dict[str, int]]:
    """Clues of the newest finished run covering `code`, restricted to `code`'s subtree."""
    inside = "" if code == NATIONAL else prefix(code)
    for run in runs.list_runs(session, principal):
        covers = run.region_code == NATIONAL or code.startswith(prefix(run.region_code))
        if run.state == "done" and covers:
            frame = runs.stored_clues(lake, run.id)
            if principal.scope_prefix:
                frame = frame.filter(pl.col("village_code").str.starts_with(principal.scope_prefix))
            frame = frame.filter(pl.col("village_code").str.starts_with(inside))
            rules = frame.select("rules").collect()["rules"].to_list()
            counted: Counter[str] = Counter(r for item in rules for r in item.split(";"))
            return run.id, len(rules), dict(sorted(counted.items()))
    return None, 0, {}


def _rules(
    clues_by_rule: dict[str, int], households: int, cases: list[tuple[str, str]]
) -> list[RuleKpi]:
    cited: Counter[str] = Counter()
    approved: Counter[str] = Counter()
    for rules, state in cases:
        for rule in filter(None, rules.split(";")):
            cited[rule] += 1
            approved[rule] += state == CaseState.MONITORING_OBJECT.value
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


def _months(session: Session, scope: str, period: Period) -> list[MonthCounts]:
    identified = queries.identified_by_month(session, scope, period.start, period.end)
    eliminated = queries.eliminated_by_month(session, scope, period.start, period.end)
    returned = queries.returned_by_month(session, scope, period.start, period.end)
    return [
        MonthCounts(
            month=f"{year:04d}-{month:02d}",
            identified=identified.get((year, month), 0),
            eliminated=eliminated.get((year, month), 0),
            returned_to_risk=returned.get((year, month), 0),
        )
        for year, month in period.months()
    ]


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
    scope = region_prefix(principal, code)
    end = period.end
    objects = _objects(queries.object_groups(session, scope, end))
    months = _months(session, scope, period)
    households = queries.households(session, scope)
    run_id, clues, clues_by_rule = latest_clues(session, principal, lake, code)
    cases_by_state = queries.cases_by_state(session, scope)
    returned_total = queries.count_approved(
        session, CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT, scope, end,
        returned_only=True,
    )  # fmt: skip
    eliminations_total = queries.count_approved(
        session, CaseKind.ELIMINATION, CaseState.ELIMINATED, scope, end
    )
    monitored, covered = queries.assistance_coverage(session, scope, end)
    object_count = sum(objects["status"].values())
    return Kpis(
        region=code,
        period_from=period.first,
        period_to=period.last,
        as_of=end,
        households=households,
        objects=object_count,
        objects_by_category=objects["category"],
        objects_by_cause=objects["cause"],
        objects_by_status=objects["status"],
        secured_by_social_security=queries.secured(session, scope, end),
        months=months,
        identified=sum(m.identified for m in months),
        eliminated=sum(m.eliminated for m in months),
        returned_to_risk=sum(m.returned_to_risk for m in months),
        days_clue_to_approval=_durations(queries.approval_days(session, scope, period.start, end)),
        cases_by_state=cases_by_state,
        open_cases=_open(cases_by_state),
        overdue_cases=_overdue(session, principal, code, today),
        latest_run=run_id,
        clues=clues,
        rules=_rules(clues_by_rule, households, list(queries.screening_cases(
            session, scope, period.start, end))),
        elimination_rate=_share(objects["status"].get("eliminated", 0), object_count),
        return_to_risk_rate=_share(returned_total, eliminations_total),
        assistance_coverage=_share(covered, monitored),
        quality_flags=queries.quality_flags(session, scope, end),
    )  # fmt: skip


def _open(states: dict[str, int]) -> int:
    return sum(n for state, n in states.items() if state in OPEN_STATES)


def _overdue(session: Session, principal: Principal, code: str, today: dt.date | None) -> int:
    region = None if code == NATIONAL else code
    return count_overdue(session, principal, region=region, today=today)


def region_summary(
    session: Session, principal: Principal, code: str, *, lake: Path, today: dt.date | None = None
) -> RegionSummary:
    """SPEC §14 summary of region `code` today (404 outside the caller's scope)."""
    scope = region_prefix(principal, code)
    day = today or dt.date.today()
    objects = _objects(queries.object_groups(session, scope, dt.date.max))
    states = queries.cases_by_state(session, scope)
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
    region_prefix(principal, code)
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
    groups = queries.object_groups(session, region_prefix(principal, code), end or dt.date.max)
    return sum(count for *_, count in groups)


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
    scope = region_prefix(principal, code)
    mask = always_mask or not principal.sees_personal_data
    for row in queries.object_rows(session, scope, end or dt.date.max):
        values = dict(row)
        if mask and values["head_id_number"]:
            values["head_id_number"] = idnumber.mask(values["head_id_number"])
        values["measures"] = int(values["measures"] or 0)
        yield ObjectRow.model_validate(values)
