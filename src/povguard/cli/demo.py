"""`povguard demo`: a synthetic county, imported, screened and served (SPEC §13)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import typer

from povguard.cli.options import parse_date

DEMO_DIR = Path("var") / "demo"


def _users(county: str, township: str, village: str) -> list[tuple[str, str, str]]:
    return [
        ("admin", "admin", "000000000000"),
        ("county", "county", county),
        ("township", "township", township),
        ("cadre", "cadre", village),
    ]


def _ensure_users(regions: list[tuple[str, str]]) -> dict[str, str]:
    """The demo users (created once; their passwords are kept in var/demo/credentials.json)."""
    from sqlalchemy import select

    from povguard.auth import service as auth
    from povguard.auth.models import User
    from povguard.core.uow import unit_of_work

    store = DEMO_DIR / "credentials.json"
    known: dict[str, str] = json.loads(store.read_text()) if store.exists() else {}
    levels = dict(regions)
    plan = _users(levels["county"], levels["township"], levels["village"])
    with unit_of_work() as session:
        existing = set(session.scalars(select(User.username)))
        for username, role, region in plan:
            if username in existing and username in known:
                continue
            password = known.get(username) or secrets.token_urlsafe(9)
            if username not in existing:
                auth.create_user(
                    session, username=username, password=password, role=role, region_code=region
                )
            known[username] = password
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps(known, indent=2))
    store.chmod(0o600)
    return known


def demo(
    households: int = typer.Option(3000, "--households", help="Households in the county."),
    seed: int = typer.Option(7, "--seed", help="Random seed of the synthetic county."),
    as_of: str | None = typer.Option(None, "--as-of", help="Screening date (default today)."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    serve: bool = typer.Option(True, help="Serve the web app at the end."),
) -> None:
    """Make a synthetic county, import it, screen it and serve the web app."""
    import polars as pl

    from povguard.auth.principal import SYSTEM
    from povguard.cli.demo_cases import identify_some
    from povguard.config import get_settings
    from povguard.core.uow import unit_of_work
    from povguard.ingest.service import import_dataset
    from povguard.screening import runs
    from povguard.screening.framestore import ensure_frame
    from povguard.synth.service import synthesise

    date = parse_date(as_of, "--as-of")
    settings = get_settings()
    dataset = DEMO_DIR / f"county-{households}-{seed}-{date.isoformat()}"
    if not (dataset / "households.csv").exists():
        typer.echo(f"1/4 synthesising {households} households into {dataset}")
        synthesise(dataset, households=households, seed=seed, as_of=date, counties=1)
    typer.echo("2/4 importing into the database and the lake")
    report = import_dataset(dataset, lake=settings.lake)
    for province in report.provinces:
        ensure_frame(settings.lake, province)
    regions = pl.read_csv(dataset / "regions.csv", infer_schema=False)
    county = regions.filter(pl.col("level") == "county")["code"][0]
    township = regions.filter(pl.col("level") == "township")["code"][0]
    village = regions.filter(pl.col("parent_code") == township)["code"][0]
    typer.echo(f"3/4 screening county {county} at {date}")
    with unit_of_work() as session:
        run = runs.create_run(session, SYSTEM, as_of=date, region_code=county)
    result = runs.execute_run(run.id, lake=settings.lake)
    typer.echo(
        f"    {result.households} households, {result.counts.get('clues', 0)} clues; "
        + ", ".join(
            f"{code} {result.counts.get(code, 0)}"
            for code in sorted(result.counts)
            if code.startswith("R")
        )  # fmt: skip
    )
    credentials = _ensure_users([("county", county), ("township", township), ("village", village)])
    with unit_of_work() as session:
        approved = identify_some(session, lake=settings.lake, run_id=run.id, as_of=date)
    if approved:
        typer.echo(f"    {approved} clues of township {township} approved as monitoring objects")
    typer.echo("4/4 users (username / password):")
    for username, password in credentials.items():
        typer.echo(f"    {username:9} {password}")
    if serve:
        from povguard.cli.serve import run_server

        run_server(host, port)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
