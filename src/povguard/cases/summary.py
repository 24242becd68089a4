"""What a region looks like today: monitoring objects by category, cause and status, cases by
state, overdue cases, and the clues of the latest screening run (SPEC §14 region summary)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal
from povguard.cases.models import Case, MonitoringObject
from povguard.cases.service import count_overdue
from povguard.core.errors import BadInput, NotFound
from povguard.regions.codes import is_valid_code, prefix
from povguard.screening import runs


class RegionSummary(BaseModel):
    region: str
    objects: int
    objects_by_category: dict[str, int]
    objects_by_cause: dict[str, int]
    objects_by_status: dict[str, int]
    cases_by_state: dict[str, int]
    open_cases: int
    overdue_cases: int
    latest_run: str | None
    clues: int
    clues_by_rule: dict[str, int]


def open_cases_for_screening(session: Session, *, region_prefix: str = "") -> dict[str, bool]:
    """Households in an open case or being monitored → True when already a monitoring object
    (screening counts those as formerly poor for R04 and flags their clues)."""
    like = f"{region_prefix}%"
    open_cases = session.scalars(
        sa.select(Case.household_id).where(Case.is_open, Case.village_code.like(like))
    )
    result = dict.fromkeys(open_cases, False)
    monitored = session.scalars(
        sa.select(MonitoringObject.household_id).where(
            MonitoringObject.status == "monitored", MonitoringObject.village_code.like(like)
        )
    )
    result.update(dict.fromkeys(monitored, True))
    return result


def region_summary(
    session: Session, principal: Principal, code: str, *, lake: Path, today: dt.date | None = None
) -> RegionSummary:
    """The summary of region `code` (404 outside the caller's scope)."""
    if not is_valid_code(code):
        raise BadInput(f"{code!r} is not a 12-digit region code", field="code")
    if not principal.covers(code):
        raise NotFound(f"region {code} not found")
    like = prefix(code) + "%"
    objects = session.execute(
        sa.select(MonitoringObject.category, MonitoringObject.causes, MonitoringObject.status)
        .where(MonitoringObject.village_code.like(like))
    ).all()  # fmt: skip
    causes: Counter[str] = Counter(c for _, codes, _ in objects for c in (codes or []))
    states = dict(  # (state, count) rows
        session.execute(
            sa.select(Case.state, sa.func.count()).where(Case.village_code.like(like))
            .group_by(Case.state)
        ).all()
    )  # fmt: skip
    open_count = session.scalar(
        sa.select(sa.func.count()).where(Case.is_open, Case.village_code.like(like))
    )
    run_id, clues, by_rule = _latest_clues(session, principal, lake, code)
    return RegionSummary(
        region=code,
        objects=len(objects),
        objects_by_category=dict(Counter(category for category, _, _ in objects)),
        objects_by_cause=dict(sorted(causes.items())),
        objects_by_status=dict(Counter(status for _, _, status in objects)),
        cases_by_state={str(k): int(v) for k, v in states.items()},
        open_cases=int(open_count or 0),
        overdue_cases=count_overdue(session, principal, region=code, today=today),
        latest_run=run_id,
        clues=clues,
        clues_by_rule=by_rule,
    )


def _latest_clues(
    session: Session, principal: Principal, lake: Path, code: str
) -> tuple[str | None, int, dict[str, int]]:
    """Clues of the newest finished run covering `code`, restricted to `code`'s subtree."""
    for run in runs.list_runs(session, principal):
        covers = run.region_code == runs.NATIONAL or code.startswith(prefix(run.region_code))
        if run.state == "done" and covers:
            frame = runs.stored_clues(lake, run.id)
            inside = frame.filter(pl.col("village_code").str.starts_with(prefix(code)))
            rules = inside.select("rules").collect()["rules"].to_list()
            counted: Counter[str] = Counter(r for item in rules for r in item.split(";"))
            return run.id, len(rules), dict(sorted(counted.items()))
    return None, 0, {}
