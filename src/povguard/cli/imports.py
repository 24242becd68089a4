"""`povguard import DIR`: validate and load a SPEC §3 dataset into the database and the lake."""

from __future__ import annotations

from pathlib import Path

import typer

from povguard.core.errors import BadInput


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
        with console.status("validating and loading…"):
            report = import_dataset(folder, lake=settings.lake, check_only=check)
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
    table = Table(title="Validated" if check else "Imported")
    table.add_column("file")
    table.add_column("rows", justify="right")
    table.add_column("unmatched", justify="right")
    for name, rows in sorted(report.rows.items()):
        table.add_row(name, str(rows), str(report.unmatched.get(name, "")))
    console.print(table)
    if not check:
        with console.status("preparing screening frames…"):
            for province in sorted(report.provinces):
                ensure_frame(settings.lake, province)
    typer.echo(f"{sum(report.rows.values())} rows {'checked' if check else 'imported'}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
