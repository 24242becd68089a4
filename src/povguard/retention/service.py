"""Retention of uploaded imports and generated reports (`povguard cleanup`).

An uploaded import (its zip, the unpacked files and the errors CSV, under `uploads/<batch>`)
is kept `upload_retention_days` after its batch ended (imported or failed); a report file
`report_retention_days` after its job ended, then the job reads `expired`. Never removed: the
files of a pending import (validating, validated and waiting for its confirmation, loading),
of a report being built, or of a report younger than the retention. A folder no batch names (a
crash between unpacking and commit) goes once it is older than the upload retention.

`expire` audits every removal and marks the reports in the caller's transaction and returns
the folders; `remove` deletes them once that transaction has committed, so that nothing is
removed without its audit row. Removing is idempotent: a folder a failed removal left behind
is found again by the next run.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from povguard.audit import service as audit
from povguard.auth.principal import SYSTEM
from povguard.core.errors import NotFound
from povguard.ingest import batches
from povguard.ingest.uploads import batch_folder
from povguard.reports import service as reports

# Batches whose upload is no longer needed; the others may still be confirmed or be loading.
ENDED_IMPORTS = frozenset({"imported", "failed"})


@dataclass(frozen=True)
class Retention:
    """How many days ended imports' uploads and ended reports' files are kept."""

    upload_days: int
    report_days: int


@dataclass(frozen=True)
class Expired:
    uploads: list[Path]
    reports: list[Path]

    @property
    def folders(self) -> list[Path]:
        return [*self.uploads, *self.reports]


def uploads_root(lake: Path) -> Path:
    return batch_folder(lake, "batch").parent


def expire(session: Session, *, lake: Path, retention: Retention, now: dt.datetime) -> Expired:
    """Audit (and for reports, mark) what the retention lets go; returns the folders."""
    upload_cutoff = now - dt.timedelta(days=retention.upload_days)
    report_cutoff = now - dt.timedelta(days=retention.report_days)
    uploads = [
        folder
        for folder in _upload_folders(lake)
        if _upload_expired(session, folder, upload_cutoff)
    ]
    return Expired(
        uploads=uploads,
        reports=reports.expire_jobs(
            session, finished_before=report_cutoff, reports_dir=reports.reports_dir(lake)
        ),
    )


def remove(expired: Expired) -> None:
    """Delete the expired folders (after the transaction that audited them has committed)."""
    for folder in expired.folders:
        shutil.rmtree(folder, ignore_errors=True)


def _upload_folders(lake: Path) -> list[Path]:
    root = uploads_root(lake)
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; povguard stores UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _upload_expired(session: Session, folder: Path, cutoff: dt.datetime) -> bool:
    """Whether `folder` may go (audited when it may): its batch ended before `cutoff`, or no
    batch names it and it was last changed before `cutoff`."""
    try:
        batch = batches.get(session, SYSTEM, folder.name)
    except NotFound:
        changed = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
        if changed >= cutoff:
            return False  # perhaps a batch being received right now
        _audit_upload(session, folder, before={"batch": None}, region_code=None)
        return True
    ended = batch.finished_at is not None and _aware(batch.finished_at) < cutoff
    if batch.status not in ENDED_IMPORTS or not ended:
        return False
    before = {"batch": batch.id, "status": batch.status, "source": batch.source}
    _audit_upload(session, folder, before=before, region_code=batch.region_code)
    return True


def _audit_upload(
    session: Session, folder: Path, *, before: Mapping[str, str | None], region_code: str | None
) -> None:
    audit.record(
        session, actor=SYSTEM, action="expire", entity="import_upload", entity_id=folder.name,
        before=before, after={"removed": str(folder)}, region_code=region_code,
    )  # fmt: skip
