"""Writing imported tables into the Parquet lake: typed columns, partitioned by province,
merged by key with what is stored, staged in a temporary folder and swapped in at the end."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from povguard.interchange.spec import REGISTRY_FILES, FileSpec, Kind

PART = "part-0.parquet"


def table_folder(lake: Path, name: str) -> Path:
    """Where SPEC file `name` lives in the lake (the layout screening reads)."""
    return lake / "registry" / name if name in REGISTRY_FILES else lake / name


TYPES: dict[Kind, pl.DataType] = {
    Kind.DATE: pl.Date(), Kind.MONEY: pl.Decimal(18, 2), Kind.BOOL: pl.Boolean(),
    Kind.INT: pl.Int64(),
}  # fmt: skip


def typed(spec: FileSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Validated columns as Arrow types: dates, decimals, booleans, integers, text (a
    column read from Parquet in a type of its own is cast, the others parsed from text)."""
    columns = []
    for column in spec.columns:
        value = pl.col(column.name)
        if column.kind in TYPES and frame.schema[column.name] != pl.String:
            value = value.cast(TYPES[column.kind])
        elif column.kind is Kind.DATE:
            value = value.str.to_date("%Y-%m-%d")
        elif column.kind is Kind.MONEY:
            value = value.cast(pl.Decimal(18, 2))
        elif column.kind is Kind.BOOL:
            value = value.replace_strict({"true": True, "false": False}, default=None,
                                         return_dtype=pl.Boolean)  # fmt: skip
        elif column.kind is Kind.INT:
            value = value.cast(pl.Int64)
        columns.append(value.alias(column.name))
    extra = [
        pl.col(c) for c in frame.columns if c not in spec.column_names and not c.startswith("_")
    ]
    return frame.select(*columns, *extra)


@dataclass
class LakeChange:
    """Partition files written to a staging folder, swapped into the lake by `commit()`."""

    lake: Path
    staging: Path = field(init=False)
    backup: Path = field(init=False)
    targets: list[Path] = field(default_factory=list)
    swapped: list[tuple[Path, Path | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        token = uuid.uuid4().hex[:12]
        self.staging = self.lake / f".staging-{token}"
        self.backup = self.lake / f".backup-{token}"

    def merge(self, folder: Path, frame: pl.DataFrame, key: tuple[str, ...]) -> None:
        """Stage `folder`'s partition file: stored rows not replaced by `frame`, then `frame`."""
        target = folder / PART
        if target.exists():
            stored = pl.read_parquet(target)
            frame = pl.concat([stored.join(frame, on=list(key), how="anti"), frame],
                              how="diagonal_relaxed")  # fmt: skip
        staged = self.staging / target.relative_to(self.lake)
        staged.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(staged, compression="zstd", compression_level=1)
        self.targets.append(target)

    def commit(self) -> None:
        """Move every staged file into place, keeping the old ones until `finish()`."""
        for target in self.targets:
            staged = self.staging / target.relative_to(self.lake)
            old: Path | None = None
            if target.exists():
                old = self.backup / target.relative_to(self.lake)
                old.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.swapped.append((target, old))
            os.replace(staged, target)

    def rollback(self) -> None:
        """Put back every file `commit()` replaced (in reverse order)."""
        for target, old in reversed(self.swapped):
            if old is not None:
                os.replace(old, target)
            else:
                target.unlink(missing_ok=True)
        self.swapped.clear()
        self.finish()

    def finish(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        shutil.rmtree(self.backup, ignore_errors=True)
