"""Retention (`povguard cleanup`): ended imports' uploads and ended reports' files older than
their retention go, audited; pending imports, reports being built and young files stay."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from povguard.audit.models import AuditEntry
from povguard.cli.main import run
from povguard.config import Settings
from povguard.core.uow import unit_of_work
from povguard.ingest.models import ImportBatch
from povguard.reports.models import ReportJob
from povguard.reports.service import reports_dir
from povguard.retention import service as retention

# The clock's time: `povguard cleanup` (test_cleanup_command) expires against it, so every
# seeded time is relative to it (a fixed date made the 29-day-old rows old a day later).
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
OLD = NOW - dt.timedelta(days=31)
YOUNG = NOW - dt.timedelta(days=29)
KEPT = retention.Retention(upload_days=30, report_days=30)
# batch id → (status, ended at); the old ended ones go, the others stay.
BATCHES = {
    "imported_old": ("imported", OLD),
    "failed_old": ("failed", OLD),
    "imported_young": ("imported", YOUNG),
    "validated_old": ("validated", OLD),  # waits for its confirmation
    "validating": ("validating", None),
    "loading": ("loading", None),
}
# report id → (state, ended at, has a folder)
REPORTS = {
    "done_old": ("done", OLD, True),
    "done_young": ("done", YOUNG, True),
    "failed_old_leftover": ("failed", OLD, True),  # an interrupted build's partial folder
    "failed_old": ("failed", OLD, False),
    "running": ("running", None, True),
}


def upload(lake: Path, name: str, *, changed: dt.datetime = NOW) -> Path:
    folder = retention.uploads_root(lake) / name
    (folder / "data").mkdir(parents=True)
    (folder / "upload.zip").write_bytes(b"PK")
    stamp = changed.timestamp()
    os.utime(folder, (stamp, stamp))
    return folder


def seed(database_url: str, lake: Path) -> None:
    with unit_of_work(database_url) as session:
        for batch_id, (status, ended) in BATCHES.items():
            session.add(ImportBatch(
                id=batch_id, started_at=OLD - dt.timedelta(hours=1), finished_at=ended,
                username="clerk", region_code="530129000000", source="feeds.zip",
                status=status, progress=1.0, errors_count=0, unmatched_count=0,
            ))  # fmt: skip
            upload(lake, batch_id)
        for job_id, (state, ended, has_folder) in REPORTS.items():
            session.add(ReportJob(
                id=job_id, kind="objects", region_code="530129000000", params={},
                state=state, progress=1.0, created_by="county", created_at=OLD,
                finished_at=ended, file_name="objects.xlsx" if state == "done" else None,
            ))  # fmt: skip
            if has_folder:
                (reports_dir(lake) / job_id).mkdir(parents=True)
                (reports_dir(lake) / job_id / "objects.xlsx").write_bytes(b"xlsx")


def audited(database_url: str) -> list[tuple[str, str]]:
    with unit_of_work(database_url) as session:
        query = sa.select(AuditEntry.entity, AuditEntry.entity_id).where(
            AuditEntry.action == "expire"
        )
        return sorted((entity, str(entity_id)) for entity, entity_id in session.execute(query))


def cleanup(database_url: str, lake: Path, now: dt.datetime = NOW) -> retention.Expired:
    with unit_of_work(database_url) as session:
        expired = retention.expire(session, lake=lake, retention=KEPT, now=now)
    retention.remove(expired)
    return expired


def states(database_url: str) -> dict[str, str]:
    with unit_of_work(database_url) as session:
        rows = session.execute(sa.select(ReportJob.id, ReportJob.state))
        return {str(job_id): str(state) for job_id, state in rows}


def test_ended_uploads_and_reports_go_pending_and_young_ones_stay(
    database_url: str, lake: Path
) -> None:
    seed(database_url, lake)
    orphan_old = upload(lake, "orphan_old", changed=OLD)
    orphan_young = upload(lake, "orphan_young", changed=YOUNG)
    expired = cleanup(database_url, lake)
    root, reports = retention.uploads_root(lake), reports_dir(lake)
    assert expired.uploads == [root / "failed_old", root / "imported_old", orphan_old]
    assert expired.reports == [reports / "done_old", reports / "failed_old_leftover"]
    for folder in expired.folders:
        assert not folder.exists()
    kept = ["imported_young", "loading", "validated_old", "validating"]
    assert sorted(p.name for p in root.iterdir()) == sorted([*kept, orphan_young.name])
    assert sorted(p.name for p in reports.iterdir()) == ["done_young", "running"]
    assert states(database_url) == {
        "done_old": "expired", "done_young": "done", "failed_old_leftover": "failed",
        "failed_old": "failed", "running": "running",
    }  # fmt: skip
    assert audited(database_url) == [
        ("import_upload", "failed_old"), ("import_upload", "imported_old"),
        ("import_upload", "orphan_old"), ("report", "done_old"),
        ("report", "failed_old_leftover"),
    ]  # fmt: skip
    # Nothing left to let go: a second run removes and audits nothing.
    again = cleanup(database_url, lake)
    assert again.folders == [] and len(audited(database_url)) == 5


def test_a_folder_a_failed_removal_left_is_found_again(database_url: str, lake: Path) -> None:
    seed(database_url, lake)
    with unit_of_work(database_url) as session:  # audited and marked, but never removed
        retention.expire(session, lake=lake, retention=KEPT, now=NOW)
    expired = cleanup(database_url, lake)
    assert [p.name for p in expired.reports] == ["done_old", "failed_old_leftover"]
    assert not (reports_dir(lake) / "done_old").exists()
    assert states(database_url)["done_old"] == "expired"


def test_nothing_is_removed_when_the_audit_does_not_commit(database_url: str, lake: Path) -> None:
    seed(database_url, lake)
    with pytest.raises(RuntimeError), unit_of_work(database_url) as session:
        retention.expire(session, lake=lake, retention=KEPT, now=NOW)
        raise RuntimeError("the transaction fails")
    assert (retention.uploads_root(lake) / "imported_old").exists()
    assert (reports_dir(lake) / "done_old").exists()
    assert audited(database_url) == [] and states(database_url)["done_old"] == "done"


def test_no_upload_or_report_folder_yet(database_url: str, lake: Path) -> None:
    assert cleanup(database_url, lake).folders == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("dry_run", [False, True], ids=["remove", "dry-run"])
def test_cleanup_command(
    configured: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dry_run: bool,
) -> None:
    database_url, lake = configured
    seed(database_url, lake)
    monkeypatch.setenv("POVGUARD_UPLOAD_RETENTION_DAYS", "1")
    folders = sorted(p for p in lake.rglob("*") if p.is_dir())
    with pytest.raises(SystemExit) as exit_info:
        run(["cleanup", "--dry-run"] if dry_run else ["cleanup"])
    assert exit_info.value.code in (0, None)
    out = capsys.readouterr().out.strip().splitlines()
    # Ended more than a day ago: every ended import (the young one too), reports after 30 days.
    verb = "would remove" if dry_run else "removed"
    assert out[-1] == (
        f"{verb} 3 import upload(s) older than 1 days and 2 report file(s) older than 30 days"
    )
    if dry_run:  # the five folders are listed, and nothing is removed, audited or marked
        assert len([line for line in out if line.startswith("would remove /")]) == 5
        assert sorted(p for p in lake.rglob("*") if p.is_dir()) == folders
        assert audited(database_url) == [] and states(database_url)["done_old"] == "done"
    else:
        assert len(audited(database_url)) == 5 and states(database_url)["done_old"] == "expired"


def test_retention_settings_are_whole_days_of_one_or_more() -> None:
    assert Settings().upload_retention_days == Settings().report_retention_days == 30
    with pytest.raises(ValueError, match="upload_retention_days"):
        Settings(upload_retention_days=0)
