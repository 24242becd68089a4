"""`povguard cases list|show|overdue|create|transition`: the SPEC §7 procedure from a shell.

The command line acts as `SYSTEM` (full rights on the machine it runs on), or with `--as USER`
as that user: the user's region scope and role rules apply and the steps are recorded in their
name.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from povguard.auth import service as auth
from povguard.auth.principal import SYSTEM, Principal
from povguard.cases import attachments, service
from povguard.cases.enums import Action, CaseKind, CaseSource, CaseState, Category, EliminationRoute
from povguard.cases.schemas import CaseCreate, CaseRead, TransitionIn
from povguard.cli.options import parse_date
from povguard.config import get_settings
from povguard.core.errors import BadInput
from povguard.core.uow import unit_of_work
from povguard.regions.codes import Level

cases_app = typer.Typer(
    help="Monitoring cases: identification and risk elimination.", no_args_is_help=True
)


@cases_app.callback()
def _acting_user(
    ctx: typer.Context,
    as_user: str | None = typer.Option(
        None, "--as", metavar="USER", help="Act as this user (their scope and role)."
    ),
) -> None:
    ctx.obj = as_user


def _actor(ctx: typer.Context, session: Session) -> Principal:
    username = ctx.obj
    return SYSTEM if username is None else auth.principal_for(session, username)


E = TypeVar("E", bound=StrEnum)
M = TypeVar("M", bound=BaseModel)


def _choice(value: str | None, enum: type[E], option: str) -> E | None:
    if value is None:
        return None
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(member.value for member in enum)
        raise BadInput(f"{option}: {value!r} is not one of {allowed}") from exc


def _validated(model: type[M], option: str, **values: object) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or option
        raise BadInput(f"{where}: {first['msg']}") from exc


def _table(cases: list[CaseRead], title: str) -> Table:
    table = Table(title=title)
    for column in (
        "id",
        "household",
        "village",
        "kind",
        "state",
        "days left",
        "overdue",
        "version",
    ):
        table.add_column(column)
    for c in cases:
        days = "" if c.days_left is None else str(c.days_left)
        table.add_row(
            str(c.id),
            c.household_id,
            c.village_code,
            c.kind.value,
            c.state.value,
            days,
            ",".join(c.overdue),
            str(c.version),
        )
    return table


def _emit(case: CaseRead, as_json: bool) -> None:
    if as_json:
        typer.echo(case.model_dump_json(indent=2))
        return
    typer.echo(
        f"case {case.id}: household {case.household_id}, {case.kind.value}, "
        f"state {case.state.value}, version {case.version}, due {case.procedure_due}"
    )
    for step in case.steps:
        typer.echo(
            f"  {step.on} {step.action} by {step.actor} ({step.role}) → {step.to_state} "
            f"{step.comment}"
        )
    typer.echo(f"  allowed: {', '.join(a.value for a in case.allowed_actions) or '-'}")


@cases_app.command("list")
def list_command(
    ctx: typer.Context,
    region: str | None = typer.Option(None, "--region", help="12-digit region code."),
    state: str | None = typer.Option(None, "--state", help="Only cases in this state."),
    overdue: bool = typer.Option(False, "--overdue", help="Only overdue open cases."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day of reference (default today)."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
) -> None:
    """Cases in a region, newest first."""
    today = parse_date(as_of, "--as-of")
    wanted = _choice(state, CaseState, "--state")
    with unit_of_work() as session:
        cases = service.list_cases(
            session,
            _actor(ctx, session),
            region=region,
            state=wanted,
            overdue=overdue or None,
            today=today,
        )
    if as_json:
        for case in cases:
            typer.echo(case.model_dump_json())
        return
    Console().print(_table(cases, f"{len(cases)} case(s) on {today}"))


@cases_app.command("show")
def show_command(
    ctx: typer.Context,
    case_id: int = typer.Argument(..., help="Case number."),
    as_of: str | None = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """One case with its steps, deadlines and allowed actions."""
    with unit_of_work() as session:
        case = service.get(
            session, _actor(ctx, session), case_id, today=parse_date(as_of, "--as-of")
        )
    _emit(case, as_json)


@cases_app.command("overdue")
def overdue_command(
    ctx: typer.Context,
    region: str | None = typer.Option(None, "--region"),
    level: str = typer.Option(
        "township", "--level", help="village, township, county, city or province."
    ),
    as_of: str | None = typer.Option(None, "--as-of"),
) -> None:
    """Overdue cases, and their number per region of --level."""
    today = parse_date(as_of, "--as-of")
    by = _choice(level, Level, "--level") or Level.TOWNSHIP
    with unit_of_work() as session:
        actor = _actor(ctx, session)
        rows = service.list_overdue(session, actor, region=region, today=today)
        counts = service.overdue_by_region(session, actor, level=by, region=region, today=today)
    for row in rows:
        typer.echo(
            f"case {row.case_id} household {row.household_id} village {row.village_code} "
            f"{row.state.value} missed {','.join(row.missed)} days left {row.days_left}"
        )
    for code, count in counts.items():
        typer.echo(f"{level} {code}: {count} overdue")
    if not rows:
        typer.echo("no overdue cases")


@cases_app.command("create")
def create_command(
    ctx: typer.Context,
    household: str = typer.Option(..., "--household"),
    source: str = typer.Option(..., "--source", help=", ".join(s.value for s in CaseSource)),
    kind: str = typer.Option("identification", "--kind"),
    clue_id: str | None = typer.Option(None, "--clue-id"),
    rules: str | None = typer.Option(None, "--rules", help="Rule codes of the clue, e.g. R01;R04."),
    category: str | None = typer.Option(None, "--category"),
    cause: list[str] = typer.Option([], "--cause", help="Cause code (repeat, up to 5)."),
    serious_illness: bool = typer.Option(False, "--serious-illness"),
    received_on: str | None = typer.Option(None, "--received-on"),
    policy: Path | None = typer.Option(None, "--policy", help="policy.yaml for the deadlines."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Open a case (or attach the clue to the household's open case)."""
    from povguard.policy.service import load_policy

    data = _validated(
        CaseCreate,
        "case",
        household_id=household,
        source=_choice(source, CaseSource, "--source"),
        kind=_choice(kind, CaseKind, "--kind"),
        clue_id=clue_id,
        rules=rules,
        category=_choice(category, Category, "--category"),
        causes=cause,
        serious_illness=serious_illness,
        received_on=parse_date(received_on, "--received-on"),
    )
    book = load_policy(policy) if policy else None
    with unit_of_work() as session:
        case, created = service.create(session, _actor(ctx, session), data, policy=book)
    if not as_json:
        typer.echo("opened" if created else "attached to the open case")
    _emit(case, as_json)


@cases_app.command("transition")
def transition_command(
    ctx: typer.Context,
    case_id: int = typer.Argument(...),
    action: str = typer.Option(..., "--action", help=", ".join(a.value for a in Action)),
    version: int = typer.Option(..., "--version", help="The case version you read."),
    comment: str = typer.Option("", "--comment"),
    on: str | None = typer.Option(None, "--on", help="Day of the step (default today)."),
    authorisation_signed: bool = typer.Option(False, "--authorisation-signed"),
    category: str | None = typer.Option(None, "--category"),
    cause: list[str] = typer.Option([], "--cause"),
    route: str | None = typer.Option(None, "--route"),
    attachment: list[str] = typer.Option(
        [], "--attachment", help="A PDF/PNG/JPEG file to keep with the step, or a stored id."
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Take one procedure step."""
    attachment_ids = _stored_attachments(attachment)
    day = parse_date(on, "--on")
    data = _validated(
        TransitionIn,
        "transition",
        action=_choice(action, Action, "--action"),
        version=version,
        comment=comment,
        on=day,
        authorisation_signed=authorisation_signed,
        category=_choice(category, Category, "--category"),
        causes=cause or None,
        route=_choice(route, EliminationRoute, "--route"),
        attachments=attachment_ids,
    )
    with unit_of_work() as session:
        case = service.transition(session, _actor(ctx, session), case_id, data, today=None)
    _emit(case, as_json)


def _stored_attachments(references: list[str]) -> list[str]:
    """Files given on the command line are kept in the store; other references must be ids of
    stored attachments, exactly as through the API."""
    store = attachments.store_for(get_settings().lake)
    ids = []
    for reference in references:
        path = Path(reference)
        if path.is_file():
            ids.append(attachments.save(store, path.read_bytes()).id)
        else:
            attachments.check_known(store, [reference])
            ids.append(reference)
    return ids


def register(app: typer.Typer) -> None:
    app.add_typer(cases_app, name="cases")
