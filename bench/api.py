"""API benchmark: requests per second and latency of the household profile, the household
search and the region summary, on loopback.

    .venv/bin/python bench/api.py --households 100000 [--workers 2] [--seconds 15] [--warmup 5]

Synthesises and imports the households into PostgreSQL (a schema of its own, dropped after),
starts `povguard serve --workers N` as its own process, and drives it with `wrk` (keep-alive
connections, a C load generator, so the client does not steal the server's interpreter). Each
endpoint is first driven for --warmup seconds, unmeasured, with the same settings: a fresh
worker's first requests open its connections and prepare its statements, which is not the
steady state the figures describe. Prints one JSON document. `make bench` installs wrk (Debian
package).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

from povguard.auth import service as auth  # noqa: E402
from povguard.core.db import dispose_engines  # noqa: E402
from povguard.core.uow import unit_of_work  # noqa: E402
from povguard.ingest.service import import_dataset  # noqa: E402
from povguard.synth.service import synthesise  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PORT = 8791
SECRET = "bench-secret-" + "x" * 32
COUNTY = "530124000000"
LUA = Path(__file__).resolve().parent / "api_paths.lua"


def _measure(pattern: str, ids: Path, token: str, seconds: int, connections: int,
             warmup: int) -> dict[str, float]:  # fmt: skip
    if warmup:
        _wrk(pattern, ids, token, warmup, connections)
    return _wrk(pattern, ids, token, seconds, connections)


def _wrk(pattern: str, ids: Path, token: str, seconds: int, connections: int) -> dict[str, float]:
    env = {**os.environ, "IDS_FILE": str(ids), "PATH_PATTERN": pattern, "TOKEN": token}
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA),
               f"http://127.0.0.1:{PORT}"]  # fmt: skip
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failed:
        raise SystemExit(f"{pattern}: {failed.group(1)} failed responses\n{out}")

    def latency(percent: str) -> float:
        match = re.search(rf"{percent}%\s+([\d.]+)(us|ms|s)\b", out)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return round(value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps, out
    return {"rps": round(float(rps.group(1))), "p50_ms": latency("50"), "p99_ms": latency("99")}


def _serve(url: str, lake: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "POVGUARD_DATABASE_URL": url, "POVGUARD_LAKE": str(lake),
           "POVGUARD_SECRET_KEY": SECRET}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "povguard", "serve", "--port", str(PORT), "--workers",
         str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{PORT}/login", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured seconds per endpoint")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")
    work = Path(tempfile.mkdtemp(prefix="povguard-api-"))
    schema = f"bench_api_{int(time.time())}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    server = None
    try:
        data = work / "data"
        synthesise(data, households=args.households, seed=5, as_of=dt.date(2024, 7, 15),
                   counties=1)  # fmt: skip
        import_dataset(data, lake=work / "lake", database_url=url)
        with unit_of_work(url) as session:
            user = auth.create_user(session, username="bench", password="bench-password-1",
                                    role="county", region_code=COUNTY)  # fmt: skip
            token = auth.issue_token(session, user, secret_key=SECRET, purpose="api")
            ids = list(session.scalars(sa.text("SELECT household_id FROM households")))
        dispose_engines()
        id_file = work / "ids.txt"
        id_file.write_text("\n".join(ids) + "\n")
        server = _serve(url, work / "lake", args.workers)
        run = (id_file, token, args.seconds, args.connections, args.warmup)
        results = {
            "profile": _measure("/api/v1/households/{id}", *run),
            "search": _measure("/api/v1/households?q={id}", *run),
            "summary": _measure(f"/api/v1/regions/{COUNTY}/summary", *run),
        }
        report = {"benchmark": "api", "machine": machine(), "households": args.households,
                  "workers": args.workers, "connections": args.connections,
                  "seconds_per_endpoint": args.seconds, "warmup_seconds": args.warmup,
                  "results": results}  # fmt: skip
        print(json.dumps(report, indent=2))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        dispose_engines()
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
