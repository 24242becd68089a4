"""The `povguard` command: a thin Typer adapter over the feature services."""

from __future__ import annotations

import os
import sys

import typer

from povguard import __version__
from povguard.core.errors import PovguardError

app = typer.Typer(
    name="povguard",
    help="Monitoring and assistance to prevent return to poverty.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"povguard {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Monitoring and assistance to prevent return to poverty (SPEC §13 commands)."""


def _register_commands() -> None:
    from povguard.cli import (
        cases,
        cleanup,
        db,
        demo,
        imports,
        measures,
        reports,
        screen,
        serve,
        synth,
        users,
    )

    for module in (
        cases,
        cleanup,
        db,
        demo,
        imports,
        measures,
        screen,
        serve,
        synth,
        users,
        reports,
    ):
        module.register(app)


def _fail(message: str, code: int) -> None:
    typer.echo(f"povguard: {message}", err=True)
    sys.exit(code)


def run(argv: list[str] | None = None) -> None:
    """Entry point: domain errors become one line on stderr and an exit code, never a traceback."""
    _register_commands()
    try:
        app(args=argv)
    except PovguardError as exc:
        _fail(str(exc), exc.exit_code)
    except (OSError, ValueError) as exc:
        if os.environ.get("POVGUARD_DEBUG"):
            raise
        _fail(f"{type(exc).__name__}: {exc}", 2)
    except Exception as exc:  # a bug: still one line, with the way to see the traceback
        if os.environ.get("POVGUARD_DEBUG"):
            raise
        _fail(f"internal error ({type(exc).__name__}: {exc}); set POVGUARD_DEBUG=1 for details", 1)
