"""`povguard serve [--host H] [--port P]`: the web app and REST API (SPEC §13)."""

from __future__ import annotations

import typer

from povguard.core.errors import BadInput


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
    workers: int = typer.Option(
        1, "--workers", help="Server processes (about one per core under load)."
    ),
) -> None:
    """Serve the web pages and the /api/v1 REST API."""
    run_server(host, port, workers)


def run_server(host: str, port: int, workers: int = 1) -> None:
    """Migrate, mark interrupted jobs, and serve until stopped (also the end of `demo`)."""
    if not 0 < port < 65536:
        raise BadInput(f"--port: {port} is not a TCP port (1–65535)")
    if not 1 <= workers <= 64:
        raise BadInput(f"--workers: {workers} is not between 1 and 64")
    import uvicorn

    from povguard.config import get_settings
    from povguard.core.db import engine_for
    from povguard.web.app import create_app

    settings = get_settings()
    engine_for(settings.database_url)  # migrate before the first request, not during it
    _fail_interrupted_jobs(settings.database_url)
    typer.echo(f"povguard serving on http://{host}:{port}/ (API: /api/v1, Ctrl+C to stop)")
    http = "povguard.web.nodelay:NoDelayHTTPProtocol"  # replies leave at once (see there)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", http=http)
        return
    # Each worker process builds its own app from the same environment settings.
    uvicorn.run(
        "povguard.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        http=http,
    )


def _fail_interrupted_jobs(database_url: str) -> None:
    """Jobs left queued or running by a server that stopped will never finish: say so."""
    from povguard.core.jobs import fail_unfinished
    from povguard.core.uow import unit_of_work
    from povguard.reports.models import ReportJob
    from povguard.screening.models import ScreeningRun

    with unit_of_work(database_url) as session:
        failed = sum(fail_unfinished(session, model) for model in (ScreeningRun, ReportJob))
    if failed:
        typer.echo(f"{failed} unfinished job(s) of a previous server marked failed")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
