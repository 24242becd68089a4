"""The SQL of the KPIs (SQLAlchemy Core, the same on SQLite and PostgreSQL).

Every function takes an `Area`: the region's code prefix (`""` for the whole country) and the
length of the code prefix to group by, so one query answers for a region (`depth` = its own
prefix length) or for all its child regions at once (`depth` = the children's); results are
keyed by that prefix. Stocks are counted on the period's last day, flows inside the period.
Scope checks belong to `service.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.cases import elimination
from povguard.cases.enums import (
    DEVELOPMENT_GROUPS,
    GIVEN_STATUSES,
    CaseKind,
    CaseSource,
    CaseState,
    MeasureStatus,
)
from povguard.cases.models import Case, Measure, MonitoringObject
from povguard.core.sqlfunctions import days_between
from povguard.households.models import Household, Member
from povguard.regions.codes import prefix_end
from povguard.regions.models import Region

MonthKey = tuple[int, int]
ObjectGroup = tuple[str, str, list[str], int]  # category, status, causes, count


@dataclass(frozen=True)
class Area:
    prefix: str  # every village code of the area starts with it
    depth: int  # group by the first `depth` digits of the village code

    def key(self, column: Any) -> Any:
        return sa.func.substr(column, 1, self.depth).label("area")

    def inside(self, column: Any) -> sa.ColumnElement[bool]:
        """`column` starts with the prefix, as a range an index on the column serves."""
        end = prefix_end(self.prefix)
        lower = column >= self.prefix
        return lower if end is None else sa.and_(lower, column < end)


def _counts(session: Session, query: Any) -> dict[str, int]:
    return {str(key): int(n) for key, n in session.execute(query)}


def households(session: Session, area: Area) -> dict[str, int]:
    """Households per area, counted per village (in the village index's order, without
    sorting the registry) and added up here."""
    village = Household.village_code
    query = sa.select(village, sa.func.count()).where(area.inside(village)).group_by(village)
    counts: Counter[str] = Counter()
    for code, n in session.execute(query):
        counts[str(code)[: area.depth]] += int(n)
    return dict(counts)


def _objects_by_end(area: Area, end: dt.date) -> list[sa.ColumnElement[bool]]:
    return [area.inside(MonitoringObject.village_code), MonitoringObject.identified_on <= end]


def status_on(end: dt.date) -> sa.ColumnElement[str]:
    """An object's status on `end`: eliminated once its elimination date has passed."""
    gone = MonitoringObject.eliminated_on <= end
    return sa.case((gone, sa.literal("eliminated")), else_=sa.literal("monitored"))


def object_groups(session: Session, area: Area, end: dt.date) -> dict[str, list[ObjectGroup]]:
    """(category, status on `end`, causes, count) over the objects identified by `end`."""
    key = area.key(MonitoringObject.village_code)
    status = status_on(end).label("status")
    causes = sa.cast(MonitoringObject.causes, sa.Text).label("causes")
    query = (
        sa.select(key, MonitoringObject.category, status, causes, sa.func.count())
        .where(*_objects_by_end(area, end))
        .group_by(key, MonitoringObject.category, status, causes)
    )
    groups: dict[str, list[ObjectGroup]] = defaultdict(list)
    for area_key, category, state, codes, n in session.execute(query):
        groups[str(area_key)].append((category, state, json.loads(codes or "[]"), int(n)))
    return groups


def secured(session: Session, area: Area, end: dt.date) -> dict[str, int]:
    key = area.key(MonitoringObject.village_code)
    flagged = MonitoringObject.secured_by_social_security.is_(True)
    query = sa.select(key, sa.func.count()).where(*_objects_by_end(area, end), flagged)
    return _counts(session, query.group_by(key))


def _approved(kind: CaseKind, state: CaseState, area: Area) -> list[sa.ColumnElement[bool]]:
    return [Case.kind == kind.value, Case.state == state.value, area.inside(Case.village_code)]


def _by_month(
    session: Session,
    area: Area,
    conditions: list[sa.ColumnElement[bool]],
    start: dt.date,
    end: dt.date,
) -> dict[str, dict[MonthKey, int]]:
    key = area.key(Case.village_code)
    year = sa.extract("year", Case.closed_on).label("year")
    month = sa.extract("month", Case.closed_on).label("month")
    query = (
        sa.select(key, year, month, sa.func.count())
        .where(*conditions, Case.closed_on >= start, Case.closed_on <= end)
        .group_by(key, year, month)
    )
    result: dict[str, dict[MonthKey, int]] = defaultdict(dict)
    for area_key, y, m, n in session.execute(query):
        result[str(area_key)][(int(y), int(m))] = int(n)
    return result


def identified_by_month(
    session: Session, area: Area, start: dt.date, end: dt.date
) -> dict[str, dict[MonthKey, int]]:
    conditions = _approved(CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT, area)
    return _by_month(session, area, conditions, start, end)


def eliminated_by_month(
    session: Session, area: Area, start: dt.date, end: dt.date
) -> dict[str, dict[MonthKey, int]]:
    conditions = _approved(CaseKind.ELIMINATION, CaseState.ELIMINATED, area)
    return _by_month(session, area, conditions, start, end)


def returned_by_month(
    session: Session, area: Area, start: dt.date, end: dt.date
) -> dict[str, dict[MonthKey, int]]:
    conditions = _approved(CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT, area)
    returned = Case.returned_to_risk.is_(True)
    return _by_month(session, area, [*conditions, returned], start, end)


def count_approved(
    session: Session, kind: CaseKind, state: CaseState, area: Area, end: dt.date, *,
    returned_only: bool = False,
) -> dict[str, int]:  # fmt: skip
    """Cases of `kind` approved into `state` up to `end` (all time)."""
    key = area.key(Case.village_code)
    conditions = [*_approved(kind, state, area), Case.closed_on <= end]
    if returned_only:
        conditions.append(Case.returned_to_risk.is_(True))
    return _counts(session, sa.select(key, sa.func.count()).where(*conditions).group_by(key))


def approval_days(
    session: Session, area: Area, start: dt.date, end: dt.date
) -> dict[str, list[int]]:
    """Days from clue to county approval of the identifications approved in the period, sorted
    (the database counts the cases per number of days; a few dozen rows per area)."""
    conditions = _approved(CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT, area)
    key = area.key(Case.village_code)
    days = days_between(Case.received_on, Case.closed_on).label("days")
    query = (
        sa.select(key, days, sa.func.count())
        .where(*conditions, Case.closed_on >= start, Case.closed_on <= end)
        .group_by(key, days)
    )
    counted: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for area_key, n_days, n in session.execute(query):
        counted[str(area_key)].append((int(n_days), int(n)))
    return {
        area_key: [d for d, n in sorted(pairs) for _ in range(n)]
        for area_key, pairs in counted.items()
    }


def cases_by_state(session: Session, area: Area) -> dict[str, dict[str, int]]:
    key = area.key(Case.village_code)
    query = (
        sa.select(key, Case.state, sa.func.count())
        .where(area.inside(Case.village_code))
        .group_by(key, Case.state)
    )
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for area_key, state, n in session.execute(query):
        result[str(area_key)][str(state)] = int(n)
    return result


def screening_cases(
    session: Session, area: Area, start: dt.date, end: dt.date
) -> dict[str, list[tuple[str, str, int]]]:
    """(rules, state, count) of the identification cases from screening received in the
    period."""
    key = area.key(Case.village_code)
    query = (
        sa.select(key, Case.rules, Case.state, sa.func.count())
        .where(
            Case.kind == CaseKind.IDENTIFICATION.value,
            Case.source == CaseSource.SCREENING.value,
            area.inside(Case.village_code),
            Case.received_on >= start,
            Case.received_on <= end,
        )
        .group_by(key, Case.rules, Case.state)
    )
    result: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for area_key, rules, state, n in session.execute(query):
        result[str(area_key)].append((rules or "", state, int(n)))
    return result


def _monitored_on(area: Area, end: dt.date) -> list[sa.ColumnElement[bool]]:
    still = sa.or_(MonitoringObject.eliminated_on.is_(None), MonitoringObject.eliminated_on > end)
    return [*_objects_by_end(area, end), still]


def _has_measure(groups: frozenset[str] | None, statuses: frozenset[str], end: dt.date) -> Any:
    query = sa.select(Measure.household_id).where(
        Measure.household_id == MonitoringObject.household_id,
        Measure.status.in_(sorted(statuses)),
        Measure.start <= end,
    )
    if groups is not None:
        query = query.where(Measure.group.in_(sorted(groups)))
    return query.exists()


def assistance_coverage(session: Session, area: Area, end: dt.date) -> dict[str, tuple[int, int]]:
    """(monitored objects on `end`, of which with an assistance measure given by then)."""
    key = area.key(MonitoringObject.village_code)
    given = frozenset(s.value for s in GIVEN_STATUSES)
    covered = sa.func.sum(sa.case((_has_measure(None, given, end), 1), else_=0))
    query = sa.select(key, sa.func.count(), covered).where(*_monitored_on(area, end)).group_by(key)
    return {str(k): (int(total), int(n or 0)) for k, total, n in session.execute(query)}


QUALITY_FLAGS = ("eliminated_below_line", "eliminated_within_2_months", "no_development_measure")


def _elimination_flags(session: Session, area: Area, end: dt.date) -> dict[str, Counter[str]]:
    """Flags of the objects eliminated by `end`, counted per pair of dates (identification,
    elimination): the database compares income and line, Python the months between."""
    key = area.key(MonitoringObject.village_code)
    income, line = MonitoringObject.pc_income_at_elimination, MonitoringObject.line_at_elimination
    below = sa.func.sum(sa.case((income < line, 1), else_=0))
    dates = (MonitoringObject.identified_on, MonitoringObject.eliminated_on)
    query = (
        sa.select(key, *dates, sa.func.count(), below)
        .where(*_objects_by_end(area, end), MonitoringObject.eliminated_on <= end)
        .group_by(key, *dates)
    )
    flags: dict[str, Counter[str]] = defaultdict(Counter)
    for area_key, identified_on, eliminated_on, n, n_below in session.execute(query):
        counter = flags[str(area_key)]
        counter["eliminated_below_line"] += int(n_below or 0)
        if elimination.eliminated_early(identified_on, eliminated_on):
            counter["eliminated_within_2_months"] += int(n)
    return flags


def quality_flags(session: Session, area: Area, end: dt.date) -> dict[str, dict[str, int]]:
    """SPEC §7 data-quality flags of the objects on `end` (the rules of cases.elimination)."""
    flags = _elimination_flags(session, area, end)
    not_cancelled = frozenset(s.value for s in MeasureStatus) - {MeasureStatus.CANCELLED.value}
    development = frozenset(g.value for g in DEVELOPMENT_GROUPS)
    capable = (
        sa.select(Member.household_id)  # a column of the index: the rows are not read
        .where(
            Member.household_id == MonitoringObject.household_id,
            Member.in_household,
            Member.labour.in_(sorted(elimination.LABOUR_CAPABLE)),
        )
        .exists()
    )
    key = area.key(MonitoringObject.village_code)
    lacking = (
        sa.select(key, sa.func.count())
        .where(
            *_monitored_on(area, end),
            # The measures are far fewer than the members: looked up first.
            sa.not_(_has_measure(development, not_cancelled, end)),
            capable,
        )
        .group_by(key)
    )
    for area_key, n in session.execute(lacking):
        flags[str(area_key)]["no_development_measure"] = int(n)
    return {
        k: {name: counter.get(name, 0) for name in QUALITY_FLAGS} for k, counter in flags.items()
    }


def object_rows(session: Session, prefix: str, end: dt.date) -> Iterator[sa.RowMapping]:
    """Monitoring objects identified by `end`, with village, head and measures (streamed)."""
    area = Area(prefix, len(prefix))
    village = sa.select(Region.name).where(Region.code == MonitoringObject.village_code)
    head = (
        sa.select(Member.name)
        .where(Member.household_id == MonitoringObject.household_id, Member.relation == "head")
        .order_by(Member.in_household.desc(), Member.member_id)
        .limit(1)
    )
    given = frozenset(s.value for s in GIVEN_STATUSES)
    measures = sa.select(sa.func.count(Measure.id)).where(
        Measure.household_id == MonitoringObject.household_id, Measure.status.in_(sorted(given))
    )
    eliminated_on = sa.case((MonitoringObject.eliminated_on <= end, MonitoringObject.eliminated_on))
    query = (
        sa.select(
            MonitoringObject.household_id,
            MonitoringObject.village_code,
            village.scalar_subquery().label("village_name"),
            head.scalar_subquery().label("head_name"),
            Household.head_id_number,
            MonitoringObject.category,
            MonitoringObject.causes,
            status_on(end).label("status"),
            MonitoringObject.identified_on,
            eliminated_on.label("eliminated_on"),
            MonitoringObject.secured_by_social_security,
            measures.scalar_subquery().label("measures"),
        )
        .join(Household, Household.household_id == MonitoringObject.household_id)
        .where(*_objects_by_end(area, end))
        .order_by(MonitoringObject.village_code, MonitoringObject.household_id)
        .execution_options(yield_per=2000)
    )
    yield from session.execute(query).mappings()
