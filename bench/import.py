"""Import benchmark: synthesise N households with `povguard synth`, import them into SQLite
and into PostgreSQL (each with its own lake), and print one JSON document with rows per
second for the registry (into the database) and the feeds (into the lake), seconds per
phase, and the machine.

    .venv/bin/python bench/import.py --households 100000 [--no-postgres]
    .venv/bin/python bench/import.py --data DIR [--no-postgres]   # an existing dataset
    .venv/bin/python bench/import.py --data DIR --no-sqlite --postgres URL  # another database


Phases are timed from the import's progress events: `validate` (read and check every file),
`lake` (write the Parquet lake) and `registry` (store regions, households and members);
the last two run at the same time, in two threads; `cross_checks` is the time between
validation and loading (checks across files, reading the stored registry). Registry work
done beside validation counts too: `registry` is the seconds during which any registry work
ran, that of the registry phase (`registry_phase`, its first to its last "store" event)
and each file's done beside validation (`registry_beside_validation`, from the "stage"
event before it to the one after it; SQLite: writing its staging database, PostgreSQL:
storing it), time spent on two at once counted once. The rates
divide each part's rows by its own phase's seconds (`feed_rows_per_s` divides the feed rows
by the whole lake phase, which also writes income and declarations;
`feed_rows_per_s_writing_feeds` by the time spent on the feed files alone, from the progress
event after each file); `total_seconds` is the whole import;
`peak_rss_mb` is the process's peak resident memory during that import alone;
`server_cpu_seconds` (PostgreSQL, a local server) the CPU of the server processes serving the
import's database (its backends; a parallel worker's share is not seen: set
`max_parallel_maintenance_workers = 0` on the database to count all of it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

from povguard.core.db import dispose_engines  # noqa: E402
from povguard.ingest.service import import_dataset  # noqa: E402
from povguard.interchange.spec import REGISTRY_FILES  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PHASES = {"validate": "validate", "load": "lake", "store": "registry"}


class PhaseClock:
    """First and last progress event of each phase, in seconds since the start."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self.thread_cpu: dict[str, list[float]] = {}
        self.lake_table_seconds: dict[str, float] = {}  # each file's own share of `lake`
        self.beside: dict[str, list[float]] = {}  # registry file → its work beside validation
        self.beside_cpu = 0.0  # CPU seconds of the thread doing that work, while it did
        self.beside_cpu_started = 0.0

    def __call__(self, phase: str, name: str, done: int, _total: int) -> None:
        now = time.perf_counter() - self.started
        if phase == "load" and name:  # the event after each file staged into the lake
            self.lake_table_seconds[name] = now - self.last["load"]
        if phase == "stage" and not done:  # before a registry file's work beside validation
            self.beside[name] = [now, now]
            self.beside_cpu_started = time.thread_time()
        elif phase == "stage":
            self.beside[name][1] = now
            self.beside_cpu += time.thread_time() - self.beside_cpu_started
        self.first.setdefault(phase, now)
        self.last[phase] = now
        self.thread_cpu.setdefault(phase, []).append(time.thread_time())

    def registry_cpu(self) -> float:
        """CPU seconds of the threads storing the registry (SQLite works in them)."""
        times = self.thread_cpu["store"]
        return times[-1] - times[0] + self.beside_cpu

    def registry_seconds(self) -> float:
        """Seconds during which registry work ran (two pieces at once counted once)."""
        spans = sorted([*self.beside.values(), [self.first["store"], self.last["store"]]])
        seconds, reached = 0.0, 0.0
        for start, end in spans:
            seconds += max(0.0, end - max(start, reached))
            reached = max(reached, end)
        return seconds

    def seconds(self, phase: str) -> float:
        start = 0.0 if phase == "validate" else self.first[phase]
        return self.last[phase] - start


def _reset_peak_rss() -> None:
    """Linux: start the peak resident set size (VmHWM) over from the current size."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _import(folder: Path, url: str, lake: Path) -> dict[str, object]:
    _reset_peak_rss()
    clock = PhaseClock()
    cpu = time.process_time()
    report = import_dataset(folder, lake=lake, database_url=url, progress=clock)
    total = time.perf_counter() - clock.started
    cpu = time.process_time() - cpu
    peak_rss_mb = _peak_rss_mb()
    registry = sum(report.rows.get(name, 0) for name in REGISTRY_FILES)
    feeds = sum(rows for name, rows in report.rows.items() if name.startswith("feeds/"))
    lake_rows = sum(report.rows.values()) - registry
    phases = {label: round(clock.seconds(phase), 2) for phase, label in PHASES.items()}
    phases["registry_phase"] = phases["registry"]
    phases["registry_beside_validation"] = round(sum(e - s for s, e in clock.beside.values()), 2)
    phases["registry"] = round(clock.registry_seconds(), 2)
    # between validation and loading: cross-file checks, reading the stored registry
    phases["cross_checks"] = round(clock.first["load"] - clock.last["validate"], 2)
    feed_seconds = sum(
        t for name, t in clock.lake_table_seconds.items() if name.startswith("feeds/")
    )
    return {
        "total_seconds": round(total, 2),
        "cpu_seconds_in_this_process": round(cpu, 2),
        "peak_rss_mb": peak_rss_mb,
        "phase_seconds": phases,
        "registry_rows": registry,
        "feed_rows": feeds,
        "lake_rows": lake_rows,
        "registry_rows_per_s": round(registry / phases["registry"]),
        "registry_rows_per_cpu_s_in_process": round(registry / clock.registry_cpu()),
        "feed_rows_per_s": round(feeds / phases["lake"]),
        "feed_write_seconds": round(feed_seconds, 2),
        "feed_rows_per_s_writing_feeds": round(feeds / feed_seconds),
        "lake_rows_per_s": round(lake_rows / phases["lake"]),
        "all_rows_per_s_end_to_end": round(sum(report.rows.values()) / total),
    }


def _synthesise(folder: Path, households: int) -> dict[str, object]:
    started = time.perf_counter()
    command = [sys.executable, "-m", "povguard", "synth", "--households", str(households),
               "--seed", "1", "--out", str(folder), "--as-of", "2024-07-15"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, env=os.environ.copy())
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "households_per_s": round(households / seconds)}


def _postgres(folder: Path, lake: Path, server: str) -> dict[str, object]:
    import sqlalchemy as sa

    schema = f"bench_import_{int(time.time())}"
    admin = sa.create_engine(server)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        result = _import(folder, f"{server}?options=-csearch_path%3D{schema}", lake)
        with admin.connect() as connection:
            result["server_cpu_seconds"] = round(_server_cpu(connection), 2)
        return result
    finally:
        dispose_engines()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _server_cpu(admin: Any) -> float:
    """CPU seconds of the local server's backends of `admin`'s database, but its own: the
    import's pooled connections, still open (0 when the server is not local)."""
    import sqlalchemy as sa

    pids = admin.execute(sa.text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )).scalars()  # fmt: skip
    seconds = 0.0
    for pid in pids:
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists():
            fields = stat.read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--data", type=Path, help="import this dataset instead of synthesising")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--postgres", default=POSTGRES, help="a server database to work in")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="povguard-bench-import-"))
    try:
        result: dict[str, object] = {
            "benchmark": "import", "machine": machine(),
            "load_average": [round(x, 1) for x in os.getloadavg()],
        }  # fmt: skip
        if args.data is None:
            folder = work / "data"
            result["households"] = args.households
            result["synth"] = _synthesise(folder, args.households)
        else:
            folder = args.data
            result["data"] = str(folder)
        if not args.no_sqlite:
            result["import_sqlite"] = _import(folder, f"sqlite:///{work / 'db.sqlite3'}",
                                              work / "lake-sqlite")  # fmt: skip
            dispose_engines()
        if not args.no_postgres:
            result["import_postgresql"] = _postgres(folder, work / "lake-postgresql",
                                                    args.postgres)  # fmt: skip
        result["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
