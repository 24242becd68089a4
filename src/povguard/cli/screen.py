"""`povguard screen`: rules R01–R16 over a dataset folder (SPEC §13)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from povguard.cli.options import parse_date
from povguard.core.errors import BadInput

if TYPE_CHECKING:
    from povguard.screening.service import ScreeningResult


def _summary(result: ScreeningResult) -> Table:
    from povguard.screening.rules import RULES

    table = Table(title=f"Screening at {result.as_of} ({result.engine}, {result.seconds:.2f} s)")
    table.add_column("rule")
    table.add_column("cause")
    table.add_column("households", justify="right")
    for rule in RULES:
        table.add_row(rule.code, rule.cause, str(result.counts.get(rule.code, 0)))
    for category in ("unstable", "marginal", "sudden_difficulty"):
        table.add_row(category, "", str(result.counts.get(category, 0)), style="bold")
    table.add_row("clues", "", str(result.counts.get("clues", 0)), style="bold")
    table.add_row("income data missing", "", str(result.missing_count), style="dim")
    table.add_row("assets to verify", "", str(result.counts.get("to_verify", 0)), style="dim")
    return table


def screen(
    as_of: str = typer.Option(..., "--as-of", help="Screening date D (YYYY-MM-DD)."),
    data: Path | None = typer.Option(
        None, "--data", help="SPEC §3 dataset folder (CSV or Parquet); no database needed."
    ),
    from_lake: bool = typer.Option(
        False, "--from-lake", help="Screen the imported registry and lake; the run is stored."
    ),
    region: str | None = typer.Option(
        None, "--region", help="With --from-lake: screen only this region's subtree."
    ),
    out: Path | None = typer.Option(None, "--out", help="Clues file to write (.csv or .parquet)."),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark."),
    fmt: str | None = typer.Option(None, "--format", help="csv or parquet (default: by suffix)."),
    policy: Path | None = typer.Option(
        None, "--policy", help="Policy file (default: policy.yaml in the dataset folder)."
    ),
    spark_master: str | None = typer.Option(
        None, "--spark-master", help="Spark master URL (default: local mode)."
    ),
    evidence: bool = typer.Option(True, help="Include the evidence column."),
) -> None:
    """Screen households at date D and write one clue per household at risk."""
    # Imported here so that `povguard --help` and other commands start fast.
    from povguard.auth.principal import SYSTEM
    from povguard.cases.summary import open_cases_for_screening
    from povguard.config import get_settings
    from povguard.core.uow import unit_of_work
    from povguard.screening import runs
    from povguard.screening.clues import CLUE_COLUMNS, write_atomically
    from povguard.screening.service import screen_folder

    date = parse_date(as_of, "--as-of")
    if (data is None) == (not from_lake):
        raise BadInput("give either --data DIR or --from-lake")
    if out is not None and out.is_dir():
        raise BadInput(f"--out: {out} is a folder, not a file")
    columns = [c for c in CLUE_COLUMNS if evidence or c != "evidence"]
    if data is not None:
        if out is None:
            raise BadInput("--out FILE is required with --data")
        result = screen_folder(
            data, date, engine=engine, policy=policy, spark_master=spark_master, evidence=evidence
        )
        write_atomically(result.clues.select(columns), out, fmt=fmt)
    else:
        lake = get_settings().lake
        with unit_of_work() as session:
            run = runs.create_run(
                session, SYSTEM, as_of=date, region_code=region or runs.NATIONAL, engine=engine
            )
        with unit_of_work() as session:
            open_cases = open_cases_for_screening(session)
        result = runs.execute_run(run.id, lake=lake, open_cases=open_cases)
        typer.echo(f"screening run {run.id} stored")
        if out is not None:
            clues = runs.stored_clues(lake, run.id).select(columns).sort("household_id")
            write_atomically(clues.collect(), out, fmt=fmt)
    Console(stderr=True).print(_summary(result))
    if out is not None:
        typer.echo(f"{result.counts.get('clues', 0)} clues written to {out}")


def register(app: typer.Typer) -> None:
    app.command("screen")(screen)
