"""API benchmark: requests per second and latency of the household profile, the household
search and the region summary, with a bounded load generator on loopback.

    .venv/bin/python bench/api.py --households 100000 [--requests 2000] [--concurrency 8]

Synthesises and imports the households into PostgreSQL (a schema of its own, dropped after),
serves the app with uvicorn on 127.0.0.1, and prints one JSON document.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import sqlalchemy as sa
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

from povguard.auth import service as auth  # noqa: E402
from povguard.config import Settings  # noqa: E402
from povguard.core.db import dispose_engines  # noqa: E402
from povguard.core.uow import unit_of_work  # noqa: E402
from povguard.ingest.service import import_dataset  # noqa: E402
from povguard.synth.service import synthesise  # noqa: E402
from povguard.web.app import create_app  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PORT = 8791


def _load(base: str, token: str, paths: list[str], concurrency: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []

    def one(path: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, paths))
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"requests": len(paths), "rps": round(len(paths) / seconds),
            "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="povguard-api-"))
    schema = f"bench_api_{int(time.time())}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    try:
        data = work / "data"
        synthesise(data, households=args.households, seed=5, as_of=dt.date(2024, 7, 15),
                   counties=1)  # fmt: skip
        import_dataset(data, lake=work / "lake", database_url=url)
        with unit_of_work(url) as session:
            user = auth.create_user(session, username="bench", password="bench-password-1",
                                    role="county", region_code="530124000000")  # fmt: skip
            token = auth.issue_token(session, user, secret_key="x" * 32, purpose="api")
            ids = list(session.scalars(sa.text("SELECT household_id FROM households")))
        settings = Settings(database_url=url, lake=work / "lake", secret_key="x" * 32)
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1",
                                               port=PORT, log_level="warning"))  # fmt: skip
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.1)
        base = f"http://127.0.0.1:{PORT}"
        rnd = random.Random(1)
        n = args.requests
        results = {
            "profile": _load(base, token, [f"/api/v1/households/{rnd.choice(ids)}"
                                           for _ in range(n)], args.concurrency),
            "search": _load(base, token, [f"/api/v1/households?q={rnd.choice(ids)}"
                                          for _ in range(n)], args.concurrency),
            "summary": _load(base, token, ["/api/v1/regions/530124000000/summary"] * (n // 4),
                             args.concurrency),
        }  # fmt: skip
        server.should_exit = True
        thread.join(timeout=10)
        report = {"benchmark": "api", "machine": machine(), "households": args.households,
                  "concurrency": args.concurrency, "results": results}  # fmt: skip
        print(json.dumps(report, indent=2))
    finally:
        dispose_engines()
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
