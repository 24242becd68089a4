"""Stored screening runs over the imported lake: start, execute as a job, read back (SPEC §6).

A run row lives in the operational database; its clues and the households lacking income data
are Parquet files in the lake (`runs/<run_id>/`). Every read is scoped to the caller's region.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from povguard.auth.principal import Principal, Role
from povguard.core.errors import BadInput, Forbidden, NotFound, PovguardError
from povguard.core.uow import unit_of_work
from povguard.households.service import region_filter
from povguard.regions.codes import LEVEL_ORDER, ancestor, is_valid_code, level_of
from povguard.screening.models import ScreeningRun
from povguard.screening.rules import RULES_BY_CODE
from povguard.screening.schemas import CluePage, ClueRead, RunRead
from povguard.screening.service import ENGINES, ScreeningResult, count_clues, screen_lake

RUNNERS = frozenset({Role.COUNTY, Role.ADMIN})
NATIONAL = "000000000000"  # the region code of a run over every province in the lake
CATEGORIES = ("unstable", "marginal", "sudden_difficulty")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_folder(lake: Path, run_id: str) -> Path:
    return lake / "runs" / run_id


def create_run(
    session: Session,
    principal: Principal,
    *,
    as_of: dt.date,
    region_code: str,
    engine: str = "duckdb",
) -> ScreeningRun:
    """Queue a run over `region_code`'s subtree (county officers and admins)."""
    if principal.role not in RUNNERS:
        raise Forbidden(f"role {principal.role} may not start a screening run")
    if not (is_valid_code(region_code) or region_code == NATIONAL):
        raise BadInput(f"{region_code!r} is not a 12-digit region code", field="region")
    if not principal.covers(region_code):
        raise NotFound(f"region {region_code} not found")
    if engine not in ENGINES:
        raise BadInput(f"unknown engine {engine!r}", field="engine")
    run = ScreeningRun(
        id=uuid.uuid4().hex,
        as_of=as_of,
        region_code=region_code,
        engine=engine,
        state="queued",
        progress=0.0,
        created_by=principal.username,
        created_at=_now(),
    )
    session.add(run)
    session.flush()
    return run


def _update(database_url: str | None, run_id: str, **values: Any) -> None:
    with unit_of_work(database_url) as session:
        run = session.get(ScreeningRun, run_id)
        if run is None:
            raise NotFound(f"screening run {run_id} not found")
        for name, value in values.items():
            setattr(run, name, value)


def execute_run(
    run_id: str,
    *,
    lake: Path,
    database_url: str | None = None,
    open_cases: dict[str, bool] | None = None,
) -> ScreeningResult:
    """Run a queued run to its end; a failure is stored on the run, then raised."""
    with unit_of_work(database_url) as session:
        run = session.get(ScreeningRun, run_id)
        if run is None:
            raise NotFound(f"screening run {run_id} not found")
        as_of, region, engine = run.as_of, run.region_code, run.engine
    _update(database_url, run_id, state="running", started_at=_now(), progress=0.05)
    progress: Callable[[float], None] = lambda share: _update(  # noqa: E731
        database_url, run_id, progress=round(share, 2)
    )
    folder = run_folder(lake, run_id)
    parts = folder.with_name(f".{run_id}.parts")
    try:
        shutil.rmtree(parts, ignore_errors=True)
        (parts / "clues").mkdir(parents=True)
        (parts / "missing_income").mkdir()
        written = itertools.count()

        def store(clues: pl.DataFrame, missing: pl.DataFrame) -> None:
            number = next(written)
            clues.write_parquet(parts / "clues" / f"part-{number:05d}.parquet")
            missing.write_parquet(parts / "missing_income" / f"part-{number:05d}.parquet")

        result = screen_lake(
            lake, as_of, region_code=None if region == NATIONAL else region, engine=engine,
            open_cases=open_cases, progress=progress, sink=store,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(parts, folder)
    except PovguardError as exc:
        shutil.rmtree(parts, ignore_errors=True)
        _update(database_url, run_id, state="failed", error=str(exc), finished_at=_now())
        raise
    _update(
        database_url,
        run_id,
        state="done",
        progress=1.0,
        finished_at=_now(),
        seconds=round(result.seconds, 3),
        policy_version=result.policy_version,
        households=result.households,
        clue_count=result.counts.get("clues", 0),
        missing_income=result.missing_count,
        to_verify=result.counts.get("to_verify", 0),
        counts=result.counts,
    )
    return result


def stored_clues(lake: Path, run_id: str) -> pl.LazyFrame:
    """A finished run's clues, read lazily from its Parquet parts."""
    return pl.scan_parquet(run_folder(lake, run_id) / "clues" / "*.parquet")


def _enclosing(principal: Principal) -> list[str]:
    """The codes of the regions above the caller's own (whose runs cover part of its scope)."""
    own = level_of(principal.region_code)
    if own is None:
        return [NATIONAL]
    above = LEVEL_ORDER[: LEVEL_ORDER.index(own)]
    return [NATIONAL, *(ancestor(principal.region_code, level) for level in above)]


def _visible(principal: Principal, region_code: str) -> bool:
    return principal.covers(region_code) or region_code in _enclosing(principal)


def get_run(session: Session, principal: Principal, run_id: str) -> ScreeningRun:
    """The run, if it covers part of the caller's scope (its clues are then filtered to it)."""
    run = session.get(ScreeningRun, run_id)
    if run is None or not _visible(principal, run.region_code):
        raise NotFound(f"screening run {run_id} not found")
    return run


def _view(principal: Principal, lake: Path, run: ScreeningRun) -> RunRead:
    """The run as `principal` may read it. A run over a wider region than the caller's scope
    (a county's run, read in one of its townships) counts the scope's clues only, per rule and
    category, and its households lacking income data; how many households it screened there
    is not stored, so that figure is left out."""
    view = RunRead.model_validate(run)
    if principal.covers(run.region_code) or run.state != "done":
        return view
    inside = pl.col("village_code").str.starts_with(principal.scope_prefix)
    clues = stored_clues(lake, run.id).filter(inside).select("rules", "category", "to_verify")
    found = clues.collect()
    missing = pl.scan_parquet(run_folder(lake, run.id) / "missing_income" / "*.parquet")
    to_verify = int((found["to_verify"] != "").sum())
    return view.model_copy(
        update={
            "households": None,
            "clue_count": found.height,
            "missing_income": missing.filter(inside).select(pl.len()).collect().item(),
            "to_verify": to_verify,
            "counts": count_clues(found) | {"to_verify": to_verify},
        }
    )


def get_run_view(session: Session, principal: Principal, lake: Path, run_id: str) -> RunRead:
    """The run's state and its figures within the caller's scope."""
    return _view(principal, lake, get_run(session, principal, run_id))


def list_run_views(session: Session, principal: Principal, lake: Path) -> list[RunRead]:
    """Runs covering part of the caller's scope, newest first, with their figures within it."""
    return [_view(principal, lake, run) for run in list_runs(session, principal)]


def list_runs(session: Session, principal: Principal, *, limit: int = 50) -> list[ScreeningRun]:
    """Runs covering part of the caller's scope, newest first."""
    query = select(ScreeningRun).order_by(ScreeningRun.created_at.desc()).limit(limit)
    if principal.scope_prefix:
        query = query.where(
            or_(
                ScreeningRun.region_code.startswith(principal.scope_prefix),
                ScreeningRun.region_code.in_(_enclosing(principal)),
            )
        )
    return list(session.scalars(query))


def list_clues(
    session: Session,
    principal: Principal,
    lake: Path,
    run_id: str,
    *,
    page: int = 1,
    size: int = 50,
    rule: str | None = None,
    category: str | None = None,
    village: str | None = None,
) -> CluePage:
    """One page of a finished run's clues inside the caller's scope, filtered."""
    run = get_run(session, principal, run_id)
    if run.state != "done":
        raise BadInput(f"screening run {run_id} is {run.state}, it has no clues yet")
    if page < 1 or not 1 <= size <= 1000:
        raise BadInput("page must be ≥ 1 and size between 1 and 1000", field="size")
    if rule is not None and rule not in RULES_BY_CODE:
        raise BadInput(f"unknown rule {rule!r}", field="rule")
    if category is not None and category not in CATEGORIES:
        raise BadInput(f"unknown category {category!r}", field="category")
    # An unknown village or one outside the scope is a 404, as in every list's region filter.
    village_prefix = region_filter(session, principal, village, field="village")
    frame = stored_clues(lake, run_id)
    scope = principal.scope_prefix
    if scope:
        frame = frame.filter(pl.col("village_code").str.starts_with(scope))
    if village_prefix:
        frame = frame.filter(pl.col("village_code").str.starts_with(village_prefix))
    if rule:
        frame = frame.filter(pl.col("rules").str.split(";").list.contains(rule))
    if category:
        frame = frame.filter(pl.col("category") == category)
    total = frame.select(pl.len()).collect().item()
    rows = frame.sort("household_id").slice((page - 1) * size, size).collect().to_dicts()
    return CluePage(items=[_clue(principal, run_id, row) for row in rows], total=int(total))


def get_clue(session: Session, principal: Principal, lake: Path, clue_id: str) -> ClueRead:
    """One clue by its id (`<run id>:<household id>`), inside the caller's scope."""
    run_id, _, household_id = clue_id.partition(":")
    run = get_run(session, principal, run_id)
    if run.state != "done" or not household_id:
        raise NotFound(f"clue {clue_id} not found")
    rows = stored_clues(lake, run_id).filter(pl.col("household_id") == household_id).collect()
    if rows.is_empty() or (
        principal.scope_prefix and not rows["village_code"][0].startswith(principal.scope_prefix)
    ):
        raise NotFound(f"clue {clue_id} not found")
    return _clue(principal, run_id, rows.row(0, named=True))


def _clue(principal: Principal, run_id: str, row: dict[str, Any]) -> ClueRead:
    """A stored clue as the caller may see it (evidence masked for roles without personal data)."""
    return ClueRead.from_row(run_id, row, masked=not principal.sees_personal_data)
