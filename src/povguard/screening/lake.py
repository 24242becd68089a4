"""The imported lake as a screening source: the same files, as folders of Parquet partitions.

Layout written by `povguard import` (see `ingest`): `registry/{regions,households,members}/`,
`income/`, `declarations/`, `feeds/<feed>/`, each partitioned `province=<2 digits>/`, and
`policy/policy.yaml`. Lake tables carry extra columns (the partition key, the resolved
household of person-keyed feeds) that screening ignores.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from povguard.core.errors import BadInput
from povguard.interchange.spec import FILES, REGISTRY_FILES
from povguard.policy.service import PolicyBook, load_policy
from povguard.screening.dataset import SourceFile

POLICY = Path("policy") / "policy.yaml"


def table_folder(lake: Path, name: str) -> Path:
    """Where file `name` of SPEC §3 lives in the lake."""
    if name in REGISTRY_FILES:
        return lake / "registry" / name
    return lake / name


def _columns(folder: Path, spec_columns: tuple[str, ...]) -> tuple[str, ...]:
    first = next(iter(sorted(folder.rglob("*.parquet"))), None)
    if first is None:
        return ()
    names = set(pq.read_schema(first).names)
    return tuple(c for c in spec_columns if c in names)


def provinces(lake: Path) -> list[str]:
    """The two-digit codes of the provinces whose registry is in the lake."""
    folder = table_folder(lake, "households")
    if not folder.is_dir():
        raise BadInput(f"{lake}: no imported registry in the lake; run `povguard import` first")
    return sorted(p.name.split("=", 1)[1] for p in folder.glob("province=*") if p.is_dir())


def locate_lake(lake: Path, province: str | None = None) -> dict[str, SourceFile]:
    """Every SPEC §3 table of the lake, or of one province's partition (absent: no records)."""
    if not (table_folder(lake, "households")).is_dir():
        raise BadInput(f"{lake}: no imported registry in the lake; run `povguard import` first")
    found: dict[str, SourceFile] = {}
    for name, spec in FILES.items():
        folder = table_folder(lake, name)
        if province is not None:
            folder = folder / f"province={province}"
        columns = _columns(folder, spec.column_names) if folder.is_dir() else ()
        if not columns:
            # An imported members file without rows leaves no partition: no members, as for
            # `screen --data` (only a province's households are always there).
            if name == "households":
                raise BadInput(f"{lake}: the lake has no {name}; run `povguard import` first")
            found[name] = SourceFile(spec, None, ())
        else:
            found[name] = SourceFile(spec, folder, columns)
    return found


def policy_path(lake: Path) -> Path:
    return lake / POLICY


def lake_policy(lake: Path) -> PolicyBook | None:
    """The policy file imported with the lake, if one was."""
    path = policy_path(lake)
    return load_policy(path) if path.exists() else None


def fingerprint(lake: Path, province: str) -> str:
    """Changes whenever a file of the province's partitions changes (name, size, mtime)."""
    digest = hashlib.sha256()
    for name in FILES:
        folder = table_folder(lake, name) / f"province={province}"
        for path in sorted(folder.rglob("*.parquet")) if folder.is_dir() else []:
            stat = path.stat()
            digest.update(f"{path.relative_to(lake)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def household_rows(
    lake: Path, name: str, household_id: str, village_code: str
) -> list[dict[str, Any]]:
    """The lake rows of SPEC §3 file `name` that belong to one household (read from its
    province's partition only); person-keyed feeds carry the household resolved at import."""
    folder = table_folder(lake, name) / f"province={village_code[:2]}"
    files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
    frames = [  # scanned lazily: the filter is pushed down to the Parquet row groups
        pl.scan_parquet(path, hive_partitioning=False)
        .filter(pl.col("household_id") == household_id)
        .collect()
        for path in files
        if "household_id" in pq.read_schema(path).names
    ]
    if not frames:
        return []
    return pl.concat(frames, how="diagonal_relaxed").to_dicts()
