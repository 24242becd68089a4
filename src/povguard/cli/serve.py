"""`povguard serve [--host H] [--port P]`: the web app and REST API (SPEC §13)."""

from __future__ import annotations

import typer

from povguard.core.errors import BadInput


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
) -> None:
    """Serve the web pages and the /api/v1 REST API."""
    if not 0 < port < 65536:
        raise BadInput(f"--port: {port} is not a TCP port (1–65535)")
    import uvicorn

    from povguard.config import get_settings
    from povguard.core.db import engine_for
    from povguard.web.app import create_app

    settings = get_settings()
    engine_for(settings.database_url)  # migrate before the first request, not during it
    typer.echo(f"povguard serving on http://{host}:{port}/ (API: /api/v1, Ctrl+C to stop)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
