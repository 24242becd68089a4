"""The imported lake as a screening source: the same files, as folders of Parquet partitions.

Layout written by `povguard import` (see `ingest`): `registry/{regions,households,members}/`,
`income/`, `declarations/`, `feeds/<feed>/`, each partitioned `province=<2 digits>/`, and
`policy/policy.yaml`. Lake tables carry extra columns (the partition key, the resolved
household of person-keyed feeds) that screening ignores.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from povguard.core.errors import BadInput
from povguard.interchange.spec import FILES, REGISTRY_FILES
from povguard.screening.dataset import REQUIRED_FILES, SourceFile

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


def locate_lake(lake: Path) -> dict[str, SourceFile]:
    """Every SPEC §3 table of the lake (absent tables have no records)."""
    if not (table_folder(lake, "households")).is_dir():
        raise BadInput(f"{lake}: no imported registry in the lake; run `povguard import` first")
    found: dict[str, SourceFile] = {}
    for name, spec in FILES.items():
        folder = table_folder(lake, name)
        columns = _columns(folder, spec.column_names) if folder.is_dir() else ()
        if not columns:
            if name in REQUIRED_FILES:
                raise BadInput(f"{lake}: the lake has no {name}; run `povguard import` first")
            found[name] = SourceFile(spec, None, ())
        else:
            found[name] = SourceFile(spec, folder, columns)
    return found


def policy_path(lake: Path) -> Path:
    return lake / POLICY
