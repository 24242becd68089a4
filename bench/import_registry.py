"""Registry phase of an import on its own: validate a dataset's regions, households and
members, then store them into a fresh database in one unit of work (as `import` does, without
the lake written beside it), and print one JSON document: wall seconds, CPU seconds of the
storing thread and of the whole process while it stored (library threads included) and, on a
local PostgreSQL server, of the server process that did the work.
CPU seconds compare two versions of the code on a loaded machine; wall seconds do not.

    PYTHONPATH=<tree>/src .venv/bin/python bench/import_registry.py --data DIR sqlite
    PYTHONPATH=<tree>/src .venv/bin/python bench/import_registry.py --data DIR postgresql \
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/NAME
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

from povguard.auth.principal import SYSTEM  # noqa: E402
from povguard.core.db import dispose_engines  # noqa: E402
from povguard.core.uow import unit_of_work  # noqa: E402
from povguard.ingest import batches, service  # noqa: E402
from povguard.ingest.typedfiles import typed_files  # noqa: E402
from povguard.interchange.spec import REGISTRY_FILES  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _server_cpu(pid: int | None) -> float:
    """CPU seconds of a local server process so far (0 without one)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _registry_only(data: Path, work: Path) -> Path:
    """A folder holding only the dataset's registry files (links)."""
    folder = work / "registry"
    folder.mkdir()
    for source in data.iterdir():
        if source.stem in REGISTRY_FILES:
            (folder / source.name).symlink_to(source.resolve())
    return folder


def _store(folder: Path, url: str, lake: Path) -> dict[str, object]:
    batches.start(url, SYSTEM, source=str(folder))  # migrates the fresh database
    with typed_files() as spill:
        validated = service._validated(folder, spill, database_url=url, lake=lake,
                                       actor=SYSTEM, progress=None)  # fmt: skip
        rows = sum(validated.rows.values())
        started, cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        with unit_of_work(url) as session:
            pid = None
            if session.connection().dialect.name == "postgresql":
                pid = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            server = _server_cpu(pid)
            service._store_registry(session, validated, spill, SYSTEM)
            server = _server_cpu(pid) - server
            cpu = time.thread_time() - cpu
            process_cpu = time.process_time() - process_cpu
        seconds = time.perf_counter() - started
    return {
        "rows": rows, "seconds_with_commit": round(seconds, 2),
        "thread_cpu_seconds": round(cpu, 2), "process_cpu_seconds": round(process_cpu, 2),
        "server_cpu_seconds": round(server, 2),
        "rows_per_s": round(rows / seconds), "load_average": round(os.getloadavg()[0], 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("backend", choices=["sqlite", "postgresql"])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--postgres", default=POSTGRES, help="a server database to work in")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="povguard-bench-registry-"))
    schema = f"bench_registry_{os.getpid()}"
    admin = sa.create_engine(args.postgres)
    try:
        folder = _registry_only(args.data, work)
        if args.backend == "sqlite":
            url = f"sqlite:///{work / 'db.sqlite3'}"
        else:
            with admin.begin() as connection:
                connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
            url = f"{args.postgres}?options=-csearch_path%3D{schema}"
        result = {"benchmark": "import_registry", "backend": args.backend, "machine": machine(),
                  **_store(folder, url, work / "lake")}  # fmt: skip
        print(json.dumps(result))
    finally:
        dispose_engines()
        if args.backend == "postgresql":
            with admin.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
