"""`povguard import DIR`: validate and load a SPEC §3 dataset into the database and the lake;
`povguard imports list`: the import batches recorded so far."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from povguard.core.errors import BadInput

if TYPE_CHECKING:
    from rich.console import Console

    from povguard.ingest.service import ImportReport, Progress

imports_app = typer.Typer(help="Import batches.", no_args_is_help=True)
PHASES = {
    "validate": "validating",
    "load": "writing the lake",
    "store": "storing",
    "stage": "registry beside validation",
}


@contextmanager
def _progress_bars(console: Console) -> Iterator[Progress | None]:
    """Per-file progress bars (validation, then loading) on a terminal; nothing otherwise."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    with Bars(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(),
              TimeElapsedColumn(), console=console, transient=False) as bars:  # fmt: skip
        tasks: dict[str, object] = {}

        def step(phase: str, name: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(PHASES.get(phase, phase), total=total)
            task = tasks[phase]
            bars.update(task, completed=done, total=total,  # type: ignore[arg-type]
                        description=f"{PHASES.get(phase, phase)} {name}")  # fmt: skip

        yield step


def _print_report(console: Console, report: ImportReport, check: bool) -> None:
    from rich.table import Table

    table = Table(title="Validated" if check else "Imported")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("unmatched", justify="right")
    for name, rows in sorted(report.rows.items()):
        table.add_row(name, str(rows), str(report.unmatched.get(name, "")))
    console.print(table)


def import_command(
    folder: Path = typer.Argument(..., help="Dataset folder (CSV or Parquet files)."),
    errors: Path = typer.Option(
        Path("import-errors.csv"), "--errors", help="Where the list of bad rows is written."
    ),
    check: bool = typer.Option(False, "--check", help="Validate only; store nothing."),
) -> None:
    """Validate every file and load the dataset: all of it, or nothing."""
    from rich.console import Console
    from rich.table import Table

    from povguard.config import get_settings
    from povguard.ingest.service import ImportRejected, import_dataset
    from povguard.screening.framestore import ensure_frame

    settings = get_settings()
    console = Console(stderr=True)
    try:
        with _progress_bars(console) as progress:
            report = import_dataset(folder, lake=settings.lake, check_only=check,
                                    progress=progress)  # fmt: skip
    except ImportRejected as exc:
        exc.errors.write_csv(errors)
        summary = exc.errors.group_by("file").len().sort("file")
        table = Table(title="Bad rows")
        table.add_column("file")
        table.add_column("bad rows", justify="right")
        for file, count in summary.iter_rows():
            table.add_row(file, str(count))
        console.print(table)
        for row in exc.errors.head(5).iter_rows(named=True):
            console.print(f"  {row['file']}:{row['line']} {row['column']}: {row['reason']}")
        raise BadInput(f"{exc}; nothing was stored; see {errors}") from exc
    _print_report(console, report, check)
    if not check:
        with console.status("preparing screening frames…"):
            for province in sorted(report.provinces):
                ensure_frame(settings.lake, province)
    typer.echo(f"{sum(report.rows.values())} rows {'checked' if check else 'imported'}")


@imports_app.command("list")
def list_command(
    limit: int = typer.Option(20, "--limit", min=1, help="How many batches, newest first."),
) -> None:
    """The import batches: when, who, what, how it ended, rows, bad and unmatched rows."""
    from rich.console import Console
    from rich.table import Table

    from povguard.core.uow import unit_of_work
    from povguard.ingest import batches

    table = Table(title="Import batches")
    for name in ("id", "started", "finished", "user", "status", "files", "rows", "bad rows",
                 "unmatched", "provinces", "source"):  # fmt: skip
        numeric = name in ("files", "rows", "bad rows", "unmatched")
        table.add_column(name, justify="right" if numeric else "left")
    with unit_of_work() as session:
        for batch in batches.list_batches(session, limit=limit):
            rows = batch.rows or {}
            table.add_row(
                batch.id[:8], f"{batch.started_at:%Y-%m-%d %H:%M:%S}",
                f"{batch.finished_at:%H:%M:%S}" if batch.finished_at else "",
                batch.username, batch.status, str(len(rows)), str(sum(rows.values())),
                str(batch.errors_count), str(batch.unmatched_count),
                " ".join(batch.provinces or []), batch.source,
            )  # fmt: skip
    Console(width=200).print(table)


@imports_app.command("show")
def show_command(
    batch_id: str = typer.Argument(..., help="A batch id (or its first digits)."),
) -> None:
    """One batch: rows and unmatched rows per file."""
    from rich.console import Console
    from rich.table import Table

    from povguard.core.uow import unit_of_work
    from povguard.ingest import batches

    with unit_of_work() as session:
        found = [b for b in batches.list_batches(session, limit=10_000)
                 if b.id.startswith(batch_id)]  # fmt: skip
        if len(found) != 1:
            raise BadInput(f"{len(found)} import batches have an id starting {batch_id!r}")
        batch = found[0]
        table = Table(title=f"Import batch {batch.id} ({batch.status}, {batch.source})")
        table.add_column("file")
        table.add_column("rows", justify="right")
        table.add_column("unmatched", justify="right")
        for name, rows in sorted((batch.rows or {}).items()):
            table.add_row(name, str(rows), str((batch.unmatched or {}).get(name, "")))
        message = batch.message
    console = Console(width=200)
    console.print(table)
    if message:
        console.print(message)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.add_typer(imports_app, name="imports")
