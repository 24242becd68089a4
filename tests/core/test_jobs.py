"""A server that starts marks the jobs a stopped server left queued or running as failed."""

from __future__ import annotations

import datetime as dt

from povguard.cli.serve import _fail_interrupted_jobs
from povguard.core.jobs import INTERRUPTED
from povguard.core.uow import unit_of_work
from povguard.reports.models import ReportJob
from povguard.screening.models import ScreeningRun

NOW = dt.datetime(2024, 7, 15, 9, 0, tzinfo=dt.UTC)


def _run(run_id: str, state: str) -> ScreeningRun:
    return ScreeningRun(id=run_id, as_of=NOW.date(), region_code="530102000000",
                        engine="duckdb", state=state, progress=0.5, created_by="county",
                        created_at=NOW)  # fmt: skip


def _report(job_id: str, state: str) -> ReportJob:
    return ReportJob(id=job_id, kind="monthly", region_code="530102000000", params={},
                     state=state, progress=0.5, created_by="county", created_at=NOW)  # fmt: skip


def test_unfinished_jobs_are_marked_failed_and_finished_ones_kept(database_url: str) -> None:
    with unit_of_work(database_url) as session:
        for state in ("queued", "running", "done", "failed"):
            session.add(_run(f"run-{state}", state))
            session.add(_report(f"job-{state}", state))
    _fail_interrupted_jobs(database_url)
    with unit_of_work(database_url) as session:
        for model, prefix in ((ScreeningRun, "run"), (ReportJob, "job")):
            states = {state: session.get(model, f"{prefix}-{state}") for state in
                      ("queued", "running", "done", "failed")}  # fmt: skip
            for before in ("queued", "running"):
                job = states[before]
                assert job is not None and job.state == "failed" and job.error == INTERRUPTED
                assert job.finished_at is not None
            assert states["done"] is not None and states["done"].state == "done"
            assert states["failed"] is not None and states["failed"].error is None
