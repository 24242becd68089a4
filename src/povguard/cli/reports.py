"""`povguard report monthly|roster|export`: the monthly county PDF, the printable object list
and the Excel exports from a shell.

Acts as `SYSTEM`, or with `--as USER` in that user's scope (and personal-data masking).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from pydantic import ValidationError

from povguard.auth import service as auth
from povguard.auth.principal import SYSTEM
from povguard.config import get_settings
from povguard.core.errors import BadInput
from povguard.core.uow import unit_of_work
from povguard.reports import service
from povguard.reports.schemas import ReportCreate, ReportKind

report_app = typer.Typer(
    help="Monthly county report and object list (PDF), Excel exports.", no_args_is_help=True
)
EXPORT_KINDS = (ReportKind.OBJECTS, ReportKind.CLUES, ReportKind.KPIS)
AS_USER = typer.Option(None, "--as", metavar="USER", help="Act as this user (scope, masking).")


def _request(values: dict[str, str | None]) -> ReportCreate:
    try:
        return ReportCreate.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise BadInput(f"{field}: {error['msg']}", field=field) from exc


def _write(request: ReportCreate, out: Path, as_user: str | None) -> None:
    settings = get_settings()
    started = time.perf_counter()
    with unit_of_work(settings.database_url) as session:
        principal = SYSTEM if as_user is None else auth.principal_for(session, as_user)
        service.check_request(session, principal, request)
        out.parent.mkdir(parents=True, exist_ok=True)
        count = service.build(
            session, principal, request.kind, request.region, request.params(), out,
            lake=settings.lake,
        )  # fmt: skip
    unit = "pages" if request.kind in (ReportKind.MONTHLY, ReportKind.ROSTER) else "rows"
    seconds = time.perf_counter() - started
    typer.echo(f"wrote {out} ({count} {unit}, {seconds:.2f} s)", err=True)


@report_app.command("monthly")
def monthly_report(
    region: str = typer.Option(..., "--region", help="12-digit region code (a county)."),
    month: str = typer.Option(..., "--month", help="YYYY-MM"),
    out: Path = typer.Option(..., "--out", help="PDF file to write."),
    as_user: str | None = AS_USER,
) -> None:
    """The monthly county report as PDF (the month's changes, ID numbers masked)."""
    _write(_request({"kind": "monthly", "region": region, "month": month}), out, as_user)


@report_app.command("roster")
def roster_report(
    region: str = typer.Option(..., "--region", help="12-digit region code."),
    month: str = typer.Option(..., "--month", help="YYYY-MM: the list as at its last day."),
    out: Path = typer.Option(..., "--out", help="PDF file to write."),
    as_user: str | None = AS_USER,
) -> None:
    """Every monitoring object of the region, for printing (PDF, ID numbers masked)."""
    _write(_request({"kind": "roster", "region": region, "month": month}), out, as_user)


@report_app.command("export")
def export(
    kind: str = typer.Argument(..., metavar="objects|clues|kpis"),
    region: str = typer.Option(..., "--region", help="12-digit region code."),
    out: Path = typer.Option(..., "--out", help="Excel file to write (.xlsx)."),
    first: str | None = typer.Option(None, "--from", help="kpis: first month YYYY-MM."),
    last: str | None = typer.Option(None, "--to", help="kpis: last month YYYY-MM."),
    run_id: str | None = typer.Option(None, "--run", help="clues: the screening run id."),
    as_user: str | None = AS_USER,
) -> None:
    """Monitoring objects, the clues of a run, or the KPI table per child region, as Excel."""
    if kind not in {k.value for k in EXPORT_KINDS}:
        raise BadInput(f"export kind must be one of objects, clues, kpis, not {kind!r}")
    values = {"kind": kind, "region": region, "from": first, "to": last, "run_id": run_id}
    _write(_request(values), out, as_user)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
