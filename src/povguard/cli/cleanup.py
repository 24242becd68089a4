"""`povguard cleanup`: removes the uploads and report files the retention lets go."""

from __future__ import annotations

import datetime as dt

import typer

from povguard.config import get_settings
from povguard.core.uow import unit_of_work
from povguard.retention import service as retention

DRY_RUN = typer.Option(False, "--dry-run", help="List what would be removed; change nothing.")


def cleanup_command(dry_run: bool = DRY_RUN) -> None:
    """Remove ended imports' uploads and ended reports' files older than their retention
    (POVGUARD_UPLOAD_RETENTION_DAYS, POVGUARD_REPORT_RETENTION_DAYS); each removal is audited."""
    settings = get_settings()
    kept = retention.Retention(
        upload_days=settings.upload_retention_days, report_days=settings.report_retention_days
    )
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(settings.database_url) as session:
        expired = retention.expire(session, lake=settings.lake, retention=kept, now=now)
        if dry_run:  # undo the audit rows and report marks `expire` wrote
            session.rollback()
    if dry_run:
        for folder in expired.folders:
            typer.echo(f"would remove {folder}")
    else:
        retention.remove(expired)
    verb = "would remove" if dry_run else "removed"
    typer.echo(
        f"{verb} {len(expired.uploads)} import upload(s) older than {kept.upload_days} days"
        f" and {len(expired.reports)} report file(s) older than {kept.report_days} days"
    )


def register(app: typer.Typer) -> None:
    app.command("cleanup")(cleanup_command)
