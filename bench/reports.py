"""KPI and report benchmark: measures and KPIs by county, and the monthly county report.

    .venv/bin/python bench/reports.py --households 100000 [--objects-share 0.05] [--roster]
        [--provinces K]

Takes the synthetic dataset of N households imported into SQLite + lake that bench/screen.py
caches under bench/out/ (synthesising and importing it first if it is not there), copies the
database, gives a share of the households a case history (the KPI tests' varied stories:
identified, eliminated, returned to risk, measures), then times
1. income measures (FGT 0/1/2, Watts, Gini, Theil) by county with DuckDB over the lake
   (`regional.lake_incomes`: the screening frames), on each household's per-capita net income
   of the 12 months before the report month,
   weighted by household size, against the province's monitoring line;
2. every KPI of every county for a year (the KPI layer, the same calls as the API);
3. the monthly county report (PDF) of the county with the most monitoring objects;
4. with --roster, that county's printable object list (PDF).
Prints one JSON document with the figures and the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
import duckdb  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from machine import machine  # noqa: E402
from national import national  # noqa: E402
from screen import imported, synthesise  # noqa: E402
from tests.analytics import kpi_data  # noqa: E402

from povguard.analytics import regional  # noqa: E402
from povguard.analytics.kpi import service as kpi  # noqa: E402
from povguard.analytics.kpi.period import period  # noqa: E402
from povguard.auth.principal import SYSTEM  # noqa: E402
from povguard.core.uow import unit_of_work  # noqa: E402
from povguard.households.models import Household  # noqa: E402
from povguard.policy.service import load_policy  # noqa: E402
from povguard.regions.models import Region  # noqa: E402
from povguard.reports import monthly, roster  # noqa: E402
from povguard.screening.lake import policy_path, provinces  # noqa: E402


def _seconds(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def measures_by_county(lake: Path, month: dt.date) -> tuple[float, int]:
    """Every county's measures, province by province against the province's line."""
    first = month.replace(year=month.year - 1)
    last = month - dt.timedelta(days=1)
    book = load_policy(policy_path(lake))
    started = time.perf_counter()
    con = duckdb.connect()
    counties = 0
    for province in provinces(lake):
        line = float(book.lookup(province.ljust(12, "0"), last.year).monitoring_line)
        relation = regional.lake_incomes(lake, first, last, depth=6, province=province)
        counties += regional.by_region(con, relation, line).height
    return _seconds(started), counties


def seed_history(url: str, share: float) -> int:
    with unit_of_work(url) as session:
        rows = session.execute(sa.select(Household.household_id, Household.village_code)).all()
        step = max(1, round(1 / share))
        chosen = [(h, v) for h, v in rows[::step]]
        kpi_data.seed(session, chosen)
    return len(chosen)


def kpis_by_county(url: str, lake: Path) -> dict[str, object]:
    """Every KPI of every county: one call per county, and grouped (one pass per city)."""
    span = period("2024-01", "2024-12")
    with unit_of_work(url) as session:
        counties = session.scalars(sa.select(Region.code).where(Region.level == "county")).all()
        started = time.perf_counter()  # wall time: the database works in this process too
        one_by_one = {code: kpi.kpis(session, SYSTEM, code, span, lake=lake) for code in counties}
        single = _seconds(started)
        cities = session.scalars(sa.select(Region.code).where(Region.level == "city")).all()
        started = time.perf_counter()
        grouped = {
            child.code: figures
            for city in cities
            for child, figures in kpi.kpis_by_child(session, SYSTEM, city, span, lake=lake)
        }
        grouped_seconds = _seconds(started)
    assert grouped == one_by_one, "grouped KPIs differ from one county at a time"
    objects = {code: figures.objects for code, figures in one_by_one.items()}
    return {"seconds_one_by_one": single, "seconds_grouped": grouped_seconds,
            "counties": len(counties), "objects": objects}  # fmt: skip


def _timed_pdf(write: Callable[[Path], int], out: Path) -> dict[str, object]:
    started, cpu = time.perf_counter(), time.process_time()
    pages = write(out)
    return {"seconds": _seconds(started), "cpu_seconds": round(time.process_time() - cpu, 3),
            "pages": pages}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--objects-share", type=float, default=0.05)
    parser.add_argument("--month", default="2024-06")
    parser.add_argument("--roster", action="store_true", help="also print the object list")
    parser.add_argument("--provinces", type=int, default=1,
                        help="households spread over K provinces (bench/national.py)")  # fmt: skip
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="povguard-bench-reports-"))
    try:
        started = time.perf_counter()
        if args.provinces > 1:
            lake = national(args.households, args.provinces)[0]
        else:
            lake = imported(args.households, synthesise(args.households))[0]
        shutil.copyfile(lake.parent / "povguard.sqlite3", work / "db.sqlite3")
        url = f"sqlite:///{work / 'db.sqlite3'}"
        prepared = _seconds(started)
        started = time.perf_counter()
        objects = seed_history(url, args.objects_share)
        seeded = _seconds(started)
        month = dt.date.fromisoformat(f"{args.month}-01")
        measure_seconds, regions = measures_by_county(lake, month)
        county_kpis = kpis_by_county(url, lake)
        objects_by_county: dict[str, int] = county_kpis.pop("objects")  # type: ignore[assignment]
        biggest = max(objects_by_county, key=lambda code: objects_by_county[code])
        import weasyprint  # noqa: F401 - loaded once per server process, not per report

        with unit_of_work(url) as session:
            report = _timed_pdf(
                lambda out: monthly.write_pdf(session, SYSTEM, biggest, args.month, out, lake=lake),
                work / "monthly.pdf",
            )
            printed = _timed_pdf(lambda out: roster.write_pdf(
                session, SYSTEM, biggest, args.month, out), work / "roster.pdf",
            ) if args.roster else None  # fmt: skip
        print(json.dumps({
            "benchmark": "reports", "machine": machine(), "households": args.households,
            "monitoring_objects": objects, "prepare_seconds": prepared, "seed_seconds": seeded,
            "measures_by_county": {"seconds": measure_seconds, "counties": regions},
            "kpis_by_county": county_kpis,
            "monthly_report": {**report, "county": biggest,
                               "objects": objects_by_county[biggest]},
            "object_list": printed,
        }, indent=2))  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
