"""`povguard synth`: write a synthetic SPEC §3 dataset."""

from __future__ import annotations

from pathlib import Path

import typer

from povguard.cli.options import parse_date


def synth(
    households: int = typer.Option(..., "--households", help="Number of households."),
    seed: int = typer.Option(..., "--seed", help="Random seed: the same seed, the same bytes."),
    out: Path = typer.Option(..., "--out", help="Folder to create (must be new or empty)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Screening date the data is built around (default today)."
    ),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
    province: str = typer.Option("530000000000", "--province", help="Province code."),
    counties: int | None = typer.Option(None, "--counties", help="Use the first K counties."),
) -> None:
    """Write a seeded synthetic population (registry, income, 12 feeds, declarations, policy)."""
    from rich.progress import Progress

    from povguard.synth.service import synthesise

    date = parse_date(as_of, "--as-of")
    with Progress(transient=True) as bar:
        task = bar.add_task("synthesising", total=max(households, 0))
        result = synthesise(
            out, households=households, seed=seed, as_of=date, fmt=fmt, province=province,
            counties=counties, progress=lambda n: bar.advance(task, n),
        )  # fmt: skip
    total = sum(result.rows.values())
    typer.echo(f"{result.households} households, {total} rows written to {result.folder}")


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
