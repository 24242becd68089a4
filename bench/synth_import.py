"""Synthesis and import benchmark: households per second written by `povguard synth`, and
rows per second loaded by `povguard import` into SQLite (and PostgreSQL with --postgres).

    .venv/bin/python bench/synth_import.py --households 200000 [--postgres]

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

from povguard.core.db import dispose_engines  # noqa: E402
from povguard.ingest.service import import_dataset  # noqa: E402
from povguard.synth.service import synthesise  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _import(folder: Path, url: str, lake: Path) -> dict[str, object]:
    started = time.perf_counter()
    report = import_dataset(folder, lake=lake, database_url=url)
    seconds = time.perf_counter() - started
    registry = sum(report.rows.get(n, 0) for n in ("regions", "households", "members"))
    other = sum(report.rows.values()) - registry
    return {"seconds": round(seconds, 2), "registry_rows": registry, "lake_rows": other,
            "rows_per_s": round(sum(report.rows.values()) / seconds)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="povguard-bench-"))
    try:
        folder = work / "data"
        started = time.perf_counter()
        result = synthesise(folder, households=args.households, seed=1,
                            as_of=dt.date(2024, 7, 15))  # fmt: skip
        synth_seconds = time.perf_counter() - started
        rows = sum(result.rows.values())
        report: dict[str, object] = {
            "benchmark": "synth_import", "machine": machine(), "households": args.households,
            "synth": {"seconds": round(synth_seconds, 2), "rows": rows,
                      "households_per_s": round(args.households / synth_seconds)},
            "import_sqlite": _import(folder, f"sqlite:///{work / 'db.sqlite3'}", work / "lake"),
        }  # fmt: skip
        if args.postgres:
            import sqlalchemy as sa

            schema = f"bench_{int(time.time())}"
            admin = sa.create_engine(POSTGRES)
            with admin.begin() as c:
                c.execute(sa.text(f"CREATE SCHEMA {schema}"))
            try:
                url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
                report["import_postgresql"] = _import(folder, url, work / "lake-pg")
            finally:
                dispose_engines()
                with admin.begin() as c:
                    c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
