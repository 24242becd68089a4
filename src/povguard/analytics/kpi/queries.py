"""The SQL of the KPIs (SQLAlchemy Core, the same on SQLite and PostgreSQL).

Every function takes the region's code prefix (`""` for the whole country) and the period's
first and last day; stocks are counted on the last day, flows inside the period. Scope checks
belong to `service.py`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator
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
from povguard.households.models import Household, Member
from povguard.regions.models import Region

MonthKey = tuple[int, int]


def households(session: Session, prefix: str) -> int:
    query = sa.select(sa.func.count()).select_from(Household)
    return int(session.scalar(query.where(Household.village_code.startswith(prefix))) or 0)


def _objects_by_end(prefix: str, end: dt.date) -> list[sa.ColumnElement[bool]]:
    return [MonitoringObject.village_code.startswith(prefix), MonitoringObject.identified_on <= end]


def status_on(end: dt.date) -> sa.ColumnElement[str]:
    """An object's status on `end`: eliminated once its elimination date has passed."""
    return sa.case(
        (MonitoringObject.eliminated_on <= end, sa.literal("eliminated")),
        else_=sa.literal("monitored"),
    )


def object_groups(
    session: Session, prefix: str, end: dt.date
) -> list[tuple[str, str, list[str], int]]:
    """(category, status on `end`, causes, count) over the objects identified by `end`."""
    status = status_on(end).label("status")
    causes = sa.cast(MonitoringObject.causes, sa.Text).label("causes")
    query = (
        sa.select(MonitoringObject.category, status, causes, sa.func.count())
        .where(*_objects_by_end(prefix, end))
        .group_by(MonitoringObject.category, status, causes)
    )
    return [(c, s, json.loads(codes or "[]"), int(n)) for c, s, codes, n in session.execute(query)]


def secured(session: Session, prefix: str, end: dt.date) -> int:
    query = sa.select(sa.func.count()).where(
        *_objects_by_end(prefix, end), MonitoringObject.secured_by_social_security
    )
    return int(session.scalar(query) or 0)


def _approved(kind: CaseKind, state: CaseState, prefix: str) -> list[sa.ColumnElement[bool]]:
    return [
        Case.kind == kind.value,
        Case.state == state.value,
        Case.village_code.startswith(prefix),
    ]


def _by_month(
    session: Session, conditions: list[sa.ColumnElement[bool]], start: dt.date, end: dt.date
) -> dict[MonthKey, int]:
    year = sa.extract("year", Case.closed_on).label("year")
    month = sa.extract("month", Case.closed_on).label("month")
    query = (
        sa.select(year, month, sa.func.count())
        .where(*conditions, Case.closed_on >= start, Case.closed_on <= end)
        .group_by(year, month)
    )
    return {(int(y), int(m)): int(n) for y, m, n in session.execute(query)}


def identified_by_month(
    session: Session, prefix: str, start: dt.date, end: dt.date
) -> dict[MonthKey, int]:
    conditions = _approved(CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT, prefix)
    return _by_month(session, conditions, start, end)


def eliminated_by_month(
    session: Session, prefix: str, start: dt.date, end: dt.date
) -> dict[MonthKey, int]:
    conditions = _approved(CaseKind.ELIMINATION, CaseState.ELIMINATED, prefix)
    return _by_month(session, conditions, start, end)


def returned_by_month(
    session: Session, prefix: str, start: dt.date, end: dt.date
) -> dict[MonthKey, int]:
    conditions = _approved(CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT, prefix)
    return _by_month(session, [*conditions, Case.returned_to_risk.is_(True)], start, end)


def count_approved(
    session: Session, kind: CaseKind, state: CaseState, prefix: str, end: dt.date, *,
    returned_only: bool = False,
) -> int:  # fmt: skip
    """Cases of `kind` approved into `state` up to `end` (all time)."""
    conditions = [*_approved(kind, state, prefix), Case.closed_on <= end]
    if returned_only:
        conditions.append(Case.returned_to_risk.is_(True))
    return int(session.scalar(sa.select(sa.func.count()).where(*conditions)) or 0)


def approval_days(session: Session, prefix: str, start: dt.date, end: dt.date) -> list[int]:
    """Days from clue to county approval of the identifications approved in the period."""
    conditions = _approved(CaseKind.IDENTIFICATION, CaseState.MONITORING_OBJECT, prefix)
    query = sa.select(Case.received_on, Case.closed_on).where(
        *conditions, Case.closed_on >= start, Case.closed_on <= end
    )
    return sorted((closed - received).days for received, closed in session.execute(query) if closed)


def cases_by_state(session: Session, prefix: str) -> dict[str, int]:
    query = (
        sa.select(Case.state, sa.func.count())
        .where(Case.village_code.startswith(prefix))
        .group_by(Case.state)
    )
    return {str(state): int(n) for state, n in session.execute(query)}


def screening_cases(
    session: Session, prefix: str, start: dt.date, end: dt.date
) -> Iterable[tuple[str, str]]:
    """(rules, state) of the identification cases from screening received in the period."""
    query = sa.select(Case.rules, Case.state).where(
        Case.kind == CaseKind.IDENTIFICATION.value,
        Case.source == CaseSource.SCREENING.value,
        Case.village_code.startswith(prefix),
        Case.received_on >= start,
        Case.received_on <= end,
    )
    return [(rules or "", state) for rules, state in session.execute(query)]


def _monitored_on(prefix: str, end: dt.date) -> list[sa.ColumnElement[bool]]:
    still = sa.or_(MonitoringObject.eliminated_on.is_(None), MonitoringObject.eliminated_on > end)
    return [*_objects_by_end(prefix, end), still]


def _has_measure(groups: frozenset[str] | None, statuses: frozenset[str], end: dt.date) -> Any:
    query = sa.select(Measure.id).where(
        Measure.household_id == MonitoringObject.household_id,
        Measure.status.in_(sorted(statuses)),
        Measure.start <= end,
    )
    if groups is not None:
        query = query.where(Measure.group.in_(sorted(groups)))
    return query.exists()


def assistance_coverage(session: Session, prefix: str, end: dt.date) -> tuple[int, int]:
    """(monitored objects on `end`, of which with an assistance measure given by then)."""
    monitored = _monitored_on(prefix, end)
    given = frozenset(s.value for s in GIVEN_STATUSES)
    total = session.scalar(sa.select(sa.func.count()).where(*monitored))
    covered = session.scalar(
        sa.select(sa.func.count()).where(*monitored, _has_measure(None, given, end))
    )
    return int(total or 0), int(covered or 0)


def quality_flags(session: Session, prefix: str, end: dt.date) -> dict[str, int]:
    """SPEC §7 data-quality flags of the objects on `end` (the rules of cases.elimination)."""
    flags: Counter[str] = Counter()
    eliminated = sa.select(
        MonitoringObject.identified_on,
        MonitoringObject.eliminated_on,
        MonitoringObject.pc_income_at_elimination,
        MonitoringObject.line_at_elimination,
    ).where(*_objects_by_end(prefix, end), MonitoringObject.eliminated_on <= end)
    for identified_on, eliminated_on, income, line in session.execute(eliminated):
        facts = elimination.ObjectFacts(
            "", "", identified_on, eliminated_on, income, line, False, 0
        )
        flags.update(elimination.quality_flags(facts))
    not_cancelled = frozenset(s.value for s in MeasureStatus) - {MeasureStatus.CANCELLED.value}
    development = frozenset(g.value for g in DEVELOPMENT_GROUPS)
    capable = (
        sa.select(Member.member_id)
        .where(
            Member.household_id == MonitoringObject.household_id,
            Member.in_household,
            Member.labour.in_(sorted(elimination.LABOUR_CAPABLE)),
        )
        .exists()
    )
    lacking = sa.select(sa.func.count()).where(
        *_monitored_on(prefix, end),
        capable,
        sa.not_(_has_measure(development, not_cancelled, end)),
    )
    flags["no_development_measure"] = int(session.scalar(lacking) or 0)
    for name in ("eliminated_below_line", "eliminated_within_2_months"):
        flags.setdefault(name, 0)
    return dict(sorted(flags.items()))


def object_rows(session: Session, prefix: str, end: dt.date) -> Iterator[sa.RowMapping]:
    """Monitoring objects identified by `end`, with village, head and measures (streamed)."""
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
            sa.case((MonitoringObject.eliminated_on <= end, MonitoringObject.eliminated_on)).label(
                "eliminated_on"
            ),
            MonitoringObject.secured_by_social_security,
            measures.scalar_subquery().label("measures"),
        )
        .join(Household, Household.household_id == MonitoringObject.household_id)
        .where(*_objects_by_end(prefix, end))
        .order_by(MonitoringObject.village_code, MonitoringObject.household_id)
        .execution_options(yield_per=2000)
    )
    yield from session.execute(query).mappings()
