"""Report jobs: request one (scoped), build it in the background with progress, download it
(scoped to the requester and audited). The builders also run directly from the CLI."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from povguard.analytics.kpi import service as kpi
from povguard.analytics.kpi.period import period, single_month
from povguard.audit import service as audit
from povguard.auth import service as auth
from povguard.auth.principal import SYSTEM, Principal
from povguard.core.errors import BadInput, NotFound, PovguardError
from povguard.core.uow import unit_of_work
from povguard.reports import excel, monthly, roster
from povguard.reports.models import ReportJob
from povguard.reports.schemas import ReportCreate, ReportKind
from povguard.screening import runs

Progress = Callable[[float], None]
MEDIA_TYPES = {
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def file_name(kind: ReportKind, region: str, params: dict[str, Any]) -> str:
    """An ASCII name that says what the file holds (safe in any Content-Disposition)."""
    if kind is ReportKind.MONTHLY:
        return f"monthly-{region}-{params['month']}.pdf"
    if kind is ReportKind.ROSTER:
        return f"roster-{region}-{params['month']}.pdf"
    if kind is ReportKind.KPIS:
        return f"kpis-{region}-{params['from']}-{params['to']}.xlsx"
    if kind is ReportKind.CLUES:
        return f"clues-{params['run_id']}-{region}.xlsx"
    return f"objects-{region}.xlsx"


def check_request(session: Session, principal: Principal, data: ReportCreate) -> None:
    """Refuse a request outside the caller's scope or missing what its kind needs."""
    kpi.region_prefix(session, principal, data.region)
    if data.kind in (ReportKind.MONTHLY, ReportKind.ROSTER) and not data.month:
        raise BadInput(f"a {data.kind.value} report needs month (YYYY-MM)", field="month")
    if data.kind is ReportKind.KPIS:
        if not (data.first and data.last):
            raise BadInput("a KPI table needs from and to (YYYY-MM)", field="from")
        period(data.first, data.last)
    if data.kind is ReportKind.CLUES:
        if not data.run_id:
            raise BadInput("a clue export needs run_id", field="run_id")
        run = runs.get_run(session, principal, data.run_id)
        if run.state != "done":
            raise BadInput(f"screening run {run.id} is {run.state}, it has no clues yet")


def create_job(session: Session, principal: Principal, data: ReportCreate) -> ReportJob:
    """Queue a report (any signed-in role, inside its own region scope)."""
    check_request(session, principal, data)
    job = ReportJob(
        id=uuid.uuid4().hex,
        kind=data.kind.value,
        region_code=data.region,
        params=data.params(),
        state="queued",
        progress=0.0,
        created_by=principal.username,
        created_at=_now(),
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, principal: Principal, job_id: str) -> ReportJob:
    """The caller's own report job (admins: any); others are not found."""
    job = session.get(ReportJob, job_id)
    mine = job is not None and (job.created_by == principal.username or not principal.scope_prefix)
    if job is None or not mine or not principal.covers(job.region_code):
        raise NotFound(f"report {job_id} not found")
    return job


def list_jobs(session: Session, principal: Principal, *, limit: int = 50) -> list[ReportJob]:
    """The caller's report jobs inside its scope, newest first (as `get_job` finds them: a
    user moved to another region no longer reads the reports of the old one)."""
    query = (
        sa.select(ReportJob)
        .where(ReportJob.created_by == principal.username)
        .order_by(ReportJob.created_at.desc())
        .limit(limit)
    )
    if principal.scope_prefix:
        query = query.where(ReportJob.region_code.startswith(principal.scope_prefix))
    return list(session.scalars(query))


def _clue_rows(
    session: Session, principal: Principal, lake: Path, run_id: str, region: str
) -> tuple[int, Iterator[dict[str, Any]]]:
    """(how many, the rows) of a run's clues inside `region` and the caller's scope."""
    runs.get_run(session, principal, run_id)
    inside = kpi.region_prefix(session, principal, region)
    frame = runs.stored_clues(lake, run_id)
    for wanted in filter(None, (principal.scope_prefix, inside)):
        frame = frame.filter(pl.col("village_code").str.starts_with(wanted))
    clues = frame.sort("household_id").collect()

    def rows() -> Iterator[dict[str, Any]]:
        for part in clues.iter_slices(10_000):
            yield from part.iter_rows(named=True)

    return clues.height, rows()


def _rows_progress(progress: Progress | None, total: int) -> excel.Progress | None:
    """Turn rows written into a share of the job (5 % … 95 %)."""
    if progress is None or total == 0:
        return None
    return lambda rows: progress(0.05 + 0.9 * min(rows / total, 1.0))


def _kpi_table(
    session: Session, principal: Principal, region: str, params: dict[str, Any], out: Path,
    *, lake: Path, today: dt.date | None, progress: Progress | None,
) -> int:  # fmt: skip
    span = period(params["from"], params["to"])
    total = kpi.kpis(session, principal, region, span, lake=lake, today=today)
    children = [
        (child.code, child.name, figures)
        for child, figures in kpi.kpis_by_child(
            session, principal, region, span, lake=lake, today=today
        )
    ]
    if progress:
        progress(0.9)
    name = kpi.region_name(session, region)
    return excel.write_kpis(out, (region, name, total), children)


def build(
    session: Session,
    principal: Principal,
    kind: ReportKind,
    region: str,
    params: dict[str, Any],
    out: Path,
    *,
    lake: Path,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the report to `out` as `principal` sees the data; returns pages (PDF) or rows."""
    if kind is ReportKind.MONTHLY:
        single_month(params["month"])
        return monthly.write_pdf(
            session, principal, region, params["month"], out, lake=lake, today=today,
            progress=progress,
        )  # fmt: skip
    if kind is ReportKind.ROSTER:
        return roster.write_pdf(
            session, principal, region, params["month"], out, today=today, progress=progress
        )
    if kind is ReportKind.KPIS:
        return _kpi_table(
            session, principal, region, params, out, lake=lake, today=today, progress=progress
        )
    if kind is ReportKind.CLUES:
        total, clues = _clue_rows(session, principal, lake, params["run_id"], region)
        return excel.write_clues(out, clues, _rows_progress(progress, total))
    total = kpi.count_objects(session, principal, region)
    objects = kpi.iter_objects(session, principal, region)
    return excel.write_objects(out, objects, _rows_progress(progress, total))


def _update(database_url: str | None, job_id: str, **values: Any) -> None:
    with unit_of_work(database_url) as session:
        job = session.get(ReportJob, job_id)
        if job is None:
            raise NotFound(f"report {job_id} not found")
        for name, value in values.items():
            setattr(job, name, value)


def job_file(reports_dir: Path, job: ReportJob) -> Path:
    return reports_dir / job.id / (job.file_name or "")


def execute_job(
    job_id: str, *, lake: Path, reports_dir: Path, database_url: str | None = None
) -> None:
    """Build a queued report as its requester; a failure is stored on the job, then raised."""
    _update(database_url, job_id, state="running", progress=0.05)
    folder = reports_dir / job_id
    try:
        with unit_of_work(database_url) as session:
            job = session.get(ReportJob, job_id)
            if job is None:
                raise NotFound(f"report {job_id} not found")
            principal = auth.principal_for(session, job.created_by)
            kind = ReportKind(job.kind)
            name = file_name(kind, job.region_code, job.params)
            folder.mkdir(parents=True, exist_ok=True)
            progress: Progress = lambda share: _update(  # noqa: E731
                database_url, job_id, progress=round(share, 2)
            )
            build(
                session, principal, kind, job.region_code, job.params, folder / name,
                lake=lake, progress=progress,
            )  # fmt: skip
    except PovguardError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        _update(database_url, job_id, state="failed", error=str(exc), finished_at=_now())
        raise
    size = (folder / name).stat().st_size
    _update(
        database_url, job_id, state="done", progress=1.0, file_name=name, size_bytes=size,
        finished_at=_now(),
    )  # fmt: skip


def download(
    session: Session, principal: Principal, job_id: str, *, reports_dir: Path
) -> tuple[Path, str, str]:
    """(path, file name, media type) of a finished report; the download is audited."""
    job = get_job(session, principal, job_id)
    path = job_file(reports_dir, job)
    if job.state != "done" or not job.file_name or not path.is_file():
        raise NotFound(f"report {job_id} has no file (it is {job.state})")
    audit.record(
        session,
        actor=principal,
        action="download_report",
        entity="report",
        entity_id=job.id,
        before=None,
        after={"kind": job.kind, "file_name": job.file_name, "params": job.params},
        region_code=job.region_code,
    )
    return path, job.file_name, MEDIA_TYPES[path.suffix]


# ---------------------------------------------------------------- retention

EXPIRED = "expired"  # a done job whose file the retention removed: listed, no longer served


def reports_dir(lake: Path) -> Path:
    """Where report files are kept: beside the lake, one folder per job."""
    return lake.parent / "reports"


def expire_jobs(session: Session, *, finished_before: dt.datetime, reports_dir: Path) -> list[Path]:
    """The folders of the jobs that ended before `finished_before`, for removal once the
    transaction commits: done jobs become `expired` (no longer downloadable), failed ones
    keep their state and lose what an interrupted build left, and a folder an earlier removal
    missed goes too; each one is audited. Queued and running jobs are never touched."""
    query = sa.select(ReportJob).where(
        ReportJob.state.in_(("done", "failed", EXPIRED)), ReportJob.finished_at < finished_before
    )
    folders = []
    for job in session.scalars(query.order_by(ReportJob.id)):
        folder = reports_dir / job.id
        if job.state != "done" and not folder.exists():
            continue  # nothing left to remove
        after = {"state": EXPIRED if job.state == "done" else job.state, "removed": str(folder)}
        audit.record(
            session, actor=SYSTEM, action="expire", entity="report", entity_id=job.id,
            before={"state": job.state, "file_name": job.file_name}, after=after,
            region_code=job.region_code,
        )  # fmt: skip
        job.state = after["state"]
        folders.append(folder)
    session.flush()
    return folders
