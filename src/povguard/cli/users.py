"""`povguard users add --username U --role ROLE --region CODE --password-stdin` (SPEC §13)."""

from __future__ import annotations

import sys

import typer

from povguard.auth import service as auth_service
from povguard.core.errors import BadInput
from povguard.core.uow import unit_of_work

users_app = typer.Typer(help="Users, their roles and region scopes.", no_args_is_help=True)


def _read_password() -> str:
    """The first line of standard input, without its line ending."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise BadInput("--password-stdin: no password on standard input")
    return password


@users_app.command("add")
def add_command(
    username: str = typer.Option(..., "--username", help="Sign-in name (3–60 characters)."),
    role: str = typer.Option(
        ..., "--role", help="cadre, township, county, analyst, clerk, auditor or admin."
    ),
    region: str = typer.Option(..., "--region", help="12-digit code of the user's region."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Create a user bound to a role over a region subtree."""
    if not password_stdin:
        raise BadInput("give the password on standard input with --password-stdin")
    password = _read_password()
    with unit_of_work() as session:  # a duplicate name is a Conflict: exit 2, one line
        user = auth_service.create_user(
            session, username=username, password=password, role=role, region_code=region
        )
    typer.echo(f"created user {user.username} ({user.role.value}, region {user.region_code})")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
