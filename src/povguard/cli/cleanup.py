"""`povguard cleanup`: removes the uploads and report files the retention lets go."""

from __future__ import annotations

import datetime as dt

import typer

from povguard.config import get_settings
from povguard.core.uow import unit_of_work
from povguard.retention import service as retention


def cleanup_command() -> None:
    """Remove ended imports' uploads and ended reports' files older than their retention
    (POVGUARD_UPLOAD_RETENTION_DAYS, POVGUARD_REPORT_RETENTION_DAYS); each removal is audited."""
    settings = get_settings()
    kept = retention.Retention(
        upload_days=settings.upload_retention_days, report_days=settings.report_retention_days
    )
    now = dt.datetime.now(dt.UTC)
    with unit_of_work(settings.database_url) as session:
        expired = retention.expire(session, lake=settings.lake, retention=kept, now=now)
    retention.remove(expired)
    typer.echo(
        f"removed {len(expired.uploads)} import upload(s) older than {kept.upload_days} days"
        f" and {len(expired.reports)} report file(s) older than {kept.report_days} days"
    )


def register(app: typer.Typer) -> None:
    app.command("cleanup")(cleanup_command)
