"""A national-shaped lake for the benchmarks: N households over K provinces (N/K each),
synthesised province by province and imported one after the other into one SQLite database
and lake, as provinces send their data.

    .venv/bin/python bench/national.py --households 3000000 --provinces 3

Cached under bench/out/national-N-K/ (data folders, then `povguard.sqlite3` and `lake/`);
prints JSON with the seconds and peak RSS of each synthesis and import.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402

from povguard.synth.geography import PROVINCES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AS_OF = "2024-07-15"
PYTHON = sys.executable
TIMED = ["/usr/bin/time", "-f", "%e %M"]  # wall seconds, peak RSS in KiB


def _timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(TIMED + command, env=env, check=True, capture_output=True, text=True)
    seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return {"seconds": float(seconds), "peak_rss_gb": round(int(kib) / 2**20, 2)}


KEYS = ("household_id", "member_id", "record_id", "declaration_id")


def _own_keys(folder: Path, province: str) -> None:
    """Prefix the dataset's keys with its province's digits: each province's synthetic dataset
    numbers its households, members and records from 1 (ID numbers already differ, as they
    carry the county's code)."""
    for path in [*folder.glob("*.parquet"), *folder.glob("feeds/*.parquet")]:
        frame = pl.read_parquet(path)
        keys = [(pl.lit(province) + pl.col(c)).alias(c) for c in KEYS if c in frame.columns]
        if keys:
            frame.with_columns(keys).write_parquet(path)


def _merge_policies(folders: list[Path]) -> None:
    """Every folder gets every province's policy entries: an import replaces the lake's policy
    file, and the last one must still hold the provinces imported before it."""
    entries = {
        (e["province"], e["year"]): e
        for f in folders
        for e in yaml.safe_load((f / "policy.yaml").read_text())
    }
    merged = sorted(entries.values(), key=lambda e: (e["province"], e["year"]))
    for folder in folders:
        (folder / "policy.yaml").write_text(yaml.safe_dump(merged, allow_unicode=True))


def national(households: int, provinces: int) -> tuple[Path, list[dict[str, object]]]:
    """The lake (built now if not cached) and what building it took."""
    target = OUT / f"national-{households}-{provinces}"
    lake = target / "lake"
    if (target / "done").exists():
        return lake, []
    if provinces > len(PROVINCES):
        raise SystemExit(f"--provinces {provinces}: the synthetic geography has {len(PROVINCES)}")
    codes = sorted(PROVINCES)[:provinces]
    per_province = households // provinces
    steps: list[dict[str, object]] = []
    folders = []
    for index, code in enumerate(codes):
        folder = target / f"data-{code[:2]}"
        if not (folder / "households.parquet").exists():
            took = _timed([PYTHON, "-m", "povguard", "synth", "--households", str(per_province),
                           "--seed", str(7 + index), "--province", code, "--out", str(folder),
                           "--as-of", AS_OF, "--format", "parquet"])  # fmt: skip
            _own_keys(folder, code[:2])
            steps.append({"step": f"synth {code[:2]}", **took})
        folders.append(folder)
    _merge_policies(folders)
    env = {**os.environ, "POVGUARD_DATABASE_URL": f"sqlite:///{target / 'povguard.sqlite3'}",
           "POVGUARD_LAKE": str(lake)}  # fmt: skip
    for folder in folders:
        imported = target / f"imported-{folder.name}"  # a stopped build resumes here
        if imported.exists():
            continue
        took = _timed([PYTHON, "-m", "povguard", "import", str(folder)], env=env)
        steps.append({"step": f"import {folder.name}", "households": per_province, **took})
        imported.touch()
    (target / "done").touch()
    return lake, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=3_000_000)
    parser.add_argument("--provinces", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    lake, steps = national(args.households, args.provinces)
    print(json.dumps({"benchmark": "national", "machine": machine(), "lake": str(lake),
                      "seconds": round(time.perf_counter() - started, 1), "steps": steps},
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
