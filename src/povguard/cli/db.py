"""`povguard db upgrade|status`: the operational database schema."""

from __future__ import annotations

import typer

from povguard.config import get_settings
from povguard.core.db import is_up_to_date, make_engine, upgrade

db_app = typer.Typer(help="Operational database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Apply pending migrations to the configured database."""
    engine = make_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@db_app.command("status")
def status_command() -> None:
    """Say whether the configured database has every migration applied."""
    engine = make_engine(get_settings().database_url)
    state = "up to date" if is_up_to_date(engine) else "needs `povguard db upgrade`"
    typer.echo(f"{engine.url.render_as_string(hide_password=True)}: {state}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
