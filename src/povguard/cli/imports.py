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
PHASES = {"validate": "validating", "load": "writing the lake", "store": "storing"}


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
    """The import batches: when, who, what, how it ended, rows per file."""
    from rich.console import Console
    from rich.table import Table

    from povguard.core.uow import unit_of_work
    from povguard.ingest import batches

    with unit_of_work() as session:
        rows = batches.list_batches(session, limit=limit)
        table = Table(title="Import batches")
        for name in ("started", "finished", "user", "status", "rows", "errors", "unmatched",
                     "provinces", "source", "id"):  # fmt: skip
            table.add_column(name, justify="right" if name in ("errors", "unmatched") else "left")
        for batch in rows:
            files = ", ".join(f"{k} {v}" for k, v in sorted((batch.rows or {}).items()))
            table.add_row(
                f"{batch.started_at:%Y-%m-%d %H:%M:%S}",
                f"{batch.finished_at:%H:%M:%S}" if batch.finished_at else "",
                batch.username, batch.status, files, str(batch.errors_count),
                str(batch.unmatched_count), " ".join(batch.provinces or []), batch.source,
                batch.id[:8],
            )  # fmt: skip
    Console(width=200).print(table)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.add_typer(imports_app, name="imports")
