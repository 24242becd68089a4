"""Screening benchmark: the engine versus the hand-written SQL over the same files.

    .venv/bin/python bench/screen.py --households 1000000 3000000 [--spark] [--from-lake]
        [--skip-files] [--provinces K] [--repeat R]

For each size: synthesise (povguard synth, Parquet, cached under bench/out/), screen with the
engine from the files (`--data`), run the hand-written DuckDB SQL over the same files, and report
seconds (wall and CPU), households per second, peak RSS of each step (each in its own process)
and the ratio; with `--repeat R`, the engine and the hand-written SQL alternate R times and the
ratios are of the medians.
With `--from-lake`, also import the dataset (SQLite + lake, cached under bench/out/) and time
`screen_lake` twice: the first run builds the stored frames, the second reuses them. With
`--provinces K`, the lake holds the N households as K provinces imported one after the other.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine  # noqa: E402
from national import national  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
AS_OF = "2024-07-15"
PYTHON = sys.executable

STEP = """
import datetime as dt, json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
import duckdb, handwritten  # libraries load before the clock starts, for every step alike
from povguard.screening.service import screen_folder, screen_lake
folder, which, as_of = Path({folder!r}), {which!r}, dt.date.fromisoformat({as_of!r})
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started, cpu_started = time.perf_counter(), cpu()
if which == "engine":
    clues = screen_folder(folder, as_of).clues.height
elif which == "engine_no_evidence":
    clues = screen_folder(folder, as_of, evidence=False).clues.height
elif which == "lake":
    clues = screen_lake(folder, as_of, sink=lambda c, m: None).counts.get("clues", 0)
elif which == "spark":
    clues = screen_folder(folder, as_of, engine="spark").clues.height
else:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    clues = len(handwritten.run(folder, as_of, con))
seconds, cpu_seconds = time.perf_counter() - started, cpu() - cpu_started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({{"seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
                  "clues": clues, "peak_rss_gb": round(rss, 2)}}))
"""


def synthesise(households: int) -> Path:
    folder = OUT / f"synth-{households}"
    if not (folder / "households.parquet").exists() and not (folder / "households").exists():
        subprocess.run(
            [PYTHON, "-m", "povguard", "synth", "--households", str(households), "--seed", "7",
             "--out", str(folder), "--as-of", AS_OF, "--format", "parquet"],
            check=True,
        )  # fmt: skip
    return folder


def imported(households: int, folder: Path) -> tuple[Path, float]:
    """The dataset imported into an SQLite database and lake of its own (seconds if done now)."""
    target = OUT / f"lake-{households}"
    if (target / "done").exists():
        return target / "lake", 0.0
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    env = {
        **os.environ,
        "POVGUARD_DATABASE_URL": f"sqlite:///{target / 'povguard.sqlite3'}",
        "POVGUARD_LAKE": str(target / "lake"),
    }
    started = time.perf_counter()
    subprocess.run([PYTHON, "-m", "povguard", "import", str(folder)], env=env, check=True)
    (target / "done").touch()
    return target / "lake", time.perf_counter() - started


def lake_runs(households: int, folder: Path | None, provinces: int = 1) -> dict[str, object]:
    if provinces > 1:
        lake, import_seconds = national(households, provinces)[0], 0.0
    else:
        assert folder is not None, "a lake of one province is imported from its dataset"
        lake, import_seconds = imported(households, folder)
    first, second = step(lake, "lake"), step(lake, "lake")
    return {
        "import_seconds_if_imported": round(import_seconds, 1),
        "first_run_builds_frames": first,
        "second_run_reuses_frames": {
            **second,
            "households_per_s": round(households / float(second["seconds"])),
        },
    }


def step(folder: Path, which: str) -> dict[str, object]:
    code = STEP.format(bench=str(ROOT / "bench"), folder=str(folder), which=which, as_of=AS_OF)
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    line = [x for x in done.stdout.splitlines() if x.startswith('{"seconds"')][-1]
    return json.loads(line)


def files_runs(households: int, folder: Path, repeat: int = 1) -> dict[str, object]:
    """The engine (with the clues' evidence, and without it: the same columns as the
    hand-written SQL's) and the hand-written SQL, alternated `repeat` times; the ratios are of
    the medians (wall seconds, and CPU seconds: user + system, steadier on a shared machine)."""
    runs: dict[str, list[dict[str, object]]] = {
        "engine": [], "engine_no_evidence": [], "handwritten": []
    }  # fmt: skip
    for _ in range(repeat):
        for which, done in runs.items():
            done.append(step(folder, which))

    def median(which: str, key: str) -> float:
        return statistics.median(float(str(run[key])) for run in runs[which])

    def middle(which: str) -> dict[str, object]:
        return sorted(runs[which], key=lambda run: float(str(run["seconds"])))[repeat // 2]

    def ratios(which: str) -> dict[str, float]:
        return {
            "wall": round(median(which, "seconds") / median("handwritten", "seconds"), 2),
            "cpu": round(median(which, "cpu_seconds") / median("handwritten", "cpu_seconds"), 2),
        }

    engine = middle("engine")
    return {
        "engine": {**engine, "households_per_s": round(households / float(str(engine["seconds"])))},
        "engine_no_evidence": middle("engine_no_evidence"),
        "handwritten_sql": middle("handwritten"),
        "runs": runs if repeat > 1 else None,
        "ratio_engine_to_handwritten": ratios("engine"),
        "ratio_engine_no_evidence_to_handwritten": ratios("engine_no_evidence"),
        "same_clue_count": len({run["clues"] for done in runs.values() for run in done}) == 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, nargs="+", default=[1_000_000, 3_000_000])
    parser.add_argument("--spark", action="store_true", help="also time Spark local mode")
    parser.add_argument("--from-lake", action="store_true", help="also time lake runs")
    parser.add_argument("--skip-files", action="store_true", help="only the lake runs")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the engine and the hand-written SQL this many times each, "
                             "alternated (a shared machine's timings vary)")  # fmt: skip
    parser.add_argument("--provinces", type=int, default=1,
                        help="lake runs over N households spread over this many provinces, "
                             "imported one after the other (bench/national.py)")  # fmt: skip
    args = parser.parse_args()
    results = []
    for households in args.households:
        # A national lake (--provinces > 1) is synthesised province by province on its own.
        own_lake = args.from_lake and args.provinces == 1
        started = time.perf_counter()
        folder = synthesise(households) if own_lake or args.spark or not args.skip_files else None
        synth_seconds = time.perf_counter() - started
        row: dict[str, object] = {
            "households": households,
            "synth_seconds_if_generated": round(synth_seconds, 1),
        }
        if folder is not None and not args.skip_files:
            row.update(files_runs(households, folder, args.repeat))
        if args.from_lake:
            row["from_lake"] = lake_runs(households, folder, args.provinces)
        if folder is not None and args.spark:
            row["spark_local"] = step(folder, "spark")
        results.append(row)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    report = {"benchmark": "screen", "as_of": AS_OF, "machine": machine(), "results": results}
    print(json.dumps({**report, "max_child_rss_gb": round(rss, 2)}, indent=2))


if __name__ == "__main__":
    main()
