"""The KPI layer agrees with counts computed directly from the case tables, on both databases,
and obeys the caller's region scope."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.analytics.kpi import queries
from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import period
from povguard.cases import assistance
from povguard.cases.enums import CaseKind, CaseState, Category
from povguard.cases.models import Case, Measure, MonitoringObject
from povguard.core.errors import BadInput, NotFound
from tests.analytics import kpi_data
from tests.cases import factories
from tests.cases.helpers import identify, open_case

TODAY = dt.date(2025, 1, 15)


@pytest.fixture
def seeded(session: Session) -> Session:
    villages = [factories.VILLAGE_A, factories.VILLAGE_A2, factories.VILLAGE_B]
    households = [
        (factories.add_household(session, village=villages[i % 3]).household_id, villages[i % 3])
        for i in range(23)
    ]
    kpi_data.seed(session, households)
    # One identification through the real procedure, approved on 2024-03-12.
    case = open_case(session, factories.add_household(session).household_id, causes=["07"])
    identify(session, case, category=Category.MARGINAL)
    return session


def direct(session: Session, prefix: str, first: dt.date, last: dt.date) -> dict[str, object]:
    """The KPIs recomputed in Python from every row of the case tables."""
    cases = [c for c in session.scalars(sa.select(Case)) if c.village_code.startswith(prefix)]
    objects = [
        o
        for o in session.scalars(sa.select(MonitoringObject))
        if o.village_code.startswith(prefix) and o.identified_on <= last
    ]
    measures = list(session.scalars(sa.select(Measure)))

    def approved(kind: str, state: str) -> list[Case]:
        return [c for c in cases if c.kind == kind and c.state == state and c.closed_on]

    identified = approved("identification", "monitoring_object")
    eliminated = approved("elimination", "eliminated")
    in_period = [c for c in identified if first <= c.closed_on <= last]  # type: ignore[operator]
    gone = [o for o in objects if o.eliminated_on and o.eliminated_on <= last]
    monitored = [o for o in objects if o not in gone]
    given = {m.household_id for m in measures if m.status in ("in_progress", "done")}
    days = sorted((c.closed_on - c.received_on).days for c in in_period)  # type: ignore[operator]
    return {
        "objects": len(objects),
        "by_category": dict(Counter(o.category for o in objects)),
        "by_cause": dict(Counter(code for o in objects for code in o.causes)),
        "eliminated_objects": len(gone),
        "identified": len(in_period),
        "eliminated": len([c for c in eliminated if first <= c.closed_on <= last]),  # type: ignore[operator]
        "returned": len([c for c in in_period if c.returned_to_risk]),
        "median": statistics.median(days) if days else None,
        "p90": days[math.ceil(0.9 * len(days)) - 1] if days else None,
        "coverage": len([o for o in monitored if o.household_id in given]) / len(monitored),
        "return_rate": len([c for c in identified if c.returned_to_risk]) / len(eliminated),
        "open": len([c for c in cases if c.is_open]),
        "overdue": len(
            [
                c
                for c in cases
                if c.is_open
                and (
                    (c.procedure_due and c.procedure_due < TODAY)
                    or (c.step_due and c.step_due < TODAY)
                )
            ]
        ),
    }


@pytest.mark.parametrize(
    ("region", "months"),
    [(factories.COUNTY, ("2024-01", "2024-12")), (factories.TOWNSHIP_A, ("2024-03", "2024-08"))],
)
def test_kpis_equal_direct_counts(seeded: Session, region: str, months: tuple[str, str]) -> None:
    span = period(*months)
    got = kpi.kpis(
        seeded, factories.COUNTY_OFFICER, region, span, lake=Path("/nonexistent"), today=TODAY
    )
    want = direct(seeded, region[: 6 if region == factories.COUNTY else 9], span.start, span.end)
    assert got.objects == want["objects"] and got.objects > 0
    assert got.objects_by_category == dict(sorted(want["by_category"].items()))  # type: ignore[attr-defined]
    assert got.objects_by_cause == dict(sorted(want["by_cause"].items()))  # type: ignore[attr-defined]
    assert got.objects_by_status.get("eliminated", 0) == want["eliminated_objects"]
    assert (got.identified, got.eliminated, got.returned_to_risk) == (
        want["identified"], want["eliminated"], want["returned"],
    )  # fmt: skip
    assert got.identified > 0 and got.eliminated > 0
    assert [m.month for m in got.months][0] == months[0] and got.months[-1].month == months[1]
    assert got.days_clue_to_approval.median_days == want["median"]
    assert got.days_clue_to_approval.p90_days == want["p90"]
    assert got.assistance_coverage == pytest.approx(want["coverage"], abs=1e-4)
    assert got.open_cases == want["open"] and got.overdue_cases == want["overdue"]
    assert got.elimination_rate == pytest.approx(
        want["eliminated_objects"] / want["objects"], abs=1e-4
    )  # type: ignore[operator]
    if region == factories.COUNTY:
        assert got.return_to_risk_rate == pytest.approx(want["return_rate"], abs=1e-4)


def test_quality_flags_equal_the_per_object_rules(seeded: Session) -> None:
    span = period("2024-01", "2024-12")
    got = kpi.kpis(seeded, factories.COUNTY_OFFICER, factories.COUNTY, span, lake=Path("/x"))
    flags = assistance.quality_flags(seeded, factories.COUNTY_OFFICER, region=factories.COUNTY)
    expected = Counter(flag.flag for flag in flags)
    assert {k: v for k, v in got.quality_flags.items() if v} == dict(expected)
    assert got.quality_flags["eliminated_below_line"] > 0
    assert got.quality_flags["eliminated_within_2_months"] > 0


def test_rule_yield_counts_screening_cases(seeded: Session) -> None:
    span = period("2024-01", "2024-12")
    got = {
        r.rule: r
        for r in kpi.kpis(seeded, factories.ADMIN, factories.COUNTY, span, lake=Path("/x")).rules
    }
    screening = [
        c for c in seeded.scalars(sa.select(Case))
        if c.source == "screening" and c.kind == "identification" and c.received_on.year == 2024
    ]  # fmt: skip
    cited = [c for c in screening if "R01" in (c.rules or "").split(";")]
    assert got["R01"].cases == len(cited) > 0
    approved = [c for c in cited if c.state == "monitoring_object"]
    assert got["R01"].objects == len(approved)
    assert got["R01"].yield_rate == pytest.approx(len(approved) / len(cited), abs=1e-4)
    assert got["R01"].clues == 0 and got["R01"].hit_rate == 0


def test_summary_agrees_with_kpis(seeded: Session) -> None:
    summary = kpi.region_summary(
        seeded, factories.COUNTY_OFFICER, factories.COUNTY, lake=Path("/x"), today=TODAY
    )
    year = kpi.kpis(
        seeded,
        factories.COUNTY_OFFICER,
        factories.COUNTY,
        period("2024-01", "2024-12"),
        lake=Path("/x"),
        today=TODAY,
    )
    assert summary.objects == year.objects
    assert summary.objects_by_category == year.objects_by_category
    assert summary.open_cases == year.open_cases and summary.overdue_cases == year.overdue_cases


def test_scope(seeded: Session) -> None:
    span = period("2024-01", "2024-12")
    township_b = kpi.kpis(
        seeded, factories.TOWNSHIP_B_OFFICER, factories.TOWNSHIP_B, span, lake=Path("/x")
    )
    county = kpi.kpis(seeded, factories.COUNTY_OFFICER, factories.COUNTY, span, lake=Path("/x"))
    assert 0 < township_b.objects < county.objects
    with pytest.raises(NotFound):
        kpi.kpis(seeded, factories.TOWNSHIP_B_OFFICER, factories.TOWNSHIP_A, span, lake=Path("/x"))
    with pytest.raises(NotFound):
        kpi.kpis(seeded, factories.TOWNSHIP_B_OFFICER, factories.COUNTY, span, lake=Path("/x"))
    with pytest.raises(NotFound):
        kpi.kpis(seeded, factories.COUNTY_OFFICER, kpi.NATIONAL, span, lake=Path("/x"))
    unknown = "539999000000"  # a well-formed county code the region registry does not hold
    for call in (kpi.kpis, kpi.kpis_by_child):
        with pytest.raises(NotFound):
            call(seeded, factories.ADMIN, unknown, span, lake=Path("/x"))
    with pytest.raises(NotFound):
        kpi.region_summary(seeded, factories.ADMIN, unknown, lake=Path("/x"))
    assert (
        kpi.kpis(seeded, factories.ADMIN, kpi.NATIONAL, span, lake=Path("/x")).objects
        == county.objects
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("2024-13", "2024-12"),
        ("2024-05", "2024-01"),
        ("24-01", "2024-02"),
        ("2000-01", "2024-12"),
        ("0000-01", "0000-02"),
    ],  # fmt: skip
)
def test_bad_periods(first: str, last: str) -> None:
    with pytest.raises(BadInput):
        period(first, last)


@pytest.mark.parametrize("region", [factories.COUNTY, factories.TOWNSHIP_A, factories.CITY])
def test_grouped_children_equal_one_region_at_a_time(seeded: Session, region: str) -> None:
    span = period("2024-02", "2024-09")
    grouped = kpi.kpis_by_child(seeded, factories.ADMIN, region, span, lake=Path("/x"), today=TODAY)
    assert [child.code for child, _ in grouped] == [
        c.code for c in kpi.child_regions(seeded, factories.ADMIN, region)
    ]
    assert grouped
    for child, figures in grouped:
        alone = kpi.kpis(seeded, factories.ADMIN, child.code, span, lake=Path("/x"), today=TODAY)
        assert figures == alone
    assert (
        sum(f.objects for _, f in grouped)
        == kpi.kpis(seeded, factories.ADMIN, region, span, lake=Path("/x"), today=TODAY).objects
    )
    township_b = kpi.kpis_by_child(
        seeded, factories.TOWNSHIP_B_OFFICER, factories.TOWNSHIP_B, span, lake=Path("/x")
    )
    assert {child.code for child, _ in township_b} == {factories.VILLAGE_B}


def test_kpi_queries_read_the_covering_indexes(seeded: Session, db: str) -> None:
    """SQLite answers the case and object KPIs from their covering indexes (without planner
    statistics, which SQLite has only after an ANALYZE), not through a single-column index."""
    if not db.startswith("sqlite"):
        pytest.skip("query plans are SQLite's")
    area = queries.Area(factories.COUNTY[:6], 9)
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    plans = {
        "ix_cases_approved": [
            lambda: queries.identified_by_month(seeded, area, start, end),
            lambda: queries.approval_days(seeded, area, start, end),
            lambda: queries.count_approved(
                seeded, CaseKind.ELIMINATION, CaseState.ELIMINATED, area, end
            ),
        ],
        "ix_cases_screening": [lambda: queries.screening_cases(seeded, area, start, end)],
        "ix_cases_region": [lambda: queries.cases_by_state(seeded, area)],
        "ix_monitoring_objects_region": [lambda: queries.secured(seeded, area, end)],
        "ix_members_household_id": [lambda: queries.quality_flags(seeded, area, end)],
        "ix_measures_household_id": [lambda: queries.assistance_coverage(seeded, area, end)],
    }
    for index, calls in plans.items():
        for call in calls:
            assert f"COVERING INDEX {index}" in _plans(seeded, call)


def _plans(session: Session, call: Callable[[], object]) -> str:
    """SQLite's query plans of the statements `call` runs, as one text."""
    steps = []
    for statement, parameters in _statements(session, call):
        plan = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        steps.extend(row[3] for row in plan)
    return " ".join(steps)


def _statements(session: Session, call: Callable[[], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    assert seen
    return seen
