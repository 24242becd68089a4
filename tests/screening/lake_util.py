"""Write a dataset folder into the lake layout that `povguard import` produces (for run tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from povguard.interchange.spec import FILES
from povguard.screening.lake import POLICY, table_folder


def dataset_to_lake(dataset: Path, lake: Path) -> Path:
    for name in FILES:
        source = dataset / f"{name}.csv"
        if not source.exists():
            continue
        frame = pl.read_csv(source, infer_schema=False)
        target = table_folder(lake, name) / "province=53"
        target.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(target / "part-0.parquet")
    (lake / POLICY).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(dataset / "policy.yaml", lake / POLICY)
    return lake
